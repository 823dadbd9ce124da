"""``summary.md``: the quarter in about fifteen lines of plain text, for email or chat.

The headline (the organisation's median time to recover with its interval and count, the
verdicts against last quarter and a year before, the levels the data supports), the teams
whose recovery moved beyond noise, the claims the data contradicts, where to invest, and
the index's address. Every sentence is the portfolio report's own (``portfolio_report``),
as text: a summary never says more than the report.
"""

from __future__ import annotations

from collections import Counter

from markupsafe import Markup

from maturity.measures.definitions import ALL_TEAMS, CHANGES
from maturity.periods import shift_quarter
from maturity.reporting import portfolio_report
from maturity.reporting.board_pack import level_counts
from maturity.reporting.formatting import format_interval, format_minutes
from maturity.reporting.quarter import ReviewQuarter
from maturity.reporting.team_report import change_sentence
from maturity.wording import markdown_text, plural

#: Items shown under each heading; the rest are counted ("and 4 more in the portfolio").
ITEMS = 3


def plain(sentence: Markup | str) -> str:
    """A report sentence as plain text (tags dropped, entities decoded, one line)."""
    return Markup(sentence).striptags() if isinstance(sentence, Markup) else str(sentence)


def listed(entries: list[Markup], none: str, limit: int = ITEMS) -> list[str]:
    """The first ``limit`` report sentences as plain text, then how many more there are;
    ``none`` when there is none (the summary and the deck list findings alike)."""
    lines = [plain(e) for e in entries[:limit]] or [plain(none)]
    if len(entries) > limit:
        lines.append(f"and {len(entries) - limit} more in the portfolio report")
    return lines


def _listed(entries: list[Markup], none: str) -> list[str]:
    return [f"- {markdown_text(line)}" for line in listed(entries, none)]


def change_lines(data: ReviewQuarter) -> list[str]:
    """The organisation's change sentences, against last quarter and a year before."""
    now = data.row(ALL_TEAMS)
    lines = []
    for lag in CHANGES:
        earlier = shift_quarter(data.quarter, -lag.quarters)
        before = data.row(ALL_TEAMS, earlier)["mttr_median"]
        sentence = change_sentence(now[f"change_{lag.name}"], earlier, before, now["mttr_median"],
                                   data.recovery_unit, data.data_from)  # fmt: skip
        lines.append(plain(sentence))
    return lines


def summary_markdown(data: ReviewQuarter, index: str = "index.html") -> str:
    """The summary of ``data``'s quarter; ``index``: where the review's index is."""
    now = data.row(ALL_TEAMS)
    unit = data.recovery_unit
    interval = format_interval(now["mttr_median_ci"], unit)
    headline = (
        f"Median time to recover {format_minutes(now['mttr_median'], unit)}"
        + (f" ({interval})" if interval else "")
        + f" over {plural(now['resolved'], 'resolved incident')}; 90th percentile "
        f"{format_minutes(now['mttr_p90'], unit)}; {now['open']} still open."
    )
    changes = change_lines(data)
    levels = Counter(int(m.score.overall["evidence_level"]) for m in data.maturity.values())
    maturity = (
        f"Maturity supported by the data: {level_counts(levels)} "
        f"({len(data.maturity)} of {plural(len(data.organisation.teams), 'team')} assessed)."
        if levels
        else "No questionnaire answers this quarter: maturity not assessed."
    )
    lines = [
        f"# {markdown_text(data.organisation.name)}: recovery review {data.quarter}",
        "",
        headline,
        *([f"Note: {markdown_text(data.running_note)}"] if data.running_note else []),
        *(markdown_text(line) for line in changes),
        maturity,
        "",
        "Moved beyond noise:",
        *_listed(portfolio_report.mover_entries(data), portfolio_report.NO_MOVERS),
        "Claims the data contradicts:",
        *_listed(portfolio_report.contradicted_entries(data), data.no_claims_text),
        "Where to invest:",
        *_listed(
            portfolio_report.investment_entries(data, count=ITEMS),
            portfolio_report.NOTHING_TO_INVEST,
        ),
        "",
        f"Every team's report, the portfolio and the board pack: {index}",
    ]
    return "\n".join(lines) + "\n"
