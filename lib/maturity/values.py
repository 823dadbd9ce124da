"""Parsing cell values shared by every source format: timestamps, yes/no flags, severities.

Each parser is vectorised over a pandas Series of raw cell values (text from CSV; text,
numbers or datetimes from XLSX) and returns the parsed Series plus a boolean Series marking
cells that held something but could not be parsed, so the caller can reject those rows with
a reason instead of losing them.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

#: Cell texts that mean "no value" in real exports (``?`` is the UCI ServiceNow log's).
MISSING_TEXT = frozenset({"", "null", "none", "nan", "nat", "?", "-", "n/a", "na", "#n/a"})

_AWARE = re.compile(r"(?:[zZ]|[+-]\d{2}:?\d{2})$")
_TRUE = frozenset({"true", "t", "yes", "y", "1", "x", "done", "completed", "used"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "not_started", "skipped"})


def _as_text(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip()


def missing_mask(values: pd.Series) -> pd.Series:
    """True where a cell holds no value (empty, NaN, ``null``, ``?``, ...)."""
    text = _as_text(values)
    return text.isna() | text.str.lower().isin(MISSING_TEXT)


def parse_timestamps(values: pd.Series, timezone: str) -> tuple[pd.Series, pd.Series]:
    """Parse timestamps to UTC.

    Cells with an offset or ``Z`` keep it; naive cells (and naive datetime cells of a
    spreadsheet) are read as wall-clock time in ``timezone``. Returns ``(parsed, invalid)``:
    ``parsed`` is ``datetime64[ns, UTC]`` with NaT for missing or invalid cells, ``invalid``
    is True where a cell held text that is not a timestamp.
    """
    index = values.index
    parsed = pd.Series(pd.NaT, index=index, dtype="datetime64[ns, UTC]")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        series = values if values.dt.tz is not None else _localize(values, timezone)
        return series.dt.tz_convert("UTC").astype("datetime64[ns, UTC]"), pd.Series(
            False, index=index
        )

    missing = missing_mask(values)
    is_datetime = values.map(
        lambda v: isinstance(v, pd.Timestamp | np.datetime64) or hasattr(v, "tzinfo")
    )
    is_datetime &= ~missing
    if is_datetime.any():
        stamps = values[is_datetime].map(pd.Timestamp)
        naive = stamps.map(lambda t: t.tzinfo is None)
        if naive.any():
            local = pd.to_datetime(stamps[naive].map(lambda t: t.to_datetime64()))
            parsed[naive[naive].index] = _localize(local, timezone).dt.tz_convert("UTC")
        if (~naive).any():
            parsed[naive[~naive].index] = pd.to_datetime(stamps[~naive], utc=True)

    text = _as_text(values)
    todo = ~missing & ~is_datetime
    aware = todo & text.str.contains(_AWARE, na=False)
    naive_text = todo & ~aware
    if aware.any():
        parsed[aware] = pd.to_datetime(text[aware], format="ISO8601", utc=True, errors="coerce")
    if naive_text.any():
        local = pd.to_datetime(text[naive_text], format="ISO8601", errors="coerce")
        retry = local.isna()
        if retry.any():
            # Not ISO 8601: let pandas infer each cell's format (month-first).
            local[retry] = pd.to_datetime(text[naive_text][retry], format="mixed", errors="coerce")
        parsed[naive_text] = _localize(local.astype("datetime64[ns]"), timezone).dt.tz_convert(
            "UTC"
        )
    invalid = todo & parsed.isna()
    return parsed, invalid


def _localize(naive: pd.Series, timezone: str) -> pd.Series:
    # A wall-clock time that occurs twice (clocks going back) is read as the first; one
    # that never occurs (clocks going forward) is moved past the gap.
    return naive.dt.tz_localize(
        timezone, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="shift_forward"
    )


def parse_flags(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse yes/no cells to a nullable boolean Series (NA = unknown).

    True: ``true``, ``yes``, ``y``, ``1``, ``x``, a URL (a linked runbook or review);
    False: ``false``, ``no``, ``n``, ``0``. Returns ``(flags, invalid)``.
    """
    text = _as_text(values).str.lower()
    missing = missing_mask(values)
    true = text.isin(_TRUE) | text.str.startswith(("http://", "https://"), na=False)
    false = text.isin(_FALSE)
    flags = pd.Series(pd.NA, index=values.index, dtype="boolean")
    flags[true] = True
    flags[false] = False
    return flags, ~missing & ~true & ~false


_SEVERITY_WORDS = {
    "critical": 1,
    "highest": 1,
    "blocker": 1,
    "major": 2,
    "high": 2,
    "moderate": 3,
    "medium": 3,
    "minor": 3,
    "low": 4,
    "lowest": 5,
    "planning": 5,
    "info": 5,
    "informational": 5,
}
_SEVERITY_NUMBER = re.compile(r"^(?:sev|p|priority|s)?[\s\-_]*([1-5])(?:\b|$)")


def parse_severity(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse severities to integers 1 (worst) to 5.

    Accepts ``1``, ``SEV1``, ``sev-2``, ``P1``, ``1 - Critical`` and the words Critical,
    Major, High, Moderate, Medium, Minor, Low, Planning. Returns ``(severity, invalid)``.
    """
    text = _as_text(values).str.lower()
    missing = missing_mask(values)
    number = text.str.extract(_SEVERITY_NUMBER, expand=False)
    severity = pd.to_numeric(number, errors="coerce").astype("Int64")
    words = text.map(_SEVERITY_WORDS.get).astype("Int64")
    severity = severity.fillna(words)
    return severity, ~missing & severity.isna()
