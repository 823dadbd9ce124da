"""The blocks of a team's report (``notebooks/team_report.ipynb``).

The notebook stays thin: each cell calls one function here and displays the result. Blocks
are built with the escaping kit in ``maturity.reporting.html``, so text from incident data
(titles, services, reasons) is always shown as text, never as markup.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import altair as alt
import pandas as pd
from IPython.display import HTML

from maturity.assessment.evidence import unavailable_timestamps
from maturity.assessment.rubric import load_rubric
from maturity.assessment.scoring import TIERS
from maturity.ingest.incidents import EXCLUDED, REJECTED, USED, reason_kinds
from maturity.ingest.record import TIMESTAMP_COLUMNS, timestamp_names
from maturity.measures.definitions import CHANGES, PHASES, RATES
from maturity.measures.engine import recovery_minutes
from maturity.measures.records import to_records
from maturity.measures.stats import MIN_RESOLVED
from maturity.periods import shift_quarter
from maturity.reporting import charts
from maturity.reporting.formatting import (
    MISSING,
    format_change,
    format_change_range,
    format_interval,
    format_minutes,
    format_q,
    format_range,
    format_share,
    unit_of,
)
from maturity.reporting.html import Markup, block, card, cards, items, join, paragraph, table
from maturity.reporting.method import method_sentences
from maturity.reporting.notebook_record import make_record
from maturity.reporting.quarter import TeamQuarter
from maturity.wording import plural, verb

__all__ = [
    "TeamQuarter",
    "change_sentence",
    "data_quality",
    "findings",
    "headline",
    "longest_incidents",
    "maturity_chart",
    "maturity_levels",
    "maturity_section",
    "method",
    "phase_table",
    "practice_table",
    "quarter_table",
    "record",
    "recovery_chart",
    "title_block",
]


def title_block(report: TeamQuarter) -> HTML:
    """The report's title: team, quarter, organisation."""
    return block(
        Markup("<h1>{}: recovery from failure</h1>").format(report.team.name),
        paragraph(
            f"{report.organisation.name} · quarterly maturity review · {report.quarter} · "
            "standard: services are restored quickly and safely following failure (MTTR)",
            "subtitle",
        ),
    )


def _detail(*parts: str) -> Markup:
    """A card's detail line; each part kept whole when the line wraps ("n = 58", never
    "n /= 58")."""
    return Markup(" · ").join(
        Markup('<span class="nowrap">{}</span>').format(p) for p in parts if p
    )


def headline(report: TeamQuarter) -> HTML:
    """Four cards: median and 90th percentile time to recover, the mean, and the counts."""
    now = report.current
    n = now["resolved"]
    per_week = now["incidents_per_week"]
    counts = f"{now['open']} still open"
    if per_week is not None:
        counts += f" · {per_week:.1f} a week"
    unit = report.recovery_unit
    parts = [
        card("Median time to recover", format_minutes(now["mttr_median"], unit),
             _detail(format_interval(now["mttr_median_ci"], unit), f"n = {n}")),
        card("90th percentile", format_minutes(now["mttr_p90"], unit),
             _detail(format_interval(now["mttr_p90_ci"], unit), f"n = {n}")),
        card("MTTR (mean)", format_minutes(now["mttr"], unit),
             "the standard's measure; long tails move it"),
        card("Incidents", str(now["incidents"]), counts),
    ]  # fmt: skip
    note: Markup | str = ""
    team_rows = report.team_incidents()
    if team_rows.incidents.empty:
        rows = len(team_rows.ledger)
        note = paragraph(
            f"No usable incident for {report.team.name} in the exports"
            + (f": the {plural(rows, 'row')} attributed to this team were all excluded or "
               "rejected (see Data quality)" if rows else ": no row names this team or its "
               "services (see aliases and services in assessment.yaml)")
            + ". Nothing in this report is checked against incident data.",
            "callout",
        )  # fmt: skip
    elif now["incidents"] == 0:
        note = paragraph(f"No incidents were detected in {report.quarter}.", "callout")
    elif n < 10:
        note = paragraph(
            f"Only {plural(n, 'resolved incident')} in {report.quarter}: too few for a "
            "reliable median; read the figures as indications, not trends.",
            "callout",
        )
    running = report.review.running_note
    return block(cards(parts), note, paragraph(running, "callout") if running else "")


