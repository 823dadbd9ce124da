"""The blocks of the portfolio report (``notebooks/portfolio_report.ipynb``): where the
organisation stands, whether it is improving, and where to invest. Blocks return escaped
HTML (``maturity.reporting.html``), DataFrames or charts."""

from __future__ import annotations

from collections import Counter
from typing import Any

import altair as alt
import pandas as pd
from IPython.display import HTML

from maturity.assessment.rubric import load_rubric
from maturity.measures.definitions import ALL_TEAMS, CHANGES
from maturity.measures.stats import FALSE_DISCOVERY_RATE as FDR
from maturity.periods import shift_quarter
from maturity.reporting import charts
from maturity.reporting.board_pack import Figure, level_counts
from maturity.reporting.formatting import (
    MISSING,
    format_change,
    format_change_range,
    format_interval,
    format_minutes,
    format_q,
)
from maturity.reporting.html import Markup, block, card, cards, items, paragraph, table
from maturity.reporting.method import method_sentences
from maturity.reporting.notebook_record import make_record
from maturity.reporting.quarter import ReviewQuarter, load_review_quarter
from maturity.reporting.team_report import change_sentence
from maturity.wording import plural

__all__ = ["ReviewQuarter", "data_quality", "headline", "load_review_quarter", "maturity_chart",
           "method", "record", "team_table", "title_block", "where_to_invest"]  # fmt: skip


def across(teams: int) -> str:
    """Who a false-discovery control spans: ``all 6 teams``, or ``the one team``."""
    return "the one team" if teams == 1 else f"all {teams} teams"


def title_block(portfolio: ReviewQuarter) -> HTML:
    teams = len(portfolio.organisation.teams)
    return block(
        Markup("<h1>{}: recovery from failure</h1>").format(portfolio.organisation.name),
        paragraph(
            f"Portfolio review · {portfolio.quarter} · {plural(teams, 'team')} · standard: "
            "services are restored quickly and safely following failure (MTTR)",
            "subtitle",
        ),
    )


def headline_figures(portfolio: ReviewQuarter) -> list[Figure]:
    """The organisation's headline figures for the quarter: median and 90th percentile time
    to recover with their counts, incidents and open ones, teams assessed and the levels
    the data supports (the portfolio's cards; the board pack's cover adds ``year_figure``)."""
    now = portfolio.row(ALL_TEAMS)
    levels = [a.score.overall["evidence_level"] for a in portfolio.maturity.values()]
    unit = portfolio.recovery_unit
    interval = format_interval(now["mttr_median_ci"], unit)
    n = f"n = {now['resolved']} resolved"
    return [
        ("Median time to recover", format_minutes(now["mttr_median"], unit),
         " · ".join(x for x in (interval, n) if x)),
        ("90th percentile", format_minutes(now["mttr_p90"], unit), n),
        ("Incidents", str(now["incidents"]), f"{now['open']} still open"),
        ("Teams assessed", f"{len(portfolio.maturity)} of {len(portfolio.organisation.teams)}",
         _level_counts(levels) if levels else "no questionnaire answers"),
    ]  # fmt: skip


def year_figure(portfolio: ReviewQuarter) -> Figure:
    """The organisation's change against a year before, as a headline figure."""
    change = portfolio.row(ALL_TEAMS)["change_yoy"]
    earlier = shift_quarter(portfolio.quarter, -4)
    if portfolio.data_from and earlier < portfolio.data_from:
        moved, detail = "—", f"no data for {earlier}"
    elif change["verdict"] in ("improved", "worsened"):
        moved, detail = change["verdict"], f"recovery {format_change(change['ratio'])}"
    elif change["verdict"] == "no_detectable_change":
        moved, detail = "no change", "none beyond noise (q < 0.10)"
    else:
        moved, detail = "—", "too few resolved incidents to judge"
    return (f"Against {earlier}", moved, detail)


def cover_figures(portfolio: ReviewQuarter) -> list[Figure]:
    """The board pack cover's figures: the headline's, the change against a year before
    among them."""
    figures = headline_figures(portfolio)
    return [*figures[:3], year_figure(portfolio), *figures[3:]]


