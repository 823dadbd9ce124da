from __future__ import annotations

import pandas as pd
import pytest

from maturity.errors import PeriodError
from maturity.periods import parse_quarter, quarter_of, quarter_range, shift_quarter


def test_quarter_is_taken_on_the_organisations_clock() -> None:
    # 23:30 UTC on 30 June is 00:30 BST on 1 July; 14:30 UTC on 30 September is 00:30 AEST.
    stamps = pd.Series(pd.to_datetime(["2026-06-30T23:30:00Z", "2026-09-30T14:30:00Z"], utc=True))
    assert quarter_of(stamps, "Europe/London").tolist() == ["2026-Q3", "2026-Q3"]
    assert quarter_of(stamps, "UTC").tolist() == ["2026-Q2", "2026-Q3"]
    assert quarter_of(stamps, "Australia/Sydney").tolist() == ["2026-Q3", "2026-Q4"]


def test_quarter_arithmetic() -> None:
    assert quarter_range("2025-Q3", "2026-Q2") == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    assert shift_quarter("2026-Q1", -1) == "2025-Q4"
    assert shift_quarter("2026-Q4", 1) == "2027-Q1"


@pytest.mark.parametrize("text", ["2026Q3", "2026-Q5", "Q3-2026", ""])
def test_malformed_quarter(text: str) -> None:
    with pytest.raises(PeriodError, match="YYYY-Qn"):
        parse_quarter(text)


def test_every_quarter_of_every_zone_begins_even_in_a_daylight_saving_gap() -> None:
    """Issue 9.3: America/Asuncion 2023-Q4 and Asia/Amman 2016-Q2 begin at a midnight that
    does not exist; every zone, every quarter of 2015-2030 must give a start and an end."""
    import zoneinfo

    from maturity.measures.engine import quarter_bounds
    from maturity.periods import quarter_range

    quarters = quarter_range("2015-Q1", "2030-Q4")
    for zone in sorted(zoneinfo.available_timezones()):
        starts, ends = quarter_bounds(quarters, zone)
        assert (ends > starts).all() and (starts[1:] == ends[:-1]).all(), zone
        # Every quarter is 89 to 93 days long (a daylight-saving hour or a date-line jump
        # aside), so no boundary slipped by a day.
        assert ((ends - starts) / 1440 > 88).all() and ((ends - starts) / 1440 < 94).all(), zone


def test_the_gaps_named_in_the_issue() -> None:
    from maturity.periods import local_midnight

    assert str(local_midnight(pd.Timestamp("2023-10-01"), "America/Asuncion")) == (
        "2023-10-01 01:00:00-03:00"
    )
    assert str(local_midnight(pd.Timestamp("2016-04-01"), "Asia/Amman")) == (
        "2016-04-01 01:00:00+03:00"
    )
