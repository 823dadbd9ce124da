"""The team report notebook, executed for real through papermill."""

from __future__ import annotations

from pathlib import Path

import pytest
from papermill.exceptions import PapermillExecutionError

from maturity.reporting import render
from maturity.reporting.execute import TEAM_NOTEBOOK, execute_notebook
from maturity.reporting.notebook_record import read_record

pytestmark = pytest.mark.notebooks


def execute(out: Path, **parameters: str) -> Path:
    executed = out / "executed.ipynb"
    execute_notebook(TEAM_NOTEBOOK, executed, parameters)
    return executed


def test_records_the_hand_computed_figures(tiny_assessment: Path, tmp_path: Path) -> None:
    executed = execute(tmp_path, assessment=str(tiny_assessment), team="alpha", quarter="2026-Q3")
    record = read_record(executed)
    assert (record["team"], record["quarter"]) == ("alpha", "2026-Q3")
    assert (record["incidents"], record["resolved"], record["open"]) == (5, 4, 1)
    assert record["mttr"] == pytest.approx(40.0)
    assert record["mttr_median"] == pytest.approx(25.0)
    assert record["mttr_p90"] == pytest.approx(79.0)

    page = render.notebook_to_html(executed, title="Alpha", footer="")
    assert page.count('class="maturity-chart"') == 3  # trend, spread, volume (no answers)
    assert page.count('class="chart-fallback"') == 3  # run by hand: each chart's PNG too
    assert "Only 4 resolved incidents in 2026-Q3" in page  # too few for a trend, said plainly
    # A title from the incident data is shown as text, never as markup.
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; co" in page
    assert "<script>alert(" not in page
    assert "render.setup_notebook" not in page  # code hidden


def test_an_unknown_team_fails_visibly(tiny_assessment: Path, tmp_path: Path) -> None:
    with pytest.raises(PapermillExecutionError, match="no team 'gamma'"):
        execute(tmp_path, assessment=str(tiny_assessment), team="gamma", quarter="2026-Q3")


def test_default_parameters_run_on_the_example(tmp_path: Path) -> None:
    from maturity.ingest.incidents import load_incidents
    from maturity.measures.engine import measures_by_team_quarter
    from maturity.measures.records import to_records

    from conftest import EXAMPLE

    record = read_record(execute(tmp_path))
    table = measures_by_team_quarter(load_incidents(EXAMPLE).incidents)
    expected = to_records(table[(table["team"] == "payments") & (table["period"] == "2026-Q3")])[0]
    assert record["quarter"] == "2026-Q3"
    for key in ("incidents", "resolved", "open", "mttr", "mttr_median", "mttr_p90"):
        assert record[key] == pytest.approx(expected[key]), key


def test_a_team_without_incidents_gets_a_report_that_says_so(tmp_path: Path) -> None:
    from conftest import TEAMS, tiny_files, write_assessment

    teams = {**TEAMS, "gamma": {"name": "Gamma", "services": ["g-svc"]}}
    root = write_assessment(tmp_path / "org", tiny_files(), teams=teams, answers={
        "2026-Q3": {"gamma": "team: gamma\nperiod: 2026-Q3\nanswers:\n  people.2a: yes\n"}
    })  # fmt: skip
    executed = execute(tmp_path, assessment=str(root), team="gamma", quarter="2026-Q3")
    record = read_record(executed)
    assert (record["incidents"], record["mttr_median"]) == (0, None)
    assert record["maturity"]["level"] == 1
    page = render.notebook_to_html(executed, title="Gamma", footer="")
    assert "No usable incident for Gamma in the exports: no row names this team" in page
    assert "Nothing in this report is checked against incident data" in page
    assert "No resolved incidents in these quarters" in page
    assert "No incident data to check the claims against" in page


def test_disputed_statements_are_listed_with_who_said_what(tmp_path: Path) -> None:
    """Issue 23: two respondents, one says yes, the other no: the team report lists the
    statement with each respondent's answer and note; with ``anonymous: true`` they are
    numbered, never named. Every claim shows its evidence tier."""
    import yaml

    from conftest import tiny_files, write_assessment

    for anonymous in (False, True):
        root = write_assessment(tmp_path / f"org-{anonymous}", tiny_files(),
                                extra={"anonymous": anonymous})  # fmt: skip
        folder = root / "answers" / "2026-Q3" / "alpha"
        folder.mkdir(parents=True)
        for name, answer, note in (("Ana Lee", "no", "not yet"), ("Ben Ode", "yes", "in May")):
            (folder / f"{name.split()[0].lower()}.yaml").write_text(yaml.safe_dump({
                "team": "alpha", "period": "2026-Q3", "respondent": name,
                "answers": {"people.2a": "yes", "people.5a": {"answer": answer, "note": note},
                            "process.3a": {"answer": "yes", "evidence": "https://wiki/rb"}},
            }))  # fmt: skip
        run = tmp_path / f"run-{anonymous}"
        run.mkdir()
        executed = execute(run, assessment=str(root), team="alpha", quarter="2026-Q3")
        page = render.notebook_to_html(executed, title="Alpha", footer="")
        assert "Where the respondents disagree" in page
        assert "people.5a" in page and "not yet" in page and "in May" in page
        assert "How far each claim is backed" in page
        assert "Documented by a link only: process.3a." in page
        if anonymous:
            assert "Ana Lee" not in page and "Ben Ode" not in page
            assert "respondent 1: no" in page and "respondent 2: yes" in page
        else:
            assert "Ana Lee: no (not yet)" in page and "Ben Ode: yes (in May)" in page
