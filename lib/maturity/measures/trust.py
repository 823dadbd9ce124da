"""How far a team's timestamps can be trusted: the ``data_trust`` profile of DESIGN.md.

Per team and quarter (of detection), over the incidents used:

* coverage: the share of incidents carrying each lifecycle timestamp, and the share whose
  practice flags (runbook used, automated recovery, review done) are known;
* the patterns that make timestamps doubtful, each a share of the incidents where it can
  occur, with that count (``*_n``):

  - ``recovered_equals_mitigated``: resolved at the very moment of mitigation (of incidents
    with both): the tool, not the team, filled one from the other;
  - ``zero_duration``: resolved the moment it was detected (of resolved incidents);
  - ``whole_hour``: a recovery time of exactly 1, 2, 3 ... hours (of resolved incidents):
    typed in afterwards, rounded;
  - ``bulk_closure``: resolved in a minute in which the team resolved at least
    ``BULK_MINUTE`` incidents (of resolved incidents): a clean-up, not a recovery;
  - ``resolved_last_day``: resolved on the last day of a quarter, in the organisation's
    time zone (of resolved incidents): closed for the quarter's figures;
  - ``detected_before_started``: detected before the impact started (of incidents with
    both): one of the two is wrong;
  - ``phase_out_of_order``: a later lifecycle phase ends before it starts (acknowledged
    before detected, mitigated before acknowledged, resolved before mitigated, notified
    before detected; of incidents with any of those pairs): often automation stopping the
    impact before a person acknowledged. The phase counts as 0 minutes in its median
    (DESIGN.md), and ``out_of_order`` says how many of each phase.

``doubtful`` lists the patterns past their threshold (``THRESHOLDS``, with at least
``MIN_CASES`` cases), each naming the field it casts doubt on.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

TIMESTAMPS = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at",
              "notified_at")  # fmt: skip
FLAGS = ("runbook_used", "automated_recovery", "review_done")
BULK_MINUTE = 3
MIN_CASES = 2

#: pattern -> (share from which it is doubtful, the field it casts doubt on, what it means)
THRESHOLDS: dict[str, tuple[float, str, str]] = {
    "recovered_equals_mitigated": (0.5, "mitigated_at",
                                   "recovery recorded at the very moment of mitigation"),
    "zero_duration": (0.1, "resolved_at", "resolved the moment it was detected"),
    "whole_hour": (0.3, "resolved_at", "recovery times of exactly whole hours (typed in?)"),
    "bulk_closure": (0.1, "resolved_at",
                     f"closed with {BULK_MINUTE - 1} or more others in the same minute"),
    "resolved_last_day": (0.15, "resolved_at", "resolved on the quarter's last day"),
    "detected_before_started": (0.1, "started_at", "detected before the impact started"),
    "phase_out_of_order": (0.5, "acknowledged_at",
                           "a phase ending before it began (e.g. mitigated before acknowledged)"),
}  # fmt: skip

#: The phases whose order ``phase_out_of_order`` checks: (name, start, end).
ORDERED_PHASES = (
    ("escalate", "detected_at", "acknowledged_at"),
    ("respond", "acknowledged_at", "mitigated_at"),
    ("fix", "mitigated_at", "resolved_at"),
    ("comms_latency", "detected_at", "notified_at"),
)

PATTERNS = tuple(THRESHOLDS)


def incident_patterns(incidents: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """One row per incident: for each pattern, whether it can occur (``<p>_n``) and whether
    it does (``<p>``), and the coverage flags; booleans, index as ``incidents``."""
    out = pd.DataFrame(index=incidents.index)
    for column in TIMESTAMPS:
        out[f"has_{column}"] = incidents[column].notna() if column in incidents else False
    for flag in FLAGS:
        out[f"known_{flag}"] = incidents[flag].notna() if flag in incidents else False
    detected, resolved = incidents["detected_at"], incidents["resolved_at"]
    is_resolved = (resolved.notna() & detected.notna()).to_numpy()
    minutes = ((resolved - detected).dt.total_seconds() / 60).to_numpy(dtype=float, na_value=np.nan)

    mitigated = incidents.get("mitigated_at", pd.Series(pd.NaT, index=incidents.index))
    both = (mitigated.notna() & resolved.notna()).to_numpy()
    out["recovered_equals_mitigated_n"] = both
    out["recovered_equals_mitigated"] = both & (mitigated == resolved).fillna(False).to_numpy()
    for pattern in ("zero_duration", "whole_hour", "bulk_closure", "resolved_last_day"):
        out[f"{pattern}_n"] = is_resolved
    with np.errstate(invalid="ignore"):
        out["zero_duration"] = is_resolved & (minutes == 0)
        out["whole_hour"] = is_resolved & (minutes > 0) & (np.mod(minutes, 60) == 0)
    resolved_minute = resolved.dt.floor("min")
    same_minute = incidents.assign(_m=resolved_minute).groupby(
        ["team", "_m"], dropna=False, observed=True
    )["_m"]
    counts = same_minute.transform("size").to_numpy()
    out["bulk_closure"] = is_resolved & (counts >= BULK_MINUTE)
    local = resolved.dt.tz_convert(timezone)
    naive = local.dt.tz_localize(None)  # the local wall-clock date decides the day
    quarter_end = naive.dt.to_period("Q").dt.end_time.dt.normalize()
    last_day = naive.dt.normalize() == quarter_end
    out["resolved_last_day"] = is_resolved & last_day.fillna(False).to_numpy()
    started = incidents.get("started_at", pd.Series(pd.NaT, index=incidents.index))
    both_start = (started.notna() & detected.notna()).to_numpy()
    out["detected_before_started_n"] = both_start
    out["detected_before_started"] = both_start & (detected < started).fillna(False).to_numpy()
    any_pair = np.zeros(len(incidents), bool)
    any_reversed = np.zeros(len(incidents), bool)
    for name, start, end in ORDERED_PHASES:
        first = incidents.get(start, pd.Series(pd.NaT, index=incidents.index))
        last = incidents.get(end, pd.Series(pd.NaT, index=incidents.index))
        pair = (first.notna() & last.notna()).to_numpy()
        reversed_ = pair & (last < first).fillna(False).to_numpy()
        out[f"out_of_order_{name}"] = reversed_
        any_pair |= pair
        any_reversed |= reversed_
    out["phase_out_of_order_n"] = any_pair
    out["phase_out_of_order"] = any_reversed
    return out.astype(bool)


def trust_table(incidents: pd.DataFrame, teams: list[str], quarters: list[str],
                timezone: str, all_label: str) -> pd.DataFrame:  # fmt: skip
    """``trust_*`` columns per (team, period), teams and ``all_label`` (every incident)."""
    flags = incident_patterns(incidents, timezone)
    flags["team"], flags["period"] = incidents["team"], incidents["quarter"]
    frames = []
    for grouping in (flags.assign(team=all_label), flags):
        sums = grouping.groupby(["team", "period"], observed=True).sum(numeric_only=True)
        sums["incidents"] = grouping.groupby(["team", "period"], observed=True).size()
        frames.append(sums)
    table = pd.concat(frames)
    index = pd.MultiIndex.from_product([[all_label, *teams], quarters], names=["team", "period"])
    table = table.reindex(index).fillna(0)
    return table.add_prefix("trust_").reset_index()


def _share(part: float, whole: float) -> float | None:
    return round(float(part) / float(whole), 4) if whole else None


def profile(raw: dict[str, Any]) -> dict[str, Any]:
    """The ``data_trust`` object from a row's ``trust_*`` values (sums of the flags)."""
    n = int(raw.get("trust_incidents") or 0)
    coverage = {c: _share(raw.get(f"trust_has_{c}", 0), n) for c in TIMESTAMPS}
    known = {f: _share(raw.get(f"trust_known_{f}", 0), n) for f in FLAGS}
    result: dict[str, Any] = {"incidents": n, "coverage": coverage, "flags_known": known}
    doubtful = []
    for pattern, (threshold, field, meaning) in THRESHOLDS.items():
        cases = int(raw.get(f"trust_{pattern}", 0) or 0)
        of = int(raw.get(f"trust_{pattern}_n", 0) or 0)
        share = _share(cases, of)
        result[pattern] = share
        result[f"{pattern}_n"] = of
        if share is not None and share >= threshold and cases >= MIN_CASES:
            doubtful.append({"pattern": pattern, "field": field, "share": share,
                             "cases": cases, "of": of, "meaning": meaning})  # fmt: skip
    result["doubtful"] = doubtful
    result["out_of_order"] = {
        name: int(raw.get(f"trust_out_of_order_{name}", 0) or 0) for name, _, _ in ORDERED_PHASES
    }
    return result


def doubtful_fields(trust: dict[str, Any] | None) -> dict[str, list[dict[str, Any]]]:
    """The doubtful patterns of a ``data_trust`` object, by the field they cast doubt on."""
    fields: dict[str, list[dict[str, Any]]] = {}
    for item in (trust or {}).get("doubtful", []):
        fields.setdefault(item["field"], []).append(item)
    return fields


def window_trust(incidents: pd.DataFrame, timezone: str,
                 patterns: pd.DataFrame | None = None) -> dict[str, Any]:  # fmt: skip
    """The ``data_trust`` object of a set of incidents taken together (an evidence window).
    ``patterns``: their ``incident_patterns`` rows, when already computed for a larger set
    (a bulk closure is then counted among all the team's closures of that minute, as the
    measures count it, not only among the window's)."""
    if not len(incidents):
        return profile({})
    flags = incident_patterns(incidents, timezone) if patterns is None else patterns
    sums = flags.sum()
    raw = {f"trust_{k}": int(v) for k, v in sums.items()}
    raw["trust_incidents"] = len(incidents)
    return profile(raw)