def headline(portfolio: ReviewQuarter) -> HTML:
    """The organisation's figures for the quarter, and its verdicts on change."""
    now = portfolio.row(ALL_TEAMS)
    unit = portfolio.recovery_unit
    parts = [card(*figure) for figure in headline_figures(portfolio)]
    sentences = []
    for lag in CHANGES:
        earlier = shift_quarter(portfolio.quarter, -lag.quarters)
        before = portfolio.row(ALL_TEAMS, earlier)["mttr_median"]
        sentences.append(
            change_sentence(
                now[f"change_{lag.name}"],
                earlier,
                before,
                now["mttr_median"],
                unit,
                portfolio.data_from,
            )
        )
    running = [paragraph(portfolio.running_note, "callout")] if portfolio.running_note else []
    return block(cards(parts), *running, items(sentences))


def _level_counts(levels: list[Any]) -> str:
    """How many teams the data supports at each level: levels are ordinal, so counted, never
    averaged."""
    return "supported: " + level_counts(Counter(int(level) for level in levels))


def statement_name(statement_id: str) -> str:
    """A statement as leaders read it: ``Technology & Tools level 4: "Automation ..."``."""
    rubric = load_rubric()
    statement = rubric.by_id[statement_id]
    return (
        f"{rubric.categories[statement.category]} level {statement.level}: "
        f"\u201c{statement.text.rstrip('.')}\u201d"
    )


def mover_entries(portfolio: ReviewQuarter) -> list[Markup]:
    """One sentence per team whose median time to recover changed beyond noise, against
    last quarter and a year before (q-value under ``FDR`` across teams)."""
    entries: list[Markup] = []
    for lag in CHANGES:
        earlier = shift_quarter(portfolio.quarter, -lag.quarters)
        for key, team in sorted(portfolio.organisation.teams.items(), key=lambda kv: kv[1].name):
            change = portfolio.row(key)[f"change_{lag.name}"]
            if change["verdict"] not in ("improved", "worsened"):
                continue  # a verdict is given only where q < FDR (maturity.measures.stats)
            interval = format_change_range(change.get("ratio_ci"))
            entries.append(
                Markup("<b>{}</b> {} since {}: recovery times typically {}{} ({}).").format(
                    team.name, change["verdict"], earlier, format_change(change["ratio"]),
                    f", 90% interval {interval}" if interval else "",
                    format_q(change["q_value"]),
                )
            )  # fmt: skip
    return entries


NO_MOVERS = (
    "No team's time to recover changed beyond noise, against last quarter or a year before "
    "(differences this small are within what chance produces)."
)


def movers(portfolio: ReviewQuarter) -> HTML:
    """Teams whose median time to recover changed beyond noise, against last quarter and a
    year before; only changes that survive the false-discovery control across teams."""
    entries: list[Markup | str] = [*mover_entries(portfolio)] or [NO_MOVERS]
    note = paragraph(
        f"A change counts when its q-value, controlled across "
        f"{across(len(portfolio.organisation.teams))} and the organisation as a whole, is "
        f"below {FDR:.2f}: at most one in ten such verdicts is expected to be a fluke. The "
        "test compares every incident's recovery time (Mann-Whitney), so rounded, tied or "
        "zero-minute times cannot make a change on their own.",
        "note",
    )
    return block(items(entries), note)


def method(portfolio: ReviewQuarter) -> HTML:
    """How the figures are computed (``maturity.reporting.method``)."""
    return block(items(method_sentences(len(portfolio.organisation.teams)), kind="method"))


def contradicted_entries(portfolio: ReviewQuarter) -> list[Markup]:
    """One sentence per claim a team's incident data contradicts, in the rubric's words."""
    entries: list[Markup] = []
    for key, team in sorted(portfolio.organisation.teams.items(), key=lambda kv: kv[1].name):
        result = portfolio.maturity.get(key)
        if result is None:
            continue
        for s in result.score.statements:
            if s.evidence == "contradicted" and s.value:
                why = s.reason.split(": ", 1)[-1]
                entries.append(
                    Markup("<b>{}</b>: {} ({}).").format(team.name, statement_name(s.id), why)
                )
    return entries


#: Contradicted claims listed one by one up to this many; beyond, they are counted by
#: statement (each team's report lists its own, with the figures).
CLAIMS_LISTED = 12
#: Teams named per statement in the counted form.
TEAMS_NAMED = 8


