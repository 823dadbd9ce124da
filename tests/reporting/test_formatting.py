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
)
from maturity.wording import plural, verb


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
    # both ends of an interval in one unit, the one its middle calls for (issue 12)
    assert format_range([60, 120]) == "1.0 h–2.0 h"
    assert format_interval([77, 108]) == "90% CI 1.3 h–1.8 h"
    assert format_range([30, 80]) == "30 min–80 min"
    assert format_minutes(90, "min") == "90 min" and format_minutes(90, "d") == "0.06 d"
    assert plural(1, "incident") == "1 incident" and plural(0, "incident") == "0 incidents"
    assert plural(2, "category", "categories") == "2 categories"
    assert verb(1, "has", "have") == "has" and verb(2, "has", "have") == "have"
