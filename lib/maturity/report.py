"""What the report notebooks show: a team's data for one quarter, and its HTML blocks.

Report notebooks stay thin: each cell calls one function here and displays the result.
Every block returns ``IPython.display.HTML`` built with escaping, so text from incident data
(titles, services, reasons) is always shown as text, never as markup.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import HTML

from maturity.assess import TeamAssessment, assess
from maturity.config import Assessment, Team, load_assessment
from maturity.errors import ConfigError
from maturity.incidents import EXCLUDED, REJECTED, USED, IncidentSet, load_incidents
from maturity.measures import (
    MeasureSettings,
    measures_by_team_quarter,
    recovery_minutes,
    to_records,
)
from maturity.periods import parse_quarter, quarter_range, shift_quarter

#: Quarters of history shown in a team report: the assessed one and the seven before.
HISTORY_QUARTERS = 8
RECORD_MIMETYPE = "application/vnd.maturity.record+json"
MISSING = "—"


@dataclass(frozen=True)
class TeamQuarter:
    """One team's data for the quarter under review, with its history."""

    assessment: Assessment
    team: Team
    quarter: str
    incidents: IncidentSet
    measures: pd.DataFrame  # every team (and ALL), every quarter of the history
    maturity: TeamAssessment | None = None  # None: no answers for this team and quarter

    @classmethod
    def load(cls, assessment: str | Path | Assessment, team: str, quarter: str) -> TeamQuarter:
        """Load the assessment's incidents and compute the measures for ``team``."""
        if not isinstance(assessment, Assessment):
            assessment = load_assessment(assessment)
        if team not in assessment.teams:
            known = ", ".join(sorted(assessment.teams))
            raise ConfigError(f"team {team!r} is not in {assessment.key}/assessment.yaml ({known})")
        incidents, measures, maturity = load_quarter(assessment, quarter)
        return cls(
            assessment, assessment.teams[team], quarter, incidents, measures, maturity.get(team)
        )

    @property
    def history(self) -> pd.DataFrame:
        """This team's measures, one row per quarter, oldest first."""
        return self.measures[self.measures["team"] == self.team.key].reset_index(drop=True)

    @property
    def current(self) -> dict[str, Any]:
        """This team's measures for the assessed quarter (JSON-ready: None for no data)."""
        row = self.history[self.history["period"] == self.quarter]
        return to_records(row)[0]

    @property
    def previous(self) -> dict[str, Any]:
        row = self.history[self.history["period"] == shift_quarter(self.quarter, -1)]
        return to_records(row)[0]

    def team_incidents(self) -> IncidentSet:
        return self.incidents.for_team(self.team.key)


def load_quarter(
    assessment: Assessment, quarter: str
) -> tuple[IncidentSet, pd.DataFrame, dict[str, TeamAssessment]]:
    """What every report of ``quarter`` starts from: the incidents, the measures of every
    team and ALL over the history ending with ``quarter``, and the maturity assessments by
    team (empty when the quarter has no answers)."""
    parse_quarter(quarter)
    incidents = load_incidents(assessment)
    quarters = quarter_range(shift_quarter(quarter, 1 - HISTORY_QUARTERS), quarter)
    measures = measures_by_team_quarter(
        incidents.incidents,
        teams=sorted(assessment.teams),
        quarters=quarters,
        settings=MeasureSettings.from_assessment(assessment),
    )
    maturity = {}
    if quarter in assessment.quarters_with_answers():
        maturity = assess(assessment, quarter, incidents=incidents)
    return incidents, measures, maturity


def format_minutes(minutes: float | None) -> str:
    """A duration for people: ``42 min``, ``3.5 h``, ``2.1 d`` (``—`` for no data)."""
    if minutes is None or (isinstance(minutes, float) and math.isnan(minutes)):
        return MISSING
    if minutes < 90:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} d"


def format_share(share: float | None) -> str:
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return MISSING
    return f"{share:.0%}"


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def title_block(report: TeamQuarter) -> HTML:
    """The report's title: team, quarter, organisation."""
    return HTML(
        f"<h1>{_e(report.team.name)}: recovery from failure</h1>"
        f'<p class="subtitle">{_e(report.assessment.organisation)} · quarterly maturity review '
        f"· {_e(report.quarter)} · standard: services are restored quickly and safely "
        "following failure (MTTR)</p>"
    )