def contradicted_by_statement(portfolio: ReviewQuarter) -> list[tuple[str, list[str]]]:
    """The statements the incident data contradicts, each with the teams (by name),
    most-contradicted first (then in the rubric's order)."""
    order = {s.id: i for i, s in enumerate(load_rubric().statements)}
    teams: dict[str, list[str]] = {}
    for key, team in sorted(portfolio.organisation.teams.items(), key=lambda kv: kv[1].name):
        result = portfolio.maturity.get(key)
        for s in result.score.statements if result is not None else ():
            if s.evidence == "contradicted" and s.value:
                teams.setdefault(s.id, []).append(team.name)
    return sorted(teams.items(), key=lambda kv: (-len(kv[1]), order[kv[0]]))


def contradicted_claims(portfolio: ReviewQuarter) -> HTML:
    """The claims the teams' incident data contradicts, in the rubric's words: one by one
    (team, statement, figures) up to ``CLAIMS_LISTED``, else counted by statement with the
    teams named, so the section stays a page at 300 teams."""
    entries = contradicted_entries(portfolio)
    unanswered = sorted(
        team.name for key, team in portfolio.organisation.teams.items()
        if key not in portfolio.maturity
    )  # fmt: skip
    parts: list[Markup | str] = []
    if not entries:
        parts.append(paragraph(portfolio.no_claims_text))
    elif len(entries) <= CLAIMS_LISTED:
        parts.append(items(entries))
    else:
        grouped = contradicted_by_statement(portfolio)
        teams = len({name for _, names in grouped for name in names})
        parts.append(
            paragraph(
                f"{plural(len(entries), 'claim')} from {plural(teams, 'team')}, by statement, "
                "the most contradicted first; each team's report gives its figures.",
                "note",
            )
        )
        rows = []
        for statement, names in grouped:
            shown = ", ".join(names[:TEAMS_NAMED])
            more = len(names) - TEAMS_NAMED
            rows.append([statement_name(statement), len(names),
                         shown + (f" and {more} more" if more > 0 else "")])  # fmt: skip
        parts.append(table(rows, ["Claim", "Teams", "Which"], text_columns=(0, 2)))
    if unanswered:
        parts.append(
            paragraph(f"No questionnaire answers this quarter: {', '.join(unanswered)}.", "note")
        )
    return block(*parts)


def team_table(portfolio: ReviewQuarter) -> HTML:
    """One row per team: volume, recovery, change beyond noise, DORA band, maturity."""
    rows = []
    unit = portfolio.recovery_unit
    for key, team in sorted(portfolio.organisation.teams.items(), key=lambda kv: kv[1].name):
        r = portfolio.row(key)
        result = portfolio.maturity.get(key)
        claimed: str
        contradicted: str | int
        disputed: str | int
        if result is None:
            claimed = supported = contradicted = disputed = MISSING
        else:
            overall = result.score.overall
            claimed = f"{overall['level']} / {overall['evidence_level']}"
            supported = f"{overall['score']:.2f} / {overall['evidence_score']:.2f}"
            contradicted = sum(
                1 for s in result.score.statements if s.evidence == "contradicted" and s.value
            )
            disputed = len(result.score.disputed)
        rows.append([
            team.name, r["incidents"], format_minutes(r["mttr_median"], unit),
            r["change_yoy"]["verdict"].replace("_", " ") if r["incidents"] else MISSING,
            r["dora_band"] or MISSING, claimed, supported, contradicted, disputed,
        ])  # fmt: skip
    header = ["Team", "Incidents", "Median to recover", "vs a year before", "DORA band",
              "Level claimed / supported", "Score claimed / supported",
              "Claims contradicted", "Statements disputed"]  # fmt: skip
    note = paragraph(
        "Level: the lowest of the four category levels (1-5), the standard's maturity. Score: "
        "the mean of the category scores, each a level plus the progress made towards the "
        "next, so a level 2 team can score 3.50. Supported: once the incident data has "
        "checked the claims. Disputed: statements one of the team's respondents answered yes "
        "and another no.",
        "note",
    )
    return block(table(rows, header, text_columns=(0, 3, 4), wide=True), note)


