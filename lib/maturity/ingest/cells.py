"""Parsing cell values shared by every source format: timestamps, yes/no flags, severities.

Each parser is vectorised over a pandas Series of raw cell values (text from CSV; text,
numbers or datetimes from XLSX) and returns the parsed Series plus a boolean Series marking
cells that held something but could not be parsed, so the caller can reject those rows with
a reason instead of losing them.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

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


#: Formats tried, in order, for naive text that is not ISO 8601 (Jira's ``25/Feb/26 10:17
#: PM``, ServiceNow's and Excel's ``5/3/2016 10:05``). ``{d}/{m}`` swap for month-first files.
_DAY_FIRST_FORMATS = (
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y %I:%M %p", "%d/%m/%Y %I:%M:%S %p",
    "%d/%m/%Y", "%d/%m/%y %H:%M", "%d/%m/%y %I:%M %p", "%d/%m/%y",
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M",
)  # fmt: skip
_NAMED_MONTH_FORMATS = (
    "%d/%b/%y %I:%M %p", "%d/%b/%y %H:%M", "%d/%b/%Y %I:%M %p", "%d/%b/%Y %H:%M",
    "%d %b %Y %H:%M", "%d %b %Y %H:%M:%S", "%b %d, %Y %I:%M %p", "%d-%b-%Y %H:%M:%S",
)  # fmt: skip
_SLASH_DATE = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})\b")
#: Excel's day zero in its default (1900) date system, and in the 1904 one (old Mac files).
EXCEL_EPOCH_1900 = pd.Timestamp("1899-12-30")
EXCEL_EPOCH_1904 = pd.Timestamp("1904-01-01")
#: Plain numbers read as Excel serial dates only in this range (1954 to 2119): outside it a
#: number in a date column is more likely an epoch or an error than a date.
_SERIAL_RANGE = (20_000, 80_000)


def day_first_order(columns: list[pd.Series], timezone: str) -> tuple[bool, bool]:
    """Whether a file writes dates day-first, and whether that had to be guessed.

    Looks at every ``a/b/yyyy`` date in ``columns``: a first number above 12 proves
    day-first, a second above 12 proves month-first. When neither shows, the guess is
    month-first for zones in the Americas (US habits) and day-first elsewhere, and the
    second value is True so the caller can report the guess.
    """
    if not columns:
        return True, False
    one_file = pd.Series(0, index=columns[0].index)
    return day_first_orders(columns, one_file, timezone).get(0, (True, False))


def day_first_orders(
    columns: list[pd.Series], files: pd.Series, timezone: str
) -> dict[Any, tuple[bool, bool]]:
    """``day_first_order`` for each file of a table holding several (``files`` names each
    row's file): a file's order is decided from its own rows alone. Files with no
    ``a/b/yyyy`` date are left out (their order is ``(True, False)``)."""
    firsts, seconds = [], []
    for column in columns:
        found = _as_text(column).str.extract(_SLASH_DATE).dropna()
        if len(found):
            firsts.append(pd.to_numeric(found[0]).groupby(files[found.index]).max())
            seconds.append(pd.to_numeric(found[1]).groupby(files[found.index]).max())
    if not firsts:
        return {}
    first = pd.concat(firsts, axis=1).max(axis=1)
    second = pd.concat(seconds, axis=1).max(axis=1).reindex(first.index)
    guess = not timezone.startswith("America/")
    orders: dict[Any, tuple[bool, bool]] = {}
    for file, most_first, most_second in zip(first.index, first, second, strict=True):
        if most_first > 12:
            orders[file] = (True, False)
        elif most_second > 12:
            orders[file] = (False, False)
        else:
            orders[file] = (guess, True)
    return orders


#: Timestamps outside these (UTC) are not incident times: a typo (0001, 9999), a blank
#: that a tool wrote as its epoch (1899-12-31, 1900-01-00), or a value that overflows.
EARLIEST = pd.Timestamp("1970-01-01", tz="UTC")
LATEST = pd.Timestamp("2100-01-01", tz="UTC")
#: A time of day with no date ("10:00", "3pm", an XLSX time cell): no day to place it on.
_TIME_ONLY = re.compile(r"(?i)^\s*\d{1,2}(:\d{2}){0,2}(\.\d+)?\s*([ap]\.?m\.?)?\s*$")


def parse_timestamps(
    values: pd.Series,
    timezone: str,
    *,
    day_first: bool = True,
    date1904: bool = False,
    problems: dict[str, pd.Series] | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Parse timestamps to UTC.

    Cells with an offset or ``Z`` keep it (``+0000`` too); naive cells (and naive datetime
    cells of a spreadsheet) are read as wall-clock time in ``timezone``. Numbers are Excel
    serial dates (1900 date system, or 1904 with ``date1904``), epoch seconds or epoch
    milliseconds, by magnitude. Text that is not ISO 8601 is tried against common export
    formats, day-first or month-first as ``day_first`` says (see ``day_first_order``).
    A time with no date (``10:00``, ``3pm``, a time cell) and any time outside 1970-2099 are
    invalid, never dated with today or wrapped around.
    Returns ``(parsed, invalid)``: ``parsed`` is ``datetime64[ns, UTC]`` with NaT for missing
    or invalid cells, ``invalid`` is True where a cell held something that is not a time.
    ``problems``, when given, receives ``out_of_range`` and ``time_only`` masks, so callers
    can say which kind of invalid a cell is.
    """
    index = values.index
    parsed = pd.Series(pd.NaT, index=index, dtype="datetime64[us, UTC]")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        series = values if values.dt.tz is not None else _localize(values, timezone)
        parsed = series.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
        return _finish(parsed, pd.Series(False, index=index), values, problems)

    missing = missing_mask(values)
    if values.empty:  # a header-only export: nothing to parse (and empty maps lose dtype)
        return _finish(parsed, pd.Series(False, index=index, dtype=bool), values, problems)
    is_datetime = values.map(type).map(_is_datetime_type).astype(bool) & ~missing
    if is_datetime.any():
        stamps = values[is_datetime].map(_to_timestamp)
        naive = stamps.map(lambda t: t is not None and t.tzinfo is None).astype(bool)
        aware = stamps.map(lambda t: t is not None and t.tzinfo is not None).astype(bool)
        if naive.any():
            local = pd.to_datetime(stamps[naive].map(lambda t: t.to_datetime64()))
            parsed[naive[naive].index] = _localize(local, timezone).dt.tz_convert("UTC")
        if aware.any():
            parsed[aware[aware].index] = _microseconds(pd.to_datetime(stamps[aware], utc=True))

    text = _as_text(values)
    todo = ~missing & ~is_datetime
    time_only = todo & text.str.match(_TIME_ONLY, na=False)
    todo &= ~time_only
    number = pd.to_numeric(text.where(todo), errors="coerce")
    is_number = todo & number.notna()
    if is_number.any():
        parsed[is_number] = _from_number(number[is_number], timezone, date1904)
        todo &= ~is_number
    aware = todo & text.str.contains(_AWARE, na=False)
    naive_text = todo & ~aware
    if aware.any():
        parsed[aware] = _microseconds(
            pd.to_datetime(text[aware], format="ISO8601", utc=True, errors="coerce")
        )
    if naive_text.any():
        local = _parse_naive_text(text[naive_text], day_first)
        parsed[naive_text] = _localize(local.astype("datetime64[us]"), timezone).dt.tz_convert(
            "UTC"
        )
    if problems is not None:
        problems["time_only"] = time_only
    return _finish(parsed, ~missing, values, problems)


def _finish(
    parsed: pd.Series, filled: pd.Series, values: pd.Series, problems: dict | None
) -> tuple[pd.Series, pd.Series]:
    """Times outside EARLIEST..LATEST become NaT (marked out of range); the rest in ns."""
    out_of_range = parsed.notna() & ((parsed < EARLIEST) | (parsed >= LATEST))
    parsed = parsed.mask(out_of_range).astype("datetime64[ns, UTC]")
    if problems is not None:
        problems["out_of_range"] = out_of_range
        problems.setdefault("time_only", pd.Series(False, index=parsed.index))
    return parsed, filled.astype(bool) & parsed.isna()


def _microseconds(stamps: pd.Series) -> pd.Series:
    """Times at microsecond precision (parsing works in microseconds, so dates beyond 2262
    can be seen and refused); finer digits (``…04.297437029Z``) are dropped."""
    if stamps.dt.unit == "ns":
        stamps = stamps.dt.floor("us")
    return stamps.astype(f"datetime64[us{', UTC' if stamps.dt.tz is not None else ''}]")


def _to_timestamp(value: object) -> pd.Timestamp | None:
    """A spreadsheet's datetime cell as a Timestamp; None for one pandas cannot hold."""
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, OverflowError, TypeError):
        return None
    return None if pd.isna(stamp) else stamp