def _card(label: str, value: str, detail: str) -> str:
    return (
        f'<div class="card"><div class="label">{_e(label)}</div>'
        f'<div class="value">{_e(value)}</div><div class="detail">{_e(detail)}</div></div>'
    )


def format_interval(interval: list[float] | None) -> str:
    """A 90% interval for people: ``90% CI 44-73 min`` (empty when there is none)."""
    if not interval:
        return ""
    low, high = (format_minutes(v) for v in interval)
    return f"90% CI {low}–{high}"


def headline(report: TeamQuarter) -> HTML:
    """Four cards: median and 90th percentile time to recover, the mean, and the counts."""
    now = report.current
    n = now["resolved"]
    per_week = now["incidents_per_week"]
    cards = [
        _card("Median time to recover", format_minutes(now["mttr_median"]),
              " · ".join(x for x in (format_interval(now["mttr_median_ci"]), f"n = {n}") if x)),
        _card("90th percentile", format_minutes(now["mttr_p90"]),
              " · ".join(x for x in (format_interval(now["mttr_p90_ci"]), f"n = {n}") if x)),
        _card("MTTR (mean)", format_minutes(now["mttr"]),
              "the standard's measure; long tails move it"),
        _card("Incidents", str(now["incidents"]),
              f"{now['open']} still open · {per_week:.1f} a week" if per_week is not None
              else f"{now['open']} still open"),
    ]  # fmt: skip
    note = ""
    if now["incidents"] == 0:
        note = f'<p class="callout">No incidents were detected in {_e(report.quarter)}.</p>'
    elif n < 10:
        note = (
            f'<p class="callout">Only {n} resolved incident{"s" if n != 1 else ""} in '
            f"{_e(report.quarter)}: too few for a reliable median; read the figures as "
            "indications, not trends.</p>"
        )
    return HTML(f'<div class="cards">{"".join(cards)}</div>{note}')


def change_sentence(change: dict[str, Any], earlier: str, earlier_median: float | None) -> str:
    """One plain sentence on whether the median moved beyond noise since ``earlier``."""
    verdict = change["verdict"]
    if verdict == "insufficient_data":
        return (
            f"Against {earlier}: too few resolved incidents to judge a change "
            "(under 10 in a quarter)."
        )
    ratio, detectable = change["ratio"], change["min_detectable"]
    moved = ""
    if ratio is not None and earlier_median is not None:
        moved = f" (median {format_minutes(earlier_median)} then, {ratio:.0%} of it now)"
    if verdict in ("improved", "worsened"):
        direction = "faster" if verdict == "improved" else "slower"
        return (
            f"Against {earlier}{moved}: <b>{verdict}</b>, recovery is {direction} beyond "
            f"noise (p = {change['p_value']:.2g})."
        )
    reach = (
        f"; at these volumes only a change of {1 - detectable:.0%} or more would show"
        if (detectable is not None)
        else ""
    )
    return f"Against {earlier}{moved}: <b>no detectable change</b>{reach}."


def findings(report: TeamQuarter) -> HTML:
    """What the statistics say, in sentences: changes, open incidents, DORA band, SLOs."""
    now, history = report.current, to_records(report.history)
    by_period = {r["period"]: r for r in history}
    items = []
    for key, lag in (("change_qoq", 1), ("change_yoy", 4)):
        earlier = shift_quarter(report.quarter, -lag)
        before = by_period.get(earlier, {}).get("mttr_median")
        items.append(change_sentence(now[key], _e(earlier), before))
    if now["open"]:
        km = now["km_median"]
        km_text = (
            f"the Kaplan-Meier median is {format_minutes(km)}"
            if km is not None
            else "over half may still be running, so the median is not known yet"
        )
        items.append(
            f"{now['open']} incident{'s are' if now['open'] != 1 else ' is'} still open. "
            f"Counting {'them' if now['open'] != 1 else 'it'} as still running rather than "
            f"dropping {'them' if now['open'] != 1 else 'it'}, {km_text}."
        )
    if now["dora_band"]:
        bands = MeasureSettings.from_assessment(report.assessment).dora
        items.append(
            f"DORA time-to-restore band: <b>{_e(now['dora_band'])}</b> (the median against "
            f"the {bands.year} bands: elite under {format_minutes(bands.elite)}, high under "
            f"{format_minutes(bands.high)}, medium under {format_minutes(bands.medium)})."
        )
    slo = now.get("slo_attainment_by_severity") or {}
    if now.get("slo_attainment") is not None:
        parts = [
            f"SEV{level} {format_share(cell['attainment'])} of {cell['n']} within "
            f"{format_minutes(cell['target'])}"
            for level, cell in slo.items()
            if cell["n"]
        ]
        items.append(
            f"Recovery targets met: <b>{format_share(now['slo_attainment'])}</b> of "
            f"{now['slo_attainment_n']} incidents with a target ({'; '.join(parts)})."
        )
    return HTML('<ul class="findings">' + "".join(f"<li>{i}</li>" for i in items) + "</ul>")


