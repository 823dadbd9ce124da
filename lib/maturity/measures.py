"""The standard's key measures, per team and quarter.

Definitions (DESIGN.md "The key measures"); every duration is in **minutes**:

========================  =====================================================================
``incidents``             incidents detected in the quarter (used rows of the ledger)
``resolved``, ``open``    of those, with and without ``resolved_at``
``mttr``                  mean of ``resolved_at - detected_at`` over resolved incidents (the
                          standard's MTTR; long-tailed, so read it beside the median)
``mttr_median``           median of the same
``mttr_p90``              90th percentile of the same, linear interpolation
``detect_median``         median ``detected_at - started_at``
``escalate_median``       median ``acknowledged_at - detected_at``
``respond_median``        median ``mitigated_at - acknowledged_at``
``fix_median``            median ``resolved_at - mitigated_at``
``runbook_usage_rate``    share of resolved incidents with ``runbook_used`` true, among the
                          resolved incidents where it is known (0 to 1)
``automation_coverage``   the same for ``automated_recovery``
``pir_rate``              the same for ``review_done``
``comms_latency_median``  median ``notified_at - detected_at``
========================  =====================================================================

Each phase median uses the incidents that have both of its timestamps; a negative phase
(a clock skew between tools, say) is left out of that phase, not clamped to zero. Each
figure has its count beside it (``<measure>_n``). A measure with no data is null (NaN here,
``null`` in JSON), never 0. Team ``ALL`` is the whole organisation.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from maturity.periods import quarter_range

ALL_TEAMS = "ALL"

#: (measure, end timestamp, start timestamp) of each duration measured by its median.
PHASES = (
    ("detect", "detected_at", "started_at"),
    ("escalate", "acknowledged_at", "detected_at"),
    ("respond", "mitigated_at", "acknowledged_at"),
    ("fix", "resolved_at", "mitigated_at"),
    ("comms_latency", "notified_at", "detected_at"),
)
#: (rate measure, flag column): shares of resolved incidents where the flag is known.
RATES = (
    ("runbook_usage_rate", "runbook_used"),
    ("automation_coverage", "automated_recovery"),
    ("pir_rate", "review_done"),
)
COUNT_MEASURES = ("incidents", "resolved", "open")
MEASURES = (
    *COUNT_MEASURES,
    "mttr",
    "mttr_median",
    "mttr_p90",
    "detect_median",
    "escalate_median",
    "respond_median",
    "fix_median",
    "runbook_usage_rate",
    "automation_coverage",
    "pir_rate",
    "comms_latency_median",
)


def minutes_between(end: pd.Series, start: pd.Series) -> pd.Series:
    """``end - start`` in minutes (float; NaN where either is missing)."""
    return (end - start).dt.total_seconds() / 60.0


def recovery_minutes(incidents: pd.DataFrame) -> pd.Series:
    """Time to recover of each incident: ``resolved_at - detected_at`` in minutes (NaN if open)."""
    return minutes_between(incidents["resolved_at"], incidents["detected_at"])


def _durations(incidents: pd.DataFrame) -> pd.DataFrame:
    """One column per duration measured, in minutes; negative phases blanked."""
    frame = pd.DataFrame({"recovery": recovery_minutes(incidents)}, index=incidents.index)
    for name, end, start in PHASES:
        minutes = minutes_between(incidents[end], incidents[start])
        frame[name] = minutes.where(minutes >= 0)
    resolved = incidents["resolved_at"].notna()
    for rate, flag in RATES:
        known = incidents[flag].astype("Float64")
        frame[rate] = known.where(resolved).astype(float)
    return frame


def _summarise(groups: Any) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "incidents": groups["recovery"].size(),
            "resolved": groups["recovery"].count(),
            "mttr": groups["recovery"].mean(),
            "mttr_median": groups["recovery"].median(),
            "mttr_p90": groups["recovery"].quantile(0.9),
        }
    )
    out["open"] = out["incidents"] - out["resolved"]
    out["mttr_n"] = out["resolved"]
    for name, _end, _start in PHASES:
        out[f"{name}_median"] = groups[name].median()
        out[f"{name}_median_n"] = groups[name].count()
    for rate, _flag in RATES:
        out[rate] = groups[rate].mean()
        out[f"{rate}_n"] = groups[rate].count()
    return out


def measures_by_team_quarter(
    incidents: pd.DataFrame,
    *,
    teams: list[str] | None = None,
    quarters: list[str] | None = None,
) -> pd.DataFrame:
    """Every key measure for each team and quarter, plus team ``ALL``.

    ``incidents`` is ``IncidentSet.incidents`` (needs ``team`` and ``quarter``). Rows cover
    every team in ``teams`` (default: those with incidents) and every quarter in
    ``quarters`` (default: the first to the last quarter with incidents), so a quarter
    without incidents shows ``incidents`` 0 and null measures rather than vanishing.
    Sorted by team (``ALL`` first) then quarter.
    """
    if teams is None:
        teams = sorted(incidents["team"].dropna().unique())
    if quarters is None:
        present = sorted(incidents["quarter"].dropna().unique())
        quarters = quarter_range(present[0], present[-1]) if present else []
    durations = _durations(incidents)
    durations["team"] = incidents["team"].astype(object)
    durations["quarter"] = incidents["quarter"].astype(object)

    per_team = _summarise(durations.groupby(["team", "quarter"]))
    org = _summarise(durations.groupby("quarter"))
    org.index = pd.MultiIndex.from_product([[ALL_TEAMS], org.index], names=["team", "quarter"])
    grid = pd.MultiIndex.from_product([[ALL_TEAMS, *teams], quarters], names=["team", "quarter"])
    table = pd.concat([org, per_team]).reindex(grid)

    counts = [c for c in table.columns if c in COUNT_MEASURES or c.endswith("_n")]
    table[counts] = table[counts].fillna(0).astype(int)
    columns = [*MEASURES, *sorted(c for c in table.columns if c.endswith("_n"))]
    return table[columns].reset_index().rename(columns={"quarter": "period"})


def to_records(table: pd.DataFrame, digits: int = 2) -> list[dict[str, Any]]:
    """Rows of a measures table as JSON-ready dicts: NaN -> None, floats rounded."""
    records = []
    for row in table.to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if isinstance(value, float | np.floating):
                clean[key] = None if math.isnan(value) else round(float(value), digits)
            elif isinstance(value, np.integer):
                clean[key] = int(value)
            elif value is pd.NA:
                clean[key] = None
            else:
                clean[key] = value
        records.append(clean)
    return records
