"""Scoring rules on hand-made answer sets, and every evidence rule on both sides."""

from __future__ import annotations

import pytest

from maturity.assessment.answers import Answer, AnswerSheet
from maturity.assessment.evidence import Fact
from maturity.assessment.rubric import load_rubric
from maturity.assessment.scoring import (
    CONTRADICTED,
    NO_DATA,
    SUPPORTED,
    judge,
    recommendations,
    score_team,
)

RUBRIC = load_rubric()
SCORED = [s.id for s in RUBRIC.scored]


def sheet(answers: dict[str, str], targets: dict[str, int] | None = None) -> AnswerSheet:
    return AnswerSheet(
        "alpha", "2026-Q3", "test", {k: Answer(k, v) for k, v in answers.items()},
        targets=targets or {},
    )  # fmt: skip


def everything(answer: str, **overrides: str) -> dict[str, str]:
    return {**dict.fromkeys(SCORED, answer), **overrides}


def test_nineteen_scored_statements() -> None:
    assert len(SCORED) == 19
    assert "process.2b" not in SCORED and not any(".1" in s for s in SCORED)


def test_all_no_is_level_one() -> None:
    result = score_team(RUBRIC, sheet(everything("no")), {})
    assert result.overall == {"level": 1, "score": 1.0, "evidence_level": 1,
                              "evidence_score": 1.0}  # fmt: skip


def test_all_yes_is_level_five() -> None:
    result = score_team(RUBRIC, sheet(everything("yes")), {})
    assert result.overall["level"] == 5 and result.overall["score"] == 5.0
    assert all(c.score == 5.0 for c in result.categories.values())


def test_level_and_score_with_partly() -> None:
    # people: 2a yes, 3a yes, 4a partly, 4b yes -> level 3, score 3 + (0.5 + 1) / 2 = 3.75
    answers = everything("no", **{"people.2a": "yes", "people.3a": "yes", "people.4a": "partly",
                                  "people.4b": "yes"})  # fmt: skip
    people = score_team(RUBRIC, sheet(answers), {}).categories["people"]
    assert (people.level, people.score) == (3, 3.75)


def test_consecutive_levels_only() -> None:
    # process: 2a no, 3a yes, 4a yes -> level 1 (level 2 not met), score 1 + 0 = 1.0
    answers = everything("no", **{"process.3a": "yes", "process.4a": "yes"})
    process = score_team(RUBRIC, sheet(answers), {}).categories["process"]
    assert (process.level, process.score) == (1, 1.0)


def test_na_is_left_out_of_its_level() -> None:
    # people.4b n/a: level 4 needs only 4a; 5a yes, 5b partly -> level 4, 4 + 0.75
    answers = everything("yes", **{"people.4b": "n/a", "people.5b": "partly"})
    people = score_team(RUBRIC, sheet(answers), {}).categories["people"]
    assert (people.level, people.score) == (4, 4.75)
    # a level all n/a passes: measurement 2a..3a yes, 4a n/a, 5a/5b no -> level 4, score 4.0
    answers = everything("no", **{"measurement.2a": "yes", "measurement.3a": "yes",
                                  "measurement.4a": "n/a"})  # fmt: skip
    measurement = score_team(RUBRIC, sheet(answers), {}).categories["measurement"]
    assert (measurement.level, measurement.score) == (4, 4.0)


def test_unanswered_counts_as_no_and_is_listed() -> None:
    answers = everything("yes")
    del answers["technology.3a"]
    result = score_team(RUBRIC, sheet(answers), {})
    assert result.unanswered == ["technology.3a"]
    assert result.categories["technology"].level == 2
    assert result.categories["technology"].score == 2.0  # 3a counts as 0


def test_overall_is_lowest_level_and_mean_score() -> None:
    answers = everything("yes", **{"process.2a": "no"})
    result = score_team(RUBRIC, sheet(answers), {})
    assert result.overall["level"] == 1  # process stuck at 1
    assert result.overall["score"] == round((5 + 1.0 + 5 + 5) / 4, 2)


def facts(**values: float | None) -> dict[str, Fact]:
    return {k: Fact(v, 100) for k, v in values.items()}


