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


# --- issue 12: a leadership page read without a guide -------------------------------------


def test_movers_are_exactly_the_changes_beyond_noise(example: ReviewQuarter) -> None:
    """Every team whose change survives the FDR control is named, and no other."""
    from maturity.measures.stats import FALSE_DISCOVERY_RATE

    page = portfolio_report.movers(example).data
    named = 0
    for key, team in example.organisation.teams.items():
        row = example.row(key)
        for lag in ("qoq", "yoy"):
            change = row[f"change_{lag}"]
            real = change["verdict"] in ("improved", "worsened") and (
                change["q_value"] is not None and change["q_value"] < FALSE_DISCOVERY_RATE
            )
            sentence = f"<b>{escape(team.name)}</b> {change['verdict']} since"
            if real:
                named += 1
                assert sentence in page, sentence
                assert f"{change['ratio']:.0%} of what it was" in page
            else:
                assert f"<b>{escape(team.name)}</b> {change['verdict']} since" not in page
    assert named >= 2  # the example's Payments and Search tell their stories
    assert page.count("<li>") == named


def test_contradicted_claims_name_statements_in_words(example: ReviewQuarter) -> None:
    page = portfolio_report.contradicted_claims(example).data
    total = 0
    for result in example.maturity.values():
        for s in result.score.statements:
            if s.evidence == "contradicted" and s.value:
                total += 1
                assert escape(portfolio_report.statement_name(s.id)) in page
    assert page.count("<li>") == total > 0
    invest = portfolio_report.where_to_invest(example).data
    import re

    assert not re.search(r"\b(people|process|technology|measurement)\.\d[a-z]\b", page + invest)


def test_levels_are_counted_not_averaged(example: ReviewQuarter) -> None:
    page = portfolio_report.headline(example).data
    assert "median supported level" not in page
    levels = [a.score.overall["evidence_level"] for a in example.maturity.values()]
    for level in set(levels):
        assert f"at level {level}" in page
    table = portfolio_report.team_table(example).data
    assert "Level claimed / supported" in table and "the lowest of the four category" in table
