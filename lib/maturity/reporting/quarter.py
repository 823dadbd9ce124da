"""What every report of a quarter starts from, computed once per review.

``ReviewQuarter``: the organisation's incidents, the measures of every team and ``ALL``
over the quarters a report shows, and every team's maturity assessment. ``TeamQuarter``:
one team's view of it.

A review computes the ``ReviewQuarter`` once and hands each report notebook a *bundle*: a
file holding only what that report needs (``for_team``: the team's incidents and ledger
rows, its and ``ALL``'s measures, its assessment), whose path is the notebook's ``bundle``
parameter. So a report's cost does not grow with the organisation, and a report can run on
a machine that cannot see the assessment folder. Without a bundle a notebook loads the
assessment folder itself, as a user running it by hand expects.
"""

from __future__ import annotations

import copy
import functools
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

import maturity
from maturity.assessment.answers import AnswerProblem
from maturity.assessment.maturity import TeamMaturity, assess_quarter
from maturity.errors import InputFileError
from maturity.ingest.incidents import IncidentSet, load_incidents
from maturity.measures.definitions import ALL_TEAMS
from maturity.measures.engine import MeasureSettings, measures_by_team_quarter
from maturity.measures.records import to_records
from maturity.organisation import Organisation, Team, load_organisation
from maturity.periods import parse_quarter, quarter_range, shift_quarter
from maturity.reporting.formatting import review_unit

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
    #: The unit of every recovery figure in every output of this review (``min``, ``h``,
    #: ``d``): ``formatting.recovery_unit`` of the teams' medians in the quarter.
    recovery_unit: str = "min"
    #: The first quarter the review shows (``shown_from``): histories, tables and charts
    #: start here; the measures of earlier quarters exist, all empty.
    first_quarter: str = ""
    #: The quarter of the organisation's first incident ("" for none): no change can be
    #: judged against a quarter before it.
    data_from: str = ""
    #: ``periods.running_quarter_note`` when the quarter had not ended (``running_note``),
    #: decided once as the review loads: every report, kept or rebuilt, says the same.
    running_note: str | None = None

    @classmethod
    def load(
        cls,
        organisation: str | Path | Organisation,
        quarter: str,
        *,
        incidents: IncidentSet | None = None,
        timings: dict[str, float] | None = None,
    ) -> ReviewQuarter:
        """Load the incidents (unless given), compute the measures and assess every team
        with answers; ``timings`` (when given) gets the seconds of each stage."""
        timings = {} if timings is None else timings
        clock = time.perf_counter()
        if not isinstance(organisation, Organisation):
            organisation = load_organisation(organisation)
        parse_quarter(quarter)
        if incidents is None:
            incidents = load_incidents(organisation)
            timings["load"] = time.perf_counter() - clock
        clock = time.perf_counter()
        quarters = quarter_range(shift_quarter(quarter, 1 - HISTORY_QUARTERS), quarter)
        measures = measures_by_team_quarter(
            incidents.incidents,
            teams=sorted(organisation.teams),
            quarters=quarters,
            settings=MeasureSettings.from_organisation(organisation),
        )
        timings["measures"] = time.perf_counter() - clock
        clock = time.perf_counter()
        maturity: dict[str, TeamMaturity] = {}
        problems: list[AnswerProblem] = []
        if quarter in organisation.quarters_with_answers():
            maturity = assess_quarter(organisation, quarter, incidents=incidents, problems=problems)
        timings["scoring"] = time.perf_counter() - clock
        present = incidents.incidents["quarter"].dropna()
        data_from = str(present.min()) if len(present) else ""
        return cls(organisation, quarter, incidents, measures, maturity, tuple(problems),
                   recovery_unit=review_unit(measures, quarter),
                   first_quarter=shown_from(data_from, quarters), data_from=data_from,
                   running_note=running_note(organisation, quarter, incidents))  # fmt: skip

    def team_slicer(self) -> Callable[[str], ReviewQuarter]:
        """A function giving each team's slice (``for_team``) in time proportional to the
        team's rows: the rows of every team are indexed once, and no slice is made before
        it is asked for (a review of 300 teams never holds 300 copies)."""
        incidents, ledger = self.incidents.incidents, self.incidents.ledger
        rows_of = incidents.groupby("team", sort=False, observed=True).indices
        ledger_of = ledger.groupby("team", sort=False, observed=True).indices
        measures_of = self.measures.groupby("team", sort=False, observed=True).indices
        unattributed = ledger[ledger["team"].isna()]
        organisation_rows = self.measures.iloc[measures_of.get(ALL_TEAMS, [])]
        none = np.array([], dtype=np.int64)

        def slice_for(key: str) -> ReviewQuarter:
            team_ledger = ledger.iloc[ledger_of.get(key, none)]
            # The report counts the organisation's unattributed rows: they travel along.
            rows = pd.concat([team_ledger, unattributed]).sort_values(["file", "row"])
            return replace(
                self,
                incidents=IncidentSet(
                    incidents.iloc[rows_of.get(key, none)],
                    rows.reset_index(drop=True),
                    self.incidents.timezone,
                    self.incidents.notes,
                ),
                measures=pd.concat(
                    [self.measures.iloc[measures_of.get(key, none)], organisation_rows]
                ).reset_index(drop=True),
                maturity={k: m for k, m in self.maturity.items() if k == key},
                answer_problems=tuple(p for p in self.answer_problems if p.team == key),
            )

        return slice_for

    def for_team(self, team: str) -> ReviewQuarter:
        """What one team's report needs: the team's incidents, its ledger rows and the
        organisation's unattributed ones, its and ``ALL``'s measures, its assessment."""
        self.organisation.team(team)
        return self.team_slicer()(team)

    def save_bundle(self, path: str | Path, team: str | None = None) -> None:
        """Write this quarter (or ``team``'s slice of it) as a report's bundle."""
        data = self if team is None else self.for_team(team)
        write_bundle(path, data, team)

    def problems_of(self, team: str | None) -> list[AnswerProblem]:
        """The answers problems belonging to ``team`` (None: to no team)."""
        return [p for p in self.answer_problems if p.team == team]

    @property
    def settings(self) -> MeasureSettings:
        return MeasureSettings.from_organisation(self.organisation)

    def history(self, team: str) -> pd.DataFrame:
        """One team's (or ``ALL``'s) measures, one row per quarter from ``first_quarter``,
        oldest first."""
        rows = (self.measures["team"] == team) & (self.measures["period"] >= self.first_quarter)
        # (first_quarter "" for a hand-made ReviewQuarter: every quarter)
        return self.measures[rows].reset_index(drop=True)

    def row(self, team: str, quarter: str | None = None) -> dict[str, Any]:
        """One team's measures for ``quarter`` (default: the one under review), JSON-ready
        (a copy: the caller may change it)."""
        record = self._records.get((team, quarter or self.quarter))
        if record is None:
            raise KeyError(f"no measures for {team} in {quarter or self.quarter}")
        return copy.deepcopy(record)

    @functools.cached_property
    def _records(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Every row of ``measures`` as a record, by (team, period): converted in one go
        (a deck or portfolio reads hundreds; one at a time took 8 ms each)."""
        keys = zip(self.measures["team"].astype(str), self.measures["period"].astype(str),
                   strict=True)  # fmt: skip
        return dict(zip(keys, to_records(self.measures), strict=True))

    def __getstate__(self) -> dict[str, Any]:
        # A bundle carries the data, not what was derived from it in this process.
        return {k: v for k, v in self.__dict__.items() if k != "_records"}

    @property
    def organisation_history(self) -> pd.DataFrame:
        return self.history(ALL_TEAMS)

    @property
    def no_claims_text(self) -> str:
        """What the lists of contradicted claims say when they list none: not assessed
        without answers, else that the data contradict none."""
        if not self.maturity:
            return f"Not assessed: no questionnaire answers for {self.quarter}."
        return "The incident data contradicts no claim."


def shown_from(data_from: str, quarters: list[str]) -> str:
    """The first of ``quarters`` (a review's history, oldest first) to show: none before
    ``data_from``, the organisation's first incident's quarter, since a quarter before any
    export is not a quarter of no incidents: it is not in the data."""
    if not data_from:
        return quarters[0]
    return min(max(quarters[0], data_from), quarters[-1])


def running_note(organisation: Organisation, quarter: str, incidents: IncidentSet) -> str | None:
    """``periods.running_quarter_note`` for ``quarter``: at ``as_of`` when assessment.yaml
    gives it; otherwise only while the quarter has not ended by the clock (the data's latest
    timestamp says when the last incident was, not when the exports were taken), counted to
    that latest timestamp."""
    from maturity.measures.engine import effective_as_of
    from maturity.periods import quarter_bounds, running_quarter_note

    if organisation.as_of is None:
        _, end = quarter_bounds(quarter, organisation.timezone)
        if pd.Timestamp.now(tz="UTC") >= end:
            return None
    settings = MeasureSettings.from_organisation(organisation)
    as_of = effective_as_of(incidents.incidents, settings)
    return running_quarter_note(quarter, organisation.timezone, as_of)


#: A bundle's first object: what it is, for which report, and which maturity wrote it.
BUNDLE_FORMAT = "maturity-report-bundle"


def bundle_payload(review: ReviewQuarter, team: str | None) -> bytes:
    """``review`` pickled for one report (header first), not yet signed: what a review
    sends a worker, which signs it with its own key (``sign_bundle``)."""
    import io

    header = {"format": BUNDLE_FORMAT, "version": maturity.__version__, "team": team,
              "quarter": review.quarter}  # fmt: skip
    buffer = io.BytesIO()
    pickle.dump(header, buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickle.dump(review, buffer, protocol=pickle.HIGHEST_PROTOCOL)
    return buffer.getvalue()


def write_bundle(path: str | Path | BinaryIO, review: ReviewQuarter, team: str | None) -> None:
    """Pickle ``review`` for one report, signed. A bundle is a hand-off between a review
    and the notebooks it runs, moments later and with the same maturity: exact (dtypes,
    time zones, categoricals come back as they were) and fast, which Parquet and JSON are
    not both. Signed because pickle runs code as it loads: a kernel unpickles only what
    its own review signed (``read_bundle``)."""
    from maturity.reporting.signing import sign_bundle

    data = sign_bundle(bundle_payload(review, team))
    if isinstance(path, str | Path):
        Path(path).write_bytes(data)
    else:
        path.write(data)


def read_bundle(path: str | Path | BinaryIO, *, team: str | None, quarter: str) -> ReviewQuarter:
    """The ``ReviewQuarter`` a review wrote for the report of ``team`` (None: the
    portfolio) and ``quarter``; an InputFileError for anything else. Nothing is unpickled
    before the bundle's signature is checked against this process's key, which only the
    review that wrote it (and the kernels it started) holds: a saved report re-executed
    later, or a file put where a bundle was, is refused without running its content."""
    import io

    from maturity.reporting.signing import payload as signed_payload

    try:
        data = Path(path).read_bytes() if isinstance(path, str | Path) else path.read()
    except FileNotFoundError as exc:
        raise InputFileError(f"{path}: no such bundle") from exc
    payload = signed_payload(data, str(path))
    try:
        handle = io.BytesIO(payload)
        header = pickle.load(handle)
        if not isinstance(header, dict) or header.get("format") != BUNDLE_FORMAT:
            raise InputFileError(f"{path}: not a maturity report bundle")
        if header.get("version") != maturity.__version__:
            raise InputFileError(
                f"{path}: written by maturity {header.get('version')}, this is "
                f"{maturity.__version__}; run the review again"
            )
        if (header.get("team"), header.get("quarter")) != (team, quarter):
            raise InputFileError(
                f"{path}: a bundle for {header.get('team') or 'the portfolio'} "
                f"{header.get('quarter')}, not {team or 'the portfolio'} {quarter}"
            )
        review = pickle.load(handle)
    except (pickle.UnpicklingError, EOFError) as exc:
        raise InputFileError(f"{path}: not a maturity report bundle ({exc})") from exc
    if not isinstance(review, ReviewQuarter):
        raise InputFileError(f"{path}: not a maturity report bundle")
    return review


def load_review_quarter(
    organisation: str | Path | Organisation, quarter: str, bundle: str | Path = ""
) -> ReviewQuarter:
    """The portfolio notebook's start: the bundle a review handed it, else the folder."""
    if bundle:
        return read_bundle(bundle, team=None, quarter=quarter)
    return ReviewQuarter.load(organisation, quarter)


@dataclass(frozen=True)
class TeamQuarter:
    """One team's data for the quarter under review, with its history."""

    review: ReviewQuarter
    team: Team

    @classmethod
    def load(
        cls,
        organisation: str | Path | Organisation,
        team: str,
        quarter: str,
        bundle: str | Path = "",
    ) -> TeamQuarter:
        """``team``'s view of the organisation's quarter: from the ``bundle`` a review
        handed the notebook, else loaded from the assessment folder."""
        if bundle:
            review = read_bundle(bundle, team=team, quarter=quarter)
            return cls(review, review.organisation.team(team))
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
        """The one unit (``min``, ``h``, ``d``) of the review's recovery figures, this
        team's included: its cards, tables and trend chart read as the portfolio does."""
        return self.review.recovery_unit

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
