"""Recovery statistics, vectorised across many groups at once.

Every function takes flat arrays plus an integer group code per value (``0 .. groups-1``)
and returns one result per group, so a whole organisation (hundreds of teams, many
quarters) is one pass of numpy, never a Python loop per group or per resample.
Durations are minutes. A group with no data gives NaN (``null`` in JSON), never 0.

Why these statistics: ``shared/reference/metrics-research.md``. Recovery times are
long-tailed and recorded coarsely (whole minutes, quarter hours, hours; zero-minute
auto-resolves), so every method here is one that stays honest on tied, rounded and zero
durations:

* the median and 90th percentile come with the shortest distribution-free order-statistic
  interval whose coverage is at least nominal (lopsided where that is shorter; none where no
  such interval exists in the sample);
* a change between two periods is judged by the Mann-Whitney rank test (mid-ranks for ties,
  the tie-corrected variance, a continuity correction): a rank test is unmoved by rounding or
  zeros, which are only ties to it, and uses every incident rather than two order
  statistics. Its effect is the Hodges-Lehmann ratio (the median of every now/then ratio of
  one incident from each period) with the interval that inverts the same test;
* the smallest change the data could show is worked out for that test, on the recording
  grid the durations were taken on (a 5% shift of hour-rounded times moves nothing);
* open incidents are kept in a Kaplan-Meier estimate instead of being dropped;
* verdicts across many teams control the false discovery rate (Benjamini-Hochberg).

``tests/measures/test_stats.py`` checks each against an independent computation and checks
coverage, false-alarm rates and power by seeded simulation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

# _scipy_note: scipy.stats is imported inside the functions that use it. It takes about a
# second to import, and a review's report kernels, which read measures computed once by
# the review, never call them: every kernel would pay that second for nothing.

#: Fewer resolved incidents than this in a period: its statistics are flagged insufficient.
MIN_RESOLVED = 10
#: The level of every interval (median, 90th percentile, the change's ratio).
CONFIDENCE = 0.90
#: Significance and power behind the smallest detectable change (a team tested alone).
ALPHA = 0.05
POWER = 0.80
#: The share of false discoveries allowed among the teams called movers: a verdict of
#: ``improved`` or ``worsened`` needs a q-value below it.
FALSE_DISCOVERY_RATE = 0.10
#: The grids durations are recorded on, coarsest first, in minutes (1/60: seconds).
RESOLUTIONS_MINUTES = (60.0, 30.0, 15.0, 10.0, 5.0, 1.0, 1.0 / 60.0)
#: A change needing a ratio beyond these (1/1000 or 1000) to show is reported as none.
_RATIO_LIMIT = 1e-3
#: Ratios are sought between these: a quarter of zeros (under a second) against one of
#: hours is a ratio of thousands.
_ESTIMATE_LIMIT = 1e-6


@dataclass(frozen=True)
class Sorted:
    """Values sorted within their groups: ``values[starts[g]:starts[g] + counts[g]]``."""

    values: np.ndarray
    starts: np.ndarray
    counts: np.ndarray

    def regroup(self, source: np.ndarray) -> Sorted:
        """Group ``g`` of the result is group ``source[g]`` of this one (-1: empty). No
        value is copied: the earlier quarter of every comparison is a view like this."""
        ok = source >= 0
        index = np.maximum(source, 0)
        return Sorted(
            self.values,
            np.where(ok, self.starts[index], 0),
            np.where(ok, self.counts[index], 0),
        )

    def members(self) -> tuple[np.ndarray, np.ndarray]:
        """The values group by group, each group's in order, and each value's group."""
        counts = self.counts
        group = np.repeat(np.arange(len(counts)), counts)
        within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        return self.values[np.repeat(self.starts, counts) + within], group


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


# --- intervals of a quantile ---------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def shortest_ranks(n: int, p: float, level: float = CONFIDENCE) -> tuple[int, int]:
    """1-based ranks ``(l, u)`` of the shortest distribution-free interval of the ``p``
    quantile in a sample of ``n``; ``(0, 0)`` where none reaches ``level``.

    With ``K ~ Binomial(n, p)`` the number of sample values below the true quantile,
    ``[x_(l), x_(u)]`` covers it with probability at least ``P(l <= K < u)`` for any
    distribution (ties only raise it). Of the pairs reaching ``level``, the one with the
    fewest ranks between its ends, then the highest coverage, then the most central: the
    tails need not be equal, which at small n gives intervals up to a third shorter (and
    a 90th-percentile interval from n = 22 rather than 29).
    """
    from scipy import stats  # here, not at the top: see _scipy_note

    if n < 2:
        return 0, 0
    cdf = stats.binom.cdf(np.arange(n + 1), n, p)  # cdf[k] = P(K <= k)
    below = np.concatenate(([0.0], cdf[:-1]))  # below[l] = P(K <= l - 1)
    lows = np.arange(1, n + 1)
    # The smallest u with P(K <= u - 1) >= level + P(K <= l - 1), for every l at once.
    need = below[lows] + level - 1e-12
    ups = np.searchsorted(cdf, need, side="left") + 1
    ok = ups <= n
    if not ok.any():
        return 0, 0
    lows, ups = lows[ok], ups[ok]
    coverage = cdf[ups - 1] - below[lows]
    off_centre = np.abs((lows + ups) / 2 - (n + 1) * p)
    best = np.lexsort((off_centre, -coverage, ups - lows))[0]
    return int(lows[best]), int(ups[best])


def quantile_interval_ranks(
    counts: np.ndarray, p: float, level: float = CONFIDENCE
) -> tuple[np.ndarray, np.ndarray]:
    """``shortest_ranks`` for every group's count (computed once per distinct count)."""
    low = np.zeros(len(counts), np.int64)
    high = np.zeros(len(counts), np.int64)
    for n in np.unique(counts):
        mine = counts == n
        low[mine], high[mine] = shortest_ranks(int(n), p, level)
    return low, high