def change_sentence(
    change: dict[str, Any],
    earlier: str,
    earlier_median: float | None,
    now_median: float | None = None,
    unit: str | None = None,
    data_from: str | None = None,
) -> Markup:
    """One plain sentence on whether recovery times moved beyond noise since ``earlier``:
    the verdict (beyond noise means a q-value under 0.10, ``maturity.measures.stats``), the
    typical change with its 90% interval, and for no change what size of change the data
    could have shown."""
    verdict = change["verdict"]
    if data_from and earlier < data_from:
        return Markup("Against {}: no earlier quarter in the data to compare with (the "
                      "exports begin in {}).").format(earlier, data_from)  # fmt: skip
    if verdict == "insufficient_data":
        return Markup("Against {}: too few resolved incidents to judge a change "
                      "(under 10 in a quarter).").format(earlier)  # fmt: skip
    medians = ""
    if earlier_median is not None:
        unit = unit or unit_of([earlier_median, now_median])  # one unit for the pair
        medians = f" (median {format_minutes(earlier_median, unit)} then"
        medians += f", {format_minutes(now_median, unit)} now)" if now_median is not None else ")"
    typical = format_change(change.get("ratio"))
    interval = format_change_range(change.get("ratio_ci"))
    effect = f"recovery times typically {typical}" + (
        f" (90% interval: {interval})" if interval else ""
    )
    if verdict in ("improved", "worsened"):
        return Markup("Against {}{}: <b>{}</b> beyond noise, {}; {}.").format(
            earlier, medians, verdict, effect, format_q(change.get("q_value"))
        )
    drop, rise = change.get("min_detectable"), change.get("min_detectable_rise")
    if drop is not None and rise is not None:
        rise_text = f"a rise of {rise - 1:.0%}" if rise < 2 else f"a rise to {rise:.1f} times"
        reach = (
            f"; at these volumes only a drop of {1 - drop:.0%} or {rise_text} or more would "
            "show reliably"
        )
    else:
        reach = "; at these volumes no change of scale would show reliably (too many zeros)"
    return Markup("Against {}{}: <b>no detectable change</b>, {}, within noise{}.").format(
        earlier, medians, effect, reach
    )


def findings(report: TeamQuarter) -> HTML:
    """What the statistics say, in sentences: changes, open incidents, DORA band, SLOs."""
    now = report.current
    unit = report.recovery_unit
    by_period = {r["period"]: r for r in to_records(report.history)}
    entries: list[Markup | str] = []
    for lag in CHANGES:
        earlier = shift_quarter(report.quarter, -lag.quarters)
        before = by_period.get(earlier, {}).get("mttr_median")
        entries.append(
            change_sentence(
                now[f"change_{lag.name}"],
                earlier,
                before,
                now["mttr_median"],
                unit,
                report.review.data_from,
            )
        )
    if now["open"]:
        km, resolved_median = now["km_median"], now["mttr_median"]
        them = "them" if now["open"] != 1 else "it"
        verb = "are" if now["open"] != 1 else "is"
        if km is None:
            km_text = (
                f"with more than half of the quarter's {plural(now['incidents'], 'incident')} "
                "still open (or too few recovered), the median time to recover is not known "
                "yet"
            )
        else:
            alone = (
                f" ({format_minutes(resolved_median, unit)} over the resolved ones alone)"
                if resolved_median is not None and abs(km - resolved_median) > 1e-9
                else ", the same as over the resolved ones alone"
            )
            km_text = (
                f"counting {them} as still running rather than dropping {them}, the "
                f"Kaplan-Meier median is {format_minutes(km, unit)}{alone}"
            )
        entries.append(f"{plural(now['open'], 'incident')} {verb} still open: {km_text}.")
    if now["dora_band"]:
        bands = report.review.settings.dora
        entries.append(
            Markup(
                "DORA time-to-restore band: <b>{}</b> (the median against the {} bands: elite "
                "under {}, high under {}, medium under {})."
            ).format(
                now["dora_band"],
                bands.year,
                format_minutes(bands.elite, unit),
                format_minutes(bands.high, unit),
                format_minutes(bands.medium, unit),
            )
        )
    slo = now.get("slo_attainment_by_severity") or {}
    if now.get("slo_attainment_n"):
        parts = [
            f"SEV{level} {format_share(cell['attainment'])} of {cell['n']} within "
            f"{format_minutes(cell['target'], unit)}"
            if cell["attainment"] is not None
            else f"SEV{level}: {plural(cell['n'], 'incident')}, too few to judge"
            for level, cell in slo.items()
            if cell["n"]
        ]
        if now.get("slo_attainment") is not None:
            entries.append(
                Markup("Recovery targets met: <b>{}</b> of {} with a target ({}).").format(
                    format_share(now["slo_attainment"]),
                    plural(now["slo_attainment_n"], "incident"),
                    "; ".join(parts),
                )
            )
        else:
            entries.append(
                f"Recovery targets: only {plural(now['slo_attainment_n'], 'incident')} with a "
                f"target and a known outcome this quarter, too few to judge (at least "
                f"{MIN_RESOLVED} are needed)."
            )
    return block(items(entries))


