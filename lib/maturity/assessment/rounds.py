"""A questionnaire round: who has answered for a quarter, what is missing, what to chase
(``maturity answers``), and the workbooks that start the next round (``maturity template
--all``), pre-filled with each team's or respondent's last answers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from maturity.assessment.answers import (
    AnswerProblem,
    AnswerSheet,
    answer_files,
    load_quarter_answers,
    respondent_files,
)
from maturity.assessment.questionnaire import write_template
from maturity.assessment.rubric import Rubric
from maturity.organisation import Organisation
from maturity.periods import parse_quarter


@dataclass
class TeamRound:
    """One team's state in the round."""

    team: str
    name: str
    respondents: list[str] = field(default_factory=list)  # who returned a readable file
    files: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)  # statements no respondent answered
    disputed: list[str] = field(default_factory=list)  # one said yes, another no
    not_asked: list[str] = field(default_factory=list)  # not in the rubric version answered
    problems: list[str] = field(default_factory=list)  # files that could not be read, why
    rubric_version: str = ""

    @property
    def answered(self) -> bool:
        return bool(self.respondents)

    @property
    def status(self) -> str:
        if not self.answered:
            return "problem" if self.problems else "no answers"
        if self.problems:
            return "partly read"
        return "incomplete" if self.unanswered else "complete"


@dataclass
class RoundStatus:
    """The quarter's round: every team, and the files no team owns."""

    quarter: str
    rubric_version: str
    teams: list[TeamRound]
    stray: list[str] = field(default_factory=list)  # files for no team of the organisation

    @property
    def without_answers(self) -> list[TeamRound]:
        return [t for t in self.teams if not t.answered]

    def to_json(self) -> dict[str, Any]:
        return {
            "quarter": self.quarter,
            "rubric_version": self.rubric_version,
            "teams": [{**asdict(t), "status": t.status} for t in self.teams],
            "teams_without_answers": [t.team for t in self.without_answers],
            "problems": self.stray,
        }


def round_status(organisation: Organisation, rubric: Rubric, quarter: str) -> RoundStatus:
    """Who has answered for ``quarter`` and what each team's answers lack."""
    parse_quarter(quarter)
    problems: list[AnswerProblem] = []
    sheets = load_quarter_answers(organisation, rubric, quarter, problems)
    scored = {s.id for s in rubric.scored}
    teams = []
    for key, team in sorted(organisation.teams.items()):
        entry = TeamRound(key, team.name)
        sheet = sheets.get(key)
        if sheet is not None:
            entry.respondents = [r.respondent for r in sheet.respondents]
            entry.files = [r.source for r in sheet.respondents]
            entry.unanswered = sorted(scored - set(sheet.answers))
            entry.not_asked = [x for x in sheet.not_asked if x in entry.unanswered]
            entry.disputed = sorted(
                statement for statement, answer in sheet.answers.items()
                if getattr(answer, "disputed", False)
            )  # fmt: skip
            entry.rubric_version = sheet.rubric_version
        entry.problems = [p.message for p in problems if p.team == key]
        teams.append(entry)
    stray = [p.message for p in problems if p.team is None]
    return RoundStatus(quarter, rubric.version, teams, stray)


def previous_answers(
    organisation: Organisation, rubric: Rubric, quarter: str
) -> tuple[dict[str, AnswerSheet], dict[str, str]]:
    """For each team, its most recent answers before ``quarter`` (combined, with each
    respondent's sheet), and the quarter they are from. Broken files are passed over."""
    found: dict[str, AnswerSheet] = {}
    when: dict[str, str] = {}
    for earlier in reversed([q for q in organisation.quarters_with_answers() if q < quarter]):
        for team, sheet in load_quarter_answers(organisation, rubric, earlier, []).items():
            if team not in found:
                found[team], when[team] = sheet, earlier
    return found, when


def write_round(organisation: Organisation, rubric: Rubric, quarter: str,
                out: Path) -> list[Path]:  # fmt: skip
    """Every team's workbook for ``quarter`` in ``out``: ``<team>.xlsx``, or for a team that
    answered with several respondents last time, ``<team>/<respondent>.xlsx`` each, each
    pre-filled with what was answered last (the respondent confirms or changes it)."""
    parse_quarter(quarter)
    previous, when = previous_answers(organisation, rubric, quarter)
    written = []
    for key, team in sorted(organisation.teams.items()):
        sheet = previous.get(key)
        several = sheet is not None and len(sheet.respondents) > 1 and not organisation.anonymous
        if several:
            assert sheet is not None
            for respondent in sheet.respondents:
                name = respondent.respondent
                path = out / key / f"{_file_name(name)}.xlsx"
                written.append(write_template(rubric, key, quarter, path, team_name=team.name,
                                              respondent=name, prefill=respondent,
                                              prefilled_from=when[key]))  # fmt: skip
        else:
            written.append(write_template(rubric, key, quarter, out / f"{key}.xlsx",
                                          team_name=team.name, prefill=sheet,
                                          prefilled_from=when.get(key, "")))  # fmt: skip
    return written


def _file_name(name: str) -> str:
    """A respondent's name as a file name: letters, digits, ``-``, ``_`` and ``.``."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-.")
    return cleaned or "respondent"


__all__ = ["RoundStatus", "TeamRound", "answer_files", "previous_answers", "respondent_files",
           "round_status", "write_round"]  # fmt: skip