def quantile_ci(data: Sorted, p: float, level: float = CONFIDENCE) -> np.ndarray:
    """Distribution-free interval of each group's ``p`` quantile: ``(groups, 2)`` array.

    The order statistics ``shortest_ranks`` chooses, so coverage is at least ``level``
    whatever the distribution. NaN where no interval reaches ``level`` within the sample
    (the median under 5 values, the 90th percentile under 22): an honest "cannot say"
    rather than a narrow interval.
    """
    out = np.full((len(data.counts), 2), np.nan)
    low, high = quantile_interval_ranks(data.counts, p, level)
    ok = low > 0
    out[ok, 0] = data.values[data.starts[ok] + low[ok] - 1]
    out[ok, 1] = data.values[data.starts[ok] + high[ok] - 1]
    return out


# --- Kaplan-Meier ---------------------------------------------------------------------------


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
    so far for open ones (censored, ``events`` False). The median is where the estimated
    share still unrecovered falls to one half; where the curve sits at exactly one half
    over a stretch, the middle of that stretch (R's ``survfit`` convention, the usual
    median when nothing is censored: it then equals the sample median). NaN when more than
    half the incidents are still open, or the curve never reaches one half. Ties:
    recoveries count before censorings at the same time. ``time_order``:
    ``event_first_order(times, events)``, when it is shared across groupings.
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
    log_survival = running - offset
    reached = hit_zero | (log_survival <= np.log(0.5) + slack)
    candidate = np.where(reached, np.arange(len(times)), len(times))
    has = counts > 0
    first = np.minimum.reduceat(candidate, starts[has])
    end = starts[has] + counts[has]
    found = first < end
    at = first[found]
    median = times[at]
    # Exactly one half: the middle of the flat stretch, up to the next recovery (or, when
    # none follows, the last time seen, as R does).
    flat = ~hit_zero[at] & (np.abs(log_survival[at] - np.log(0.5)) <= slack[at])
    recoveries = np.flatnonzero(events)
    following = np.searchsorted(recoveries, at, side="right")
    following_index = recoveries[np.minimum(following, len(recoveries) - 1)]
    has_next = (following < len(recoveries)) & (following_index < end[found])
    stretch_end = np.where(has_next, times[following_index], times[end[found] - 1])
    median = np.where(flat, (median + stretch_end) / 2, median)
    result = np.full(int(has.sum()), np.nan)
    result[found] = median
    # More than half still open: too many are still running to know (DESIGN.md).
    open_count = np.bincount(codes, weights=~events, minlength=len(counts))[has]
    result[open_count * 2 > counts[has]] = np.nan
    out[has] = result
    return out


def event_first_order(times: np.ndarray, events: np.ndarray) -> np.ndarray:
    """An argsort of ``times`` in which, among equal times, events come before censorings.

    A censored time is nudged to the next representable float, which orders it after an
    event at the same time and before any later one, so one plain sort does.
    """
    key = np.where(events.astype(bool), times, np.nextafter(times, np.inf))
    return np.argsort(key)


# --- the change between two periods ---------------------------------------------------------

IMPROVED, WORSENED, NO_CHANGE, INSUFFICIENT = (
    "improved",
    "worsened",
    "no_detectable_change",
    "insufficient_data",
)


@dataclass(frozen=True)
class Change:
    """Per comparison: the rank test's result and what backs it (NaN where not enough).

    ``ratio``: the Hodges-Lehmann ratio, now / then (below 1: faster now), with its
    ``ratio_low`` / ``ratio_high`` interval at ``CONFIDENCE``. ``direction``: -1 where the
    recoveries now tend to be shorter, +1 longer, 0 neither (the rank test's sign).
    ``min_detectable``: the smallest drop the test would find with ``POWER`` at ``ALPHA``,
    as a ratio below 1; ``min_detectable_rise`` the smallest rise, above 1 (NaN where
    no change of scale could show, as when most durations are zero).
    """

    enough: np.ndarray
    ratio: np.ndarray
    ratio_low: np.ndarray
    ratio_high: np.ndarray
    direction: np.ndarray
    p_value: np.ndarray
    min_detectable: np.ndarray
    min_detectable_rise: np.ndarray


