"""The coach's explorer (``notebooks/explore.ipynb``): one team, quarter, set of services and
severities, picked by clicking; every chart and table follows the same choice.

Two layers. ``ExplorerData`` loads an assessment once and answers every view as a pure
function of a ``Choice`` (charts as Altair objects, tables as DataFrames, messages as
sentences), so the same figures come out of a live JupyterLab, an executed notebook and the
tests. ``maturity.reporting.explorer_app.Explorer`` puts them behind ipywidgets controls in
JupyterLab: pickers, live charts whose brush and legend filter the incident table, a click on
a point or a row showing that incident's whole record, a comparison with another team or the
organisation.

Durations are minutes inside, shown in the unit the reports use for the team's recovery
figures (``formatting.recovery_unit``). Severities are numbers (1 most severe); the labels
the charts show, ``SEV1``, are accepted wherever a severity is chosen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from maturity.errors import MaturityError
from maturity.measures.definitions import ALL_TEAMS, PHASES
from maturity.organisation import Organisation, load_organisation
from maturity.reporting import charts, explore
from maturity.reporting.formatting import MISSING, format_minutes, severity_label, unit_of
from maturity.wording import plural

#: The quarter choice meaning every quarter the data has.
ALL_QUARTERS = "all"
#: The comparison choice meaning none.
NO_COMPARISON = ""

#: The incident table's columns, in order, with their headings.
TABLE_COLUMNS = {
    "quarter": "Quarter",
    "incident_id": "Incident",
    "title": "Title",
    "service": "Service",
    "severity": "Severity",
    "detected": "Detected",
    "recovery": "Time to recover",
    "open": "Open",
    "source": "Source",
}


_SEVERITY = re.compile(r"^\s*(?:sev|p)?\s*(\d+)\s*$", re.I)


def severity_number(value: Any) -> int | None:
    """A severity as chosen (``2``, ``"2"``, ``"SEV2"``, ``"sev 2"``, ``"P2"``) -> 2;
    None when it names no severity."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and not pd.isna(value) and float(value).is_integer():
        return int(value)
    match = _SEVERITY.match(str(value))
    return int(match[1]) if match else None


def incident_key(row: Any) -> str:
    """An incident's key across tools: its file and row (ids are unique only within a
    tool), ``incidents/x.csv#12``."""
    return f"{row['source_file']}#{row['source_row']}"


@dataclass(frozen=True)
class Choice:
    """What the coach picked: a team key (or ``ALL``), a quarter (or ``ALL_QUARTERS``), the
    services and severities kept (empty: all), the team or ``ALL`` to compare with
    (``NO_COMPARISON``: none), and the time range brushed in the explorer (UTC timestamps,
    or None) and the severities its legend keeps (labels; empty: all)."""

    team: str
    quarter: str = ALL_QUARTERS
    services: tuple[str, ...] = ()
    severities: tuple[int, ...] = ()
    compare: str = NO_COMPARISON
    brushed: tuple[pd.Timestamp, pd.Timestamp] | None = None
    legend: tuple[str, ...] = ()

    def but(self, **changes: Any) -> Choice:
        return replace(self, **changes)


@dataclass
class Checked:
    """A choice as it can be applied, and what was wrong with what was asked for."""

    choice: Choice
    messages: list[str] = field(default_factory=list)