def table(
    rows: Iterable[Sequence[Any]],
    header: Sequence[str],
    *,
    highlight: Iterable[int] = (),
    text_columns: Iterable[int] = (0,),
) -> str:
    """An escaped HTML table; ``highlight`` marks row numbers, ``text_columns`` left-aligns."""
    marked, text = set(highlight), set(text_columns)

    def cell(tag: str, j: int, value: Any) -> str:
        classes = []
        if j in text:
            classes.append("text")
        if value == MISSING:
            classes.append("missing")
        attr = f' class="{" ".join(classes)}"' if classes else ""
        return f"<{tag}{attr}>{_e(value)}</{tag}>"

    head = "".join(cell("th", j, h) for j, h in enumerate(header))
    body = []
    for i, row in enumerate(rows):
        attr = ' class="current"' if i in marked else ""
        body.append(f"<tr{attr}>" + "".join(cell("td", j, v) for j, v in enumerate(row)) + "</tr>")
    return (
        f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )


def quarter_table(report: TeamQuarter) -> HTML:
    """Incidents and recovery statistics per quarter, the assessed quarter highlighted."""
    rows, current = [], []
    for i, r in enumerate(to_records(report.history)):
        ci = r["mttr_median_ci"]
        rows.append(
            [
                r["period"],
                r["incidents"],
                r["resolved"],
                r["open"],
                format_minutes(r["mttr_median"]),
                f"{format_minutes(ci[0])}–{format_minutes(ci[1])}" if ci else MISSING,
                format_minutes(r["mttr_p90"]),
                format_minutes(r["mttr"]),
                r["change_qoq"]["verdict"].replace("_", " ") if r["incidents"] else MISSING,
            ]
        )
        if r["period"] == report.quarter:
            current.append(i)
    header = ["Quarter", "Incidents", "Resolved", "Open", "Median", "90% CI", "90th pct",
              "Mean (MTTR)", "vs quarter before"]  # fmt: skip
    return HTML(table(rows, header, highlight=current, text_columns=(0, 8)))


PHASE_LABELS = (
    ("detect_median", "Detect", "impact start → detected"),
    ("escalate_median", "Escalate", "detected → acknowledged"),
    ("respond_median", "Respond", "acknowledged → mitigated"),
    ("fix_median", "Fix", "mitigated → resolved"),
    ("comms_latency_median", "Stakeholder comms", "detected → first notification"),
)
RATE_LABELS = (
    ("runbook_usage_rate", "Runbook usage", "resolved with a runbook"),
    ("automation_coverage", "Recovery automation", "resolved by automated response or rollback"),
    ("pir_rate", "Post-incident reviews", "followed by a structured review"),
)


def _this_and_last_quarter(
    report: TeamQuarter,
    labels: tuple[tuple[str, str, str], ...],
    header: tuple[str, str, str],
    formatter: Any,
) -> HTML:
    """One row per measure: label, meaning, this quarter's and last quarter's value and n."""
    now, before = report.current, report.previous
    rows = [
        [label, meaning, formatter(now[key]), now[f"{key}_n"],
         formatter(before[key]), before[f"{key}_n"]]
        for key, label, meaning in labels
    ]  # fmt: skip
    first, second, n = header
    columns = [first, second, report.quarter, n, shift_quarter(report.quarter, -1), n]
    return HTML(table(rows, columns, text_columns=(0, 1)))


