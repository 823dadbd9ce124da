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
``yoy_median_ratio``        the typical change of recovery time from the four quarters
                            before to the four ending with the assessed one: the
                            Hodges-Lehmann ratio of the change test (``stats.compare``);
                            None under 10 resolved incidents in either
``yoy_slower``              1 when that test finds recovery slower beyond noise (q < 0.10,
                            Benjamini-Hochberg across the teams assessed together), else 0;
                            None where ``yoy_median_ratio`` is
=========================== ===================================================================

A fact resting on fewer than ``MIN_EVIDENCE`` incidents (10) is too thin to judge a claim:
it is shown with its count, and its rules give "no data" (``Fact.enough``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from maturity.measures import stats
from maturity.measures.engine import recovery_minutes
from maturity.measures.trust import doubtful_fields, window_trust
from maturity.periods import quarter_range, shift_quarter
from maturity.wording import plural

WINDOW = 4
#: Fewer incidents than this behind a fact: too few to judge a claim by it.
MIN_EVIDENCE = stats.MIN_RESOLVED
LIFECYCLE = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")
#: The incident columns the facts read (``team_facts``): a team's rows need no others.
FACT_COLUMNS = ("team", "quarter", *LIFECYCLE, "review_done", "runbook_used",
                "automated_recovery", "source_format")  # fmt: skip


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
    # What backs the value, in words, where a number alone does not say it (the change
    # test behind ``yoy_slower``).
    detail: str = ""
    # A fact of the configuration (``slo_configured``) needs no incidents.
    needs_incidents: bool = True

    @property
    def enough(self) -> bool:
        """Whether the fact rests on enough incidents to judge a claim (``MIN_EVIDENCE``)."""
        return self.value is not None and (not self.needs_incidents or self.n >= MIN_EVIDENCE)


#: The timestamps each timestamp-based fact rests on.
LEANS_ON = {
    "recovery_time_share": ("resolved_at",),
    "lifecycle_complete_share": ("started_at", "mitigated_at", "resolved_at"),
    "yoy_median_ratio": ("detected_at", "resolved_at"),
    "yoy_slower": ("detected_at", "resolved_at"),
}


def _doubt(trust: dict[str, Any], fact: str) -> str:
    fields = doubtful_fields(trust)
    reasons = [f"{d['share']:.0%} of {plural(d['of'], 'incident')} {d['meaning']}"
               for name in LEANS_ON.get(fact, ()) for d in fields.get(name, [])]  # fmt: skip
    return "; ".join(reasons)


def unavailable_timestamps(incidents: pd.DataFrame, columns: tuple[str, ...]) -> tuple[str, ...]:
    """Those of ``columns`` that no incident has and that no export format of these incidents
    can carry: missing because of the tool, not the team."""
    from maturity.ingest.fetched import carried_timestamps

    formats = set(incidents["source_format"].dropna()) if "source_format" in incidents else set()
    carried = carried_timestamps(formats)
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


def windows(quarter: str) -> tuple[list[str], list[str]]:
    """The four quarters ending with ``quarter``, and the four before them."""
    window = quarter_range(shift_quarter(quarter, 1 - WINDOW), quarter)
    before = quarter_range(shift_quarter(quarter, 1 - 2 * WINDOW), shift_quarter(quarter, -WINDOW))
    return window, before


def year_on_year(incidents: pd.DataFrame, quarter: str) -> dict[str, dict[str, Fact]]:
    """``yoy_median_ratio`` and ``yoy_slower`` of every team of ``incidents`` at once (by
    their ``team``; rows without one are left out): the change test of the measures
    (``stats.compare``) on each team's recovery times over the four quarters ending with
    ``quarter`` against the four before, q-values across the teams together (as the
    measures' verdicts are across the teams of a period). One pass over the rows, however
    many teams."""
    window, before = windows(quarter)
    attributed = incidents[incidents["team"].notna()]
    names = attributed["team"].astype(str)
    teams = sorted(names.unique())
    code = names.map({team: i for i, team in enumerate(teams)}).to_numpy(np.int64)
    period = attributed["quarter"]
    side = np.where(period.isin(window), 0, np.where(period.isin(before), 1, -1))
    times = recovery_minutes(attributed).to_numpy(dtype=float, na_value=np.nan)
    keep = (side >= 0) & np.isfinite(times)
    grouped = stats.sort_by_group(times[keep], side[keep] * len(teams) + code[keep],
                                  2 * len(teams))  # fmt: skip
    now = grouped.regroup(np.arange(len(teams)))
    then = grouped.regroup(np.arange(len(teams), 2 * len(teams)))
    change = stats.compare(now, then)
    q_values = stats.benjamini_hochberg(change.p_value, np.zeros(len(teams), np.int64))
    verdicts = stats.verdicts(change.p_value, q_values, change.ratio)
    facts = {}
    for i, team in enumerate(teams):
        n = int(min(now.counts[i], then.counts[i]))
        if not change.enough[i] or not np.isfinite(change.ratio[i]):
            facts[team] = {"yoy_median_ratio": Fact(None, n), "yoy_slower": Fact(None, n)}
            continue
        detail = (
            f"typical ratio {change.ratio[i]:.2f}, 90% interval "
            f"{change.ratio_low[i]:.2f} to {change.ratio_high[i]:.2f}, {_q_text(q_values[i])}; "
            f"{verdicts[i].replace('_', ' ')}"
        )
        facts[team] = {
            "yoy_median_ratio": Fact(float(change.ratio[i]), n, detail=detail),
            "yoy_slower": Fact(1.0 if verdicts[i] == stats.WORSENED else 0.0, n, detail=detail),
        }
    return facts


#: A team's year-over-year facts when it has no incident to test.
NO_YEARLY = {"yoy_median_ratio": Fact(None, 0), "yoy_slower": Fact(None, 0)}


def team_facts(incidents: pd.DataFrame, quarter: str, *, slo_configured: bool,
               timezone: str = "UTC", yearly: dict[str, Fact] | None = None,
               patterns: pd.DataFrame | None = None) -> dict[str, Fact]:  # fmt: skip
    """The evidence facts of one team's incidents (``IncidentSet.incidents`` rows).
    ``yearly``: this team's ``year_on_year`` facts, when the teams were tested together
    (else the team is tested alone). ``patterns``: the rows' ``incident_patterns``, row for
    row, when computed once for the organisation (else computed here)."""
    window, _ = windows(quarter)
    in_window = incidents["quarter"].isin(window).to_numpy()
    recent = incidents[in_window]
    resolved = recent[recent["resolved_at"].notna()]
    facts = {
        "pir_rate": _share(resolved["review_done"]),
        "runbook_usage_rate": _share(resolved["runbook_used"]),
        "automation_coverage": _share(resolved["automated_recovery"]),
        "recovery_time_share": Fact(
            float(recent["resolved_at"].notna().mean()) if len(recent) else None, len(recent)
        ),
        "lifecycle_complete_share": _lifecycle(resolved),
        "slo_configured": Fact(1.0 if slo_configured else 0.0, 1, needs_incidents=False),
    }
    # Facts resting on doubtful timestamps say so (the window's data-trust profile).
    trust = window_trust(recent, timezone,
                         patterns=None if patterns is None else patterns[in_window])  # fmt: skip
    for name in ("recovery_time_share", "lifecycle_complete_share"):
        doubt = _doubt(trust, name)
        if doubt and facts[name].value is not None:
            facts[name] = replace(facts[name], doubt=doubt)
    if yearly is None:
        yearly = year_on_year(incidents.assign(team="team"), quarter).get("team", NO_YEARLY)
    for name, fact in yearly.items():
        doubt = _doubt(trust, name) if fact.value is not None else ""
        facts[name] = replace(fact, doubt=doubt)
    return facts


def _q_text(q_value: float) -> str:
    """A q-value as people read one: ``q = 0.03``, ``q < 0.001`` (never ``8.6e-08``)."""
    return "q < 0.001" if q_value < 0.001 else f"q = {q_value:.2g}"