def level_reason(score: Any, rubric: Any) -> str | None:
    """Why the overall claimed level is what it is beside a higher mean score: levels are
    staged (a level counts only when every statement of it and the levels below is a full
    yes), and the overall level is the lowest category's, whose next-level statements not
    yet met are named. None at the top level."""
    key, lowest = min(score.categories.items(), key=lambda kv: (kv[1].level, kv[0]))
    if lowest.level >= rubric.top_level:
        return None
    missing = [
        s for s in score.statements
        if s.category == key and s.level == lowest.level + 1
        and s.value is not None and s.value < 1.0
    ]  # fmt: skip
    named = ", ".join(
        f"{s.id} ({'unanswered' if s.unanswered else s.answer})" for s in missing[:4]
    ) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
    overall = score.overall
    return (
        f"Why level {overall['level']} with a mean score of {overall['score']:.2f}: a level "
        "counts only when every statement at it and below is answered yes (levels are "
        "staged, as in CMMI), and the overall level is the lowest category's. "
        f"{rubric.categories[key]} stops at level {lowest.level}"
        + (f": level {lowest.level + 1} needs {named}." if named else ".")
    )


def _verdict_cell(r: dict[str, Any], data_from: str) -> str:
    """The quarter table's change cell: the verdict, or why there is none."""
    if r["period"] == data_from:
        return "no earlier quarter"
    return r["change_qoq"]["verdict"].replace("_", " ") if r["incidents"] else MISSING


def quarter_table(report: TeamQuarter) -> HTML:
    """Incidents and recovery statistics per quarter, the assessed quarter highlighted."""
    rows, current = [], []
    unit = report.recovery_unit  # the trend chart's unit: table and axis read alike
    for i, r in enumerate(to_records(report.history)):
        rows.append([
            r["period"], r["incidents"], r["resolved"], r["open"],
            format_minutes(r["mttr_median"], unit), format_range(r["mttr_median_ci"], unit),
            format_minutes(r["mttr_p90"], unit), format_minutes(r["mttr"], unit),
            _verdict_cell(r, report.review.data_from),
        ])  # fmt: skip
        if r["period"] == report.quarter:
            current.append(i)
    header = ["Quarter", "Incidents", "Resolved", "Open", "Median", "90% CI", "90th pct",
              "Mean (MTTR)", "vs quarter before"]  # fmt: skip
    return block(table(rows, header, highlight=current, text_columns=(0, 8)))


