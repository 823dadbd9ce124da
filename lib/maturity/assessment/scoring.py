"""Maturity scoring, exactly as DESIGN.md "The rubric and scoring" says, for any rubric.

- Answers: the rubric's values (``yes`` 1, ``partly`` 0.5, ``no`` 0); ``n/a`` leaves the
  statement out of its level; an unanswered statement counts as ``no`` and is listed.
- Category ``level`` = 1 + the number of consecutive levels, from 2 upward, whose
  applicable statements all score 1 (a level whose statements are all ``n/a`` passes).
- Category ``score`` = ``level`` + the mean of the applicable statements of level
  ``level``+1 (the top level scores exactly its number).
- Overall ``level`` = the lowest category level; overall ``score`` = the mean of the
  category scores.
- Evidence: a statement whose rule the incident data contradicts counts at most 0.5;
  ``evidence_level`` and ``evidence_score`` are computed the same way from those values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from maturity.assessment.answers import AnswerSheet, Combined
from maturity.assessment.evidence import MIN_EVIDENCE, Fact
from maturity.assessment.rubric import Condition, EvidenceRule, Rubric
from maturity.ingest.record import timestamp_names

SUPPORTED, CONTRADICTED, NO_DATA = "supported", "contradicted", "no_data"
CONTRADICTED_CAP = 0.5
#: Evidence tiers, as CMMI appraisals grade practices: an answer alone (claimed), an answer
#: with an evidence link (documented), one the incident data supports (corroborated), one it
#: contradicts (contradicted). Only a statement answered yes or partly has a tier.
CLAIMED, DOCUMENTED, CORROBORATED = "claimed", "documented", "corroborated"
TIERS = (CLAIMED, DOCUMENTED, CORROBORATED, CONTRADICTED)


def tier(value: float | None, evidence: str | None, link: str) -> str | None:
    """A statement's evidence tier (``TIERS``); None where nothing is claimed."""
    if not value:
        return None
    if evidence == CONTRADICTED:
        return CONTRADICTED
    if evidence == SUPPORTED:
        return CORROBORATED
    return DOCUMENTED if link else CLAIMED


@dataclass
class StatementScore:
    id: str
    category: str
    level: int
    text: str
    answer: str  # as given; "no" when unanswered
    value: float | None  # None: n/a
    unanswered: bool = False
    evidence: str | None = None  # supported / contradicted / no_data; None: no rule
    evidence_value: float | None = None
    reason: str = ""
    evidence_link: str = ""
    note: str = ""
    respondents: int = 0  # how many respondents answered it
    spread: float | None = None  # max minus min of their values (None: n/a or unanswered)
    by_respondent: list[dict[str, str]] = field(default_factory=list)
    tier: str | None = None  # claimed / documented / corroborated / contradicted (TIERS)

    @property
    def disputed(self) -> bool:
        """One respondent says yes, another no."""
        return self.spread is not None and self.spread >= 1.0


@dataclass
class CategoryScore:
    level: int
    score: float
    evidence_level: int
    evidence_score: float
    target: int | None = None
    gap: int | None = None  # target - evidence_level, where a target is set


@dataclass
class TeamScore:
    team: str
    period: str
    overall: dict[str, float]
    categories: dict[str, CategoryScore]
    statements: list[StatementScore]
    unanswered: list[str] = field(default_factory=list)
    source: str = ""
    rubric_version: str = ""  # the rubric the statements are scored on
    answered_version: str = ""  # the version(s) the respondents answered
    not_asked: list[str] = field(default_factory=list)  # unanswered: not in that version
    respondents: list[str] = field(default_factory=list)  # names, or "respondent 1"...

    @property
    def disputed(self) -> list[StatementScore]:
        return [s for s in self.statements if s.disputed]

    def to_json(self) -> dict[str, Any]:
        statements = []
        for s in self.statements:
            item = asdict(s)
            item["disputed"] = s.disputed
            statements.append(item)
        return {
            "team": self.team,
            "period": self.period,
            "overall": self.overall,
            "categories": {k: asdict(v) for k, v in self.categories.items()},
            "statements": statements,
            "unanswered": self.unanswered,
            "not_asked": self.not_asked,
            "disputed": [s.id for s in self.disputed],
            "respondents": self.respondents,
            "rubric_version": self.rubric_version,
            "rubric_version_answered": self.answered_version,
            "source": self.source,
        }