def verdicts(p_values: np.ndarray, q_values: np.ndarray, ratios: np.ndarray) -> np.ndarray:
    """``improved`` / ``worsened`` where the q-value is below the false discovery rate, in
    the direction of the ratio (which ``compare`` puts on the side the test's statistic
    says, so a verdict never contradicts it); ``no_detectable_change`` otherwise;
    ``insufficient_data`` where no test was made (no p-value: under ``MIN_RESOLVED``)."""
    with np.errstate(invalid="ignore"):
        significant = q_values < FALSE_DISCOVERY_RATE
        verdict = np.where(
            np.isnan(p_values),
            INSUFFICIENT,
            np.where(
                significant & (ratios < 1),
                IMPROVED,
                np.where(significant & (ratios > 1), WORSENED, NO_CHANGE),
            ),
        )
    return verdict.astype(object)


def compare(
    now: Sorted,
    then: Sorted,
    *,
    test_of: np.ndarray | None = None,
    tests: int | None = None,
    enough: np.ndarray | None = None,
    min_resolved: int = MIN_RESOLVED,
    effects: bool = True,
) -> Change:
    """Did recovery times change between ``then`` and ``now``?

    ``now`` and ``then`` hold one group per *stratum*: stratum ``s`` sets group ``s`` of
    ``now`` against group ``s`` of ``then`` (build ``then`` with ``Sorted.regroup``).
    ``test_of`` maps each stratum to the comparison it belongs to (default: each stratum is
    its own, as for teams); the organisation's comparison of a quarter has one stratum per
    team, so that its test compares teams with themselves and a quarter in which the larger
    or slower teams happen to have more incidents is not called a change (van Elteren's
    stratified form of the test, each team's statistic weighted by ``1 / (n + 1)``; with
    one stratum it is the plain test). ``enough``: per comparison, whether both periods have
    ``min_resolved`` resolved incidents (default: counted from the strata); where not,
    everything is NaN. ``effects=False``: the p-values and directions alone (simulations).

    The test is Mann-Whitney's: each duration's mid-rank in the two periods pooled, the
    normal approximation with the tie-corrected variance and a continuity correction,
    two-sided. It holds its false-alarm rate for continuous, rounded, tied and zero-heavy
    durations alike (ties are what rounding and zeros are to a rank test; the simulations
    in the tests show the rate at or below nominal at n = 10 to 100, also far in the tail
    where Benjamini-Hochberg looks across hundreds of teams). The verdict needs its q-value
    (``verdicts``), not this p-value alone.

    The ratio is the Hodges-Lehmann estimate of the change of scale (``_Cells.above``), its
    interval the ratios the same test would not reject at ``CONFIDENCE``: so a one-team
    verdict (q = p < 0.10) is given exactly when the interval excludes 1, and the ratio lies
    on the side the verdict says.
    """
    from scipy import stats  # here, not at the top: see _scipy_note

    strata = len(now.counts)
    if test_of is None:
        test_of, tests = np.arange(strata), strata
    assert tests is not None
    if enough is None:
        enough = (np.bincount(test_of, weights=now.counts, minlength=tests) >= min_resolved) & (
            np.bincount(test_of, weights=then.counts, minlength=tests) >= min_resolved
        )
    out = {k: np.full(tests, np.nan) for k in ("ratio", "ratio_low", "ratio_high", "direction",
           "p_value", "min_detectable", "min_detectable_rise")}  # fmt: skip
    # The strata that take part: both periods present, in a comparison with enough data.
    units = np.flatnonzero(enough[test_of] & (now.counts > 0) & (then.counts > 0))
    if len(units) == 0:
        return Change(enough, **out)
    a, a_unit = Sorted(now.values, now.starts[units], now.counts[units]).members()
    b, b_unit = Sorted(then.values, then.starts[units], then.counts[units]).members()
    count = len(units)
    test = test_of[units]

    pooled = _Runs.of(np.concatenate([a, b]), np.concatenate([a_unit, b_unit]), count)
    n1 = np.bincount(a_unit, minlength=count).astype(float)
    n2 = np.bincount(b_unit, minlength=count).astype(float)
    total, products = n1 + n2, n1 * n2
    ties = np.bincount(pooled.test, weights=pooled.count**3 - pooled.count, minlength=count)
    variance = np.maximum(products / 12.0 * ((total + 1) - ties / (total * (total - 1))), 0)
    weight = 1.0 / (total + 1)
    u_now = _u_statistic(a, a_unit, pooled, n1)

    def per_test(values: np.ndarray) -> np.ndarray:
        return np.bincount(test, weights=values, minlength=tests)

    deviation = per_test(weight * (u_now - products / 2))
    sd = np.sqrt(per_test(weight**2 * variance))
    correction = np.zeros(tests)
    np.maximum.at(correction, test, weight / 2)  # half a step of the statistic
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(sd > 0, np.maximum(np.abs(deviation) - correction, 0.0) / sd, 0.0)
    p_value = np.where(sd > 0, np.minimum(2 * stats.norm.sf(z), 1.0), 1.0)

    out["p_value"][enough] = p_value[enough]
    out["direction"][enough] = np.sign(deviation)[enough]
    if not effects:
        return Change(enough, **out)
    grid = _resolution(pooled)
    statistic = _Statistic(
        _Cells.of(_Runs.of(a, a_unit, count), grid),
        _Cells.of(_Runs.of(b, b_unit, count), grid),
        test, weight, products, tests,
    )  # fmt: skip
    # Moses's interval: the ratios at which the statistic stays within z sd + correction.
    reach = stats.norm.ppf(0.5 + CONFIDENCE / 2) * sd + correction
    ratio = statistic.solve(np.zeros(tests), middle=True, near=statistic.guess())
    centre = np.nan_to_num(np.log(ratio))
    found = {
        "ratio": ratio,
        "ratio_low": statistic.solve(reach, middle=False, near=centre, side=-1),
        "ratio_high": statistic.solve(-reach, middle=False, near=centre, side=1),
    }
    pooled_cells = _Cells.of(pooled, grid).binned()
    drop, rise = _min_detectable(pooled_cells, test, weight * products, sd, correction)
    found |= {"direction": np.sign(deviation), "p_value": p_value,
              "min_detectable": drop, "min_detectable_rise": rise}  # fmt: skip
    for key, values in found.items():
        out[key][enough] = values[enough]
    return Change(enough, **out)