def _this_and_last_quarter(
    report: TeamQuarter,
    measures: list[tuple[str, str, str]],
    header: tuple[str, str, str],
    formatter: Any,
) -> HTML:
    """One row per measure (key, label, meaning): this and last quarter's value and n."""
    now, before = report.current, report.previous
    rows = [
        [label, meaning, formatter(now[key]), now[f"{key}_n"],
         formatter(before[key]), before[f"{key}_n"]]
        for key, label, meaning in measures
    ]  # fmt: skip
    first, second, n = header
    columns = [first, second, report.quarter, n, shift_quarter(report.quarter, -1), n]
    return block(table(rows, columns, text_columns=(0, 1)))


def phase_table(report: TeamQuarter) -> HTML:
    """Median minutes of each lifecycle phase, this quarter and the one before, with n; a
    phase whose timestamps the team's export formats cannot carry says so."""
    incidents = report.team_incidents().incidents
    missing = set(unavailable_timestamps(incidents, TIMESTAMP_COLUMNS)) if len(incidents) else set()
    phases = [(p.measure, p.label, p.meaning) for p in PHASES]
    table_html = _this_and_last_quarter(report, phases, ("Phase", "From → to", "n"), format_minutes)
    blind = [p for p in PHASES if {p.start, p.end} & missing]
    if not blind:
        return table_html
    formats = ", ".join(sorted(set(incidents["source_format"].dropna())))
    note = paragraph(
        f"This team's exports ({formats}) carry no {timestamp_names(sorted(missing))} time, so "
        f"{plural(len(blind), 'phase')} ({', '.join(p.label.lower() for p in blind)}) cannot be "
        "measured from them; a dash there means not recorded by the tool, not slow.",
        "note",
    )
    return block(Markup(table_html.data), note)


def practice_table(report: TeamQuarter) -> HTML:
    """Runbook usage, automation coverage and review rate, with the counts behind them."""
    rates = [(r.measure, r.label, r.meaning) for r in RATES]
    header = ("Practice", "Share of resolved incidents", "n known")
    return _this_and_last_quarter(report, rates, header, format_share)


def data_quality(report: TeamQuarter, examples: int = 10) -> HTML:
    """How this team's rows were accounted for, with the first rows not used and why."""
    ledger = report.team_incidents().ledger
    counts = ledger["action"].value_counts()
    used, excluded, rejected = (int(counts.get(a, 0)) for a in (USED, EXCLUDED, REJECTED))
    unattributed = len(report.review.incidents.rejected_without_team())
    parts: list[Markup | str] = [
        Markup(
            "<p>{} read for this team, all quarters: <b>{}</b> used, <b>{}</b> excluded, "
            "<b>{}</b> rejected.</p>"
        ).format(plural(len(ledger), "row"), used, excluded, rejected)
    ]
    problems = ledger[ledger["action"] != USED]
    if len(problems):
        summary = (
            problems.assign(kind=reason_kinds(problems["reason"]))
            .groupby(["action", "kind"])
            .size()
            .reset_index(name="rows")
        )
        parts.append(table(summary.itertuples(index=False), ["Action", "Reason", "Rows"],
                           text_columns=(0, 1)))  # fmt: skip
        shown = problems.head(examples)[["file", "row", "incident_id", "action", "reason"]]
        parts.append(
            table(
                shown.astype(object).fillna(MISSING).itertuples(index=False),
                ["File", "Row", "Incident", "Action", "Reason"],
                text_columns=(0, 2, 3, 4),
            )
        )
        if len(problems) > examples:
            parts.append(
                Markup(
                    '<p class="note">…and {} more; <code>maturity validate</code> lists '
                    "them all.</p>"
                ).format(len(problems) - examples)
            )
    if unattributed:
        parts.append(
            paragraph(
                f"{plural(unattributed, 'row')} of the organisation could not be attributed to any "
                "team; the review's index lists them.",
                "note",
            )
        )
    return block(*parts)


def record(report: TeamQuarter) -> dict[str, Any]:
    """The report's headline numbers, stored in the executed notebook for tests and audit
    (see ``maturity.reporting.notebook_record``)."""
    payload = {"team": report.team.key, "quarter": report.quarter, **report.current}
    if report.maturity is not None:
        payload["maturity"] = report.maturity.score.overall
    return make_record(payload)


