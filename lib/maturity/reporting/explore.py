"""Helpers for coaches exploring one team in JupyterLab (``notebooks/explore.ipynb``)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd

from maturity.ingest.incidents import load_incidents
from maturity.measures.definitions import ALL_TEAMS, PHASES
from maturity.measures.engine import (
    MeasureSettings,
    measures_by_team_quarter,
    minutes_between,
    recovery_minutes,
)
from maturity.organisation import Organisation, load_organisation


def measures_for(organisation: str | Path | Organisation, *, by: str | None = None) -> pd.DataFrame:
    """The measures table of an assessment folder (path or ``Organisation``).

    Every team of ``assessment.yaml`` and every quarter from the first to the last with
    incidents, with the organisation's time zone and SLO targets.
    """
    if not isinstance(organisation, Organisation):
        organisation = load_organisation(organisation)
    loaded = load_incidents(organisation)
    return measures_by_team_quarter(
        loaded.incidents,
        teams=sorted(organisation.teams),
        by=by,
        settings=MeasureSettings.from_organisation(organisation),
    )


def team_name(organisation: str | Path | Organisation, team: str) -> str:
    """What charts call ``team``: its name from assessment.yaml ("Search & Discovery", not
    the key "search"); "All teams" for ``ALL``."""
    if team == ALL_TEAMS:
        return "All teams"
    if not isinstance(organisation, Organisation):
        organisation = load_organisation(organisation)
    return organisation.team(team).name


def team_incidents(organisation: str | Path | Organisation, team: str) -> pd.DataFrame:
    """One team's incidents with their durations in minutes (``recovery_minutes`` and one
    column per phase, ``<phase>_minutes``), newest first. ``team="ALL"`` gives the whole
    organisation."""
    if not isinstance(organisation, Organisation):
        organisation = load_organisation(organisation)
    if team != ALL_TEAMS:
        organisation.team(team)  # a clear error for an unknown team
    incidents = load_incidents(organisation).incidents
    if team != ALL_TEAMS:
        incidents = incidents[incidents["team"] == team]
    incidents = incidents.copy()
    incidents["recovery_minutes"] = recovery_minutes(incidents)
    for phase in PHASES:
        minutes = minutes_between(incidents[phase.end], incidents[phase.start])
        incidents[f"{phase.name}_minutes"] = minutes.where(minutes >= 0)
    return incidents.sort_values("detected_at", ascending=False).reset_index(drop=True)


def outliers(incidents: pd.DataFrame, factor: float = 3.0) -> pd.DataFrame:
    """Resolved incidents that took over ``factor`` times their quarter's median."""
    medians = incidents.groupby("quarter")["recovery_minutes"].transform("median")
    slow = incidents["recovery_minutes"] > factor * medians
    columns = ["incident_id", "title", "service", "severity", "quarter", "recovery_minutes"]
    return incidents.loc[slow, columns].sort_values("recovery_minutes", ascending=False)


def choose(
    incidents: pd.DataFrame,
    *,
    services: list[str] | None = None,
    severities: list[int] | None = None,
) -> pd.DataFrame:
    """The incidents of the chosen services and severities (None or empty: all)."""
    chosen = incidents
    if services:
        chosen = chosen[chosen["service"].isin(services)]
    if severities:
        chosen = chosen[chosen["severity"].isin(severities)]
    return chosen


def slowest(incidents: pd.DataFrame, count: int = 10) -> pd.DataFrame:
    """The ``count`` longest resolved incidents, with where their time went: one row per
    incident and lifecycle phase (``phase``, ``start`` and ``end`` in minutes after
    detection), for ``charts.phase_timeline``."""
    top = incidents.dropna(subset=["recovery_minutes"]).nlargest(count, "recovery_minutes")
    rows = []
    for r in top.itertuples(index=False):
        stops = [("detected_at", 0.0)]
        for column in ("acknowledged_at", "mitigated_at", "resolved_at"):
            value = getattr(r, column)
            if pd.notna(value) and value >= r.detected_at:
                stops.append((column, (value - r.detected_at).total_seconds() / 60))
        names = {"acknowledged_at": "to acknowledge", "mitigated_at": "to mitigate",
                 "resolved_at": "to resolve"}  # fmt: skip
        for (_, start), (column, end) in itertools.pairwise(stops):
            rows.append({"incident": f"{r.incident_id}: {str(r.title)[:40]}",
                         "incident_id": r.incident_id, "phase": names[column],
                         "start": start, "end": end, "minutes": end - start})  # fmt: skip
    return pd.DataFrame(rows, columns=["incident", "incident_id", "phase", "start", "end",
                                       "minutes"])  # fmt: skip


def answers_and_evidence(organisation: str | Path | Organisation, team: str,
                         quarter: str) -> pd.DataFrame:  # fmt: skip
    """The team's questionnaire answers beside what its incident data says about each:
    one row per scored statement (answer, evidence verdict, the reason)."""
    from maturity.assessment.maturity import assess_quarter

    if not isinstance(organisation, Organisation):
        organisation = load_organisation(organisation)
    problems: list = []
    result = assess_quarter(organisation, quarter, problems=problems).get(team)
    if result is None:
        return pd.DataFrame(columns=["statement", "level", "answer", "evidence", "why"])
    return pd.DataFrame(
        [
            {
                "statement": s.id,
                "level": s.level,
                "answer": s.answer,
                "evidence": (s.evidence or "no rule").replace("_", " "),
                "why": s.reason,
            }
            for s in result.score.statements
            if s.value is not None
        ]
    )
