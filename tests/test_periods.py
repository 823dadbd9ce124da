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