class ExplorerData:
    """An assessment loaded once for exploring: every team's incidents with their durations,
    the measures by team and quarter, and by severity."""

    def __init__(self, assessment: str | Path | Organisation) -> None:
        self.organisation = (
            assessment if isinstance(assessment, Organisation) else load_organisation(assessment)
        )
        incidents = explore.team_incidents(self.organisation, ALL_TEAMS)
        incidents["key"] = [incident_key(r) for _, r in incidents.iterrows()]
        self.incidents = incidents
        self.measures = explore.measures_for(self.organisation)
        self._by_severity: pd.DataFrame | None = None
        self.quarters = sorted(incidents["quarter"].dropna().unique().tolist())
        self.answered = self.organisation.quarters_with_answers()

    # -- what can be chosen -----------------------------------------------------------------

    def team_options(self) -> list[tuple[str, str]]:
        """(name, key) pairs for a picker: every team by name, then the organisation."""
        teams = sorted(self.organisation.teams.values(), key=lambda t: t.name.lower())
        return [(t.name, t.key) for t in teams] + [("All teams", ALL_TEAMS)]

    def team_name(self, team: str) -> str:
        return explore.team_name(self.organisation, team)

    def quarter_options(self) -> list[tuple[str, str]]:
        """(label, quarter) pairs, newest first, each saying whether it has answers."""
        options = [("All quarters", ALL_QUARTERS)]
        for quarter in sorted(set(self.quarters) | set(self.answered), reverse=True):
            label = quarter if quarter in self.answered else f"{quarter} (no answers)"
            options.append((label, quarter))
        return options

    def of_team(self, team: str) -> pd.DataFrame:
        return (
            self.incidents if team == ALL_TEAMS else self.incidents[self.incidents["team"] == team]
        )

    def services(self, team: str) -> list[str]:
        return sorted(self.of_team(team)["service"].dropna().astype(str).unique().tolist())

    def severities(self, team: str) -> list[int]:
        return sorted(int(s) for s in self.of_team(team)["severity"].dropna().unique())

    def default_quarter(self) -> str:
        """The latest quarter with answers, else the latest with incidents."""
        return (self.answered or self.quarters or [ALL_QUARTERS])[-1]

    def check(
        self,
        team: str,
        quarter: str | None = None,
        services: Iterable[Any] = (),
        severities: Iterable[Any] = (),
        compare: str = NO_COMPARISON,
    ) -> Checked:
        """The choice asked for, made applicable: an unknown team falls back to the whole
        organisation, unknown services and severities are dropped, each with a message
        naming what there is."""
        messages: list[str] = []
        keys = {key for _, key in self.team_options()}
        if team not in keys:
            close = [k for k in keys if k.lower() == str(team).lower()]
            if close:
                team = close[0]
            else:
                messages.append(
                    f"No team {team!r} in assessment.yaml; showing all teams "
                    f"(teams: {', '.join(sorted(keys - {ALL_TEAMS}))})."
                )
                team = ALL_TEAMS
        name = self.team_name(team)
        quarter = quarter or self.default_quarter()
        known_quarters = {q for _, q in self.quarter_options()}
        if quarter not in known_quarters:
            messages.append(
                f"No quarter {quarter!r} in the data (quarters with incidents: "
                f"{_span(self.quarters)}); showing all quarters."
            )
            quarter = ALL_QUARTERS
        have = self.services(team)
        lower = {s.lower(): s for s in have}
        wanted: list[str] = []
        unknown: list[str] = []
        for service in services or ():
            found = lower.get(str(service).strip().lower())
            (wanted if found else unknown).append(found or str(service))
        if unknown:
            messages.append(
                f"{name} has no incidents of service {_listed(unknown)}, so it is "
                f"not applied (services: {_listed(have, 12) or 'none recorded'})."
            )
        levels = self.severities(team)
        chosen_levels: list[int] = []
        bad: list[Any] = []
        for severity in severities or ():
            number = severity_number(severity)
            (chosen_levels if number in levels else bad).append(
                number if number in levels else severity
            )
        if bad:
            messages.append(
                f"{name} has no incidents of severity {_listed(map(str, bad))}, so "
                "it is not applied (severities: "
                f"{_listed(severity_label(s) for s in levels) or 'none recorded'})."
            )
        if compare not in keys | {NO_COMPARISON} or compare == team:
            if compare != team:
                messages.append(f"No team {compare!r} to compare with; no comparison shown.")
            compare = NO_COMPARISON
        choice = Choice(
            team=team,
            quarter=quarter,
            services=tuple(dict.fromkeys(wanted)),
            severities=tuple(sorted(set(chosen_levels))),
            compare=compare,
        )
        return Checked(choice, messages)

    # -- the incidents a choice keeps -------------------------------------------------------

    def chosen(self, choice: Choice, *, team: str | None = None) -> pd.DataFrame:
        """The team's incidents of the chosen services and severities, every quarter (the
        charts' history)."""
        return explore.choose(
            self.of_team(team or choice.team),
            services=list(choice.services),
            severities=list(choice.severities),
        )

    def in_view(self, choice: Choice) -> pd.DataFrame:
        """What the incident table lists: the chosen incidents of the chosen quarter, within
        the brushed time range, of the severities the legend keeps; newest first."""
        frame = self.chosen(choice)
        if choice.quarter != ALL_QUARTERS:
            frame = frame[frame["quarter"] == choice.quarter]
        if choice.brushed is not None:
            start, end = choice.brushed
            frame = frame[(frame["detected_at"] >= start) & (frame["detected_at"] <= end)]
        if choice.legend:
            frame = frame[frame["severity"].map(severity_label).isin(choice.legend)]
        return frame

    def unit(self, choice: Choice) -> str:
        """The unit of the team's recovery figures (the reports' rule: its quarters' medians)."""
        team = self.measures[self.measures["team"] == choice.team]
        return unit_of(team["mttr_median"]) if not team.empty else "min"

    def status(self, choice: Choice) -> str:
        """How many incidents were loaded, how many the choice keeps, and where."""
        loaded = self.of_team(choice.team)
        kept, shown = self.chosen(choice), self.in_view(choice)
        where = "every quarter" if choice.quarter == ALL_QUARTERS else choice.quarter
        parts = [f"{self.team_name(choice.team)}: {plural(len(loaded), 'incident')} loaded"]
        if len(kept) != len(loaded):
            parts.append(f"{len(kept)} of the chosen services and severities")
        parts.append(
            f"{len(shown)} listed ({where}"
            + (", brushed range" if choice.brushed else "")
            + (f", {'/'.join(choice.legend)}" if choice.legend else "")
            + ")"
        )
        open_now = int(shown["resolved_at"].isna().sum())
        if open_now:
            parts.append(f"{open_now} still open")
        return "; ".join(parts) + "."

    def empty_message(self, choice: Choice) -> str | None:
        """A sentence when the choice keeps no incident, naming why; None otherwise."""
        if self.of_team(choice.team).empty:
            return f"{self.team_name(choice.team)} has no incidents in its exports."
        if self.chosen(choice).empty:
            return "No incident of the chosen services and severities: choose fewer, or clear them."
        if self.in_view(choice).empty:
            where = choice.quarter if choice.quarter != ALL_QUARTERS else "the data"
            return (
                f"No incident of this choice in {where}"
                + (" within the brushed range" if choice.brushed else "")
                + "."
            )
        return None

    # -- tables -----------------------------------------------------------------------------

    def table(self, choice: Choice) -> pd.DataFrame:
        """The incident table: one row per incident listed, durations in the team's unit,
        an index of incident keys (for drill-down)."""
        frame = self.in_view(choice)
        unit = self.unit(choice)
        table = pd.DataFrame(
            {
                "quarter": frame["quarter"],
                "incident_id": frame["incident_id"].astype(str),
                "title": frame["title"].fillna("").astype(str),
                "service": frame["service"].fillna(MISSING).astype(str),
                "severity": frame["severity"].map(severity_label),
                "detected": frame["detected_at"]
                .dt.tz_convert(self.organisation.timezone)
                .dt.strftime("%Y-%m-%d %H:%M"),
                "recovery": frame["recovery_minutes"].map(lambda m: format_minutes(m, unit)),
                "open": frame["resolved_at"].isna().map({True: "open", False: ""}),
                "source": frame["source_file"].astype(str)
                + " row "
                + frame["source_row"].astype(str),
            }
        )
        table.index = pd.Index(frame["key"], name="key")
        return table.rename(columns=TABLE_COLUMNS)

    def record(self, key: str) -> list[tuple[str, str]]:
        """One incident's whole record, for people: every field, timestamps in the
        organisation's time zone, phase durations, practice flags, its file and row."""
        rows = self.incidents[self.incidents["key"] == key]
        if rows.empty:
            return []
        r = rows.iloc[0]
        zone = self.organisation.timezone
        unit = self.unit(Choice(team=str(r["team"])))  # as the team's table shows it

        def when(value: Any) -> str:
            return (
                pd.Timestamp(value).tz_convert(zone).strftime("%Y-%m-%d %H:%M %Z")
                if pd.notna(value)
                else "not recorded"
            )

        def flag(value: Any) -> str:
            return "unknown (not recorded)" if pd.isna(value) else ("yes" if value else "no")

        team = self.organisation.teams.get(str(r["team"]))
        fields = [
            ("Incident", str(r["incident_id"])),
            ("Title", str(r["title"]) if pd.notna(r["title"]) else MISSING),
            ("Team", team.name if team else str(r["team"])),
            ("Service", str(r["service"]) if pd.notna(r["service"]) else MISSING),
            ("Severity", severity_label(r["severity"])),
            ("Quarter", str(r["quarter"])),
        ]
        for column, label in (
            ("started_at", "Impact started"),
            ("detected_at", "Detected"),
            ("acknowledged_at", "Acknowledged"),
            ("mitigated_at", "Mitigated"),
            ("resolved_at", "Resolved"),
            ("notified_at", "Stakeholders notified"),
        ):
            fields.append((label, when(r[column])))
        fields.append(
            (
                "Time to recover",
                format_minutes(r["recovery_minutes"], unit)
                if pd.notna(r["recovery_minutes"])
                else "still open",
            )
        )
        for phase in PHASES:
            minutes = r.get(f"{phase.name}_minutes")
            span = f"{phase.start} → {phase.end}".replace("_at", "")
            fields.append(
                (
                    f"Phase: {phase.label} ({span})",
                    format_minutes(minutes, unit) if pd.notna(minutes) else "not recorded",
                )
            )
        fields += [
            ("Runbook used", flag(r["runbook_used"])),
            ("Automated recovery", flag(r["automated_recovery"])),
            ("Post-incident review", flag(r["review_done"])),
            ("Source", f"{r['source_file']} row {r['source_row']} ({r['source_format']})"),
        ]
        return fields

    def answers(self, choice: Choice) -> tuple[pd.DataFrame, str | None]:
        """The team's answers for the quarter beside what its data says, statements in full
        (or an empty table and the sentence saying why there is none)."""
        columns = ["Statement", "Level", "Answer", "Evidence", "Why"]
        if choice.team == ALL_TEAMS:
            return pd.DataFrame(columns=columns), "Choose a team to see its answers."
        quarter = choice.quarter if choice.quarter != ALL_QUARTERS else self.default_quarter()
        if quarter not in self.answered:
            have = ", ".join(self.answered) or "none yet"
            return pd.DataFrame(columns=columns), (
                f"No questionnaire answers for {quarter} (quarters with answers: {have})."
            )
        try:
            frame = explore.answers_and_evidence(self.organisation, choice.team, quarter)
        except MaturityError as error:  # a team's broken answer file: its message, no trace
            return pd.DataFrame(
                columns=columns
            ), f"The answers for {quarter} cannot be read: {error}"
        if frame.empty:
            return pd.DataFrame(columns=columns), (
                f"{self.team_name(choice.team)} has no answers for {quarter}."
            )
        from maturity.assessment.rubric import load_rubric

        rubric = load_rubric()
        texts = {statement.id: statement.text for statement in rubric.statements}
        table = pd.DataFrame(
            {
                "Statement": [f"{texts.get(s, s)} ({s})" for s in frame["statement"]],
                "Level": frame["level"],
                "Answer": frame["answer"],
                "Evidence": frame["evidence"],
                "Why": frame["why"].fillna(""),
            }
        )
        return table, None

    def outliers(self, choice: Choice) -> pd.DataFrame:
        """The listed incidents over three times their quarter's median (among the chosen)."""
        chosen = self.chosen(choice)
        slow = explore.outliers(chosen)
        slow = slow[slow.index.isin(self.in_view(choice).index)]
        unit = self.unit(choice)
        return pd.DataFrame(
            {
                "Incident": slow["incident_id"].astype(str),
                "Title": slow["title"].astype(str),
                "Service": slow["service"].astype(str),
                "Severity": slow["severity"].map(severity_label),
                "Quarter": slow["quarter"],
                "Time to recover": slow["recovery_minutes"].map(lambda m: format_minutes(m, unit)),
            }
        ).head(15)

    def by_severity(self, choice: Choice) -> pd.DataFrame:
        """Median and 90th percentile time to recover by severity and quarter, of the
        chosen incidents (every severity the choice keeps; the chosen quarter or all)."""
        frame = self.chosen(choice)
        if choice.quarter != ALL_QUARTERS:
            frame = frame[frame["quarter"] == choice.quarter]
        unit = self.unit(choice)
        rows = []
        for (severity, quarter), group in frame.groupby(["severity", "quarter"], sort=True):
            resolved = group["recovery_minutes"].dropna()
            rows.append(
                {
                    "Severity": severity_label(severity),
                    "Quarter": quarter,
                    "Incidents": len(group),
                    "Resolved": len(resolved),
                    "Median": format_minutes(resolved.median() if len(resolved) else None, unit),
                    "90th percentile": format_minutes(
                        resolved.quantile(0.9) if len(resolved) >= 10 else None, unit
                    ),
                }
            )
        return pd.DataFrame(
            rows,
            columns=["Severity", "Quarter", "Incidents", "Resolved", "Median", "90th percentile"],
        )

    def measures_table(self, choice: Choice) -> pd.DataFrame:
        """The team's measures by quarter (every incident: the reports' figures), durations
        in the team's unit, rates as percentages."""
        rows = self.measures[self.measures["team"] == choice.team]
        unit = self.unit(choice)

        def share(value: Any) -> str:
            return f"{value:.0%}" if pd.notna(value) else MISSING

        return pd.DataFrame(
            {
                "Quarter": rows["period"],
                "Incidents": rows["incidents"],
                "Resolved": rows["resolved"],
                "Open": rows["open"],
                "Median": rows["mttr_median"].map(lambda m: format_minutes(m, unit)),
                "90% CI": [
                    f"{format_minutes(lo, unit)}–{format_minutes(hi, unit)}"
                    if pd.notna(lo) and pd.notna(hi)
                    else MISSING
                    for lo, hi in zip(
                        rows["mttr_median_ci_low"], rows["mttr_median_ci_high"], strict=True
                    )
                ],
                "90th pct": rows["mttr_p90"].map(lambda m: format_minutes(m, unit)),
                "vs quarter before": rows["change_qoq_verdict"].fillna("").str.replace("_", " "),
                "Runbook usage": rows["runbook_usage_rate"].map(share),
                "Automation": rows["automation_coverage"].map(share),
                "Reviews": rows["pir_rate"].map(share),
            }
        ).reset_index(drop=True)

    # -- charts -----------------------------------------------------------------------------

    def distribution_chart(self, choice: Choice) -> alt.TopLevelMixin:
        name = self.team_name(choice.team)
        return charts.recovery_distribution(
            self.chosen(choice), title=f"{name}: time to recover, every incident"
        )

    def explorer_chart(self, choice: Choice) -> alt.TopLevelMixin:
        """The scatter and its time strip: brush to zoom (and filter the table), click a
        severity in the legend to keep only it, click a point for its record."""
        chosen = self.chosen(choice)
        name = self.team_name(choice.team)
        return charts.incident_explorer(chosen, title=f"{name}: every resolved incident")

    def phase_chart(self, choice: Choice) -> alt.TopLevelMixin:
        name = self.team_name(choice.team)
        return charts.phase_timeline(
            explore.slowest(self.in_view(choice)), title=f"{name}: the ten slowest incidents listed"
        )

    def phase_note(self, choice: Choice) -> str | None:
        """Which lifecycle phases the listed incidents do not record (so a chart drawing one
        phase is not read as the others taking no time)."""
        frame = self.in_view(choice)
        missing = [
            label
            for column, label in (
                ("acknowledged_at", "acknowledgement"),
                ("mitigated_at", "mitigation"),
            )
            if frame[column].isna().all()
        ]
        if frame.empty or not missing:
            return None
        return (
            f"The exports of these incidents record no {' or '.join(missing)}: those "
            "phases are not drawn, which does not mean they took no time."
        )

    def comparison(self, choice: Choice) -> pd.DataFrame:
        """Median time to recover by quarter of the chosen incidents of the team and of the
        team compared (same services and severities where it has them), with counts."""
        rows = []
        for team in (choice.team, choice.compare):
            frame = (
                self.chosen(choice, team=team)
                if team == choice.team
                else explore.choose(self.of_team(team), severities=list(choice.severities))
            )
            for quarter, group in frame.groupby("quarter", sort=True):
                resolved = group["recovery_minutes"].dropna()
                rows.append(
                    {
                        "team": self.team_name(team),
                        "period": quarter,
                        "median": resolved.median() if len(resolved) else None,
                        "resolved": len(resolved),
                    }
                )
        return pd.DataFrame(rows, columns=["team", "period", "median", "resolved"])

    def comparison_chart(self, choice: Choice) -> alt.TopLevelMixin | None:
        if choice.compare == NO_COMPARISON:
            return None
        frame = self.comparison(choice)
        unit = self.unit(choice)
        from maturity.reporting.formatting import UNITS

        label, per_unit = UNITS[unit]
        frame = frame.assign(value=frame["median"] / per_unit)
        names = [self.team_name(choice.team), self.team_name(choice.compare)]
        return (
            alt.Chart(frame, title=f"{names[0]} against {names[1]}: median time to recover")
            .mark_line(point=True)
            .encode(
                x=alt.X("period:O", title="Quarter (detected)", axis=alt.Axis(labelAngle=0)),
                y=alt.Y("value:Q", title=f"{label.capitalize()} to recover (median)"),
                color=alt.Color("team:N", title=None, sort=names),
                tooltip=[
                    alt.Tooltip("team:N", title="Team"),
                    alt.Tooltip("period:O", title="Quarter"),
                    alt.Tooltip("value:Q", title=f"Median ({label})", format=",.1f"),
                    alt.Tooltip("resolved:Q", title="Resolved incidents (n)"),
                ],
            )
            .properties(width=640, height=240, description=_comparison_summary(frame, names, unit))
        )

    def phase_trend_chart(self, choice: Choice) -> alt.TopLevelMixin:
        history = self.measures[self.measures["team"] == choice.team]
        return charts.phase_trend(
            history.reset_index(drop=True),
            title=f"{self.team_name(choice.team)}: median minutes per lifecycle phase",
        )


def _comparison_summary(frame: pd.DataFrame, names: Sequence[str], unit: str) -> str:
    parts = []
    for name in names:
        rows = frame[(frame["team"] == name) & frame["median"].notna()]
        if not rows.empty:
            last = rows.iloc[-1]
            parts.append(
                f"{name} {format_minutes(last['median'], unit)} in {last['period']} "
                f"(n = {last['resolved']})"
            )
    return (
        "Median time to recover by quarter: " + ("; ".join(parts) or "no resolved incident") + "."
    )


def _listed(values: Iterable[Any], most: int | None = None) -> str:
    values = [str(v) for v in values]
    shown = values if most is None or len(values) <= most else [*values[:most], "..."]
    return ", ".join(repr(v) if " " in v or not v else v for v in shown)


def _span(quarters: Sequence[str]) -> str:
    return f"{quarters[0]} to {quarters[-1]}" if quarters else "none"
