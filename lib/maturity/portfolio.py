"""What the portfolio report shows leadership: where the organisation stands, whether it is
improving, and where to invest. Blocks return escaped HTML, DataFrames or charts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import HTML

from maturity import charts
from maturity.assess import TeamAssessment
from maturity.config import Assessment, load_assessment
from maturity.incidents import IncidentSet
from maturity.measures import ALL_TEAMS, to_records
from maturity.periods import shift_quarter
from maturity.report import (
    MISSING,
    _card,
    _e,
    change_sentence,
    format_interval,
    format_minutes,
    load_quarter,
    table,
)
from maturity.rubric import load_rubric


@dataclass(frozen=True)
class Portfolio:
    """The organisation's quarter: measures of every team and ALL, and the assessments."""

    assessment: Assessment
    quarter: str
    incidents: IncidentSet
    measures: pd.DataFrame
    maturity: dict[str, TeamAssessment]

    @classmethod
    def load(cls, assessment: str | Path | Assessment, quarter: str) -> Portfolio:
        if not isinstance(assessment, Assessment):
            assessment = load_assessment(assessment)
        return cls(assessment, quarter, *load_quarter(assessment, quarter))

    def row(self, team: str, quarter: str | None = None) -> dict[str, Any]:
        rows = self.measures[
            (self.measures["team"] == team) & (self.measures["period"] == (quarter or self.quarter))
        ]
        return to_records(rows)[0]

    @property
    def organisation_history(self) -> pd.DataFrame:
        return self.measures[self.measures["team"] == ALL_TEAMS].reset_index(drop=True)


def title_block(portfolio: Portfolio) -> HTML:
    teams = len(portfolio.assessment.teams)
    return HTML(
        f"<h1>{_e(portfolio.assessment.organisation)}: recovery from failure</h1>"
        f'<p class="subtitle">Portfolio review · {_e(portfolio.quarter)} · {teams} teams · '
        "standard: services are restored quickly and safely following failure (MTTR)</p>"
    )


def headline(portfolio: Portfolio) -> HTML:
    """The organisation's figures for the quarter, and its verdicts on change."""
    now = portfolio.row(ALL_TEAMS)
    assessed = len(portfolio.maturity)
    levels = [a.score.overall["evidence_level"] for a in portfolio.maturity.values()]
    cards = [
        _card("Median time to recover", format_minutes(now["mttr_median"]),
              " · ".join(x for x in (format_interval(now["mttr_median_ci"]),
                                     f"n = {now['resolved']}") if x)),
        _card("90th percentile", format_minutes(now["mttr_p90"]), f"n = {now['resolved']}"),
        _card("Incidents", str(now["incidents"]), f"{now['open']} still open"),
        _card("Teams assessed", f"{assessed} of {len(portfolio.assessment.teams)}",
              f"median supported level {pd.Series(levels).median():g}" if levels
              else "no questionnaire answers"),
    ]  # fmt: skip
    items = []
    for key, lag in (("change_qoq", 1), ("change_yoy", 4)):
        earlier = shift_quarter(portfolio.quarter, -lag)
        before = portfolio.row(ALL_TEAMS, earlier)["mttr_median"]
        items.append(change_sentence(now[key], _e(earlier), before))
    return HTML(
        f'<div class="cards">{"".join(cards)}</div><ul class="findings">'
        + "".join(f"<li>{i}</li>" for i in items)
        + "</ul>"
    )