def phase_table(report: TeamQuarter) -> HTML:
    """Median minutes of each lifecycle phase, this quarter and the one before, with n."""
    return _this_and_last_quarter(report, PHASE_LABELS, ("Phase", "From → to", "n"), format_minutes)


def practice_table(report: TeamQuarter) -> HTML:
    """Runbook usage, automation coverage and review rate, with the counts behind them."""
    header = ("Practice", "Share of resolved incidents", "n known")
    return _this_and_last_quarter(report, RATE_LABELS, header, format_share)


def data_quality(report: TeamQuarter, examples: int = 10) -> HTML:
    """How this team's rows were accounted for, with the first rows not used and why."""
    ledger = report.team_incidents().ledger
    counts = ledger["action"].value_counts()
    used, excluded, rejected = (int(counts.get(a, 0)) for a in (USED, EXCLUDED, REJECTED))
    unattributed = int(report.incidents.ledger["team"].isna().sum())
    parts = [
        f"<p>{len(ledger)} rows read for this team, all quarters: <b>{used}</b> used, "
        f"<b>{excluded}</b> excluded, <b>{rejected}</b> rejected.</p>"
    ]
    problems = ledger[ledger["action"] != USED]
    if len(problems):
        reasons = problems.assign(
            kind=problems["reason"].str.replace(r" (of|for) .*", "", regex=True)
        )
        summary = reasons.groupby(["action", "kind"]).size().reset_index(name="rows")
        parts.append(table(summary.itertuples(index=False), ["Action", "Reason", "Rows"],
                           text_columns=(0, 1)))  # fmt: skip
        shown = problems.head(examples)
        parts.append(
            table(
                shown[["file", "row", "incident_id", "action", "reason"]]
                .fillna(MISSING)
                .itertuples(index=False),
                ["File", "Row", "Incident", "Action", "Reason"],
                text_columns=(0, 2, 3, 4),
            )
        )
        if len(problems) > examples:
            parts.append(f'<p class="note">…and {len(problems) - examples} more; '
                         "<code>maturity validate</code> lists them all.</p>")  # fmt: skip
    if unattributed:
        parts.append(
            f'<p class="note">{unattributed} rows of the organisation could not be attributed '
            "to any team; the review's index lists them.</p>"
        )
    return HTML("".join(parts))


def record(report: TeamQuarter) -> dict[str, Any]:
    """The report's headline numbers, stored in the executed notebook for tests and audit.

    Displayed with ``IPython.display.display(..., raw=True)`` under a mimetype that HTML
    and PDF ignore, so the numbers are kept beside the report without showing.
    """
    payload = {"team": report.team.key, "quarter": report.quarter, **report.current}
    if report.maturity is not None:
        payload["maturity"] = report.maturity.score.overall
    return {RECORD_MIMETYPE: payload}


def read_record(notebook: Any) -> dict[str, Any]:
    """The record an executed report notebook stored (``nbformat`` node or path)."""
    import nbformat

    if not isinstance(notebook, nbformat.NotebookNode):
        notebook = nbformat.read(str(notebook), as_version=4)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if RECORD_MIMETYPE in data:
                return dict(data[RECORD_MIMETYPE])
    raise KeyError("the notebook holds no maturity record")


def longest_incidents(report: TeamQuarter, count: int = 5) -> HTML:
    """The quarter's longest incidents; still-open ones first, as they may be longer yet."""
    incidents = report.team_incidents().incidents
    quarter = incidents[incidents["quarter"] == report.quarter].copy()
    if quarter.empty:
        return HTML(f'<p class="note">No incidents in {_e(report.quarter)}.</p>')
    quarter["minutes"] = recovery_minutes(quarter)
    quarter["is_open"] = quarter["resolved_at"].isna()
    top = quarter.sort_values(["is_open", "minutes", "incident_id"], ascending=[False, False, True])
    local = top["detected_at"].dt.tz_convert(report.assessment.timezone)
    rows = [
        [
            r.incident_id,
            r.title if isinstance(r.title, str) else MISSING,
            r.service if isinstance(r.service, str) else MISSING,
            f"SEV{r.severity}" if not pd.isna(r.severity) else MISSING,
            when.strftime("%d %b %H:%M"),
            ("still open" if r.is_open else format_minutes(r.minutes)),
        ]
        for r, when in zip(top.head(count).itertuples(index=False), local.head(count), strict=True)
    ]
    header = ["Incident", "Title", "Service", "Severity", "Detected", "Time to recover"]
    return HTML(table(rows, header, text_columns=(0, 1, 2, 3, 4)))


