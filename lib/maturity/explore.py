"""Helpers for coaches exploring one team in JupyterLab (``notebooks/explore.ipynb``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from maturity.config import Assessment, load_assessment
from maturity.errors import ConfigError
from maturity.incidents import load_incidents
from maturity.measures import PHASES, minutes_between, recovery_minutes


def team_incidents(assessment: str | Path | Assessment, team: str) -> pd.DataFrame:
    """One team's incidents with their durations in minutes (``recovery_minutes`` and one
    column per phase), newest first. ``team="ALL"`` gives the whole organisation."""
    if not isinstance(assessment, Assessment):
        assessment = load_assessment(assessment)
    if team != "ALL" and team not in assessment.teams:
        known = ", ".join(sorted(assessment.teams))
        raise ConfigError(f"team {team!r} is not in {assessment.key}/assessment.yaml ({known})")
    incidents = load_incidents(assessment).incidents
    if team != "ALL":
        incidents = incidents[incidents["team"] == team]
    incidents = incidents.copy()
    incidents["recovery_minutes"] = recovery_minutes(incidents)
    for name, end, start in PHASES:
        minutes = minutes_between(incidents[end], incidents[start])
        incidents[f"{name}_minutes"] = minutes.where(minutes >= 0)
    return incidents.sort_values("detected_at", ascending=False).reset_index(drop=True)


def outliers(incidents: pd.DataFrame, factor: float = 3.0) -> pd.DataFrame:
    """Resolved incidents that took over ``factor`` times their quarter's median."""
    medians = incidents.groupby("quarter")["recovery_minutes"].transform("median")
    slow = incidents["recovery_minutes"] > factor * medians
    columns = ["incident_id", "title", "service", "severity", "quarter", "recovery_minutes"]
    return incidents.loc[slow, columns].sort_values("recovery_minutes", ascending=False)
