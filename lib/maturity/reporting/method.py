"""How the figures are computed, in the words every report, the deck and the board pack
use: what "beyond noise" means, what the intervals and the typical change are. One text,
so the reports cannot drift from ``maturity.measures.stats`` or from each other."""

from __future__ import annotations

from maturity.measures import stats
from maturity.wording import plural


def method_sentences(teams: int) -> list[str]:
    """The method, sentence by sentence, for an organisation of ``teams`` teams."""
    family = (
        "the organisation's one team"
        if teams == 1
        else f"all {plural(teams, 'team')} and the organisation as a whole"
    )
    minimum = stats.MIN_RESOLVED
    return [
        "Time to recover runs from detection to full recovery; the median is the typical "
        "incident, the 90th percentile a bad day, and the mean (the standard's MTTR) moves "
        "with a few long incidents.",
        f"Each median and 90th percentile has a {stats.CONFIDENCE:.0%} interval: the shortest "
        "pair of the quarter's own recovery times that covers the true value at least "
        f"{stats.CONFIDENCE:.0%} of the time whatever the distribution (none under 5 "
        "resolved incidents for the median, 22 for the 90th percentile).",
        "A change against an earlier quarter is judged by setting every incident's recovery "
        "time against every other's (the Mann-Whitney rank test), so rounded, tied or "
        "zero-minute times cannot make a change on their own; the organisation is compared "
        "team by team, so a quarter in which slower teams had more incidents is not a change.",
        f"Beyond noise means the change's q-value, controlled for false discoveries across "
        f"{family} for that quarter, is under {stats.FALSE_DISCOVERY_RATE:.2f}: at most one "
        "in ten such verdicts is expected to be a fluke.",
        "The typical change is the median of the now-to-then ratios over every pair of "
        f"incidents (Hodges-Lehmann), with its {stats.CONFIDENCE:.0%} interval. 'Only a drop "
        "of X% would show' is the smallest change the test finds 8 times in 10 "
        f"({stats.ALPHA:.0%} level, the team tested alone), allowing for how coarsely the "
        "times were recorded.",
        "Open incidents count as still running (Kaplan-Meier, censored when the exports were "
        "taken); with more than half still open the median is not known yet.",
        f"Under {minimum} resolved incidents a quarter's figures are indications: no verdict, "
        f"no DORA band, no recovery-target share; a claim is checked against the data only "
        f"from {minimum} incidents.",
    ]


def method_note(teams: int) -> str:
    """The method as one paragraph."""
    return " ".join(method_sentences(teams))
