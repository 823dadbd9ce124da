"""Questionnaire answers: ``answers/<YYYY-Qn>/<team>.yaml`` or the workbook from
``maturity template`` (``<team>.xlsx``), validated against the rubric; or several
respondents for a team, one file each: ``answers/<YYYY-Qn>/<team>/<respondent>.yaml|xlsx``
(the single file is one respondent).

A team's answer to a statement is the median of its respondents' values (yes 1, partly
0.5, no 0; the lower middle on an even count), ``n/a`` only where more than half of those
who answered it say so; a statement no respondent answered is unanswered. Each statement
keeps who said what (``Combined.by_respondent``), how many answered (``respondents``) and
the spread of their values (max minus min): a spread of 1, one yes and one no, is
*disputed*, itself a finding of the appraisal.

Each file may say which version of the rubric it answers (``rubric_version``, default the
current one): answers to an earlier version are read through the rubric's mapping
(``Rubric.translate``), and the statements that version did not ask are unanswered.

YAML (DESIGN.md "Answers file")::

    team: payments
    period: 2026-Q3
    assessed_on: 2026-09-28
    assessors: [A. Coach]
    answers:
      people.2a: yes
      process.3a: {answer: partly, evidence: "https://wiki/runbooks", note: "half the services"}
    targets: {people: 4, measurement: 4}      # optional
    rubric_version: "1.0"                     # optional: the rubric version answered

Answers are ``yes``, ``partly``, ``no`` or ``n/a`` (YAML's bare yes/no booleans are read as
those words). Every problem names the file and, where there is one, the statement.
"""

from __future__ import annotations

import datetime
import difflib
from dataclasses import dataclass, field, replace
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
class Given:
    """One respondent's answer to one statement, as the reports show it."""

    respondent: str  # the respondent's name, or "respondent 2" when answers are anonymous
    answer: str
    evidence: str = ""
    note: str = ""


@dataclass(frozen=True)
class Combined(Answer):
    """A team's answer to a statement from its respondents: the median answer, every link
    any of them gave, and who said what."""

    by_respondent: tuple[Given, ...] = ()
    spread: float | None = None  # max minus min of the values given (None: all n/a)

    @property
    def respondents(self) -> int:
        return len(self.by_respondent)

    @property
    def disputed(self) -> bool:
        """One respondent says yes, another no."""
        return self.spread is not None and self.spread >= 1.0


@dataclass(frozen=True)
class AnswerSheet:
    """One team's answers for one quarter (one respondent's, or the team's combined)."""

    team: str
    period: str
    source: str
    answers: dict[str, Answer]
    assessed_on: str | None = None
    assessors: tuple[str, ...] = ()
    targets: dict[str, int] = field(default_factory=dict)
    rubric_version: str = ""  # the version answered ("": the current one)
    respondents: tuple[AnswerSheet, ...] = ()  # the team's respondents, when combined
    respondent: str = ""  # who answered this sheet
    not_asked: tuple[str, ...] = ()  # statements the version answered did not ask


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
    version = str(sheet.get("rubric_version") or rubric.version).strip()
    if version != rubric.version and version not in rubric.earlier:
        mapped = ", ".join(sorted(rubric.earlier)) or "none"
        raise ConfigError(
            f"{source}: answers rubric version {version}, but the rubric is version "
            f"{rubric.version} and maps from no such version (earlier versions it maps: "
            f"{mapped})"
        )
    known = rubric.statement_ids(version)
    answers = {}
    for statement, value in raw_answers.items():
        statement = str(statement).strip()
        if statement not in known:
            raise ConfigError(
                f"{source}: {statement}: not a statement of the rubric (version {version})"
            )
        detail = value if isinstance(value, dict) else {"answer": value}
        if "answer" not in detail:
            raise ConfigError(f"{source}: {statement}: no 'answer'")
        for key in ("answer", "evidence", "note"):
            if isinstance(detail.get(key), dict | list):
                raise ConfigError(f"{source}: {statement}: '{key}' must be text")
        current = rubric.translate(version, statement)
        if current is None:
            continue  # asked in that version, no longer asked: nothing to score
        answers[current] = Answer(
            current,
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
        rubric_version=version,
        respondent=str(sheet.get("respondent") or "").strip(),
        not_asked=tuple(rubric.new_since(version)),
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


ANSWER_SUFFIXES = (".yaml", ".yml", ".xlsx")


def answer_files(assessment: Organisation, quarter: str) -> list[Path]:
    """The quarter's answers: ``<team>.yaml|xlsx`` files and ``<team>/`` folders of
    respondents' files, sorted."""
    folder = assessment.answers_dir / quarter
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if not p.name.startswith(".")
        and ((p.is_file() and p.suffix.lower() in ANSWER_SUFFIXES) or p.is_dir())
    )


