"""Facts about a team's incident data that the rubric's evidence rules test.

Every fact covers the four quarters ending with the assessed one (``measurement`` of the
year-over-year fact: those four against the four before) and comes with the count it
rests on. A fact with nothing to rest on is None ("no data"), never 0.

=========================== ===================================================================
``pir_rate``                share of resolved incidents reviewed, among those where it is known
``runbook_usage_rate``      the same for runbook use
``automation_coverage``     the same for automated recovery
``recovery_time_share``     share of incidents with a recovery time (open ones lack one)
``lifecycle_complete_share`` share of resolved incidents with all five lifecycle timestamps
                            (started, detected, acknowledged, mitigated, resolved)
``slo_configured``          1 when ``slo_minutes`` is set in assessment.yaml, else 0
``yoy_median_ratio``        median recovery of the four quarters / the four before; None
                            under 10 resolved incidents in either
=========================== ===================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from maturity.measures.engine import recovery_minutes
from maturity.measures.stats import MIN_RESOLVED
from maturity.measures.trust import doubtful_fields, window_trust
from maturity.periods import quarter_range, shift_quarter
from maturity.wording import plural

WINDOW = 4
LIFECYCLE = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")


@dataclass(frozen=True)
class Fact:
    value: float | None
    n: int  # how many incidents the fact rests on
    # Timestamps the fact needs that the team's exports cannot carry (PagerDuty has no
    # impact-start or mitigation time): the fact is then None, "cannot be checked".
    unavailable: tuple[str, ...] = ()
    # Why the timestamps the fact rests on are doubtful (``maturity.measures.trust``), in
    # words; empty when they look recorded as things happened.
    doubt: str = ""


#: The timestamps each timestamp-based fact rests on.
LEANS_ON = {
    "recovery_time_share": ("resolved_at",),
    "lifecycle_complete_share": ("started_at", "mitigated_at", "resolved_at"),
    "yoy_median_ratio": ("detected_at", "resolved_at"),
}


def _doubt(trust: dict[str, Any], fact: str) -> str:
    fields = doubtful_fields(trust)
    reasons = [f"{d['share']:.0%} of {plural(d['of'], 'incident')} {d['meaning']}"
               for name in LEANS_ON.get(fact, ()) for d in fields.get(name, [])]  # fmt: skip
    return "; ".join(reasons)


def unavailable_timestamps(incidents: pd.DataFrame, columns: tuple[str, ...]) -> tuple[str, ...]:
    """Those of ``columns`` that no incident has and that no export format of these incidents
    can carry: missing because of the tool, not the team."""
    from maturity.ingest.formats import FORMATS

    formats = set(incidents["source_format"].dropna()) if "source_format" in incidents else set()
    carried = {c for f in formats if f in FORMATS for c in FORMATS[f].TIMESTAMPS}
    return tuple(c for c in columns if c not in carried and incidents[c].isna().all())


def _share(flags: pd.Series) -> Fact:
    known = flags.dropna()
    return Fact(float(known.astype(float).mean()) if len(known) else None, len(known))


def _lifecycle(resolved: pd.DataFrame) -> Fact:
    if not len(resolved):
        return Fact(None, 0)
    missing = unavailable_timestamps(resolved, LIFECYCLE)
    if missing:
        return Fact(None, len(resolved), missing)
    return Fact(float(resolved[list(LIFECYCLE)].notna().all(axis=1).mean()), len(resolved))


def team_facts(incidents: pd.DataFrame, quarter: str, *, slo_configured: bool,
               timezone: str = "UTC") -> dict[str, Fact]:  # fmt: skip
    """The evidence facts of one team's incidents (``IncidentSet.incidents`` rows)."""
    window = quarter_range(shift_quarter(quarter, 1 - WINDOW), quarter)
    before = quarter_range(shift_quarter(quarter, 1 - 2 * WINDOW), shift_quarter(quarter, -WINDOW))
    recent = incidents[incidents["quarter"].isin(window)]
    resolved = recent[recent["resolved_at"].notna()]
    facts = {
        "pir_rate": _share(resolved["review_done"]),
        "runbook_usage_rate": _share(resolved["runbook_used"]),
        "automation_coverage": _share(resolved["automated_recovery"]),
        "recovery_time_share": Fact(
            float(recent["resolved_at"].notna().mean()) if len(recent) else None, len(recent)
        ),
        "lifecycle_complete_share": _lifecycle(resolved),
        "slo_configured": Fact(1.0 if slo_configured else 0.0, 1),
    }
    # Facts resting on doubtful timestamps say so (the window's data-trust profile).
    trust = window_trust(recent, timezone)
    for name in ("recovery_time_share", "lifecycle_complete_share"):
        doubt = _doubt(trust, name)
        if doubt and facts[name].value is not None:
            facts[name] = replace(facts[name], doubt=doubt)
    earlier = incidents[incidents["quarter"].isin(before)]
    now_times = recovery_minutes(recent).dropna()
    then_times = recovery_minutes(earlier).dropna()
    enough = len(now_times) >= MIN_RESOLVED and len(then_times) >= MIN_RESOLVED
    ratio = float(now_times.median() / then_times.median()) if enough else None
    facts["yoy_median_ratio"] = Fact(
        ratio,
        min(len(now_times), len(then_times)),
        doubt=_doubt(trust, "yoy_median_ratio") if enough else "",
    )
    return facts