def level_and_score(
    rubric: Rubric, values: Mapping[str, float | None], category: str
) -> tuple[int, float]:
    """A category's level and score from statement values (None = n/a)."""
    top = rubric.top_level

    def applicable(level: int) -> list[float]:
        return [v for s in rubric.scored_at(category, level) if (v := values[s.id]) is not None]

    level = 1
    for candidate in range(2, top + 1):
        if all(v == 1.0 for v in applicable(candidate)):
            level = candidate
        else:
            break
    if level == top:
        return level, float(top)
    following = applicable(level + 1)
    return level, level + (sum(following) / len(following) if following else 0.0)


def _format(value: float, style: str) -> str:
    if style == "percent":
        return f"{value:.0%}"
    if style == "ratio":
        return f"{value:.0%}" if value < 10 else f"{value:.1f}x"
    return f"{value:g}"


def judge(rule: EvidenceRule, facts: Mapping[str, Fact],
          thresholds: Mapping[str, Any]) -> tuple[str, str]:  # fmt: skip
    """The verdict on one statement's claim, and the sentence that explains it.

    A condition contradicts the claim only on a fact resting on enough incidents
    (``Fact.enough``); the claim is consistent with the data only where its first fact
    does; anything else is "no data", saying why (no incidents, too few, or timestamps
    the exports cannot carry)."""
    override = thresholds.get(rule.statement)
    conditions = []
    for i, condition in enumerate(rule.when):
        threshold = condition.threshold
        if isinstance(override, Mapping) and condition.fact in override:
            threshold = float(override[condition.fact])
        elif override is not None and not isinstance(override, Mapping) and i == 0:
            threshold = float(override)
        conditions.append(Condition(condition.fact, condition.op, threshold, condition.describe))

    def words(template: str, condition: Condition, fact: Fact) -> str:
        return template.format(
            value=_format(fact.value, rule.format) if fact.value is not None else "",
            threshold=_format(condition.threshold, rule.format),
            detail=fact.detail,
        )

    for condition in conditions:
        fact = facts.get(condition.fact)
        if fact is not None and fact.enough and condition.holds(fact.value):  # type: ignore[arg-type]
            text = words(condition.describe or rule.describe, condition, fact)
            return CONTRADICTED, f"{rule.claim}: {text} (n = {fact.n}){_doubt_note(fact)}"
    first = conditions[0]
    fact = facts.get(first.fact)
    if fact is not None and fact.unavailable:
        return NO_DATA, (
            f"{rule.claim}: cannot be checked from these exports (they carry no "
            f"{timestamp_names(fact.unavailable)} time)"
        )
    if fact is None or fact.value is None:
        return NO_DATA, f"{rule.claim}: no incident data to check it against"
    if not fact.enough:
        return NO_DATA, (
            f"{rule.claim}: too few incidents to check it (n = {fact.n}; a check needs at "
            f"least {MIN_EVIDENCE})"
        )
    if rule.supports:
        shown = words(rule.supports, first, fact)
        return SUPPORTED, (
            f"{rule.claim}: consistent with the incident data ({shown}, n = {fact.n})"
            f"{_doubt_note(fact)}"
        )
    shown = _format(fact.value, rule.format)
    return SUPPORTED, (
        f"{rule.claim}: consistent with the incident data ({shown}; contradicted when "
        f"{first.op} {_format(first.threshold, rule.format)}, n = {fact.n}){_doubt_note(fact)}"
    )


def _doubt_note(fact: Fact) -> str:
    """A check leaning on doubtful timestamps says so: its verdict is only as good as they."""
    return f"; but its timestamps are doubtful: {fact.doubt}" if fact.doubt else ""


