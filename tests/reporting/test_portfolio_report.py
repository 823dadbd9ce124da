"""The portfolio's blocks on the example organisation: numbers and sentences agree."""

from __future__ import annotations

import pytest
from markupsafe import escape

from maturity.reporting import portfolio_report
from maturity.reporting.quarter import ReviewQuarter

from conftest import EXAMPLE


@pytest.fixture(scope="module")
def example() -> ReviewQuarter:
    return ReviewQuarter.load(EXAMPLE, "2026-Q3")


def test_team_table_has_one_row_per_team(example: ReviewQuarter) -> None:
    page = portfolio_report.team_table(example).data
    assert page.count("<tr>") == len(example.organisation.teams) + 1  # and the header
    for team in example.organisation.teams.values():
        assert f'<td class="text">{escape(team.name)}</td>' in page


def test_where_to_invest_names_the_teams_the_figures_single_out(example: ReviewQuarter) -> None:
    page = portfolio_report.where_to_invest(example).data
    worsened = [
        t.name
        for key, t in example.organisation.teams.items()
        if example.row(key)["change_yoy"]["verdict"] == "worsened"
        and example.row(key)["change_yoy"]["q_value"] < 0.10
    ]
    assert worsened, "the example's search team is meant to regress"
    for name in worsened:
        assert f"<b>{escape(name)}</b>: recovery is slower than a year ago" in page
    for key, result in example.maturity.items():
        overall = result.score.overall
        gap = overall["score"] - overall["evidence_score"]
        claimed = f"<b>{escape(example.organisation.teams[key].name)}</b> claims more"
        assert (claimed in page) == (gap > 0)


def test_headline_and_record_are_the_organisation(example: ReviewQuarter) -> None:
    record = portfolio_report.record(example)
    payload = next(iter(record.values()))
    assert payload["team"] == "ALL" and payload["quarter"] == "2026-Q3"
    assert payload["incidents"] == example.row("ALL")["incidents"]
    page = portfolio_report.headline(example).data
    assert f"{len(example.maturity)} of {len(example.organisation.teams)}" in page