def maturity_section(report: TeamQuarter) -> HTML:
    """Levels claimed and supported by the data, contradicted claims, recommendations."""
    if report.maturity is None:
        return HTML(
            f'<p class="callout">No questionnaire answers for {_e(report.team.name)} in '
            f"{_e(report.quarter)}: the maturity level is not assessed. <code>maturity template "
            f"--team {_e(report.team.key)} --quarter {_e(report.quarter)}</code> writes the "
            "questionnaire.</p>"
        )
    from maturity.rubric import load_rubric

    rubric = load_rubric()
    result = report.maturity
    score = result.score
    rows = []
    for key, c in score.categories.items():
        gap = "" if c.target is None else (f"{c.gap:+d}" if c.gap else "met")
        rows.append([rubric.categories[key], c.level, c.evidence_level, f"{c.score:.2f}",
                     f"{c.evidence_score:.2f}", c.target or MISSING, gap or MISSING])  # fmt: skip
    o = score.overall
    rows.append(["Overall (lowest level, mean score)", o["level"], o["evidence_level"],
                 f"{o['score']:.2f}", f"{o['evidence_score']:.2f}", MISSING, MISSING])  # fmt: skip
    header = ["Category", "Level claimed", "Level the data supports", "Score claimed",
              "Score supported", "Target", "Gap"]  # fmt: skip
    parts = [table(rows, header, highlight=[len(rows) - 1])]
    change = result.change
    if change:
        parts.append(
            f'<p class="note">Since {_e(change["since"])}: supported level '
            f"{change['evidence_level']:+d}, supported score {change['evidence_score']:+.2f}.</p>"
        )
    contradicted = [s for s in score.statements if s.evidence == "contradicted" and s.value]
    if contradicted:
        items = "".join(f"<li>{_e(s.id)}: {_e(s.reason)}.</li>" for s in contradicted)
        parts.append(
            "<h3>Claims the incident data contradicts</h3>"
            '<p class="note">Each counts at most as \u201cpartly\u201d.</p>'
            f'<ul class="findings">{items}</ul>'
        )
    elif not any(s.value and s.evidence == "supported" for s in score.statements):
        parts.append(
            '<p class="note">No incident data to check the claims against: the levels '
            "supported by data equal the levels claimed.</p>"
        )
    else:
        parts.append('<p class="note">No claim is contradicted by the incident data.</p>')
    if score.unanswered:
        parts.append(
            f'<p class="note">Unanswered (counted as no): {_e(", ".join(score.unanswered))}.</p>'
        )
    advice = result.recommendations[:8]
    if advice:
        items = "".join(f"<li>{_e(item['message'])}</li>" for item in advice)
        parts.append(f'<h3>What unlocks the next level</h3><ol class="findings">{items}</ol>')
    return HTML("".join(parts))


def recovery_chart(report: TeamQuarter) -> Any:
    """The time-to-recover trend, or a note when no incident in these quarters recovered."""
    from maturity import charts

    history = report.history
    if not history["resolved"].any():
        return HTML(
            '<p class="callout">No resolved incidents in these quarters: no recovery time to '
            "chart.</p>"
        )
    return charts.recovery_trend(history, title=f"{report.team.name}: time to recover by quarter")


def maturity_chart(report: TeamQuarter) -> Any:
    """The claimed-and-supported chart, or None (nothing shown) without answers."""
    if report.maturity is None:
        return None
    from maturity import charts

    return charts.maturity_levels(
        maturity_levels(report), title="Maturity by category: claimed and supported by data"
    )


def maturity_levels(report: TeamQuarter) -> pd.DataFrame:
    """Claimed and supported level per category, tidy, for ``charts.maturity_levels``."""
    from maturity.rubric import load_rubric

    names = load_rubric().categories
    rows = []
    if report.maturity is not None:
        for key, c in report.maturity.score.categories.items():
            rows.append({"category": names[key], "kind": "Claimed", "score": c.score})
            rows.append({"category": names[key], "kind": "Supported by data",
                         "score": c.evidence_score})  # fmt: skip
    return pd.DataFrame(rows, columns=["category", "kind", "score"])