def score_team(
    rubric: Rubric,
    sheet: AnswerSheet,
    facts: Mapping[str, Fact],
    thresholds: Mapping[str, Any] | None = None,
) -> TeamScore:
    """Score one team's answers and check them against its incident facts."""
    thresholds = thresholds or {}
    statements, values, evidence_values, unanswered = [], {}, {}, []
    for statement in rubric.statements:
        given = sheet.answers.get(statement.id)
        if not statement.scored:
            continue
        word = given.answer if given else "no"
        if given is None:
            unanswered.append(statement.id)
        value = rubric.answers[word]
        score = StatementScore(
            statement.id, statement.category, statement.level, statement.text, word, value,
            unanswered=given is None,
            evidence_link=given.evidence if given else "", note=given.note if given else "",
        )  # fmt: skip
        if isinstance(given, Combined):
            score.respondents = given.respondents
            score.spread = given.spread
            score.by_respondent = [asdict(g) for g in given.by_respondent]
        elif given is not None:
            score.respondents = 1
            score.spread = None if value is None else 0.0
        evidence_value = value
        rule = rubric.evidence.get(statement.id)
        if rule is not None:
            verdict, reason = judge(rule, facts, thresholds)
            score.evidence = verdict
            if verdict == CONTRADICTED and value:
                reason = reason.replace(": ", f": answered {word}; ", 1)
                evidence_value = min(value, CONTRADICTED_CAP)
            elif verdict == CONTRADICTED:
                # Nothing was claimed: the data only confirms the answer.
                reason = reason.replace(": ", f": answered {word}, as the data shows; ", 1)
            score.reason = reason
        score.evidence_value = evidence_value
        score.tier = tier(value, score.evidence, score.evidence_link)
        values[statement.id] = value
        evidence_values[statement.id] = evidence_value
        statements.append(score)

    categories = {}
    for category in rubric.categories:
        level, category_score = level_and_score(rubric, values, category)
        e_level, e_score = level_and_score(rubric, evidence_values, category)
        target = sheet.targets.get(category)
        categories[category] = CategoryScore(
            level, round(category_score, 2), e_level, round(e_score, 2), target,
            None if target is None else target - e_level,
        )  # fmt: skip
    overall = {
        "level": min(c.level for c in categories.values()),
        "score": round(sum(c.score for c in categories.values()) / len(categories), 2),
        "evidence_level": min(c.evidence_level for c in categories.values()),
        "evidence_score": round(
            sum(c.evidence_score for c in categories.values()) / len(categories), 2
        ),
    }
    return TeamScore(
        sheet.team, sheet.period, overall, categories, statements, unanswered, sheet.source,
        rubric_version=rubric.version, answered_version=sheet.rubric_version or rubric.version,
        not_asked=[x for x in sheet.not_asked if x in unanswered],
        respondents=[r.respondent for r in sheet.respondents],
    )  # fmt: skip


def recommendations(rubric: Rubric, score: TeamScore) -> list[dict[str, Any]]:
    """What to work on, ordered by what unlocks the next level.

    Weakest category first (by evidence level); within it, claims the data contradicts,
    then the next level's statements not yet fully met. Each item says why in one line.
    """
    items = []
    for category, result in sorted(
        score.categories.items(), key=lambda kv: (kv[1].evidence_level, kv[0])
    ):
        blocking = result.evidence_level + 1
        name = rubric.categories[category]
        for s in score.statements:
            if s.category != category:
                continue
            if s.evidence == CONTRADICTED and s.value:
                items.append({
                    "category": category, "level": s.level, "statement": s.id,
                    "kind": "contradicted", "order": (result.evidence_level, 0, s.level),
                    "message": f"{name}: {s.reason}. Fix the practice or the answer.",
                })  # fmt: skip
            elif s.level == blocking and s.value is not None and s.value < 1.0:
                state = "unanswered" if s.unanswered else f"answered {s.answer}"
                items.append({
                    "category": category, "level": s.level, "statement": s.id,
                    "kind": "next_level", "order": (result.evidence_level, 1, s.level),
                    "message": f"{name} level {blocking}: \u201c{s.text}\u201d ({state}).",
                })  # fmt: skip
    items.sort(key=lambda item: (item["order"], item["statement"]))
    for item in items:
        del item["order"]
    return items
