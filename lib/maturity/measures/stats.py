"""Recovery statistics, vectorised across many groups at once.

Every function takes flat arrays plus an integer group code per value (``0 .. groups-1``)
and returns one result per group, so a whole organisation (hundreds of teams, many
quarters) is one pass of numpy, never a Python loop per group or per resample.
Durations are minutes. A group with no data gives NaN (``null`` in JSON), never 0.

Why these statistics: ``shared/reference/metrics-research.md``. Recovery times are
long-tailed, so the medians and 90th percentiles lead; their uncertainty is a bootstrap
interval; a change between periods is judged by a test on log durations, with the
smallest change the data could have detected; open incidents are kept in a Kaplan-Meier
estimate instead of being dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

#: Durations under this are floored before taking logs (a zero-minute recovery has no log).
LOG_FLOOR_MINUTES = 1.0 / 60.0
#: Fewer resolved incidents than this in a period: its statistics are flagged insufficient.
MIN_RESOLVED = 10
#: Significance and power behind verdicts and the smallest detectable change.
ALPHA = 0.05
POWER = 0.80


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


def bootstrap_quantile_ci(data: Sorted, p: float, level: float = 0.90) -> np.ndarray:
    """Bootstrap percentile interval of each group's ``p`` quantile: ``(groups, 2)`` array.

    This is the *exact* bootstrap: the interval that resampling the incidents with
    replacement converges to as the number of resamples grows, computed instead of
    simulated. In a resample of ``n`` values, the quantile is the ``k``-th smallest
    (``k = ceil(p n)``), and it is at most the ``j``-th smallest value of the sample exactly
    when at least ``k`` draws fall at or below it: ``P = P(Binomial(n, j/n) >= k) =
    I_{j/n}(k, n-k+1)``. Inverting that regularised incomplete beta at ``(1-level)/2`` and
    ``(1+level)/2`` gives the interval's order statistics directly. No random numbers, so
    the same data always give the same interval (no seed to manage), no Monte Carlo error,
    and one ``betaincinv`` per group instead of thousands of resamples.
    ``tests/test_stats.py`` checks it against a brute-force seeded resampling.
    """
    out = np.full((len(data.counts), 2), np.nan)
    has = data.counts > 0
    n = data.counts[has].astype(float)
    k = np.clip(np.ceil(p * n - 1e-9), 1, n)
    start = data.starts[has]
    for column, tail in enumerate(((1 - level) / 2, (1 + level) / 2)):
        q = special.betaincinv(k, n - k + 1, tail)
        j = np.clip(np.ceil(n * q - 1e-9), 1, n).astype(np.int64)
        out[has, column] = data.values[start + j - 1]
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
    # Floored so a group's last factor (0) cannot put -inf into the running sum that the
    # next group's offset subtracts.
    running = np.cumsum(np.log(np.maximum(factor, 1e-300)))
    offset = np.concatenate(([0.0], running))[starts[codes]]
    reached = running - offset <= np.log(0.5) + 1e-12
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


@dataclass(frozen=True)
class LogMoments:
    """Per group: count, mean and sample variance of log durations."""

    n: np.ndarray
    mean: np.ndarray
    var: np.ndarray


def log_moments(values: np.ndarray, codes: np.ndarray, groups: int) -> LogMoments:
    """Count, mean and variance (ddof 1) of ``log(max(value, 1 s))`` per group."""
    keep = ~np.isnan(values)
    logs = np.log(np.maximum(values[keep], LOG_FLOOR_MINUTES))
    codes = codes[keep]
    n = np.bincount(codes, minlength=groups).astype(float)
    total = np.bincount(codes, weights=logs, minlength=groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        squares = np.bincount(codes, weights=(logs - mean[codes]) ** 2, minlength=groups)
        var = squares / (n - 1)
    return LogMoments(n, mean, var)


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
    ratio: np.ndarray  # median now / median then
    min_detectable: np.ndarray  # smallest detectable change, as a ratio below 1
    p_value: np.ndarray


def compare_periods(
    now: LogMoments,
    then: LogMoments,
    median_now: np.ndarray,
    median_then: np.ndarray,
    *,
    min_resolved: int = MIN_RESOLVED,
) -> Change:
    """Is each group's recovery time now different from then, beyond noise?

    Welch's t-test on log durations (recovery times are roughly log-normal, so a
    difference of log means is a ratio of typical durations), two-sided at ``ALPHA``.
    ``improved``/``worsened`` only when significant; ``no_detectable_change`` otherwise;
    ``insufficient_data`` when either period has fewer than ``min_resolved`` resolved
    incidents. ``min_detectable`` is the smallest change this test would detect with
    ``POWER`` at these sample sizes and the pooled spread, as a ratio: a fall to that
    fraction of the earlier typical duration, or a rise to its inverse (0.61 means a
    change of 39% or more; cf. the research's table for log-SD 1.25).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        se2 = now.var / now.n + then.var / then.n
        se = np.sqrt(se2)
        t = (now.mean - then.mean) / se
        df = se2**2 / (
            (now.var / now.n) ** 2 / (now.n - 1) + (then.var / then.n) ** 2 / (then.n - 1)
        )
        p_value = 2 * stats.t.sf(np.abs(t), df)
        pooled = np.sqrt(((now.n - 1) * now.var + (then.n - 1) * then.var) / (now.n + then.n - 2))
        z = stats.norm.ppf(1 - ALPHA / 2) + stats.norm.ppf(POWER)
        min_detectable = np.exp(-z * pooled * np.sqrt(1 / now.n + 1 / then.n))
        ratio = median_now / median_then
    # A spread needs two values on each side.
    min_detectable = np.where((now.n >= 2) & (then.n >= 2), min_detectable, np.nan)
    enough = (now.n >= min_resolved) & (then.n >= min_resolved)
    verdict = np.where(
        ~enough,
        INSUFFICIENT,
        np.where(p_value < ALPHA, np.where(now.mean < then.mean, IMPROVED, WORSENED), NO_CHANGE),
    )
    # A zero spread (identical durations) leaves p undefined: any difference is real.
    verdict = np.where(
        enough & np.isnan(p_value),
        np.where(
            now.mean < then.mean, IMPROVED, np.where(now.mean > then.mean, WORSENED, NO_CHANGE)
        ),
        verdict,
    )
    return Change(verdict.astype(object), ratio, min_detectable, p_value)


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
