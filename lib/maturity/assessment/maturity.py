"""The maturity assessment of an organisation for a quarter: every team's answers scored,
checked against its incident data, compared with its previous assessment, and turned into
recommendations."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from maturity.assessment.answers import AnswerProblem, load_quarter_answers
from maturity.assessment.evidence import FACT_COLUMNS, NO_YEARLY, Fact, team_facts, year_on_year
from maturity.assessment.rubric import Rubric, load_rubric
from maturity.assessment.scoring import TeamScore, recommendations, score_team
from maturity.errors import PeriodError
from maturity.ingest.incidents import IncidentSet, load_incidents
from maturity.measures.trust import incident_patterns
from maturity.organisation import Organisation
from maturity.periods import parse_quarter


@dataclass
class TeamMaturity:
    score: TeamScore
    facts: dict[str, Fact]
    recommendations: list[dict[str, Any]]
    history: list[dict[str, Any]] = field(default_factory=list)  # earlier quarters, oldest first

    @property
    def change(self) -> dict[str, Any] | None:
        """Overall level and score against the previous assessed quarter."""
        if not self.history:
            return None
        before = self.history[-1]
        now = self.score.overall
        return {
            "since": before["period"],
            "level": now["level"] - before["overall"]["level"],
            "score": round(now["score"] - before["overall"]["score"], 2),
            "evidence_level": now["evidence_level"] - before["overall"]["evidence_level"],
            "evidence_score": round(now["evidence_score"] - before["overall"]["evidence_score"], 2),
        }

    def to_json(self) -> dict[str, Any]:
        data = self.score.to_json()
        data["facts"] = {
            k: {"value": None if f.value is None or not math.isfinite(f.value)
                else round(f.value, 4), "n": f.n}
            for k, f in self.facts.items()
        }  # fmt: skip
        data["recommendations"] = self.recommendations
        data["history"] = self.history
        data["change"] = self.change
        return data


def assess_quarter(
    assessment: Organisation,
    quarter: str,
    *,
    incidents: IncidentSet | None = None,
    rubric: Rubric | None = None,
    problems: list[AnswerProblem] | None = None,
) -> dict[str, TeamMaturity]:
    """Every team with answers for ``quarter``, by team key.

    ``problems``: when given, broken answers files (this quarter's and earlier ones) are
    recorded there and their teams left out, instead of stopping at the first.
    """
    parse_quarter(quarter)
    rubric = rubric or load_rubric()
    answered = assessment.quarters_with_answers()
    if quarter not in answered:
        have = ", ".join(answered) or "none"
        raise PeriodError(f"{assessment.key}: no answers for {quarter} (answers exist for {have})")
    incidents = incidents or load_incidents(assessment)
    thresholds = assessment.evidence_thresholds
    slo = bool(assessment.slo_minutes)

    # Each team's rows split once, and every incident's timestamp patterns found once:
    # filtering or profiling the whole frame per team would make the assessment quadratic
    # in the number of teams.
    patterns = incident_patterns(incidents.incidents, assessment.timezone)
    frame = incidents.incidents[[c for c in FACT_COLUMNS if c in incidents.incidents]]
    positions = frame.groupby("team", sort=False, observed=True).indices
    none = np.array([], dtype=np.int64)

    yearly: dict[str, dict[str, dict[str, Fact]]] = {}

    def facts_for(team: str, period: str) -> dict[str, Fact]:
        # The year-over-year test of every team at once, once per period: its q-values are
        # across the teams, as the measures' verdicts are.
        if period not in yearly:
            yearly[period] = year_on_year(frame, period)
        rows = positions.get(team, none)
        return team_facts(frame.iloc[rows], period, slo_configured=slo,
                          timezone=assessment.timezone,
                          yearly=yearly[period].get(team, NO_YEARLY),
                          patterns=patterns.iloc[rows])  # fmt: skip

    earlier: dict[str, list[dict[str, Any]]] = {}
    for period in (q for q in answered if q < quarter):
        for team, sheet in load_quarter_answers(assessment, rubric, period, problems).items():
            past = score_team(rubric, sheet, facts_for(team, period), thresholds)
            earlier.setdefault(team, []).append({"period": period, "overall": past.overall})
    results = {}
    current = load_quarter_answers(assessment, rubric, quarter, problems)
    for team, sheet in sorted(current.items()):
        facts = facts_for(team, quarter)
        score = score_team(rubric, sheet, facts, thresholds)
        results[team] = TeamMaturity(
            score, facts, recommendations(rubric, score), earlier.get(team, [])
        )
    return results
