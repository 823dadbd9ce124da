"""The portfolio's blocks on the example organisation: numbers and sentences agree."""

from __future__ import annotations

import re

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
    from maturity.reporting.formatting import format_change

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
                assert f"recovery times typically {format_change(change['ratio'])}" in page
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
    assert not re.search(r"\b(people|process|technology|measurement)\.\d[a-z]\b", page + invest)


def test_levels_are_counted_not_averaged(example: ReviewQuarter) -> None:
    page = portfolio_report.headline(example).data
    assert "median supported level" not in page
    levels = [a.score.overall["evidence_level"] for a in example.maturity.values()]
    for level in set(levels):
        assert f"at level {level}" in page
    table = portfolio_report.team_table(example).data
    assert "Level claimed / supported" in table and "the lowest of the four category" in table


# --- a portfolio that stays readable at 40 teams -------------------------------------------


@pytest.fixture(scope="module")
def forty(tmp_path_factory: pytest.TempPathFactory) -> ReviewQuarter:
    from generated import generate_organisation

    root = generate_organisation(tmp_path_factory.mktemp("generated") / "forty", teams=40)
    return ReviewQuarter.load(root, "2026-Q3")


def test_forty_teams_heatmap_and_distribution(forty: ReviewQuarter) -> None:
    assert len(forty.maturity) == 37  # three teams sent no answers
    spec = portfolio_report.maturity_heatmap(forty).to_dict()
    cells, _text = spec["layer"]
    rows = next(d for d in spec["datasets"].values() if "category" in d[0])
    assert len({r["team"] for r in rows}) == 37 and len(rows) == 37 * 4
    # the order puts the teams whose claims the data cuts most first
    order = cells["encoding"]["y"]["sort"]
    gaps = {r["team"]: r["gap"] for r in rows}
    assert [gaps[t] for t in order] == sorted(gaps.values(), reverse=True)
    # colour never carries the meaning alone: every cell is labelled
    assert all(r["label"] for r in rows)
    page = portfolio_report.level_distribution(forty).data
    counts = [int(c) for c in re.findall(r'<tr><td class="text">Level \d</td><td>(\d+)</td>', page)]
    assert sum(counts) == 37
    band_row = r'<tr><td class="text">(?:DORA \w+|No DORA[^<]*)</td><td>(\d+)</td>'
    bands = [int(c) for c in re.findall(band_row, page)]
    assert sum(bands) == 40
    claims = portfolio_report.contradicted_claims(forty).data
    assert "No questionnaire answers this quarter: Team 037, Team 038, Team 039." in claims
    # many contradicted claims are counted by statement, the counts checked one by one
    counted: dict[str, list[str]] = {}
    for key, result in forty.maturity.items():
        for s in result.score.statements:
            if s.evidence == "contradicted" and s.value:
                counted.setdefault(s.id, []).append(forty.organisation.teams[key].name)
    assert sum(map(len, counted.values())) > portfolio_report.CLAIMS_LISTED
    assert "<li>" not in claims.split("No questionnaire answers")[0]
    for statement, names in counted.items():
        row = re.search(r"<tr><td class=\"text\">" + re.escape(str(escape(
            portfolio_report.statement_name(statement)))) + r"</td><td>(\d+)</td>"
            r"<td class=\"text\">([^<]*)</td>", claims)  # fmt: skip
        assert row is not None, statement
        assert int(row.group(1)) == len(names)
        assert row.group(2).startswith(", ".join(sorted(names)[: portfolio_report.TEAMS_NAMED]))
    # at 40 teams the bar chart of scores gives way to the heatmap
    assert "the heatmap below" in portfolio_report.maturity_chart(forty).data


def test_forty_teams_movers_are_only_the_real_changes(forty: ReviewQuarter) -> None:
    from maturity.measures.stats import FALSE_DISCOVERY_RATE

    page = portfolio_report.movers(forty).data
    real = [
        (team.name, forty.row(key)[f"change_{lag}"]["verdict"])
        for key, team in forty.organisation.teams.items()
        for lag in ("qoq", "yoy")
        if forty.row(key)[f"change_{lag}"]["q_value"] is not None
        and forty.row(key)[f"change_{lag}"]["q_value"] < FALSE_DISCOVERY_RATE
        and forty.row(key)[f"change_{lag}"]["verdict"] in ("improved", "worsened")
    ]
    assert page.count("<li>") == len(real) > 0
    # the generator's improving and worsening teams are found a year on
    assert "<b>Team 010</b> improved since 2025-Q3" in page
    assert "<b>Team 011</b> worsened since 2025-Q3" in page


@pytest.mark.notebooks
def test_the_portfolio_notebook_renders_forty_teams(forty: ReviewQuarter, tmp_path) -> None:
    from maturity.reporting.execute import PORTFOLIO_NOTEBOOK, execute_notebook
    from maturity.reporting.render import notebook_to_html

    executed = tmp_path / "portfolio.ipynb"
    parameters = {"assessment": str(forty.organisation.root), "quarter": "2026-Q3"}
    execute_notebook(PORTFOLIO_NOTEBOOK, executed, parameters)
    page = notebook_to_html(executed, title="Forty", footer="")
    for heading in ("What changed beyond noise", "Claims the data contradicts",
                    "Maturity by team and category", "Levels and DORA bands"):  # fmt: skip
        assert heading in page
    figures = re.findall(r"<figure[^>]*maturity-chart", page)
    assert len(figures) == 3  # heatmap, recovery trend, volume (no bar chart at 40 teams)
    assert "Team 039" in page  # every team in the team table


def test_disputed_statements_are_counted_per_team_and_marked_in_the_heatmap(
    example: ReviewQuarter,
) -> None:
    """Issue 23: the example's Payments and Mobile Apps answered with two respondents who
    disagree on two statements each."""
    page = portfolio_report.team_table(example).data
    assert "Statements disputed" in page
    grid = portfolio_report.maturity_grid(example).set_index(["team", "category"])
    assert grid["disputed"].groupby(level="team").sum().to_dict() == {
        "Payments": 2, "Mobile Apps": 2, "Search & Discovery": 0, "Identity": 0,
        "Data Platform": 0, "Platform & Infrastructure": 0,
    }  # fmt: skip
    assert grid.loc[("Payments", "Process & Governance"), "label"].endswith("⚑1")
    chart = portfolio_report.maturity_heatmap(example)
    assert "respondents disagree" in chart.to_dict()["description"]
