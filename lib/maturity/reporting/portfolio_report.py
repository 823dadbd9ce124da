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
from maturity.reporting.formatting import MISSING, format_interval, format_minutes
from maturity.reporting.html import Markup, block, card, cards, items, paragraph, table
from maturity.reporting.notebook_record import make_record
from maturity.reporting.quarter import ReviewQuarter
from maturity.reporting.team_report import change_sentence

__all__ = ["ReviewQuarter", "data_quality", "headline", "maturity_chart", "record",
           "team_table", "title_block", "where_to_invest"]  # fmt: skip


def title_block(portfolio: ReviewQuarter) -> HTML:
    teams = len(portfolio.organisation.teams)
    return block(
        Markup("<h1>{}: recovery from failure</h1>").format(portfolio.organisation.name),
        paragraph(
            f"Portfolio review · {portfolio.quarter} · {teams} teams · standard: services are "
            "restored quickly and safely following failure (MTTR)",
            "subtitle",
        ),
    )


def headline(portfolio: ReviewQuarter) -> HTML:
    """The organisation's figures for the quarter, and its verdicts on change."""
    now = portfolio.row(ALL_TEAMS)
    assessed = len(portfolio.maturity)
    levels = [a.score.overall["evidence_level"] for a in portfolio.maturity.values()]
    interval = format_interval(now["mttr_median_ci"])
    parts = [
        card("Median time to recover", format_minutes(now["mttr_median"]),
             " · ".join(x for x in (interval, f"n = {now['resolved']}") if x)),
        card("90th percentile", format_minutes(now["mttr_p90"]), f"n = {now['resolved']}"),
        card("Incidents", str(now["incidents"]), f"{now['open']} still open"),
        card("Teams assessed", f"{assessed} of {len(portfolio.organisation.teams)}",
             f"median supported level {pd.Series(levels).median():g}" if levels
             else "no questionnaire answers"),
    ]  # fmt: skip
    sentences = []
    for lag in CHANGES:
        earlier = shift_quarter(portfolio.quarter, -lag.quarters)
        before = portfolio.row(ALL_TEAMS, earlier)["mttr_median"]
        sentences.append(change_sentence(now[f"change_{lag.name}"], earlier, before))
    return block(cards(parts), items(sentences))


def team_table(portfolio: ReviewQuarter) -> HTML:
    """One row per team: volume, recovery, change beyond noise, DORA band, maturity."""
    rows = []
    for key, team in sorted(portfolio.organisation.teams.items(), key=lambda kv: kv[1].name):
        r = portfolio.row(key)
        result = portfolio.maturity.get(key)
        claimed: str
        contradicted: str | int
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
    return block(table(rows, header, text_columns=(0, 3, 4)))


def maturity_frame(portfolio: ReviewQuarter) -> pd.DataFrame:
    """Claimed and supported overall score per team, tidy."""
    rows = []
    for key, result in portfolio.maturity.items():
        name = portfolio.organisation.teams[key].name
        overall = result.score.overall
        rows.append({"team": name, "kind": "Claimed", "score": overall["score"]})
        rows.append({"team": name, "kind": "Supported by data", "score": overall["evidence_score"]})
    return pd.DataFrame(rows, columns=["team", "kind", "score"])


def maturity_chart(portfolio: ReviewQuarter) -> alt.Chart | HTML:
    """Overall maturity per team, as claimed and as the data supports."""
    frame = maturity_frame(portfolio)
    if frame.empty:
        return block(paragraph("No team answered the questionnaire this quarter.", "callout"))
    return charts.maturity_levels(
        frame, title="Maturity by team: claimed and supported by incident data", by="team"
    )


def where_to_invest(portfolio: ReviewQuarter, count: int = 6) -> HTML:
    """Plain findings: credibility gaps, regressions, and the practices most teams lack."""
    rubric = load_rubric()
    entries: list[Markup | str] = []
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
            Markup("{} teams are held back by <b>{}</b>: \u201c{}\u201d").format(
                teams, statement, rubric.by_id[statement].text
            )
        )
    if not entries:
        entries.append("No credibility gap, regression or shared weakness stands out.")
    return block(items(entries))


def data_quality(portfolio: ReviewQuarter) -> HTML:
    q = portfolio.incidents.quality()
    return block(
        Markup(
            "<p>{} rows read from the teams' exports: <b>{}</b> used, <b>{}</b> excluded "
            "(tests, drills, duplicates), <b>{}</b> rejected (unusable). Every row is accounted "
            "for; the index lists the reasons.</p>"
        ).format(q["rows_read"], q["rows_used"], q["rows_excluded"], q["rows_rejected"])
    )


def record(portfolio: ReviewQuarter) -> dict[str, Any]:
    """The portfolio's headline numbers, kept in the executed notebook."""
    now = portfolio.row(ALL_TEAMS)
    return make_record({"team": ALL_TEAMS, "quarter": portfolio.quarter, **now})