def _is_datetime_type(kind: type) -> bool:
    return issubclass(kind, datetime.datetime | datetime.date | np.datetime64)


def _from_number(number: pd.Series, timezone: str, date1904: bool) -> pd.Series:
    out = pd.Series(pd.NaT, index=number.index, dtype="datetime64[us, UTC]")
    serial = number.between(*_SERIAL_RANGE)
    if serial.any():
        epoch = EXCEL_EPOCH_1904 if date1904 else EXCEL_EPOCH_1900
        local = epoch + pd.to_timedelta(number[serial] * 86400, unit="s").dt.round("ms")
        out[serial] = _localize(local.astype("datetime64[us]"), timezone).dt.tz_convert("UTC")
    # Epoch seconds and milliseconds only up to 2100: larger numbers would overflow.
    seconds = number.between(1e9, LATEST.timestamp())
    if seconds.any():
        out[seconds] = pd.to_datetime(number[seconds], unit="s", utc=True)
    millis = number.between(1e12, LATEST.timestamp() * 1000)
    if millis.any():
        out[millis] = pd.to_datetime(number[millis], unit="ms", utc=True)
    return out


def _parse_naive_text(text: pd.Series, day_first: bool) -> pd.Series:
    local = _microseconds(pd.to_datetime(text, format="ISO8601", errors="coerce"))
    formats = (
        _DAY_FIRST_FORMATS
        if day_first
        else tuple(
            f.replace("%d", "{d}").replace("%m", "%d").replace("{d}", "%m")
            for f in _DAY_FIRST_FORMATS
        )
    )
    for fmt in (*formats, *_NAMED_MONTH_FORMATS):
        todo = local.isna()
        if not todo.any():
            break
        local[todo] = _microseconds(pd.to_datetime(text[todo], format=fmt, errors="coerce"))
    todo = local.isna()
    if todo.any():
        # Anything else, value by value; a text without a year, month or day ("July 4",
        # "Tuesday 10:00") is not a date, so it is parsed with two different defaults and
        # kept only when both agree.
        dates = [_complete_date(str(t), day_first) for t in text[todo]]
        local[todo] = pd.Series(dates, index=text.index[todo], dtype="datetime64[us]")
    return local


