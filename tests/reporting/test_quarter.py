"""What reports start from: the organisation's quarter, loaded once, and a team's view."""

from __future__ import annotations

from pathlib import Path

import pytest

from maturity.errors import ConfigError
from maturity.reporting.quarter import HISTORY_QUARTERS, ReviewQuarter, TeamQuarter


def test_review_quarter_holds_every_team_and_the_history(tiny_assessment: Path) -> None:
    review = ReviewQuarter.load(tiny_assessment, "2026-Q3")
    assert sorted(review.measures["team"].unique()) == ["ALL", "alpha", "beta"]
    # the measures hold every quarter of the history; what is shown starts with the data
    assert review.measures["period"].nunique() == HISTORY_QUARTERS
    assert list(review.history("alpha")["period"]) == ["2026-Q2", "2026-Q3"]
    assert review.history("alpha")["period"].iloc[-1] == "2026-Q3"
    assert review.row("alpha")["incidents"] == 5
    assert review.row("beta", "2026-Q2")["mttr_median"] == 60.0
    assert review.maturity == {}  # no answers in the tiny organisation


def test_team_quarter_is_a_view_of_the_review(tiny_assessment: Path) -> None:
    team = TeamQuarter.load(tiny_assessment, "alpha", "2026-Q3")
    assert team.current["mttr_median"] == 25.0 and team.previous["incidents"] == 0
    assert len(team.team_incidents().incidents) == 5
    assert team.maturity is None
    with pytest.raises(ConfigError, match="no team 'gamma'"):
        TeamQuarter.load(tiny_assessment, "gamma", "2026-Q3")
