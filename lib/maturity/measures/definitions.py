"""The tables every stage shares: measures, lifecycle phases, practice rates, change lags.

One home for each, so the engine, the reports, the charts and the explore notebook cannot
drift apart (a phase added here appears everywhere, with its label).
"""

from __future__ import annotations

from dataclasses import dataclass

#: The team key of the whole organisation in measures tables and JSON.
ALL_TEAMS = "ALL"
#: Columns ``measures_by_team_quarter`` can break a team's figures down by.
BREAKDOWNS = ("severity", "service")


@dataclass(frozen=True)
class Phase:
    """One lifecycle phase: minutes from ``start`` to ``end`` (canonical timestamp columns),
    measured by its median (``<name>_median``)."""

    name: str
    end: str
    start: str
    label: str
    meaning: str

    @property
    def measure(self) -> str:
        return f"{self.name}_median"


PHASES = (
    Phase("detect", "detected_at", "started_at", "Detect", "impact start → detected"),
    Phase("escalate", "acknowledged_at", "detected_at", "Escalate", "detected → acknowledged"),
    Phase("respond", "mitigated_at", "acknowledged_at", "Respond", "acknowledged → mitigated"),
    Phase("fix", "resolved_at", "mitigated_at", "Fix", "mitigated → resolved"),
    Phase("comms_latency", "notified_at", "detected_at", "Stakeholder comms",
          "detected → first notification"),
)  # fmt: skip


@dataclass(frozen=True)
class Rate:
    """A practice rate: the share of resolved incidents whose ``flag`` is true, among those
    where it is known (0 to 1)."""

    measure: str
    flag: str
    label: str
    meaning: str


RATES = (
    Rate("runbook_usage_rate", "runbook_used", "Runbook usage", "resolved with a runbook"),
    Rate("automation_coverage", "automated_recovery", "Recovery automation",
         "resolved by automated response or rollback"),
    Rate("pir_rate", "review_done", "Post-incident reviews", "followed by a structured review"),
)  # fmt: skip


@dataclass(frozen=True)
class Lag:
    """A comparison with an earlier quarter: ``change_<name>`` against ``quarters`` before."""

    name: str
    quarters: int
    label: str


CHANGES = (Lag("qoq", 1, "the quarter before"), Lag("yoy", 4, "a year before"))

COUNT_MEASURES = ("incidents", "resolved", "open")
#: DESIGN.md's key measures, in the order tables and JSON show them.
MEASURES = (
    *COUNT_MEASURES,
    "mttr",
    "mttr_median",
    "mttr_p90",
    *(p.measure for p in PHASES if p.name != "comms_latency"),
    *(r.measure for r in RATES),
    "comms_latency_median",
)
