"""What every report of a quarter starts from, computed once per review.

``ReviewQuarter``: the organisation's incidents, the measures of every team and ``ALL``
over the quarters a report shows, and every team's maturity assessment. ``TeamQuarter``:
one team's view of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from maturity.assessment.answers import AnswerProblem
from maturity.assessment.maturity import TeamMaturity, assess_quarter
from maturity.ingest.incidents import IncidentSet, load_incidents
from maturity.measures.definitions import ALL_TEAMS
from maturity.measures.engine import MeasureSettings, measures_by_team_quarter
from maturity.measures.records import to_records
from maturity.organisation import Organisation, Team, load_organisation
from maturity.periods import parse_quarter, quarter_range, shift_quarter

#: Quarters of history shown in a report: the assessed one and the seven before.
HISTORY_QUARTERS = 8


@dataclass(frozen=True)
class ReviewQuarter:
    """The organisation's quarter under review."""

    organisation: Organisation
    quarter: str
    incidents: IncidentSet
    measures: pd.DataFrame  # every team and ALL, every quarter of the history
    maturity: dict[str, TeamMaturity]  # by team key; empty when the quarter has no answers
    answer_problems: tuple[AnswerProblem, ...] = ()  # answers files that could not be used

    @classmethod
    def load(cls, organisation: str | Path | Organisation, quarter: str) -> ReviewQuarter:
        """Load the incidents, compute the measures and assess every team with answers."""
        if not isinstance(organisation, Organisation):
            organisation = load_organisation(organisation)
        parse_quarter(quarter)
        incidents = load_incidents(organisation)
        quarters = quarter_range(shift_quarter(quarter, 1 - HISTORY_QUARTERS), quarter)
        measures = measures_by_team_quarter(
            incidents.incidents,
            teams=sorted(organisation.teams),
            quarters=quarters,
            settings=MeasureSettings.from_organisation(organisation),
        )
        maturity: dict[str, TeamMaturity] = {}
        problems: list[AnswerProblem] = []
        if quarter in organisation.quarters_with_answers():
            maturity = assess_quarter(organisation, quarter, incidents=incidents, problems=problems)
        return cls(organisation, quarter, incidents, measures, maturity, tuple(problems))

    def problems_of(self, team: str | None) -> list[AnswerProblem]:
        """The answers problems belonging to ``team`` (None: to no team)."""
        return [p for p in self.answer_problems if p.team == team]

    @property
    def settings(self) -> MeasureSettings:
        return MeasureSettings.from_organisation(self.organisation)

    def history(self, team: str) -> pd.DataFrame:
        """One team's (or ``ALL``'s) measures, one row per quarter, oldest first."""
        return self.measures[self.measures["team"] == team].reset_index(drop=True)

    def row(self, team: str, quarter: str | None = None) -> dict[str, Any]:
        """One team's measures for ``quarter`` (default: the one under review), JSON-ready."""
        rows = self.measures[
            (self.measures["team"] == team) & (self.measures["period"] == (quarter or self.quarter))
        ]
        return to_records(rows)[0]

    @property
    def organisation_history(self) -> pd.DataFrame:
        return self.history(ALL_TEAMS)


@dataclass(frozen=True)
class TeamQuarter:
    """One team's data for the quarter under review, with its history."""

    review: ReviewQuarter
    team: Team

    @classmethod
    def load(cls, organisation: str | Path | Organisation, team: str, quarter: str) -> TeamQuarter:
        """Load the organisation's quarter and take ``team``'s view of it."""
        if not isinstance(organisation, Organisation):
            organisation = load_organisation(organisation)
        chosen = organisation.team(team)
        return cls(ReviewQuarter.load(organisation, quarter), chosen)

    @property
    def organisation(self) -> Organisation:
        return self.review.organisation

    @property
    def quarter(self) -> str:
        return self.review.quarter

    @property
    def maturity(self) -> TeamMaturity | None:
        """The team's assessment; None without answers for this quarter."""
        return self.review.maturity.get(self.team.key)

    @property
    def history(self) -> pd.DataFrame:
        """This team's measures, one row per quarter, oldest first."""
        return self.review.history(self.team.key)

    @property
    def recovery_unit(self) -> str:
        """The one unit (``min``, ``h``, ``d``) of this team's recovery figures: cards, table
        and trend chart, chosen like the chart's from the quarterly medians."""
        from maturity.reporting.formatting import unit_of

        return unit_of(self.history["mttr_median"])

    @property
    def current(self) -> dict[str, Any]:
        """This team's measures for the assessed quarter (JSON-ready: None for no data)."""
        return self.review.row(self.team.key)

    @property
    def previous(self) -> dict[str, Any]:
        return self.review.row(self.team.key, shift_quarter(self.quarter, -1))

    @property
    def answer_problems(self) -> list[AnswerProblem]:
        """This team's answers files that could not be used (this quarter's first)."""
        problems = self.review.problems_of(self.team.key)
        return sorted(problems, key=lambda p: (p.period != self.quarter, p.period, p.file))

    def team_incidents(self) -> IncidentSet:
        return self.review.incidents.for_team(self.team.key)