RULE_CASES = [
    # statement, fact, contradicting value, supporting value
    ("process.2a", "pir_rate", 0.0, 0.1),
    ("process.3a", "runbook_usage_rate", 0.49, 0.5),
    ("process.4a", "pir_rate", 0.79, 0.8),
    ("technology.4a", "automation_coverage", 0.24, 0.25),
    ("technology.5a", "automation_coverage", 0.49, 0.5),
    ("measurement.2a", "recovery_time_share", 0.0, 0.01),
    ("measurement.3a", "recovery_time_share", 0.89, 0.9),
    ("measurement.4a", "lifecycle_complete_share", 0.79, 0.8),
    ("measurement.5b", "yoy_slower", 1.0, 0.0),
]


@pytest.mark.parametrize(("statement", "fact", "bad", "good"), RULE_CASES)
def test_every_evidence_rule_on_both_sides_and_without_data(statement, fact, bad, good) -> None:
    rule = RUBRIC.evidence[statement]
    extra = {"slo_configured": 1.0} if statement == "measurement.4a" else {}
    verdict, reason = judge(rule, facts(**{fact: bad}, **extra), {})
    assert verdict == CONTRADICTED and "n = 100" in reason
    assert judge(rule, facts(**{fact: good}, **extra), {})[0] == SUPPORTED
    assert judge(rule, facts(**{fact: None}), {})[0] == NO_DATA


@pytest.mark.parametrize(("statement", "fact", "bad", "good"), RULE_CASES)
def test_no_rule_judges_on_a_handful_of_incidents(statement, fact, bad, good) -> None:
    """Issue 21.10: "contradicted" from n = 3, and measurement.4a "supported" with no
    resolved incident at all. Under 10 incidents a fact is shown but judges nothing."""
    rule = RUBRIC.evidence[statement]
    extra = {"slo_configured": 1.0} if statement == "measurement.4a" else {}
    for value in (bad, good):
        few = {fact: Fact(value, 3), **{k: Fact(v, 1, needs_incidents=False)
                                        for k, v in extra.items()}}  # fmt: skip
        verdict, reason = judge(rule, few, {})
        assert verdict == NO_DATA and "too few incidents" in reason and "n = 3" in reason
    none = {fact: Fact(None, 0), **{k: Fact(v, 1, needs_incidents=False)
                                    for k, v in extra.items()}}  # fmt: skip
    assert judge(rule, none, {})[0] == NO_DATA


def test_measurement_4a_needs_slos() -> None:
    rule = RUBRIC.evidence["measurement.4a"]
    verdict, reason = judge(rule, facts(lifecycle_complete_share=0.95, slo_configured=0.0), {})
    assert verdict == CONTRADICTED and "no recovery SLOs" in reason


def test_a_contradicted_claim_counts_at_most_partly() -> None:
    answers = everything("yes")
    result = score_team(RUBRIC, sheet(answers), facts(runbook_usage_rate=0.22))
    runbooks = next(s for s in result.statements if s.id == "process.3a")
    assert (runbooks.value, runbooks.evidence, runbooks.evidence_value) == (1.0, CONTRADICTED, 0.5)
    assert runbooks.reason == (
        "runbooks: answered yes; 22% of resolved incidents used one, below 50% (n = 100)"
    )
    process = result.categories["process"]
    # evidence: level 2 met, level 3 holds only process.3a at 0.5 -> 2 + 0.5
    assert (process.level, process.evidence_level, process.evidence_score) == (5, 2, 2.5)
    assert result.overall["evidence_level"] == 2 and result.overall["level"] == 5


def test_thresholds_can_be_overridden() -> None:
    rule = RUBRIC.evidence["process.3a"]
    assert judge(rule, facts(runbook_usage_rate=0.55), {"process.3a": 0.6})[0] == CONTRADICTED
    assert judge(rule, facts(runbook_usage_rate=0.55), {})[0] == SUPPORTED


def test_targets_and_gap() -> None:
    result = score_team(RUBRIC, sheet(everything("no"), targets={"people": 3}), {})
    assert (result.categories["people"].target, result.categories["people"].gap) == (3, 2)


def test_recommendations_lead_with_what_unlocks_the_next_level() -> None:
    answers = everything("yes", **{"process.3a": "yes", "technology.3a": "partly"})
    result = score_team(RUBRIC, sheet(answers), facts(runbook_usage_rate=0.2))
    items = recommendations(RUBRIC, result)
    assert items[0]["statement"] == "process.3a" and items[0]["kind"] == "contradicted"
    assert "20% of resolved incidents used one" in items[0]["message"]
    assert any(i["statement"] == "technology.3a" and i["kind"] == "next_level" for i in items)
