"""The questionnaire as an appraisal (issue 23): several respondents per team, their
median and spread, disputed statements, evidence tiers, rubric versions, and the round's
status and workbooks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from maturity.assessment.answers import AnswerProblem, combine, load_quarter_answers
from maturity.assessment.maturity import assess_quarter
from maturity.assessment.rounds import round_status, write_round
from maturity.assessment.rubric import load_rubric, parse_rubric
from maturity.organisation import load_organisation

from conftest import run_maturity, tiny_files, write_assessment

RUBRIC = load_rubric()
SCORED = [s.id for s in RUBRIC.scored]


def answers_file(team: str, quarter: str, answers: dict, **extra: object) -> str:
    return yaml.safe_dump({"team": team, "period": quarter, **extra, "answers": answers},
                          sort_keys=False)  # fmt: skip


def organisation(tmp_path: Path, files: dict[str, str], **extra: object) -> Path:
    root = write_assessment(tmp_path / "org", tiny_files(), extra=extra or None)
    for name, text in files.items():
        path = root / "answers" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize(
    ("given", "team", "spread"),
    [
        (["yes", "no"], "no", 1.0),  # the lower middle of two
        (["yes", "partly"], "partly", 0.5),
        (["yes", "yes", "no"], "yes", 1.0),
        (["no", "partly", "yes"], "partly", 1.0),
        (["yes", "partly", "partly", "yes"], "partly", 0.5),  # lower middle of four
        (["n/a", "n/a", "yes"], "n/a", 0.0),  # most say n/a
        (["n/a", "yes"], "yes", 0.0),  # half is not most: the others' median
        (["n/a", "n/a", "yes", "no"], "no", 1.0),
        (["n/a", "n/a"], "n/a", None),
    ],
)
def test_a_teams_answer_is_the_median_of_its_respondents(given, team, spread) -> None:
    from maturity.assessment.answers import Answer, AnswerSheet

    sheets = [
        AnswerSheet(
            "alpha",
            "2026-Q3",
            f"r{i}.yaml",
            {"people.2a": Answer("people.2a", word)},
            respondent=f"R{i}",
        )
        for i, word in enumerate(given)
    ]
    combined = combine(sheets, RUBRIC).answers["people.2a"]
    assert combined.answer == team
    assert combined.spread == spread
    assert combined.respondents == len(given)
    assert combined.disputed == (spread is not None and spread >= 1)
    assert [g.respondent for g in combined.by_respondent] == [f"R{i}" for i in range(len(given))]
    anonymous = combine(sheets, RUBRIC, anonymous=True).answers["people.2a"]
    assert [g.respondent for g in anonymous.by_respondent] == [
        f"respondent {i}" for i in range(1, len(given) + 1)
    ]


def test_the_median_matches_an_independent_computation_on_many_teams() -> None:
    """2,000 seeded teams of 1-7 respondents: statistics.median_low of the values given
    (``n/a`` where more than half say so), and max - min as the spread."""
    import random
    import statistics

    from maturity.assessment.answers import Answer, AnswerSheet

    words = ["yes", "partly", "no", "n/a"]
    value = {"yes": 1.0, "partly": 0.5, "no": 0.0}
    rng = random.Random(23)
    for _ in range(2000):
        given = [rng.choice(words) for _ in range(rng.randint(1, 7))]
        sheets = [AnswerSheet("alpha", "2026-Q3", f"r{i}.yaml",
                              {"people.2a": Answer("people.2a", w)}, respondent=f"R{i}")
                  for i, w in enumerate(given)]  # fmt: skip
        combined = combine(sheets, RUBRIC).answers["people.2a"]
        values = [value[w] for w in given if w != "n/a"]
        if given.count("n/a") * 2 > len(given) or not values:
            assert combined.answer == "n/a", given
        else:
            expected = statistics.median_low(values)
            assert RUBRIC.answers[combined.answer] == expected, given
        assert combined.spread == (max(values) - min(values) if values else None), given


def three_respondents(tmp_path: Path, **extra: object) -> Path:
    base = {s: "yes" for s in SCORED}
    return organisation(tmp_path, {
        "2026-Q3/alpha/ana.yaml": answers_file("alpha", "2026-Q3", {
            **base, "process.3a": {"answer": "yes", "evidence": "https://wiki/runbooks"},
            "people.5a": {"answer": "no", "note": "no game days yet"}}, respondent="Ana"),
        "2026-Q3/alpha/ben.yaml": answers_file("alpha", "2026-Q3", {
            **base, "people.5a": {"answer": "yes", "note": "we ran one in May"}}),
        "2026-Q3/alpha/cy.yaml": answers_file("alpha", "2026-Q3", {
            **base, "people.5a": "no", "measurement.5a": "n/a"}),
        "2026-Q3/beta.yaml": answers_file("beta", "2026-Q3", {"people.2a": "yes"}),
    }, **extra)  # fmt: skip


def test_score_json_carries_respondents_spread_disputes_and_tiers(tmp_path: Path) -> None:
    root = three_respondents(tmp_path)
    run = run_maturity("score", str(root), "--quarter", "2026-Q3", "--json")
    assert run.returncode == 0, run.stderr
    scores = {s["team"]: s for s in json.loads(run.stdout)["scores"]}
    alpha = scores["alpha"]
    assert alpha["respondents"] == ["Ana", "ben", "cy"]  # a file's name, or its respondent:
    statements = {s["id"]: s for s in alpha["statements"]}
    game_days = statements["people.5a"]
    assert (game_days["answer"], game_days["respondents"], game_days["spread"]) == ("no", 3, 1.0)
    assert game_days["disputed"] is True and alpha["disputed"] == ["people.5a"]
    assert [(g["respondent"], g["answer"], g["note"]) for g in game_days["by_respondent"]] == [
        ("Ana", "no", "no game days yet"),
        ("ben", "yes", "we ran one in May"),
        ("cy", "no", ""),
    ]
    assert statements["measurement.5a"]["respondents"] == 3  # one n/a of three: yes stands
    assert statements["measurement.5a"]["answer"] == "yes"
    assert statements["process.3a"]["tier"] in ("documented", "corroborated", "contradicted")
    assert statements["people.2a"]["tier"] == "claimed"  # no rule, no link
    assert game_days["tier"] is None  # answered no: nothing claimed
    assert alpha["rubric_version"] == "1.0" and alpha["rubric_version_answered"] == "1.0"
    beta = scores["beta"]
    assert beta["respondents"] == ["respondent 1"] and beta["disputed"] == []


def test_anonymous_respondents_are_numbered_everywhere(tmp_path: Path) -> None:
    root = three_respondents(tmp_path, anonymous=True)
    run = run_maturity("score", str(root), "--quarter", "2026-Q3", "--json")
    text = run.stdout
    assert "Ana" not in text and "ben" not in text and '"cy"' not in text
    alpha = next(s for s in json.loads(text)["scores"] if s["team"] == "alpha")
    assert alpha["respondents"] == ["respondent 1", "respondent 2", "respondent 3"]


def test_one_broken_respondent_file_stays_that_respondents(tmp_path: Path) -> None:
    root = three_respondents(tmp_path)
    broken = "team: alpha\nperiod: 2026-Q3\nanswers: {people.2a: maybe}\n"
    (root / "answers/2026-Q3/alpha/cy.yaml").write_text(broken)
    problems: list[AnswerProblem] = []
    sheets = load_quarter_answers(load_organisation(root), RUBRIC, "2026-Q3", problems)
    assert len(sheets["alpha"].respondents) == 2
    assert [p.file for p in problems] == ["answers/2026-Q3/alpha/cy.yaml"]
    assert problems[0].team == "alpha" and "maybe" in problems[0].message


def test_a_team_with_a_file_and_a_folder_is_a_problem(tmp_path: Path) -> None:
    root = three_respondents(tmp_path)
    (root / "answers/2026-Q3/alpha.yaml").write_text(answers_file("alpha", "2026-Q3", {}))
    problems: list[AnswerProblem] = []
    load_quarter_answers(load_organisation(root), RUBRIC, "2026-Q3", problems)
    assert any("already has answers" in p.message for p in problems)


# --- rubric versions ------------------------------------------------------------------------


def rubric_two() -> object:
    """The rubric as a version 2.0 would ship: process.3a reworded as process.3b, people.4b
    removed, technology.3b added, with the mapping from 1.0."""
    data = yaml.safe_load((Path(RUBRIC_PATH)).read_text())
    data["version"] = "2.0"
    for item in data["statements"]:
        if item["id"] == "process.3a":
            item["id"], item["text"] = (
                "process.3b",
                "Runbooks exist for every service and are used.",
            )
    data["statements"] = [s for s in data["statements"] if s["id"] != "people.4b"]
    data["statements"].append(
        {"id": "technology.3b", "level": 3, "text": "Alert routing is tested."}
    )
    data["evidence"]["process.3b"] = data["evidence"].pop("process.3a")
    data["earlier"] = {"1.0": {"renamed": {"process.3a": "process.3b"}, "removed": ["people.4b"],
                               "added": ["technology.3b"]}}  # fmt: skip
    return parse_rubric(data, "rubric 2.0")


RUBRIC_PATH = Path(__file__).parents[2] / "lib/maturity/assessment/rubrics/mttr.yaml"


def test_answers_to_an_earlier_rubric_are_scored_through_its_mapping(tmp_path: Path) -> None:
    two = rubric_two()
    old = {s: "yes" for s in SCORED}  # every 1.0 statement, process.3a and people.4b among them
    root = organisation(tmp_path, {
        "2026-Q3/alpha.yaml": answers_file("alpha", "2026-Q3", old, rubric_version="1.0"),
        "2026-Q3/beta.yaml": answers_file("beta", "2026-Q3", {"people.2a": "yes"},
                                          rubric_version="0.9"),
    })  # fmt: skip
    problems: list[AnswerProblem] = []
    result = assess_quarter(load_organisation(root), "2026-Q3", rubric=two, problems=problems)
    alpha = result["alpha"].score
    statements = {s.id: s for s in alpha.statements}
    assert statements["process.3b"].answer == "yes"  # the reworded statement keeps its answer
    assert "people.4b" not in statements  # removed: not scored
    assert statements["technology.3b"].unanswered and alpha.not_asked == ["technology.3b"]
    assert (alpha.rubric_version, alpha.answered_version) == ("2.0", "1.0")
    assert "beta" not in result
    assert "0.9" in problems[0].message and "maps from no such version" in problems[0].message


def test_the_rubric_refuses_a_mapping_to_a_statement_it_does_not_have() -> None:
    from maturity.errors import ConfigError

    data = yaml.safe_load(RUBRIC_PATH.read_text())
    data["version"] = "2.0"
    data["earlier"] = {"1.0": {"renamed": {"process.3a": "process.9z"}}}
    with pytest.raises(ConfigError, match=r"process\.9z is not a statement"):
        parse_rubric(data, "bad rubric")


# --- the round ------------------------------------------------------------------------------


def test_the_round_status_names_whom_to_chase(tmp_path: Path) -> None:
    teams = {"alpha": {"name": "Alpha Team", "services": ["alpha-api"]},
             "beta": {"name": "Beta", "services": ["beta-web"]},
             "gamma": {"name": "Gamma"}, "delta": {"name": "Delta"}}  # fmt: skip
    root = write_assessment(tmp_path / "org", tiny_files(), teams=teams)
    answers = root / "answers/2026-Q3"
    (answers / "alpha").mkdir(parents=True)
    (answers / "alpha/ana.yaml").write_text(answers_file("alpha", "2026-Q3", {"people.2a": "yes"}))
    (answers / "alpha/ben.yaml").write_text(answers_file("alpha", "2026-Q3", {"people.2a": "no"}))
    (answers / "beta.yaml").write_text("team: beta\nperiod: 2026-Q3\nanswers: [oops\n")  # broken
    (answers / "gama.yaml").write_text(answers_file("gamma", "2026-Q3", {}))  # misnamed
    (answers / "delta.yaml").write_text(answers_file("delta", "2026-Q2", {}))  # wrong quarter
    status = round_status(load_organisation(root), RUBRIC, "2026-Q3")
    by = {t.team: t for t in status.teams}
    assert by["alpha"].respondents == ["ana", "ben"] and by["alpha"].disputed == ["people.2a"]
    assert len(by["alpha"].unanswered) == len(SCORED) - 1
    assert by["beta"].status == "problem" and by["beta"].problems
    assert "did you mean gamma" in by["gamma"].problems[0]  # the misnamed file is gamma's
    assert "says period 2026-Q2" in by["delta"].problems[0]
    assert [t.team for t in status.without_answers] == ["beta", "delta", "gamma"]
    run = run_maturity("answers", str(root), "--quarter", "2026-Q3")
    assert run.returncode == 1  # while any team has none
    assert "to chase: beta, delta, gamma" in run.stdout
    assert "2 respondents (ana, ben)" in run.stdout and "1 disputed (people.2a)" in run.stdout
    as_json = json.loads(
        run_maturity("answers", str(root), "--quarter", "2026-Q3", "--json").stdout
    )
    assert as_json["teams_without_answers"] == ["beta", "delta", "gamma"]
    for team in ("beta", "delta", "gamma"):
        (answers / f"{team}.yaml").write_text(answers_file(team, "2026-Q3", {"people.2a": "yes"}))
    (answers / "gama.yaml").unlink()
    assert run_maturity("answers", str(root), "--quarter", "2026-Q3").returncode == 0


def test_the_next_rounds_workbooks_are_pre_filled(tmp_path: Path) -> None:
    from maturity.assessment.answers import load_answers
    from maturity.assessment.questionnaire import read_workbook

    root = three_respondents(tmp_path)
    out = tmp_path / "round"
    written = write_round(load_organisation(root), RUBRIC, "2026-Q4", out)
    names = sorted(p.relative_to(out).as_posix() for p in written)
    assert names == ["alpha/Ana.xlsx", "alpha/ben.xlsx", "alpha/cy.xlsx", "beta.xlsx"]
    cover = read_workbook(out / "alpha/ben.xlsx", "ben")
    assert cover["rubric_version"] == "1.0" and cover["respondent"] == "ben"
    assert cover["period"] == "2026-Q4"
    again = load_answers(out / "alpha/ben.xlsx", RUBRIC, team="alpha", period="2026-Q4")
    assert again.answers["people.5a"].answer == "yes"  # ben's own last answer, to confirm
    assert again.answers["people.5a"].note == "we ran one in May"
    run = run_maturity("template", "--all", str(root), "--quarter", "2026-Q4", "--out",
                       str(tmp_path / "cli"))  # fmt: skip
    assert run.returncode == 0 and "4 workbooks" in run.stdout and "1 of 2 teams" not in run.stdout


def test_a_respondents_workbook_names_them(tmp_path: Path) -> None:
    from maturity.assessment.questionnaire import read_workbook

    out = tmp_path / "ana.xlsx"
    run = run_maturity("template", "--team", "alpha", "--quarter", "2026-Q3", "--respondent",
                       "Ana", "--out", str(out))  # fmt: skip
    assert run.returncode == 0 and "answers/2026-Q3/alpha/Ana.xlsx" in run.stdout
    assert read_workbook(out, "ana")["respondent"] == "Ana"
