"""The questionnaire workbook: written, filled by openpyxl, read back; the template command."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from maturity.assessment.answers import load_answers
from maturity.assessment.questionnaire import write_template
from maturity.assessment.rubric import load_rubric
from maturity.errors import ConfigError

from conftest import run_maturity

RUBRIC = load_rubric()


def test_template_round_trip(tmp_path: Path) -> None:
    path = write_template(RUBRIC, "alpha", "2026-Q3", tmp_path / "alpha.xlsx")
    workbook = load_workbook(path)
    sheet = workbook["Questionnaire"]
    assert [c.value for c in sheet[1]] == ["ID", "Category", "Level", "Statement", "Answer",
                                           "Evidence (link)", "Note"]  # fmt: skip
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert len(rows) == len(RUBRIC.statements)
    assert (
        rows["process.3a"][3].value == "Standardised runbooks and playbooks are created and used."
    )
    assert sheet.protection.sheet and rows["process.3a"][3].protection.locked
    assert not rows["process.3a"][4].protection.locked  # the answer cell is open
    validation = next(iter(sheet.data_validations.dataValidation))
    assert validation.formula1 == '"yes,partly,no,n/a"'
    assert "E" in str(validation.sqref)

    # A team lead fills it in.
    for statement in ("people.2a", "people.3a", "process.2a", "process.3a"):
        rows[statement][4].value = "yes"
    rows["technology.2a"][4].value = "partly"
    rows["process.3a"][5].value = "https://wiki/runbooks"
    cover = workbook["Cover"]
    for row in cover.iter_rows():
        if row[0].value == "Assessors":
            row[1].value = "A. Coach, B. Lead"
        if row[0].value == "People & Culture (people)":
            row[1].value = 4
    workbook.save(path)

    sheet_answers = load_answers(path, RUBRIC, team="alpha", period="2026-Q3")
    assert sheet_answers.answers["technology.2a"].answer == "partly"
    assert sheet_answers.answers["process.3a"].evidence == "https://wiki/runbooks"
    assert sheet_answers.assessors == ("A. Coach", "B. Lead")
    assert sheet_answers.targets == {"people": 4}

    from maturity.assessment.scoring import score_team

    result = score_team(RUBRIC, sheet_answers, {})
    assert (result.categories["people"].level, result.categories["people"].score) == (3, 3.0)
    assert (result.categories["process"].level, result.categories["process"].score) == (3, 3.0)
    assert result.categories["technology"].score == 1.5
    assert len(result.unanswered) == 19 - 5


def test_template_for_the_wrong_team_is_refused(tmp_path: Path) -> None:
    path = write_template(RUBRIC, "beta", "2026-Q3", tmp_path / "alpha.xlsx")
    with pytest.raises(ConfigError, match="says team 'beta'"):
        load_answers(path, RUBRIC, team="alpha", period="2026-Q3")


def test_template_command(tmp_path: Path) -> None:
    out = tmp_path / "q.xlsx"
    run = run_maturity("template", "--team", "alpha", "--quarter", "2026-Q4", "--out", str(out))
    assert run.returncode == 0 and out.exists()
    run = run_maturity("template", "--team", "alpha", "--quarter", "Q4", "--out", str(out))
    assert run.returncode == 2 and "YYYY-Qn" in run.stderr