def maturity_frame(portfolio: ReviewQuarter) -> pd.DataFrame:
    """Claimed and supported overall score per team, tidy."""
    rows = []
    for key, result in portfolio.maturity.items():
        name = portfolio.organisation.teams[key].name
        overall = result.score.overall
        rows.append({"team": name, "kind": "Claimed", "score": overall["score"]})
        rows.append({"team": name, "kind": "Supported by data", "score": overall["evidence_score"]})
    return pd.DataFrame(rows, columns=["team", "kind", "score"])


#: Above this many assessed teams, the bar chart of scores gives way to the heatmap.
BAR_CHART_TEAMS = 20


def maturity_chart(portfolio: ReviewQuarter) -> alt.Chart | HTML:
    """Overall maturity per team, as claimed and as the data supports."""
    frame = maturity_frame(portfolio)
    if frame.empty:
        return block(paragraph("No team answered the questionnaire this quarter.", "callout"))
    if frame["team"].nunique() > BAR_CHART_TEAMS:
        return block(paragraph(
            f"{frame['team'].nunique()} teams assessed: the heatmap below shows each team's "
            "levels by category, the team table every team's overall level and score.",
            "note",
        ))  # fmt: skip
    return charts.maturity_levels(
        frame, title="Maturity by team: claimed and supported by incident data", by="team"
    )


def where_to_invest(portfolio: ReviewQuarter, count: int = 6) -> HTML:
    """Plain findings: credibility gaps, regressions, and the practices most teams lack."""
    entries: list[Markup | str] = [*investment_entries(portfolio, count)] or [NOTHING_TO_INVEST]
    return block(items(entries))


NOTHING_TO_INVEST = "No credibility gap, regression or shared weakness stands out."


def investment_entries(portfolio: ReviewQuarter, count: int = 6) -> list[Markup]:
    """Where to invest, one sentence each: teams claiming more than their data supports
    (largest gap first), teams slower than a year ago beyond noise, and the statements
    holding two or more teams below their next level (the ``count`` most shared)."""
    entries: list[Markup] = []
    gaps = sorted(
        (
            (a.score.overall["score"] - a.score.overall["evidence_score"], key)
            for key, a in portfolio.maturity.items()
        ),
        reverse=True,
    )
    for gap, key in gaps:
        if gap > 0:
            entries.append(
                Markup(
                    "<b>{}</b> claims more than its incident data supports (overall score {} "
                    "lower once claims are checked)."
                ).format(portfolio.organisation.teams[key].name, f"{gap:.2f}")
            )
    for key, team in sorted(portfolio.organisation.teams.items()):
        change = portfolio.row(key)["change_yoy"]
        # Named only when the change survives the false-discovery control across teams.
        q_value = change["q_value"]
        if change["verdict"] == "worsened" and q_value is not None and q_value < FDR:
            entries.append(
                Markup("<b>{}</b>: recovery is slower than a year ago, beyond noise.").format(
                    team.name
                )
            )
    blocking: Counter[str] = Counter()
    for result in portfolio.maturity.values():
        for item in result.recommendations:
            blocking[item["statement"]] += 1
    for statement, teams in blocking.most_common(count):
        if teams < 2:
            break
        entries.append(
            Markup("{} teams are held back by <b>{}</b>.").format(teams, statement_name(statement))
        )
    return entries


def data_quality(portfolio: ReviewQuarter) -> HTML:
    q = portfolio.incidents.quality()
    return block(
        Markup(
            "<p>{} read from the teams' exports: <b>{}</b> used, <b>{}</b> excluded "
            "(tests, drills, duplicates), <b>{}</b> rejected (unusable). Every row is accounted "
            "for; the index lists the reasons.</p>"
        ).format(
            plural(q["rows_read"], "row"), q["rows_used"], q["rows_excluded"], q["rows_rejected"]
        )
    )


def record(portfolio: ReviewQuarter) -> dict[str, Any]:
    """The portfolio's headline numbers, kept in the executed notebook."""
    now = portfolio.row(ALL_TEAMS)
    return make_record({"team": ALL_TEAMS, "quarter": portfolio.quarter, **now})


#: The heatmap shows at most this many teams (those whose claims the data cuts most first);
#: the team table lists every team.
HEATMAP_TEAMS = 60
HEATMAP_TITLE = "Maturity by team and category: level supported by the data (claimed→supported)"


