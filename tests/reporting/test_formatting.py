"""Figures for people: durations, shares, intervals; missing values are a dash, never 0."""

from __future__ import annotations

import math

import pytest

from maturity.reporting.formatting import (
    MISSING,
    format_interval,
    format_minutes,
    format_range,
    format_share,
    plural,
)


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0 min"), (42.4, "42 min"), (89.6, "90 min"), (90, "1.5 h"), (47 * 60, "47.0 h"),
     (48 * 60, "2.0 d"), (None, MISSING), (math.nan, MISSING)],
)  # fmt: skip
def test_format_minutes(minutes: float | None, text: str) -> None:
    assert format_minutes(minutes) == text


def test_shares_intervals_and_plurals() -> None:
    assert format_share(0.425) == "42%" and format_share(None) == MISSING
    assert format_share(math.nan) == MISSING
    assert format_interval([44, 73]) == "90% CI 44 min–73 min"
    assert format_interval(None) == "" and format_range(None) == MISSING
    assert format_range([60, 120]) == "60 min–2.0 h"
    assert plural(1, "incident") == "1 incident" and plural(0, "incident") == "0 incidents"
