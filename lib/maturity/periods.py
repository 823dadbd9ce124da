"""Quarters in the organisation's time zone.

An incident belongs to the quarter of its ``detected_at`` seen on the organisation's wall
clock: an incident detected at 23:30 UTC on 30 September belongs to Q4 in Sydney.
Quarters are written ``YYYY-Qn`` (``2026-Q3``).
"""

from __future__ import annotations

import re

import pandas as pd

from maturity.errors import PeriodError

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def quarter_of(timestamps: pd.Series, timezone: str) -> pd.Series:
    """The ``YYYY-Qn`` quarter of each UTC timestamp on ``timezone``'s wall clock (NA stays NA)."""
    local = timestamps.dt.tz_convert(timezone).dt.tz_localize(None)
    year = local.dt.year.astype("Int64").astype("string")
    quarter = local.dt.quarter.astype("Int64").astype("string")
    return (year + "-Q" + quarter).astype("string")


def parse_quarter(text: str) -> pd.Period:
    """``"2026-Q3"`` as a pandas quarterly Period; a clear error for anything else."""
    match = _QUARTER.match(str(text).strip())
    if not match:
        raise PeriodError(f"quarter {text!r} is not of the form YYYY-Qn (for example 2026-Q3)")
    return pd.Period(year=int(match[1]), quarter=int(match[2]), freq="Q")


def format_quarter(period: pd.Period) -> str:
    """A quarterly Period as ``YYYY-Qn``."""
    return f"{period.year}-Q{period.quarter}"


def quarter_range(first: str, last: str) -> list[str]:
    """Every quarter from ``first`` to ``last`` inclusive, in order."""
    start, end = parse_quarter(first), parse_quarter(last)
    return [format_quarter(p) for p in pd.period_range(start, end, freq="Q")]


def shift_quarter(quarter: str, quarters: int) -> str:
    """The quarter ``quarters`` after (negative: before) ``quarter``."""
    return format_quarter(parse_quarter(quarter) + quarters)


def local_midnight(day: pd.Timestamp, timezone: str) -> pd.Timestamp:
    """The instant a day begins on ``timezone``'s wall clock (``day`` is naive).

    Where clocks jump forward at midnight (America/Asuncion, Asia/Amman, ...) the day
    begins at the first minute that exists; where midnight happens twice, at the first.
    """
    return pd.Timestamp(day).tz_localize(timezone, nonexistent="shift_forward", ambiguous=True)


def quarter_bounds(quarter: str, timezone: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """When ``quarter`` begins and ends (the next quarter's first instant) on
    ``timezone``'s wall clock, in UTC."""
    period = parse_quarter(quarter)
    start = local_midnight(period.start_time, timezone)
    end = local_midnight((period + 1).start_time, timezone)
    return start.tz_convert("UTC"), end.tz_convert("UTC")


def running_quarter_note(quarter: str, timezone: str, as_of: pd.Timestamp | None) -> str | None:
    """A sentence when ``quarter`` had not ended by ``as_of`` (the data's as-of time):
    how far into it the data reach, and that its figures may still move. None for a
    finished quarter (or no as-of time)."""
    if as_of is None:
        return None
    start, end = quarter_bounds(quarter, timezone)
    as_of = pd.Timestamp(as_of).tz_convert("UTC")
    if as_of >= end:
        return None
    # Days on the wall clock (a quarter with a clock change is still 92 days long): the
    # whole days before the as-of day.
    first, after = (t.tz_convert(timezone).date() for t in (start, end))
    local = as_of.tz_convert(timezone)
    days = (after - first).days
    done = max(0, min(days, (local.date() - first).days))
    day = local.strftime("%-d %b %Y")
    return (
        f"{quarter} is still running: the data run to {day}, {done} of its {days} days; "
        "its figures will move as the quarter ends."
    )