def _complete_date(text: str, day_first: bool) -> Any:
    from dateutil import parser

    try:
        one = parser.parse(text, dayfirst=day_first, default=datetime.datetime(2001, 1, 1))
        two = parser.parse(text, dayfirst=day_first, default=datetime.datetime(2002, 2, 2))
    except (ValueError, OverflowError, TypeError):
        return None
    if one != two or one.tzinfo is not None or not 1970 <= one.year < 2100:
        return None
    return one


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
#: A number 1-5, alone or after a word: 1, SEV1, sev-2, P1, Priority 2, Prioriteit 1.
_SEVERITY_NUMBER = re.compile(r"^(?:[a-z]+)?[\s\-_]*([1-5])(?:\b|$)")


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


_DURATION_PART = re.compile(
    r"(\d+(?:\.\d+)?)\s*(weeks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\b",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"^\s*(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?\s*$")
_UNIT_MINUTES = {"w": 7 * 1440, "d": 1440, "h": 60, "m": 1, "s": 1 / 60}
NUMBER_UNITS = {"seconds": 1 / 60, "milliseconds": 1 / 60000, "minutes": 1.0, "hours": 60.0}


def parse_durations(values: pd.Series, number_unit: str = "seconds") -> tuple[pd.Series, pd.Series]:
    """Parse vendor durations to minutes.

    Numbers are in ``number_unit`` (``seconds``, ``milliseconds``, ``minutes``, ``hours``);
    text may be ``2h 10m``, ``25 Days 21 Hours 1 Minute``, ``1w 2d``, or a clock
    ``HH:MM[:SS]``. Returns ``(minutes, invalid)``.
    """
    text = _as_text(values)
    missing = missing_mask(values)
    minutes = pd.to_numeric(text.where(~missing), errors="coerce") * NUMBER_UNITS[number_unit]
    todo = ~missing & minutes.isna()
    for i in todo[todo].index:
        minutes[i] = _duration_text(str(text[i]))
    return minutes.astype(float), ~missing & minutes.isna()


def _duration_text(text: str) -> float:
    clock = _CLOCK.match(text)
    if clock:
        hours, mins, secs = clock.groups()
        return int(hours) * 60 + int(mins) + float(secs or 0) / 60
    parts = _DURATION_PART.findall(text)
    if not parts or _DURATION_PART.sub("", text).strip(" ,and"):
        return np.nan
    return sum(float(n) * _UNIT_MINUTES[unit[0].lower()] for n, unit in parts)