def longest_incidents(report: TeamQuarter, count: int = 5) -> HTML:
    """The quarter's longest incidents; still-open ones first, as they may be longer yet."""
    unit = report.recovery_unit
    incidents = report.team_incidents().incidents
    quarter = incidents[incidents["quarter"] == report.quarter].copy()
    if quarter.empty:
        return block(paragraph(f"No incidents in {report.quarter}.", "note"))
    quarter["minutes"] = recovery_minutes(quarter)
    quarter["is_open"] = quarter["resolved_at"].isna()
    top = quarter.sort_values(["is_open", "minutes", "incident_id"], ascending=[False, False, True])
    local = top["detected_at"].dt.tz_convert(report.organisation.timezone)
    rows = [
        [
            r.incident_id,
            r.title if isinstance(r.title, str) else MISSING,
            r.service if isinstance(r.service, str) else MISSING,
            f"SEV{r.severity}" if not pd.isna(r.severity) else MISSING,
            when.strftime("%d %b %Y %H:%M"),
            ("still open" if r.is_open else format_minutes(r.minutes, unit)),
        ]
        for r, when in zip(top.head(count).itertuples(index=False), local.head(count), strict=True)
    ]
    zone = report.organisation.timezone
    header = ["Incident", "Title", "Service", "Severity", f"Detected ({zone})", "Time to recover"]
    still_open = int(quarter["is_open"].sum())
    note = (
        paragraph(
            f"{plural(still_open, 'incident')} still open, listed first: the time to "
            "recover is not known yet, and may be longer still.",
            "note",
        )
        if still_open
        else ""
    )
    return block(table(rows, header, text_columns=(0, 1, 2, 3, 4)), note)


def maturity_section(report: TeamQuarter) -> HTML:
    """Levels claimed and supported by the data, contradicted claims, recommendations."""
    result = report.maturity
    broken = [
        paragraph(f"{p.message}" + ("" if p.period == report.quarter else
                  f" (an earlier assessment, {p.period}: left out of the history)"), "callout")
        for p in report.answer_problems
    ]  # fmt: skip
    if result is None and broken:
        return block(
            *broken,
            paragraph(
                f"The answers could not be read, so {report.team.name}'s maturity is not "
                f"assessed for {report.quarter}. Fix the file and run the review again.",
                "note",
            ),
        )
    if result is None:
        return block(
            Markup(
                '<p class="callout">No questionnaire answers for {} in {}: the maturity level is '
                "not assessed. <code>maturity template --team {} --quarter {}</code> writes the "
                "questionnaire.</p>"
            ).format(report.team.name, report.quarter, report.team.key, report.quarter)
        )
    rubric = load_rubric()
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
    parts: list[Markup | str] = [*broken, table(rows, header, highlight=[len(rows) - 1])]
    why = level_reason(score, rubric)
    if why:
        parts.append(paragraph(why, "note"))
    change = result.change
    if change:
        parts.append(
            paragraph(
                f"Since {change['since']}: supported level {change['evidence_level']:+d}, "
                f"supported score {change['evidence_score']:+.2f}.",
                "note",
            )
        )
    contradicted = [s for s in score.statements if s.evidence == "contradicted" and s.value]
    if contradicted:
        parts.append(
            join(
                [
                    Markup("<h3>Claims the incident data contradicts</h3>"),
                    paragraph(
                        "Each counts at most as \u201cpartly\u201d. Fix the practice, or the "
                        "answer.",
                        "note",
                    ),
                    items(f"{s.id}: {s.reason}." for s in contradicted),
                ]
            )
        )
    elif not any(s.value and s.evidence == "supported" for s in score.statements):
        parts.append(
            paragraph(
                "No incident data to check the claims against: the levels supported by data "
                "equal the levels claimed.",
                "note",
            )
        )
    else:
        parts.append(paragraph("No claim is contradicted by the incident data.", "note"))
    if score.unanswered:
        parts.append(
            paragraph(f"Unanswered (counted as no): {', '.join(score.unanswered)}.", "note")
        )
    if score.not_asked:
        new = plural(len(score.not_asked), "statement")
        parts.append(
            paragraph(
                f"Answered against rubric version {score.answered_version}; this review scores "
                f"version {score.rubric_version}, whose {new} new since "
                f"({', '.join(score.not_asked)}) count as unanswered until answered.",
                "note",
            )
        )
    parts.append(_respondents(report, score))
    parts.append(_statement_tiers(score, rubric.categories))
    # Contradicted claims are listed above: here only what the next level still needs.
    advice = [r for r in result.recommendations if r["kind"] != "contradicted"][:8]
    if advice:
        parts.append(Markup("<h3>What unlocks the next level</h3>"))
        parts.append(items((item["message"] for item in advice), ordered=True))
    return block(*parts)


