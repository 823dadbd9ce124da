"""Helpers for coaches exploring one team in JupyterLab (``notebooks/explore.ipynb``)."""

from __future__ import annotations

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
