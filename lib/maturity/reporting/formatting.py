"""Figures for people: durations, shares and intervals as report text.

Every formatter takes a value that may be missing (None or NaN) and gives ``MISSING``
("—") for it, never 0.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

MISSING = "—"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


#: Units for durations: name, abbreviation, minutes per unit.
UNITS = {"min": ("minutes", 1.0), "h": ("hours", 60.0), "d": ("days", 1440.0)}


def unit_for(minutes: float | None) -> str:
    """The unit people read a duration of this size in: ``min`` under 90 minutes, ``h``
    under two days, else ``d``."""
    if minutes is None or _missing(minutes) or minutes < 90:
        return "min"
    return "h" if minutes < 48 * 60 else "d"


def unit_of(values: object) -> str:
    """One unit for a family of durations (a chart's axis, an interval's two ends): the one
    their median calls for, so the typical figure reads naturally."""
    import pandas as pd

    series = pd.Series(values, dtype=float).dropna()
    return unit_for(float(series.median())) if len(series) else "min"


def recovery_unit(team_medians: object) -> str:
    """The one unit of an organisation's recovery figures (medians, percentiles, means,
    intervals, targets, each incident's time) in every output of a review: the one the
    median of its teams' median recovery times in the quarter calls for (``unit_of``). A
    figure then reads the same in the team report, the portfolio, the deck, the board pack,
    the summary and the index, and two figures in one sentence never differ in unit."""
    return unit_of(team_medians)


def review_unit(measures: pd.DataFrame, quarter: str) -> str:
    """``recovery_unit`` of the teams' (not ``ALL``'s) medians in ``quarter`` of a measures
    table (``measures_by_team_quarter``): the unit a review of ``quarter`` writes, and
    ``maturity measures`` too, so a figure reads the same in both."""
    from maturity.measures.definitions import ALL_TEAMS

    rows = measures[(measures["period"] == quarter) & (measures["team"] != ALL_TEAMS)]
    return recovery_unit(rows["mttr_median"])


def format_minutes(minutes: float | None, unit: str | None = None) -> str:
    """A duration for people: ``42 min``, ``3.5 h``, ``2.1 d`` (``—`` for no data); ``unit``
    fixes the unit (``min``, ``h``, ``d``) so figures side by side share one. Minutes are
    whole (``2,349 min``); hours and days have one decimal, two below one (``0.25 h``)."""
    if minutes is None or _missing(minutes):
        return MISSING
    unit = unit or unit_for(minutes)
    if unit == "min":
        return f"{minutes:,.0f} min"
    value = minutes / UNITS[unit][1]
    return f"{value:,.2f} {unit}" if abs(value) < 0.995 and value != 0 else f"{value:,.1f} {unit}"


def format_share(share: float | None) -> str:
    """A share for people: ``42%`` (``—`` for no data)."""
    if share is None or _missing(share):
        return MISSING
    return f"{share:.0%}"


def format_interval(interval: list[float] | None, unit: str | None = None) -> str:
    """A 90% interval for people: ``90% CI 44 min–73 min`` (empty when there is none), both
    ends in ``unit`` (default: the one the interval's middle calls for)."""
    return f"90% CI {format_range(interval, unit)}" if interval else ""


def format_range(interval: list[float] | None, unit: str | None = None) -> str:
    """An interval's two ends for a table cell: ``44 min–73 min`` (``—`` when there is none),
    both in ``unit`` (default: the one the interval's middle calls for)."""
    if not interval:
        return MISSING
    unit = unit or unit_of(interval)
    low, high = (format_minutes(v, unit) for v in interval)
    return f"{low}–{high}"


def format_change(ratio: float | None) -> str:
    """A change of recovery time (a ratio now / then) for people: ``35% shorter``, ``20%
    longer``, ``2.5 times as long``, ``about the same`` (under half a percent either way);
    ``—`` for no ratio."""
    if ratio is None or _missing(ratio):
        return MISSING
    if abs(ratio - 1) < 0.005:
        return "about the same"
    if ratio < 1:
        return f"{1 - ratio:.0%} shorter"
    if ratio < 2:
        return f"{ratio - 1:.0%} longer"
    return f"{ratio:.1f} times as long"


def format_change_range(interval: list[float] | None) -> str:
    """A ratio's interval in the words of ``format_change``: ``12% to 52% shorter``, ``from
    12% shorter to 20% longer`` (empty when there is none)."""
    if not interval or any(_missing(v) for v in interval):
        return ""
    low, high = interval
    if high < 1 and abs(high - 1) >= 0.005:  # both shorter: the smaller drop first
        return f"{1 - high:.0%} to {format_change(low)}"
    if low > 1 and abs(low - 1) >= 0.005 and high < 2:
        return f"{low - 1:.0%} to {format_change(high)}"
    return f"from {format_change(low)} to {format_change(high)}"


def format_q(q_value: float | None) -> str:
    """A q-value for people: ``q = 0.03``, ``q < 0.001``."""
    if q_value is None or _missing(q_value):
        return ""
    return "q < 0.001" if q_value < 0.001 else f"q = {q_value:.2g}"


def severity_label(value: object) -> str:
    """A severity as the charts and tables show it: ``3`` -> ``SEV3``; unknown -> ``unknown``
    (the explorer's legend filter matches on it, so every view uses this one)."""
    try:
        return f"SEV{int(value)}"  # type: ignore[call-overload]
    except (TypeError, ValueError):  # None, NaN, pandas' NA
        return "unknown"