def respondent_files(folder: Path) -> list[Path]:
    """A team folder's respondents' files, sorted by name."""
    return sorted(
        p for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in ANSWER_SUFFIXES and not p.name.startswith(".")
    )  # fmt: skip


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
    """Every team's answers for ``quarter``, by team key: a respondents' folder combined
    (``combine``), a single file as it is.

    A broken file (unknown team, bad answer, unreadable) raises its ConfigError, unless
    ``problems`` is given: then it is recorded there and the other files still load, so one
    team's (or one respondent's) mistake stays theirs: a team whose respondents' files are
    partly broken is scored from the ones that read.
    """
    sheets: dict[str, AnswerSheet] = {}

    def failed(label: str, team: str, exc: MaturityError) -> None:
        if problems is None:
            raise exc
        owner = team if team in assessment.teams else _closest_team(assessment, team)
        problems.append(AnswerProblem(label, owner, quarter, str(exc)))

    by_lower = {key.lower(): key for key in assessment.teams}
    for path in answer_files(assessment, quarter):
        team = path.stem if path.is_file() else path.name
        # File names match team keys in any case, as team cells in the data do.
        team = by_lower.get(team.lower(), team)
        label = assessment.relative(path) + ("/" if path.is_dir() else "")
        try:
            if path.is_dir() and path.suffix.lower() in ANSWER_SUFFIXES:
                team, kind = path.stem, path.suffix.lstrip(".").upper()
                raise ConfigError(
                    f"{assessment.relative(path)}: a folder, not a {kind} file "
                    f"(a team's respondents' files go in a folder named after the team: "
                    f"answers/{quarter}/{team}/)"
                )
            if team not in assessment.teams:
                raise _unknown_answers_team(assessment, team, label)
            if team in sheets:
                raise ConfigError(f"{label}: {team} already has answers in {sheets[team].source}")
            if path.is_file():
                sheet = load_answers(path, rubric, team=team, period=quarter, label=label)
                sheets[team] = combine([sheet], rubric, anonymous=assessment.anonymous)
                continue
        except MaturityError as exc:
            failed(label, team, exc)
            continue
        read = []
        for file in respondent_files(path):
            where = assessment.relative(file)
            try:
                sheet = load_answers(file, rubric, team=team, period=quarter, label=where)
                read.append(replace(sheet, respondent=sheet.respondent or file.stem))
            except MaturityError as exc:
                failed(where, team, exc)
        if read:
            sheets[team] = combine(read, rubric, anonymous=assessment.anonymous, source=label)
        elif not respondent_files(path):
            failed(label, team, ConfigError(f"{label}: a team folder with no answers file"))
    return sheets


def combine(sheets: list[AnswerSheet], rubric: Rubric, *, anonymous: bool = False,
            source: str | None = None) -> AnswerSheet:  # fmt: skip
    """One team's answers from its respondents' sheets (see the module docstring)."""
    labels = [
        f"respondent {number}" if anonymous else (sheet.respondent or _named(sheet, number))
        for number, sheet in enumerate(sheets, start=1)
    ]
    answers: dict[str, Answer] = {}
    for statement in rubric.statements:
        given = [(label, sheet.answers[statement.id]) for label, sheet in zip(labels, sheets,
                 strict=True) if statement.id in sheet.answers]  # fmt: skip
        if given:
            answers[statement.id] = _median(statement.id, given, rubric)
    first = sheets[0]
    targets: dict[str, int] = {}
    for category in rubric.categories:
        wanted = sorted(s.targets[category] for s in sheets if category in s.targets)
        if wanted:
            targets[category] = wanted[(len(wanted) - 1) // 2]
    dates = sorted(s.assessed_on for s in sheets if s.assessed_on)
    assessors = tuple(dict.fromkeys(a for s in sheets for a in s.assessors))
    not_asked = tuple(sorted({x for s in sheets for x in s.not_asked}
                             - {x for s in sheets for x in s.answers}))  # fmt: skip
    versions = sorted({s.rubric_version for s in sheets})
    return AnswerSheet(
        team=first.team, period=first.period, source=source or first.source, answers=answers,
        assessed_on=dates[-1] if dates else None, assessors=() if anonymous else assessors,
        targets=targets, rubric_version=", ".join(versions),
        respondents=tuple(replace(s, respondent=label) for s, label in
                          zip(sheets, labels, strict=True)),
        not_asked=not_asked,
    )  # fmt: skip


def _named(sheet: AnswerSheet, number: int) -> str:
    return ", ".join(sheet.assessors) if sheet.assessors else f"respondent {number}"


def _median(statement: str, given: list[tuple[str, Answer]], rubric: Rubric) -> Combined:
    """The team's answer to ``statement`` from each respondent's (label, answer)."""
    values = [rubric.answers[answer.answer] for _, answer in given]
    numbers = sorted(v for v in values if v is not None)
    by = tuple(Given(label, a.answer, a.evidence, a.note) for label, a in given)
    links = "; ".join(dict.fromkeys(a.evidence for _, a in given if a.evidence))
    notes = "; ".join(f"{label}: {a.note}" if len(given) > 1 else a.note
                      for label, a in given if a.note)  # fmt: skip
    spread = (numbers[-1] - numbers[0]) if numbers else None
    if (len(values) - len(numbers)) * 2 > len(values) or not numbers:
        word = next(w for w, v in rubric.answers.items() if v is None)
    else:
        middle = numbers[(len(numbers) - 1) // 2]  # the lower middle on an even count
        word = next(w for w, v in rubric.answers.items() if v == middle)
    return Combined(statement, word, links, notes, by_respondent=by, spread=spread)


def _closest_team(assessment: Organisation, name: str) -> str | None:
    """The team key a misspelled file name most likely meant, if one is close."""
    close = difflib.get_close_matches(name.lower(), sorted(assessment.teams), n=1, cutoff=0.75)
    return close[0] if close else None


def _unknown_answers_team(assessment: Organisation, team: str, label: str) -> ConfigError:
    guess = _closest_team(assessment, team)
    if guess:
        known = ", ".join(sorted(assessment.teams))
        return ConfigError(f"{label}: no team {team!r} in assessment.yaml (teams: {known}); "
                           f"did you mean {guess}? (rename the file to {guess}"
                           f"{Path(label.rstrip('/')).suffix})")  # fmt: skip
    return assessment.unknown_team(team, label)
