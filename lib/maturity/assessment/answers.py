"""Questionnaire answers: ``answers/<YYYY-Qn>/<team>.yaml`` or the workbook from
``maturity template`` (``<team>.xlsx``), validated against the rubric.

YAML (DESIGN.md "Answers file")::

    team: payments
    period: 2026-Q3
    assessed_on: 2026-09-28
    assessors: [A. Coach]
    answers:
      people.2a: yes
      process.3a: {answer: partly, evidence: "https://wiki/runbooks", note: "half the services"}
    targets: {people: 4, measurement: 4}      # optional

Answers are ``yes``, ``partly``, ``no`` or ``n/a`` (YAML's bare yes/no booleans are read as
those words). Every problem names the file and, where there is one, the statement.
"""

from __future__ import annotations

import datetime
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from maturity.assessment.rubric import Rubric
from maturity.errors import ConfigError, MaturityError
from maturity.organisation import Organisation, read_yaml
from maturity.periods import parse_quarter

_ALIASES = {"na": "n/a", "n.a.": "n/a", "not applicable": "n/a", "partial": "partly",
            "partially": "partly", "y": "yes", "n": "no"}  # fmt: skip


@dataclass(frozen=True)
class Answer:
    statement: str
    answer: str  # yes / partly / no / n/a
    evidence: str = ""
    note: str = ""


@dataclass(frozen=True)
class AnswerSheet:
    """One team's answers for one quarter."""

    team: str
    period: str
    source: str
    answers: dict[str, Answer]
    assessed_on: str | None = None
    assessors: tuple[str, ...] = ()
    targets: dict[str, int] = field(default_factory=dict)


