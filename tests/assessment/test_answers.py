"""Answers files (YAML): read, validated, errors naming file and statement."""

from __future__ import annotations

from pathlib import Path

import pytest

from maturity.assessment.answers import load_answers
from maturity.assessment.rubric import load_rubric
from maturity.errors import ConfigError

from conftest import GOOD_ANSWERS as GOOD

RUBRIC = load_rubric()


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
        (
            GOOD.replace("people.2a", "people.9z"),
            "people.9z: not a statement of the rubric",
        ),
        (
            GOOD.replace("people.2a: yes", "people.2a: maybe"),
            "people.2a: answer 'maybe' is not",
        ),
        (GOOD.replace("team: alpha\n", ""), "'team' is missing"),
        (GOOD.replace("period: 2026-Q3\n", ""), "'period' is missing"),
        (
            GOOD.replace("team: alpha", "team: beta"),
            "says team 'beta' but the file is for 'alpha'",
        ),
        (
            GOOD.replace("period: 2026-Q3", "period: 2026-Q2"),
            "says period 2026-Q2 but sits under",
        ),
        (
            GOOD.replace("{people: 4}", "{culture: 4}"),
            "targets: unknown category 'culture'",
        ),
        ("answers: [oops", "line 1"),
    ],
)
def test_bad_answer_files_name_file_and_statement(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=r"alpha\.yaml") as error:
        load_answers(path, RUBRIC, team="alpha", period="2026-Q3")
    assert message in str(error.value)


# --- issue 10 finding 8: a broken answers file is its own team's problem -----------------

BROKEN = {
    "alpah": (GOOD, "alpha", "did you mean alpha?"),  # a misspelled file name
    "beta": (
        GOOD.replace("alpha", "beta").replace("yes", "sometimes", 1),
        "beta",
        "answer 'sometimes'",
    ),
    "gamma-squad": (GOOD, None, "no team 'gamma-squad'"),  # close to no team
}


def test_broken_answers_files_are_collected_per_team(tmp_path: Path) -> None:
    from maturity.assessment.answers import load_quarter_answers
    from maturity.organisation import load_organisation

    from conftest import write_assessment

    teams = {"alpha": {"name": "Alpha"}, "beta": {"name": "Beta"}, "delta": {"name": "Delta"}}
    delta = GOOD.replace("team: alpha", "team: delta")
    files = {name: text for name, (text, _, _) in BROKEN.items()} | {"delta": delta}
    org = load_organisation(
        write_assessment(tmp_path / "org", {}, teams=teams, answers={"2026-Q3": files})
    )
    with pytest.raises(ConfigError):  # without a problems list: the first error stops
        load_quarter_answers(org, RUBRIC, "2026-Q3")
    problems: list = []
    sheets = load_quarter_answers(org, RUBRIC, "2026-Q3", problems)
    assert list(sheets) == ["delta"]  # the good file still loads
    found = {p.file: p for p in problems}
    for name, (_, team, message) in BROKEN.items():
        problem = found[f"answers/2026-Q3/{name}.yaml"]
        assert problem.team == team and problem.period == "2026-Q3"
        assert message in problem.message and problem.message.startswith("answers/2026-Q3/")