def _root(
    falls: Callable[[np.ndarray, np.ndarray], np.ndarray],
    start: np.ndarray,
    end: np.ndarray,
    tolerance: float | np.ndarray,
    active: np.ndarray,
    known: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per comparison, where ``falls(x, active)`` (evaluated for the active comparisons,
    monotone from ``>= 0`` at ``start`` to ``<= 0`` at ``end``) crosses zero.

    The Illinois method (regula falsi that halves a stale end's value, so both ends close
    in), with a bisection every eighth step, so it is fast on smooth functions and safe on
    step functions; each comparison stops as soon as its bracket is
    narrower than ``tolerance``, and only the comparisons still searching are evaluated.
    ``known``: the function's values at ``start`` and ``end``, where already computed.
    Returns the final bracket ``(start, end)`` and, where the function was exactly zero at
    a point, that point (else NaN)."""
    a, b = start.astype(float).copy(), end.astype(float).copy()
    if known is not None:
        ga, gb = known[0].copy(), known[1].copy()
    else:
        ga, gb = np.zeros(len(a)), np.zeros(len(a))
        ga[active] = falls(a, active)[active]
        gb[active] = falls(b, active)[active]
    zero = np.full(len(a), np.nan)
    for side, value in ((a, ga), (b, gb)):
        hit = active & (value == 0)
        zero[hit] = side[hit]
        active = active & ~hit
    last = np.zeros(len(a))  # which end moved last: +1 start, -1 end
    for step in range(200):
        active = active & (np.abs(b - a) > tolerance)
        if not active.any():
            break
        with np.errstate(invalid="ignore", divide="ignore"):
            secant = b - gb * (b - a) / (gb - ga)
        inside = np.isfinite(secant) & ((secant - a) * (secant - b) < 0)
        # Every eighth step a bisection: on a step function the secant can crawl.
        x = np.where(inside & (step % 8 != 7), secant, (a + b) / 2)
        gx = falls(x, active)
        up, down = active & (gx > 0), active & (gx < 0)
        hit = active & (gx == 0)
        zero[hit] = x[hit]
        ga = np.where(down & (last == -1), ga / 2, ga)  # the end moved twice: halve the start
        gb = np.where(up & (last == 1), gb / 2, gb)
        a, ga = np.where(up, x, a), np.where(up, gx, ga)
        b, gb = np.where(down, x, b), np.where(down, gx, gb)
        last = np.where(up, 1, np.where(down, -1, last))
        active = active & ~hit
    return a, b, zero


class _Statistic:
    """The test's statistic as a function of the ratio now / then: each stratum's count of
    pairs in which the later period's duration, divided by the ratio, is the longer
    (``_Cells.above``), less half the pairs, weighted and summed per comparison. It falls
    as the ratio grows; where it is zero lies the Hodges-Lehmann estimate."""

    def __init__(self, now: _Cells, then: _Cells, test: np.ndarray, weight: np.ndarray,
                 products: np.ndarray, tests: int) -> None:  # fmt: skip
        self.now, self.then, self.test, self.tests = now, then, test, tests
        self.weight, self.products = weight, products
        self.cell_test = test[now.test]  # the comparison of each of now's cells
        # Comparisons whose strata are all taken as exact: a step function of the pairwise
        # log-ratios, whose roots are snapped to those exact values.
        coarse = np.bincount(test, weights=(~now.fine).astype(float), minlength=tests)
        self.exact = coarse == 0

    def at(self, log_ratio: np.ndarray, active: np.ndarray) -> np.ndarray:
        cells = np.flatnonzero(active[self.cell_test])
        above = self.now.above(self.then, np.exp(log_ratio)[self.test], cells)
        balance = np.where(active[self.test], self.weight * (above - self.products / 2), 0.0)
        return np.bincount(self.test, weights=balance, minlength=self.tests)

    def snap(self, log_ratio: np.ndarray, active: np.ndarray, down: bool) -> np.ndarray:
        """Per comparison, the pairwise log-ratio (one duration of each period, within a
        stratum) nearest ``log_ratio``: the largest at or below it (``down``), else the
        smallest above it."""
        cells = np.flatnonzero(active[self.cell_test])
        unit = self.now.test[cells]
        value = self.now.value[cells]
        other = self.then
        # log a - log b <= x exactly when b >= a e^-x: the first such b gives the largest
        query = value * np.exp(-log_ratio[self.test[unit]])
        position = other._find("value", query, unit, "left")
        first, end = other.first[unit], other.end[unit]
        if down:
            pick = np.minimum(position, end - 1)
            found = np.where(position < end, np.log(value) - np.log(other.value[pick]), -np.inf)
            best = np.full(self.tests, -np.inf)
            np.maximum.at(best, self.test[unit], found)
        else:
            pick = np.maximum(position - 1, first)
            found = np.where(position > first, np.log(value) - np.log(other.value[pick]), np.inf)
            best = np.full(self.tests, np.inf)
            np.minimum.at(best, self.test[unit], found)
        return best

    def guess(self) -> np.ndarray:
        """Per comparison, a first guess at the log-ratio: the difference of the two periods'
        log medians, averaged over the strata with their weights."""
        medians = [cells.medians() for cells in (self.now, self.then)]
        difference = np.log(medians[0]) - np.log(medians[1])
        weight = self.weight * self.products
        total = np.bincount(self.test, weights=weight, minlength=self.tests)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.bincount(self.test, weights=weight * difference, minlength=self.tests)
            return np.nan_to_num(mean / total)

    def solve(
        self, target: np.ndarray, *, middle: bool, near: np.ndarray, side: int = 0
    ) -> np.ndarray:
        """Per comparison, the ratio at which the statistic equals ``target``, between
        1/10^6 and 10^6 (NaN where it is not reached there); ``near``: a log-ratio close to
        it (``side`` -1: at or above it, +1: at or below it, 0: either way), so the search
        starts from a narrow bracket. For durations taken as exact the statistic steps at
        pairwise ratios: the root is snapped to the ratio it steps at, and where it equals
        the target over a stretch between two of them, the middle of the stretch on the log
        scale (``middle``; else its start), which is the Hodges-Lehmann convention (the mean
        of the two middle log-ratios). On a coarser grid the statistic falls smoothly, and
        the root is found to 10^-9 of the log."""
        bound = np.log(_ESTIMATE_LIMIT)
        start, end = np.full(self.tests, bound), np.full(self.tests, -bound)
        at_start, at_end = np.full(self.tests, np.nan), np.full(self.tests, np.nan)

        def falls(x: np.ndarray, active: np.ndarray) -> np.ndarray:
            return self.at(x, active) - target

        # Widen a bracket around ``near`` until the root is inside; what each try learns
        # tightens the fallback bracket too.
        open_ = np.ones(self.tests, bool)
        near = np.clip(near, bound, -bound)
        f_near = falls(near, open_) if side else None
        for width in (0.05, 0.25, 1.0, 4.0):
            low = np.clip(near - width, bound, -bound) if side <= 0 else near
            high = np.clip(near + width, bound, -bound) if side >= 0 else near
            f_low = falls(low, open_) if side <= 0 else f_near
            f_high = falls(high, open_) if side >= 0 else f_near
            assert f_low is not None and f_high is not None
            inside = open_ & (f_low >= 0) & (f_high <= 0)
            for mask, x, fx in ((inside, low, f_low), (open_ & (f_high > 0), high, f_high)):
                start, at_start = np.where(mask, x, start), np.where(mask, fx, at_start)
            for mask, x, fx in ((inside, high, f_high), (open_ & (f_low < 0), low, f_low)):
                end, at_end = np.where(mask, x, end), np.where(mask, fx, at_end)
            open_ = open_ & ~inside
            if not open_.any():
                break
        if open_.any():  # the far ends: is the root there at all?
            for x, values in ((start, at_start), (end, at_end)):
                unknown = open_ & np.isnan(values)
                if unknown.any():
                    values[unknown] = falls(x, unknown)[unknown]
        reached = (at_start >= 0) & (at_end <= 0)
        # A step function's root is snapped to the exact pairwise ratio, so its bracket
        # need only be narrower than the gaps between them.
        tolerance = np.where(self.exact, 1e-6, 1e-9)
        low, high, zero = _root(falls, start, end, tolerance, reached, (at_start, at_end))
        result = np.where(np.isnan(zero), (low + high) / 2, zero)
        exact = reached & self.exact
        if exact.any():
            stretch = exact & ~np.isnan(zero)
            below = self.snap(np.where(stretch, zero, high), exact, down=True)
            above = self.snap(np.where(stretch, zero, high), stretch, down=False)
            with np.errstate(invalid="ignore"):
                centre = (below + above) / 2 if middle else below
            result = np.where(stretch, centre, np.where(exact, below, result))
        with np.errstate(invalid="ignore"):
            return np.where(reached & np.isfinite(result), np.exp(result), np.nan)


@dataclass(frozen=True)
class _Runs:
    """The distinct values of each comparison's sample, with how many times each occurs;
    sorted by comparison, then value."""

    value: np.ndarray
    count: np.ndarray
    test: np.ndarray
    tests: int

    @classmethod
    def of(cls, values: np.ndarray, test: np.ndarray, tests: int) -> _Runs:
        order = np.lexsort((values, test))
        values, test = values[order], test[order]
        boundary = np.r_[True, (test[1:] != test[:-1]) | (values[1:] != values[:-1])]
        start = np.flatnonzero(boundary)
        count = np.diff(np.r_[start, len(values)]).astype(float)
        return cls(values[start], count, test[start], tests)


def _u_statistic(
    now: np.ndarray, now_test: np.ndarray, pooled: _Runs, n1: np.ndarray
) -> np.ndarray:
    """Mann-Whitney's U of the later period: the pairs in which it took longer, ties half.
    Its values' mid-ranks in the pooled sample, summed, less ``n1 (n1 + 1) / 2``."""
    first_of_test = np.searchsorted(pooled.test, np.arange(pooled.tests), side="left")
    below = np.concatenate(([0.0], np.cumsum(pooled.count)))  # pooled values before each run
    offset = 4 * (float(np.abs(pooled.value).max()) + 1.0)
    keys = pooled.value + offset * pooled.test
    run = np.searchsorted(keys, now + offset * now_test, side="left")
    mid_rank = below[run] - below[first_of_test[now_test]] + (pooled.count[run] + 1) / 2
    rank_sum = np.bincount(now_test, weights=mid_rank, minlength=pooled.tests)
    return rank_sum - n1 * (n1 + 1) / 2


def _resolution(pooled: _Runs) -> np.ndarray:
    """The grid each comparison's durations were recorded on, in minutes: the coarsest of
    ``RESOLUTIONS_MINUTES`` that every non-zero duration of both periods is a multiple of;
    seconds where none is; 1 minute where every duration is zero."""
    values = pooled.value
    grid = np.full(len(values), RESOLUTIONS_MINUTES[-1])
    for step in sorted(RESOLUTIONS_MINUTES):
        steps = values / step
        grid[np.abs(steps - np.round(steps)) <= 1e-6] = step
    grid[values == 0] = np.inf
    finest = np.full(pooled.tests, np.inf)
    np.minimum.at(finest, pooled.test, grid)
    return np.where(np.isinf(finest), 1.0, finest)


def _min_detectable(
    pooled: _Cells,
    test: np.ndarray,
    weighted_pairs: np.ndarray,
    sd: np.ndarray,
    correction: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The smallest drop and rise of scale (now = ratio x then, recorded on the same grid)
    that the rank test, at ``ALPHA`` two-sided, would find with ``POWER``.

    Each stratum's two periods pooled stand for its distribution of durations. Under a
    change of scale ``r`` its statistic moves from one half of its pairs by ``theta(r) -
    1/2`` (``_Cells.theta``); the test finds the change with probability ``POWER`` when the
    weighted move reaches ``(z_alpha/2 + z_power) sd`` plus the continuity correction
    (Noether's formula, with the tie-corrected ``sd`` the test uses). ``theta`` only ever
    moves further from one half as the ratio moves away from 1, so the ratio sought is found
    by bisection on its log, every comparison at once. On a coarse grid (quarter hours,
    hours) small changes move no recorded value at all, and the detectable change is
    correspondingly larger; where zeros dominate, no change of scale may be detectable (NaN).
    """
    from scipy import stats  # here, not at the top: see _scipy_note

    reach = stats.norm.ppf(1 - ALPHA / 2) + stats.norm.ppf(POWER)
    needed = reach * sd + correction
    tests = len(sd)
    limit = -np.log(_RATIO_LIMIT)
    cell_test = test[pooled.test]

    def smallest(sign: float) -> np.ndarray:
        def shortfall(log_ratio: np.ndarray, active: np.ndarray) -> np.ndarray:
            # how far the test's expected move at this ratio exceeds what it needs
            cells = np.flatnonzero(active[cell_test])
            theta = pooled.theta(np.exp(log_ratio)[test], cells)
            moved = np.where(active[test], weighted_pairs * (0.5 - theta), 0.0)
            return sign * np.bincount(test, weights=moved, minlength=tests) - needed

        far, near = np.full(tests, sign * limit), np.zeros(tests)
        everyone = np.ones(tests, bool)
        detectable = shortfall(far, everyone) >= 0  # at the far end: detectable at all?
        low, _, zero = _root(shortfall, far, near, 1e-4, detectable)
        found = np.where(np.isnan(zero), low, zero)  # the detectable end of the bracket
        return np.where(detectable, np.exp(found), np.nan)

    return smallest(-1.0), smallest(1.0)


@dataclass(frozen=True)
class _Cells:
    """A sample per comparison as recording cells: each distinct duration ``v`` (``weight``
    incidents) stands for true values spread evenly over ``[v - s/2, v + s/2)`` on its
    comparison's grid ``s`` (from 0 for zeros), sorted by comparison and value, with the
    running sums the sums over cells are read from (one search per cell, never a loop over
    pairs of cells)."""

    value: np.ndarray
    low: np.ndarray
    high: np.ndarray
    weight: np.ndarray
    test: np.ndarray
    fine: np.ndarray  # per comparison: recorded to the second or finer, taken as exact
    first: np.ndarray  # each comparison's first cell
    end: np.ndarray  # one past its last
    span: float  # keeps comparisons apart in one sorted key
    sums: dict[str, np.ndarray]
    keys: dict[str, np.ndarray]  # the edges (and values) plus span x comparison, sorted

    @classmethod
    def of(
        cls,
        runs: _Runs,
        resolution: np.ndarray,
        *,
        bounds: tuple[np.ndarray, np.ndarray] | None = None,
        fine: np.ndarray | None = None,
    ) -> _Cells:
        """``runs`` as cells on each comparison's grid (``resolution``, minutes), or with
        the given ``bounds``; ``fine`` (default: a grid under a minute) marks the
        comparisons whose durations are taken as exact."""
        if bounds is None:
            step = np.maximum(resolution, 1.0 / 60.0)[runs.test]
            low = np.maximum(runs.value - step / 2, 0.0)
            high = runs.value + step / 2
        else:
            low, high = bounds
        weight = runs.count
        counts = np.bincount(runs.test, minlength=runs.tests)
        end = np.cumsum(counts)

        def running(values: np.ndarray) -> np.ndarray:
            return np.concatenate(([0.0], np.cumsum(values)))

        width = high - low
        sums = {
            "weight": running(weight),
            "low": running(weight * low),
            "high": running(weight * high),
            "middle": running(weight * (low + high) / 2),
            "q0": running(weight / width),
            "q1": running(weight * low / width),
            "q2": running(weight * low**2 / width),
        }
        # Queries outside a comparison's cells are clipped to them, so the span only has to
        # keep the cells of one comparison from reaching the next one's.
        span = 2.0 * (float(high.max()) + 1.0)
        # Taken as exact (to the second), a zero stands for half a second, as on any grid
        # it stands for half the grid: a quarter of zeros against one of minutes then has
        # a ratio, however large, and equal durations stay equal.
        value = np.maximum(runs.value, 1.0 / 120.0)
        edges = {"low": low, "high": high, "value": value}
        keys = {name: edge + span * runs.test for name, edge in edges.items()}
        if fine is None:
            fine = resolution < 1.0
        return cls(value, low, high, weight, runs.test, fine, end - counts, end, span,
                   sums, keys)  # fmt: skip

    def _find(
        self, edges: str, query: np.ndarray, test: np.ndarray, side: Literal["left", "right"]
    ) -> np.ndarray:
        found = np.searchsorted(self.keys[edges], query + self.span * test, side=side)
        return np.clip(found, self.first[test], self.end[test])

    def _sum(self, name: str, upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
        return self.sums[name][upper] - self.sums[name][lower]

    def medians(self) -> np.ndarray:
        """Each comparison's median duration (the lower middle cell), NaN where empty."""
        weight = self.sums["weight"]
        half = weight[self.first] + (weight[self.end] - weight[self.first]) / 2
        index = np.searchsorted(weight[1:], half, side="left")
        ok = self.end > self.first
        return np.where(ok, self.value[np.clip(index, 0, len(self.value) - 1)], np.nan)

    def binned(self, floor: int = 96) -> _Cells:
        """These cells merged, comparison by comparison, into about ``max(floor, 4 sqrt(n))``
        bins of equal weight (a comparison with fewer cells keeps its own): what the power
        calculation needs (``theta``) without a cell per distinct duration. A bin is the
        span of its cells, its true values spread evenly over it, so the detectable change
        it gives can only err large (a bin's durations count as tied)."""
        counts = self.end - self.first
        total = np.bincount(self.test, weights=self.weight, minlength=len(self.first))
        bins = np.maximum(floor, np.ceil(4 * np.sqrt(total))).astype(np.int64)
        if (counts <= bins).all():
            return self
        before = (
            self.sums["weight"][np.arange(len(self.weight))]
            - self.sums["weight"][self.first[self.test]]
        )  # the weight of the comparison's earlier cells
        share = before / total[self.test]
        index = np.where(
            (counts <= bins)[self.test],
            np.arange(len(self.weight)) - self.first[self.test],
            np.floor(share * bins[self.test]),
        ).astype(np.int64)
        start = np.flatnonzero(np.r_[True, (self.test[1:] != self.test[:-1])
                                     | (index[1:] != index[:-1])])  # fmt: skip
        runs = _Runs(self.value[start], np.add.reduceat(self.weight, start), self.test[start],
                     len(self.first))  # fmt: skip
        merged = _Cells.of(runs, np.zeros(len(self.first)))
        low = self.low[start]
        high = np.maximum.reduceat(self.high, start)
        return merged.spread(low, high, self.fine)

    def spread(self, low: np.ndarray, high: np.ndarray, fine: np.ndarray) -> _Cells:
        """The same cells with other bounds (and the running sums that depend on them)."""
        return _Cells.of(_Runs(self.value, self.weight, self.test, len(self.first)),
                         np.zeros(len(self.first)), bounds=(low, high), fine=fine)  # fmt: skip

    def theta(self, ratio: np.ndarray, cells: np.ndarray) -> np.ndarray:
        """Per comparison (of the given cells): the chance that one duration, scaled by
        ``ratio`` (one per comparison) and recorded again, is recorded below another (half
        when equal), over ordered pairs of distinct incidents of this sample. A scaled cell
        ``[r low_a, r high_a)`` falls below cell ``b`` with the share ``F_a(low_b)`` and
        within it with ``F_a(high_b) - F_a(low_b)``, so ``theta = sum w_a w_b (F_a(low_b) +
        F_a(high_b)) / 2`` less each duration's pair with itself; the sum over ``b`` of a
        clipped linear ``F_a`` is read off running sums."""
        test = self.test[cells]
        r = ratio[test]
        low, high = self.low[cells], self.high[cells]
        start, width = r * low, r * (high - low)
        end = self.end[test]

        def below(edges: str) -> np.ndarray:
            # sum over cells b of w_b * clip((edge_b - start) / width, 0, 1)
            lower = self._find(edges, start, test, "right")
            upper = np.maximum(self._find(edges, start + width, test, "left"), lower)
            inside = self._sum("weight", upper, lower)
            partial = (self._sum(edges, upper, lower) - start * inside) / width
            return self._sum("weight", end, upper) + partial

        def own(edge: np.ndarray) -> np.ndarray:
            return np.clip((edge - start) / width, 0.0, 1.0)

        share = (below("low") + below("high")) / 2 - (own(low) + own(high)) / 2
        groups = len(self.first)
        weight = self.weight[cells]
        total = np.bincount(test, weights=weight, minlength=groups)
        pairs = np.bincount(test, weights=weight * share, minlength=groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            return pairs / (total * (total - 1))

    def above(self, other: _Cells, ratio: np.ndarray, cells: np.ndarray) -> np.ndarray:
        """Per comparison (of the given cells of this sample): how many pairs, one of this
        sample and one of ``other``, have this one's duration, divided by ``ratio`` (one per
        comparison), above the other's. At ratio 1 this is Mann-Whitney's U with ties
        counted half; it falls as the ratio grows, so the ratio where it is half the pairs
        is the Hodges-Lehmann estimate of the change of scale.

        Durations recorded to the second or finer are taken as exact: this is the plain
        count, and the estimate the plain median of the pairwise ratios. On a coarser grid
        each true duration is spread evenly over its cell, so that ties and rounding cannot
        pin the estimate at 1 (two values of one cell are equally likely either way round,
        which keeps the count at ratio 1 equal to U). For ``A`` uniform on ``[la, ua)`` and
        ``B`` on ``[lb, ub)``, ``P(A > r B)`` is the mean over ``A``'s cell of ``F_b(x) =
        clip((x - r lb) / (r (ub - lb)), 0, 1)``, i.e. ``(H(ua) - H(la)) / (ua - la)`` with
        ``H`` its antiderivative: 0 below the scaled cell, ``(x - s)^2 / 2d`` across it,
        ``x - s - d/2`` above it; every sum over ``b`` is read from ``other``'s running sums.
        """
        share = np.zeros(len(cells))
        exact = self.fine[self.test[cells]]
        for part in (np.flatnonzero(exact), np.flatnonzero(~exact)):
            if len(part):
                share[part] = self._above(other, ratio, cells[part], bool(exact[part[0]]))
        weight = self.weight[cells] * share
        return np.bincount(self.test[cells], weights=weight, minlength=len(self.first))

    def _above(
        self, other: _Cells, ratio: np.ndarray, cells: np.ndarray, exact: bool
    ) -> np.ndarray:
        """``above`` for the given cells of this sample, all exact or all spread: for each,
        the number of ``other``'s durations it exceeds, once divided by the ratio."""
        test = self.test[cells]
        r = ratio[test]
        start_of = other.first[test]
        if exact:
            point = self.value[cells] / r
            position = other._find("value", point, test, "left")
            below = other._sum("weight", position, start_of)
            # ties count half: a cell is one distinct value, so an equal one is at position
            pick = np.minimum(position, len(other.value) - 1)
            equal = (position < other.end[test]) & (other.value[pick] == point)
            return below + np.where(equal, other.weight[pick], 0.0) / 2

        def antiderivative(x: np.ndarray) -> np.ndarray:
            scaled = x / r
            past = other._find("high", scaled, test, "right")  # cells wholly below x
            across = np.maximum(other._find("low", scaled, test, "left"), past)
            whole = x * other._sum("weight", past, start_of) - r * other._sum(
                "middle", past, start_of
            )
            q0 = other._sum("q0", across, past)
            q1 = other._sum("q1", across, past)
            q2 = other._sum("q2", across, past)
            return whole + (x * x * q0 - 2 * x * r * q1 + r * r * q2) / (2 * r)

        low, high = self.low[cells], self.high[cells]
        return (antiderivative(high) - antiderivative(low)) / (high - low)


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