def _respondents(report: TeamQuarter, score: Any) -> Markup:
    """Who answered, and the statements they disagree on with each one's answer and note."""
    names = score.respondents
    if len(names) <= 1:
        return Markup("")
    who = "anonymous" if report.organisation.anonymous else ", ".join(names)
    disputed = score.disputed
    lead = Markup("<h3>Where the respondents disagree</h3>") + paragraph(
        f"{plural(len(names), 'respondent')} ({who}) answered; each statement takes the median "
        f"of their answers (the lower middle on an even count). "
        + (f"{plural(len(disputed), 'statement')} {verb(len(disputed), 'is', 'are')} disputed: "
           "one said yes, another no. A disagreement is itself a finding: talk it through."
           if disputed else "No statement is disputed."),
        "note",
    )  # fmt: skip
    if not disputed:
        return lead
    rows = []
    for s in disputed:
        answers = "; ".join(
            f"{g['respondent']}: {g['answer']}" + (f" ({g['note']})" if g["note"] else "")
            for g in s.by_respondent
        )
        rows.append([s.id, s.text, s.answer, answers])
    return join([lead, table(rows, ["Statement", "Wording", "Team's answer", "Each respondent"],
                             text_columns=(0, 1, 2, 3))])  # fmt: skip


def _statement_tiers(score: Any, categories: dict[str, str]) -> Markup:
    """How far each yes or partly answer is backed: counts by category, then the ids.

    Compact on purpose: a full questionnaire has dozens of statements, and a table of them
    would fill a page. The ids of claims with nothing behind them are listed, since they are
    what an appraiser asks about first.
    """
    graded = [s for s in score.statements if s.tier]
    if not graded:
        return Markup("")
    counts = Counter((s.category, s.tier) for s in graded)
    rows = [
        [name, *(counts[key, tier] or MISSING for tier in TIERS)]
        for key, name in categories.items()
        if any(counts[key, tier] for tier in TIERS)
    ]
    totals = Counter(s.tier for s in graded)
    rows.append(["All", *(totals[tier] or MISSING for tier in TIERS)])
    claimed = [s.id for s in graded if s.tier == "claimed"]
    documented = [s.id for s in graded if s.tier == "documented"]
    notes = [
        "Of the statements answered yes or partly, as an appraisal grades practices: an answer "
        "alone is claimed, with an evidence link documented, borne out by the incident data "
        "corroborated, and contradicted where the data says otherwise."
    ]
    if claimed:
        notes.append(f"Claimed with nothing behind them: {', '.join(claimed)}.")
    if documented:
        notes.append(f"Documented by a link only: {', '.join(documented)}.")
    return join([
        Markup("<h3>How far each claim is backed</h3>"),
        table(rows, ["Category", *(t.capitalize() for t in TIERS)],
              highlight=[len(rows) - 1]),
        *(paragraph(n, "note") for n in notes),
    ])  # fmt: skip


def recovery_chart(report: TeamQuarter) -> alt.LayerChart | HTML:
    """The time-to-recover trend, or a note when no incident in these quarters recovered."""
    history = report.history
    if not history["resolved"].any():
        return block(
            paragraph(
                "No resolved incidents in these quarters: no recovery time to chart.", "callout"
            )
        )
    return charts.recovery_trend(history, title=f"{report.team.name}: time to recover by quarter",
                                 unit=report.recovery_unit)  # fmt: skip


