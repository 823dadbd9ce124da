"""Answers files (YAML and the template workbook), the template round trip, and
`maturity score` on an organisation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from maturity.answers import load_answers
from maturity.errors import ConfigError
from maturity.evidence import team_facts
from maturity.incidents import load_incidents
from maturity.rubric import load_rubric
from maturity.template import write_template

from conftest import EXAMPLE, tiny_files, write_assessment

RUBRIC = load_rubric()
GOOD = """team: alpha
period: 2026-Q3
assessed_on: 2026-09-28
assessors: [A. Coach]
answers:
  people.2a: yes
  process.3a: {answer: partly, evidence: "https://wiki/runbooks", note: "half the services"}
  technology.2a: n/a
targets: {people: 4}
"""


def write(tmp_path: Path, text: str, name: str = "alpha.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_yaml_answers(tmp_path: Path) -> None:
    sheet = load_answers(write(tmp_path, GOOD), RUBRIC, team="alpha", period="2026-Q3")
    assert sheet.answers["people.2a"].answer == "yes"  # YAML's bare yes, read as the word
    assert sheet.answers["process.3a"].evidence == "https://wiki/runbooks"
    assert sheet.answers["technology.2a"].answer == "n/a"
    assert sheet.targets == {"people": 4} and sheet.assessors == ("A. Coach",)
    assert sheet.assessed_on == "2026-09-28"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("people.2a", "people.9z"), "people.9z: not a statement of the rubric"),
        (GOOD.replace("people.2a: yes", "people.2a: maybe"), "people.2a: answer 'maybe' is not"),
        (GOOD.replace("team: alpha\n", ""), "'team' is missing"),
        (GOOD.replace("period: 2026-Q3\n", ""), "'period' is missing"),
        (GOOD.replace("team: alpha", "team: beta"), "says team 'beta' but the file is for 'alpha'"),
        (GOOD.replace("period: 2026-Q3", "period: 2026-Q2"), "says period 2026-Q2 but sits under"),
        (GOOD.replace("{people: 4}", "{culture: 4}"), "targets: unknown category 'culture'"),
        ("answers: [oops", "line 1"),
    ],
)
def test_bad_answer_files_name_file_and_statement(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=r"alpha\.yaml") as error:
        load_answers(path, RUBRIC, team="alpha", period="2026-Q3")
    assert message in str(error.value)


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

    from maturity.scoring import score_team

    result = score_team(RUBRIC, sheet_answers, {})
    assert (result.categories["people"].level, result.categories["people"].score) == (3, 3.0)
    assert (result.categories["process"].level, result.categories["process"].score) == (3, 3.0)
    assert result.categories["technology"].score == 1.5
    assert len(result.unanswered) == 19 - 5


def test_template_for_the_wrong_team_is_refused(tmp_path: Path) -> None:
    path = write_template(RUBRIC, "beta", "2026-Q3", tmp_path / "alpha.xlsx")
    with pytest.raises(ConfigError, match="says team 'beta'"):
        load_answers(path, RUBRIC, team="alpha", period="2026-Q3")


def test_evidence_facts_from_incidents(tmp_path: Path) -> None:
    root = write_assessment(tmp_path / "tiny", tiny_files())
    incidents = load_incidents(root).incidents
    alpha = incidents[incidents["team"] == "alpha"]
    facts = team_facts(alpha, "2026-Q3", slo_configured=False)
    # A1 yes, A2 no, A3 yes among resolved with a known runbook flag
    assert facts["runbook_usage_rate"].value == pytest.approx(2 / 3)
    assert facts["runbook_usage_rate"].n == 3
    assert facts["recovery_time_share"].value == 0.8  # A5 is open
    assert facts["lifecycle_complete_share"].value == 0.25  # only A1 has all five
    assert facts["slo_configured"].value == 0.0
    assert facts["yoy_median_ratio"].value is None  # under 10 resolved either side
    empty = team_facts(alpha.iloc[0:0], "2026-Q3", slo_configured=True)
    assert empty["pir_rate"].value is None and empty["recovery_time_share"].value is None


def maturity(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "maturity.cli", *args], capture_output=True,
                          text=True, timeout=300)  # fmt: skip


def test_score_json_of_the_example() -> None:
    run = maturity("score", str(EXAMPLE), "--quarter", "2026-Q3", "--json")
    assert run.returncode == 0, run.stderr
    scores = {s["team"]: s for s in json.loads(run.stdout)["scores"]}
    assert set(scores) == {"payments", "search", "identity", "data-platform", "mobile", "platform"}
    for score in scores.values():
        assert set(score["overall"]) == {"level", "score", "evidence_level", "evidence_score"}
        assert set(score["categories"]) == {"people", "process", "technology", "measurement"}
        for statement in score["statements"]:
            assert {"id", "answer", "value", "evidence", "evidence_value", "reason"} <= set(
                statement
            )
    mobile = {s["id"]: s for s in scores["mobile"]["statements"]}
    assert mobile["process.3a"]["evidence"] == "contradicted"
    assert mobile["process.3a"]["evidence_value"] == 0.5
    assert "of resolved incidents used one, below 50%" in mobile["process.3a"]["reason"]
    assert scores["mobile"]["overall"]["evidence_level"] < scores["mobile"]["overall"]["level"]
    assert scores["identity"]["overall"]["evidence_level"] == scores["identity"]["overall"]["level"]
    assert scores["payments"]["change"]["since"] == "2026-Q2"


def test_score_errors(tmp_path: Path) -> None:
    run = maturity("score", str(EXAMPLE), "--quarter", "2019-Q1")
    assert run.returncode == 2 and "no answers for 2019-Q1" in run.stderr
    bad = GOOD.replace("people.2a", "bogus.2a")
    root = write_assessment(tmp_path / "org", tiny_files(), answers={"2026-Q3": {"alpha": bad}})
    run = maturity("score", str(root), "--quarter", "2026-Q3")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "answers/2026-Q3/alpha.yaml: bogus.2a: not a statement" in run.stderr


def test_template_command(tmp_path: Path) -> None:
    out = tmp_path / "q.xlsx"
    run = maturity("template", "--team", "alpha", "--quarter", "2026-Q4", "--out", str(out))
    assert run.returncode == 0 and out.exists()
    run = maturity("template", "--team", "alpha", "--quarter", "Q4", "--out", str(out))
    assert run.returncode == 2 and "YYYY-Qn" in run.stderr
