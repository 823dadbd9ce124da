from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from maturity.ingest.cells import parse_flags, parse_severity, parse_timestamps


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2026-07-01T10:00:00Z", "2026-07-01T10:00:00"),
        ("2026-07-01T10:00:00.411Z", "2026-07-01T10:00:00.411"),
        ("2026-07-01T12:00:00+02:00", "2026-07-01T10:00:00"),
        ("2026-07-01 10:00:00+0000", "2026-07-01T10:00:00"),
        # naive: wall-clock time in the source's zone (London is on BST in July)
        ("2026-07-01T11:00:00", "2026-07-01T10:00:00"),
        ("2026-01-15 11:00", "2026-01-15T11:00:00"),
    ],
)
def test_timestamps_to_utc(cell: str, expected: str) -> None:
    parsed, invalid = parse_timestamps(pd.Series([cell], dtype=object), "Europe/London")
    assert parsed[0] == utc(expected)
    assert not invalid[0]


def test_naive_spreadsheet_datetimes_are_local() -> None:
    cells = pd.Series([dt.datetime(2026, 7, 1, 11, 0), None], dtype=object)
    parsed, invalid = parse_timestamps(cells, "Europe/London")
    assert parsed[0] == utc("2026-07-01T10:00:00")
    assert pd.isna(parsed[1])
    assert not invalid.any()


def test_missing_and_invalid_are_told_apart() -> None:
    cells = pd.Series(["", "?", "null", None, "not a date"], dtype=object)
    parsed, invalid = parse_timestamps(cells, "UTC")
    assert parsed.isna().all()
    assert invalid.tolist() == [False, False, False, False, True]


def test_mixed_offsets_in_one_column() -> None:
    cells = pd.Series(["2026-02-16T02:08:44.183-08:00", "2026-02-16T10:08:44Z"], dtype=object)
    parsed, _ = parse_timestamps(cells, "UTC")
    assert parsed[1] == utc("2026-02-16T10:08:44")
    assert parsed[0] == utc("2026-02-16T10:08:44.183")


def test_flags() -> None:
    flags, invalid = parse_flags(
        pd.Series(["yes", "No", "1", "0", "x", "TRUE", "https://wiki/pir/1", "", "maybe"])
    )
    assert flags.tolist()[:7] == [True, False, True, False, True, True, True]
    assert pd.isna(flags[7]) and pd.isna(flags[8])
    assert invalid.tolist() == [False] * 8 + [True]


@pytest.mark.parametrize(
    ("cell", "severity"),
    [("SEV1", 1), ("sev2", 2), ("SEV-2", 2), ("P1", 1), ("1 - Critical", 1), ("Critical", 1),
     ("Major", 2), ("Minor", 3), ("high", 2), ("low", 4), ("5 - Planning", 5), (3, 3), (2.0, 2)],
)  # fmt: skip
def test_severity_vocabularies(cell: object, severity: int) -> None:
    parsed, invalid = parse_severity(pd.Series([cell], dtype=object))
    assert parsed[0] == severity
    assert not invalid[0]


def test_unknown_severity_is_flagged_not_guessed() -> None:
    parsed, invalid = parse_severity(pd.Series(["purple", ""], dtype=object))
    assert parsed.isna().all()
    assert invalid.tolist() == [True, False]