def maturity_grid(portfolio: ReviewQuarter) -> pd.DataFrame:
    """One row per assessed team and category: levels claimed and supported, tidy."""
    rubric = load_rubric()
    rows = []
    for key, result in portfolio.maturity.items():
        name = portfolio.organisation.teams[key].name
        overall = result.score.overall
        gap = overall["score"] - overall["evidence_score"]
        for category, c in result.score.categories.items():
            disputed = sum(1 for s in result.score.disputed if s.category == category)
            label = f"{c.level}→{c.evidence_level}" if c.level != c.evidence_level else str(c.level)
            rows.append({
                "team": name, "category": rubric.categories[category],
                "claimed": c.level, "supported": c.evidence_level,
                # A cell whose respondents disagree on a statement carries a mark.
                "label": f"{label} ⚑{disputed}" if disputed else label,
                "disputed": disputed,
                "gap": gap, "overall": overall["evidence_level"],
            })  # fmt: skip
    return pd.DataFrame(rows, columns=["team", "category", "claimed", "supported", "label",
                                       "disputed", "gap", "overall"])  # fmt: skip


def maturity_heatmap(portfolio: ReviewQuarter) -> alt.LayerChart | HTML:
    """Teams x categories: the level the data supports as colour, and "claimed→supported"
    written in every cell where they differ (so colour never carries the meaning alone)."""
    grid = maturity_grid(portfolio)
    if grid.empty:
        return block(paragraph("No team answered the questionnaire this quarter.", "callout"))
    order = (
        grid.drop_duplicates("team")
        .sort_values(["gap", "overall", "team"], ascending=[False, True, True])["team"]
        .tolist()
    )
    shown = order[:HEATMAP_TEAMS]
    chart = charts.maturity_heatmap(
        grid[grid["team"].isin(shown)], order=shown, title=HEATMAP_TITLE
    )
    if len(order) > HEATMAP_TEAMS:
        return block(
            Markup(charts_html(chart)),
            paragraph(
                f"The {HEATMAP_TEAMS} of {len(order)} teams whose claims the data cuts most; "
                "the team table above lists every team.",
                "note",
            ),
        )
    return chart


def charts_html(chart: alt.TopLevelMixin) -> str:
    from maturity.reporting.render import chart_html

    return chart_html(chart.to_dict())


def level_distribution(portfolio: ReviewQuarter) -> HTML:
    """How many teams sit at each supported level and in each DORA band, now and last
    quarter: the shape of the organisation, which a single average hides."""
    previous = shift_quarter(portfolio.quarter, -1)
    now_levels: Counter[int] = Counter()
    before_levels: Counter[int] = Counter()
    for result in portfolio.maturity.values():
        now_levels[int(result.score.overall["evidence_level"])] += 1
        earlier = [h for h in result.history if h["period"] == previous]
        if earlier:
            before_levels[int(earlier[-1]["overall"]["evidence_level"])] += 1
    rows: list[list[Any]] = []
    for level in range(1, 6):
        now, before = now_levels[level], before_levels[level]
        change = f"{now - before:+d}" if before_levels else MISSING
        rows.append([f"Level {level}", now, before if before_levels else MISSING, change])
    bands_now: Counter[str] = Counter()
    bands_before: Counter[str] = Counter()
    for key in portfolio.organisation.teams:
        bands_now[portfolio.row(key)["dora_band"] or "not rated"] += 1
        bands_before[portfolio.row(key, previous)["dora_band"] or "not rated"] += 1
    band_rows = [
        [f"DORA {band}" if band != "not rated" else "No DORA band (under 10 resolved)",
         bands_now[band], bands_before[band], f"{bands_now[band] - bands_before[band]:+d}"]
        for band in ("elite", "high", "medium", "low", "not rated")
        if bands_now[band] or bands_before[band]
    ]  # fmt: skip
    header = ["", portfolio.quarter, previous, "Change"]
    note = paragraph(
        "Levels: teams assessed in both quarters are compared by the level their data "
        f"supports; {plural(len(portfolio.maturity), 'team')} assessed this quarter, "
        f"{sum(before_levels.values())} last. DORA bands from each team's median time to "
        "recover.",
        "note",
    )
    return block(table(rows + band_rows, header, text_columns=(0,)), note)