def team_table(portfolio: Portfolio) -> HTML:
    """One row per team: volume, recovery, change beyond noise, DORA band, maturity."""
    rows = []
    for key, team in sorted(portfolio.assessment.teams.items(), key=lambda kv: kv[1].name):
        r = portfolio.row(key)
        result = portfolio.maturity.get(key)
        if result is None:
            claimed = supported = contradicted = MISSING
        else:
            overall = result.score.overall
            claimed = f"{overall['level']} ({overall['score']:.2f})"
            supported = f"{overall['evidence_level']} ({overall['evidence_score']:.2f})"
            contradicted = sum(
                1 for s in result.score.statements if s.evidence == "contradicted" and s.value
            )
        rows.append([
            team.name, r["incidents"], format_minutes(r["mttr_median"]),
            r["change_yoy"]["verdict"].replace("_", " ") if r["incidents"] else MISSING,
            r["dora_band"] or MISSING, claimed, supported, contradicted,
        ])  # fmt: skip
    header = ["Team", "Incidents", "Median to recover", "vs a year before", "DORA band",
              "Maturity claimed", "Supported by data", "Claims contradicted"]  # fmt: skip
    return HTML(table(rows, header, text_columns=(0, 3, 4)))


def maturity_frame(portfolio: Portfolio) -> pd.DataFrame:
    """Claimed and supported overall score per team, tidy."""
    rows = []
    for key, result in portfolio.maturity.items():
        name = portfolio.assessment.teams[key].name
        overall = result.score.overall
        rows.append({"team": name, "kind": "Claimed", "score": overall["score"]})
        rows.append({"team": name, "kind": "Supported by data", "score": overall["evidence_score"]})
    return pd.DataFrame(rows, columns=["team", "kind", "score"])


def maturity_chart(portfolio: Portfolio) -> Any:
    """Overall maturity per team, as claimed and as the data supports (None: no answers)."""
    frame = maturity_frame(portfolio)
    if frame.empty:
        return HTML('<p class="callout">No team answered the questionnaire this quarter.</p>')
    return charts.maturity_levels(
        frame, title="Maturity by team: claimed and supported by incident data", by="team"
    )


def where_to_invest(portfolio: Portfolio, count: int = 6) -> HTML:
    """Plain findings: credibility gaps, regressions, and the practices most teams lack."""
    rubric = load_rubric()
    items = []
    gaps = sorted(
        (
            (a.score.overall["score"] - a.score.overall["evidence_score"], key)
            for key, a in portfolio.maturity.items()
        ),
        reverse=True,
    )
    for gap, key in gaps:
        if gap > 0:
            name = portfolio.assessment.teams[key].name
            items.append(
                f"<b>{_e(name)}</b> claims more than its incident data supports "
                f"(overall score {gap:.2f} lower once claims are checked)."
            )
    for key, team in sorted(portfolio.assessment.teams.items()):
        verdict = portfolio.row(key)["change_yoy"]["verdict"]
        if verdict == "worsened":
            items.append(
                f"<b>{_e(team.name)}</b>: recovery is slower than a year ago, beyond noise."
            )
    blocking: Counter[str] = Counter()
    for result in portfolio.maturity.values():
        for item in result.recommendations:
            blocking[item["statement"]] += 1
    for statement, teams in blocking.most_common(count):
        if teams < 2:
            break
        text = rubric.by_id[statement].text
        items.append(
            f"{teams} teams are held back by <b>{_e(statement)}</b>: \u201c{_e(text)}\u201d"
        )
    if not items:
        items.append("No credibility gap, regression or shared weakness stands out.")
    return HTML('<ul class="findings">' + "".join(f"<li>{i}</li>" for i in items) + "</ul>")


def data_quality(portfolio: Portfolio) -> HTML:
    q = portfolio.incidents.quality()
    return HTML(
        f"<p>{q['rows_read']} rows read from the teams' exports: <b>{q['rows_used']}</b> used, "
        f"<b>{q['rows_excluded']}</b> excluded (tests, drills, duplicates), "
        f"<b>{q['rows_rejected']}</b> rejected (unusable). Every row is accounted for; the "
        "index lists the reasons.</p>"
    )


def record(portfolio: Portfolio) -> dict[str, Any]:
    """The portfolio's headline numbers, kept in the executed notebook (see report.record)."""
    from maturity.report import RECORD_MIMETYPE

    now = portfolio.row(ALL_TEAMS)
    return {RECORD_MIMETYPE: {"team": ALL_TEAMS, "quarter": portfolio.quarter, **now}}