def spread_chart(report: TeamQuarter) -> alt.LayerChart | HTML:
    """Every quarter's recovery times as a distribution (log scale, median marked)."""
    history = report.history
    if not history["resolved"].any():
        return block(paragraph("No resolved incidents in these quarters: no spread to show."))
    return charts.recovery_spread(
        report.team_incidents().incidents,
        list(history["period"]),
        title=f"{report.team.name}: every incident's time to recover",
        unit=report.recovery_unit,
    )


#: How each doubtful pattern reads in a report (the share follows).
TRUST_WORDS = {
    "recovered_equals_mitigated": "recovered at the very moment of mitigation",
    "zero_duration": "resolved the moment they were detected",
    "whole_hour": "took exactly whole hours to recover (typed in afterwards?)",
    "bulk_closure": "were closed with two or more others in the same minute",
    "resolved_last_day": "were resolved on the quarter's last day",
    "detected_before_started": "were detected before their impact started",
    "phase_out_of_order": "had a phase end before it began (e.g. mitigated before "
    "acknowledged), counted as 0 minutes",
}


def data_trust(report: TeamQuarter) -> HTML:
    """How far this quarter's timestamps can be trusted: each timestamp's coverage and the
    patterns that make them doubtful, with counts (``maturity.measures.trust``)."""
    trust = report.current.get("data_trust") or {}
    n = trust.get("incidents", 0)
    if not n:
        return block(paragraph(f"No incidents in {report.quarter}: nothing to judge."))
    doubtful = trust.get("doubtful", [])
    if doubtful:
        fields = sorted({d["field"] for d in doubtful})
        lead = Markup(
            '<p class="callout">Some of {}\'s timestamps are doubtful ({}): the figures that '
            "rest on them say less than they seem.</p>"
        ).format(report.quarter, ", ".join(fields))
    else:
        lead = Markup(
            "<p>No doubtful pattern in {}'s {}: the recovery figures rest on "
            "timestamps that look recorded as things happened.</p>"
        ).format(report.quarter, plural(n, "incident"))
    rows = []
    for pattern, words in TRUST_WORDS.items():
        share, of = trust.get(pattern), trust.get(f"{pattern}_n", 0)
        flag = next((d for d in doubtful if d["pattern"] == pattern), None)
        rows.append([f"Incidents that {words}", format_share(share), of,
                     f"doubtful: {flag['field']}" if flag else "no"])  # fmt: skip
    coverage = trust.get("coverage", {})
    covered = ", ".join(
        f"{name.removesuffix('_at').replace('_', ' ')} {format_share(coverage.get(name))}"
        for name in ("started_at", "detected_at", "acknowledged_at", "mitigated_at",
                     "resolved_at", "notified_at")
    )  # fmt: skip
    return block(
        lead,
        table(rows, ["Pattern", "Share", "of n", "Doubt"], text_columns=(0, 3)),
        paragraph(f"Incidents carrying each timestamp in {report.quarter}: {covered}."),
    )


def method(report: TeamQuarter) -> HTML:
    """How the figures are computed: what "beyond noise", the intervals and the typical
    change mean (``maturity.reporting.method``)."""
    return block(items(method_sentences(len(report.organisation.teams)), kind="method"))


def maturity_chart(report: TeamQuarter) -> alt.Chart | None:
    """The claimed-and-supported chart, or None (nothing shown) without answers."""
    if report.maturity is None:
        return None
    return charts.maturity_levels(
        maturity_levels(report), title="Maturity by category: claimed and supported by data"
    )


def maturity_levels(report: TeamQuarter) -> pd.DataFrame:
    """Claimed and supported level per category, tidy, for ``charts.maturity_levels``."""
    names = load_rubric().categories
    rows = []
    if report.maturity is not None:
        for key, c in report.maturity.score.categories.items():
            rows.append({"category": names[key], "kind": "Claimed", "score": c.score})
            rows.append({"category": names[key], "kind": "Supported by data",
                         "score": c.evidence_score})  # fmt: skip
    return pd.DataFrame(rows, columns=["category", "kind", "score"])
