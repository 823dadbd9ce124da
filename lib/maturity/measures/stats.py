"""Recovery statistics, vectorised across many groups at once.

Every function takes flat arrays plus an integer group code per value (``0 .. groups-1``)
and returns one result per group, so a whole organisation (hundreds of teams, many
quarters) is one pass of numpy, never a Python loop per group or per resample.
Durations are minutes. A group with no data gives NaN (``null`` in JSON), never 0.

Why these statistics: ``shared/reference/metrics-research.md``. Recovery times are
long-tailed, so the medians and 90th percentiles lead; their uncertainty is a
distribution-free order-statistic interval whose coverage is at least nominal (none where
no such interval exists); a change between periods is judged on the ratio of medians, the
same figure the reports print, with the smallest change the data could have detected;
open incidents are kept in a Kaplan-Meier estimate instead of being dropped; verdicts
across many teams control the false discovery rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# _scipy_note: scipy.stats is imported inside the functions that use it. It takes about a
# second to import, and a review's report kernels, which read measures computed once by
# the review, never call them: every kernel would pay that second for nothing.

#: Durations under this are floored before taking logs: exports record whole minutes at
#: best, so a zero-minute recovery and a 20-second one are the same observation, and a
#: finer floor would turn zeros into extreme values on the log scale.
LOG_FLOOR_MINUTES = 1.0
#: Fewer resolved incidents than this in a period: its statistics are flagged insufficient.
MIN_RESOLVED = 10
#: Significance and power behind verdicts and the smallest detectable change.
ALPHA = 0.05
POWER = 0.80
#: The share of false discoveries allowed among the teams a portfolio names as movers.
FALSE_DISCOVERY_RATE = 0.10


@dataclass(frozen=True)
class Sorted:
    """Values sorted within their groups: ``values[starts[g]:starts[g] + counts[g]]``."""

    values: np.ndarray
    starts: np.ndarray
    counts: np.ndarray


def group_order(
    values: np.ndarray, codes: np.ndarray, groups: int, value_order: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A permutation sorting ``values`` within groups, with each group's counts and starts.

    NaN values and codes below 0 are left out. ``value_order`` (an argsort of ``values``) can
    be passed when several groupings share the values: the float sort is then done once,
    and each grouping only needs a stable sort of its small integer codes (a radix sort).
    """
    if value_order is None:
        value_order = np.argsort(values)
    keep = (codes[value_order] >= 0) & ~np.isnan(values[value_order])
    order = value_order[keep]
    code_type = np.int16 if groups < 2**15 else np.int64
    order = order[np.argsort(codes[order].astype(code_type), kind="stable")]
    counts = np.bincount(codes[order], minlength=groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    return order, counts, starts


def sort_by_group(
    values: np.ndarray,
    codes: np.ndarray,
    groups: int,
    *,
    value_order: np.ndarray | None = None,
) -> Sorted:
    """Sort ``values`` within their groups (see ``group_order``)."""
    order, counts, starts = group_order(values, codes, groups, value_order)
    return Sorted(values[order], starts, counts)


def quantile(data: Sorted, p: float) -> np.ndarray:
    """The ``p`` quantile of each group, linear interpolation (numpy's and pandas' default)."""
    out = np.full(len(data.counts), np.nan)
    has = data.counts > 0
    position = p * (data.counts[has] - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, data.counts[has] - 1)
    start = data.starts[has]
    below, above = data.values[start + low], data.values[start + high]
    out[has] = below + (position - low) * (above - below)
    return out


def quantile_interval_ranks(
    counts: np.ndarray, p: float, level: float = 0.90
) -> tuple[np.ndarray, np.ndarray]:
    """1-based ranks ``(l, u)`` of the distribution-free interval of the ``p`` quantile.

    With ``K ~ Binomial(n, p)`` the number of sample values below the true quantile, the
    interval ``[x_(l), x_(u)]`` covers it with probability at least ``P(l <= K < u)``,
    whatever the distribution. ``l`` and ``u`` are the equal-tailed binomial quantiles, so
    that probability is at least ``level``. Rank 0 where no such interval exists within the
    sample (``l < 1`` or ``u > n``: at n = 10 there is none for the 90th percentile).
    """
    from scipy import stats  # here, not at the top: see _scipy_note

    n = counts.astype(float)
    alpha = 1.0 - level
    with np.errstate(invalid="ignore"):
        low = stats.binom.ppf(alpha / 2, n, p)  # P(K <= low - 1) <= alpha / 2
        high = stats.binom.ppf(1 - alpha / 2, n, p) + 1  # P(K >= high) <= alpha / 2
    ok = (n > 0) & (low >= 1) & (high <= n)
    return np.where(ok, low, 0).astype(np.int64), np.where(ok, high, 0).astype(np.int64)


def quantile_ci(data: Sorted, p: float, level: float = 0.90) -> np.ndarray:
    """Distribution-free interval of each group's ``p`` quantile: ``(groups, 2)`` array.

    The order statistics ``quantile_interval_ranks`` chooses, so coverage is at least
    ``level`` for any continuous distribution (ties only widen it). NaN where no interval
    reaches ``level`` within the sample: an honest "cannot say" rather than a narrow
    interval. ``tests/measures/test_stats.py`` checks coverage by seeded simulation.
    """
    out = np.full((len(data.counts), 2), np.nan)
    low, high = quantile_interval_ranks(data.counts, p, level)
    ok = low > 0
    out[ok, 0] = data.values[data.starts[ok] + low[ok] - 1]
    out[ok, 1] = data.values[data.starts[ok] + high[ok] - 1]
    return out


def kaplan_meier_median(
    times: np.ndarray,
    events: np.ndarray,
    codes: np.ndarray,
    groups: int,
    *,
    time_order: np.ndarray | None = None,
) -> np.ndarray:
    """Kaplan-Meier median time of each group, counting censored values as still running.

    ``times``: minutes to recovery for resolved incidents (``events`` True), minutes open
    so far for open ones (censored, ``events`` False). The median is the first time at
    which the estimated share still unrecovered falls to one half or below; NaN where it
    never does (too many incidents still open to know). With nothing censored it is the
    lower median, the ``ceil(n/2)``-th smallest. Ties: recoveries count before censorings
    at the same time, the usual convention. ``time_order``: ``event_first_order(times,
    events)``, when it is shared across groupings.
    """
    if time_order is None:
        time_order = event_first_order(times, events)
    order, counts, starts = group_order(times, codes, groups, time_order)
    return kaplan_meier_median_sorted(times[order], events[order], counts, starts)


def kaplan_meier_median_sorted(
    times: np.ndarray, events: np.ndarray, counts: np.ndarray, starts: np.ndarray
) -> np.ndarray:
    """``kaplan_meier_median`` on values already sorted within groups (events first in ties)."""
    out = np.full(len(counts), np.nan)
    if len(times) == 0:
        return out
    events = events.astype(bool)
    codes = np.repeat(np.arange(len(counts)), counts)
    position = np.arange(len(times)) - starts[codes]
    at_risk = counts[codes] - position
    factor = np.where(events, 1.0 - 1.0 / at_risk, 1.0)
    # The survival curve is a running product within each group, done as a running sum
    # of logs over every group at once minus the sum where the group starts. A factor of
    # 0 (the last at risk recovers) would put -inf in that sum; it means the curve has
    # reached 0, so it is flagged apart and adds nothing. What the subtraction leaves has
    # an error of a few ulps of the running sum's magnitude, so the comparison with
    # log(1/2) allows that much and no more (exact halves, like 6 of 12, must count).
    hit_zero = factor <= 0.0
    logs = np.log(np.where(hit_zero, 1.0, factor))
    running = np.cumsum(logs)
    offset = np.concatenate(([0.0], running))[starts[codes]]
    slack = 64 * np.finfo(float).eps * (np.abs(running) + np.abs(offset) + 1.0)
    reached = hit_zero | (running - offset <= np.log(0.5) + slack)
    candidate = np.where(reached, np.arange(len(times)), len(times))
    has = counts > 0
    first = np.minimum.reduceat(candidate, starts[has])
    found = first < starts[has] + counts[has]
    result = np.full(int(has.sum()), np.nan)
    result[found] = times[first[found]]
    out[has] = result
    return out


def event_first_order(times: np.ndarray, events: np.ndarray) -> np.ndarray:
    """An argsort of ``times`` in which, among equal times, events come before censorings.

    A censored time is nudged to the next representable float, which orders it after an
    event at the same time and before any later one, so one plain sort does.
    """
    key = np.where(events.astype(bool), times, np.nextafter(times, np.inf))
    return np.argsort(key)


IMPROVED, WORSENED, NO_CHANGE, INSUFFICIENT = (
    "improved",
    "worsened",
    "no_detectable_change",
    "insufficient_data",
)


@dataclass(frozen=True)
class Change:
    """Per group: the verdict on a change between two periods, and what backs it."""

    verdict: np.ndarray  # str
    ratio: np.ndarray  # median now / median then: the effect the test measures
    min_detectable: np.ndarray  # smallest detectable drop, as a ratio below 1
    min_detectable_rise: np.ndarray  # smallest detectable rise, as a ratio above 1
    p_value: np.ndarray


def log_median_se(data: Sorted) -> tuple[np.ndarray, np.ndarray]:
    """Per group: the median of log durations and its standard error, distribution-free.

    McKean and Schrader's estimate from two order statistics, ``SE = (log x_(n-c+1) -
    log x_(c)) / (2 z)`` with ``c = round((n + 1) / 2 - z sqrt(n / 4))``, ``z`` the 97.5%
    normal quantile: the standard error behind Price and Bonett's (2002) interval for a
    ratio of medians. Durations are floored at ``LOG_FLOOR_MINUTES`` before logs. Order
    statistics make it robust to ties, zeros and long tails alike.
    """
    from scipy import stats  # here, not at the top: see _scipy_note

    n = data.counts.astype(float)
    z = stats.norm.ppf(0.975)
    has = data.counts > 0
    c = np.clip(np.round((n + 1) / 2 - z * np.sqrt(n / 4)), 1, np.maximum(n, 1)).astype(np.int64)
    start = data.starts
    index_low = np.where(has, start + c - 1, 0)
    index_high = np.where(has, start + data.counts - c, 0)
    if len(data.values) == 0:
        return np.full(len(n), np.nan), np.full(len(n), np.nan)
    values = np.log(np.maximum(data.values, LOG_FLOOR_MINUTES))
    se = np.where(has, (values[index_high] - values[index_low]) / (2 * z), np.nan)
    median = np.log(np.maximum(quantile(data, 0.5), LOG_FLOOR_MINUTES))
    return median, se


@dataclass(frozen=True)
class Medians:
    """Per group: resolved count, median, and the log median with its standard error."""

    n: np.ndarray
    median: np.ndarray
    log_median: np.ndarray
    log_se: np.ndarray

    def shifted(self, earlier: np.ndarray) -> Medians:
        """Each group's values taken from group ``earlier`` (-1: none, giving no data)."""

        def take(values: np.ndarray, fill: float) -> np.ndarray:
            return np.where(earlier >= 0, values[np.maximum(earlier, 0)], fill)

        return Medians(
            take(self.n, 0),
            take(self.median, np.nan),
            take(self.log_median, np.nan),
            take(self.log_se, np.nan),
        )


def compare_medians(
    now: Medians,
    then: Medians,
    *,
    min_resolved: int = MIN_RESOLVED,
) -> Change:
    """Is each group's median recovery time now different from then, beyond noise?

    ``now`` and ``then`` hold each group's count and median (``quantile``) and its log
    median and standard error (``log_median_se``). The test is on the ratio of medians, the figure
    the reports print beside the verdict, so the two can never disagree: ``z = log(ratio)
    / sqrt(SE_now^2 + SE_then^2)``, two-sided at ``ALPHA`` (Price and Bonett's interval
    for a ratio of medians excludes 1 exactly when this test rejects). ``improved`` or
    ``worsened`` only when significant, in the direction of the ratio;
    ``no_detectable_change`` otherwise; ``insufficient_data`` when either period has fewer
    than ``min_resolved`` resolved incidents. ``ratio`` is None (NaN) where the earlier
    median is 0 (no Infinity). ``min_detectable``: the smallest drop this test would
    detect with ``POWER`` at these spreads and sample sizes, as a ratio below 1;
    ``min_detectable_rise`` the smallest rise, its inverse.
    """
    from scipy import stats  # here, not at the top: see _scipy_note

    n_now, median_now, log_now, se_now = now.n, now.median, now.log_median, now.log_se
    n_then, median_then, log_then, se_then = then.n, then.median, then.log_median, then.log_se
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(median_then > 0, median_now / median_then, np.nan)
        difference = log_now - log_then
        se = np.sqrt(se_now**2 + se_then**2)
        z = difference / se
        p_value = np.where(
            se > 0, 2 * stats.norm.sf(np.abs(z)), np.where(difference != 0, 0.0, 1.0)
        )
        reach = stats.norm.ppf(1 - ALPHA / 2) + stats.norm.ppf(POWER)
        min_detectable = np.exp(-reach * se)
    enough = (n_now >= min_resolved) & (n_then >= min_resolved)
    min_detectable = np.where(enough, min_detectable, np.nan)
    significant = enough & (p_value < ALPHA)
    verdict = np.where(
        ~enough,
        INSUFFICIENT,
        np.where(significant, np.where(difference < 0, IMPROVED, WORSENED), NO_CHANGE),
    )
    p_value = np.where(enough, p_value, np.nan)
    with np.errstate(divide="ignore"):
        rise = 1.0 / min_detectable
    return Change(verdict.astype(object), ratio, min_detectable, rise, p_value)


def benjamini_hochberg(p_values: np.ndarray, families: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values) within each family.

    ``families``: an integer per test (the tests of one period and lag across teams form
    one family); NaN p-values take no part and get NaN. A verdict whose q-value is below
    the chosen false discovery rate (10% in the reports) keeps that share of false
    discoveries among the teams called movers, however many teams there are.
    """
    q = np.full(len(p_values), np.nan)
    valid = np.flatnonzero(~np.isnan(p_values))
    if len(valid) == 0:
        return q
    order = valid[np.lexsort((p_values[valid], families[valid]))]
    fam = families[order]
    starts = np.flatnonzero(np.r_[True, fam[1:] != fam[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    size = np.repeat(sizes, sizes)
    rank = np.arange(len(order)) - np.repeat(starts, sizes) + 1
    adjusted = p_values[order] * size / rank
    # Step-up: the running minimum from the largest p down, within each family.
    reversed_ = adjusted[::-1]
    fam_reversed = fam[::-1]
    out = np.empty_like(reversed_)
    bounds = np.flatnonzero(np.r_[True, fam_reversed[1:] != fam_reversed[:-1]])
    for begin, end in zip(bounds, np.r_[bounds[1:], len(order)], strict=True):
        out[begin:end] = np.minimum.accumulate(reversed_[begin:end])
    q[order] = np.minimum(out[::-1], 1.0)
    return q


@dataclass(frozen=True)
class DoraBands:
    """Time-to-restore bands: upper bounds in minutes, and the report they come from."""

    year: int = 2021
    elite: float = 60.0
    high: float = 24 * 60.0
    medium: float = 7 * 24 * 60.0
    source: str = (
        "Accelerate State of DevOps Report 2021: elite < 1 hour, high < 1 day, "
        "medium < 1 week, low otherwise"
    )

    def band(self, median_minutes: np.ndarray) -> np.ndarray:
        """``elite``/``high``/``medium``/``low`` per median; None where there is no median."""
        median_minutes = np.asarray(median_minutes, dtype=float)
        bands = np.select(
            [
                median_minutes < self.elite,
                median_minutes < self.high,
                median_minutes < self.medium,
            ],
            ["elite", "high", "medium"],
            "low",
        ).astype(object)
        bands[np.isnan(median_minutes)] = None
        return bands