def normalise_answer(value: Any, rubric: Rubric, where: str) -> str:
    """``value`` as one of the rubric's answer words, or a ConfigError naming ``where``."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    word = str(value if value is not None else "").strip().lower()
    word = _ALIASES.get(word, word)
    if word not in rubric.answers:
        allowed = ", ".join(rubric.answers)
        raise ConfigError(f"{where}: answer {value!r} is not one of {allowed}")
    return word


def _check(sheet: dict[str, Any], rubric: Rubric, source: str, team: str | None,
           period: str | None) -> AnswerSheet:  # fmt: skip
    """Validate raw answers (from YAML or a workbook) and build an AnswerSheet."""
    given_team = str(sheet.get("team") or "").strip()
    given_period = str(sheet.get("period") or "").strip()
    if not given_team:
        raise ConfigError(f"{source}: 'team' is missing")
    if not given_period:
        raise ConfigError(f"{source}: 'period' is missing")
    parse_quarter(given_period)
    if team is not None and given_team != team:
        raise ConfigError(f"{source}: says team {given_team!r} but the file is for {team!r}")
    if period is not None and given_period != period:
        raise ConfigError(f"{source}: says period {given_period} but sits under {period}")
    raw_answers = sheet.get("answers") or {}
    if not isinstance(raw_answers, dict):
        raise ConfigError(f"{source}: 'answers' must map statement ids to answers")
    known = rubric.by_id
    answers = {}
    for statement, value in raw_answers.items():
        statement = str(statement).strip()
        if statement not in known:
            raise ConfigError(f"{source}: {statement}: not a statement of the rubric")
        detail = value if isinstance(value, dict) else {"answer": value}
        if "answer" not in detail:
            raise ConfigError(f"{source}: {statement}: no 'answer'")
        for key in ("answer", "evidence", "note"):
            if isinstance(detail.get(key), dict | list):
                raise ConfigError(f"{source}: {statement}: '{key}' must be text")
        answers[statement] = Answer(
            statement,
            normalise_answer(detail["answer"], rubric, f"{source}: {statement}"),
            str(detail.get("evidence") or ""),
            str(detail.get("note") or ""),
        )
    raw_targets = sheet.get("targets") or {}
    if not isinstance(raw_targets, dict):
        raise ConfigError(f"{source}: 'targets' must map categories to levels, e.g. {{people: 4}}")
    targets = {}
    for category, level in raw_targets.items():
        if category not in rubric.categories:
            raise ConfigError(f"{source}: targets: unknown category {category!r}")
        if not str(level).isdigit() or int(level) not in rubric.levels:
            raise ConfigError(f"{source}: targets: {category} must be a level 1-{rubric.top_level}")
        targets[str(category)] = int(level)
    assessed = sheet.get("assessed_on")
    if isinstance(assessed, datetime.date | datetime.datetime):
        assessed = assessed.isoformat()[:10]
    assessors = sheet.get("assessors") or []
    if isinstance(assessors, str):
        assessors = [a.strip() for a in assessors.split(",") if a.strip()]
    if not isinstance(assessors, list) or any(isinstance(a, dict | list) for a in assessors):
        raise ConfigError(f"{source}: 'assessors' must be a list of names")
    return AnswerSheet(
        team=given_team,
        period=given_period,
        source=source,
        answers=answers,
        assessed_on=str(assessed) if assessed else None,
        assessors=tuple(map(str, assessors)),
        targets=targets,
    )


def load_answers(path: Path, rubric: Rubric, *, team: str | None = None,
                 period: str | None = None, label: str | None = None) -> AnswerSheet:  # fmt: skip
    """Load one answers file (``.yaml``/``.yml`` or ``.xlsx``); ``team``/``period``: what
    its place in the folder says it must be."""
    label = label or str(path)
    if path.suffix.lower() == ".xlsx":
        from maturity.assessment.questionnaire import read_workbook

        return _check(read_workbook(path, label), rubric, label, team, period)
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: expected a mapping with team, period and answers")
    return _check(data, rubric, label, team, period)


def answer_files(assessment: Organisation, quarter: str) -> list[Path]:
    folder = assessment.answers_dir / quarter
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix.lower() in (".yaml", ".yml", ".xlsx") and not p.name.startswith(".")
    )


@dataclass(frozen=True)
class AnswerProblem:
    """An answers file that could not be used. ``team``: the team it belongs to (for a
    misspelled file name, the team it most likely meant), None when no team is close."""

    file: str
    team: str | None
    period: str
    message: str  # one line, naming the file


def load_quarter_answers(
    assessment: Organisation,
    rubric: Rubric,
    quarter: str,
    problems: list[AnswerProblem] | None = None,
) -> dict[str, AnswerSheet]:
    """Every team's answers for ``quarter``, by team key.

    A broken file (unknown team, bad answer, unreadable) raises its ConfigError, unless
    ``problems`` is given: then it is recorded there and the other teams' files still load,
    so one team's mistake stays that team's.
    """
    sheets: dict[str, AnswerSheet] = {}
    for path in answer_files(assessment, quarter):
        team = path.stem
        label = assessment.relative(path)
        try:
            if team not in assessment.teams:
                raise _unknown_answers_team(assessment, team, label)
            if team in sheets:
                raise ConfigError(f"{label}: {team} already has answers in {sheets[team].source}")
            sheets[team] = load_answers(path, rubric, team=team, period=quarter, label=label)
        except MaturityError as exc:
            if problems is None:
                raise
            owner = team if team in assessment.teams else _closest_team(assessment, team)
            problems.append(AnswerProblem(label, owner, quarter, str(exc)))
    return sheets


def _closest_team(assessment: Organisation, name: str) -> str | None:
    """The team key a misspelled file name most likely meant, if one is close."""
    close = difflib.get_close_matches(name.lower(), sorted(assessment.teams), n=1, cutoff=0.75)
    return close[0] if close else None


def _unknown_answers_team(assessment: Organisation, team: str, label: str) -> ConfigError:
    error = assessment.unknown_team(team, label)
    guess = _closest_team(assessment, team)
    if guess:
        return ConfigError(f"{error}; did you mean {guess}? (rename the file to {guess}"
                           f"{Path(label).suffix})")  # fmt: skip
    return error
