"""Each statistic on a tiny hand-computed example, and against brute force."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from maturity.measures import stats


def one_group(values: list[float]) -> stats.Sorted:
    array = np.array(values, dtype=float)
    return stats.sort_by_group(array, np.zeros(len(array), np.int64), 1)


def test_quantiles_interpolate_linearly() -> None:
    data = one_group([100, 10, 30, 20])
    assert stats.quantile(data, 0.5)[0] == 25.0
    assert stats.quantile(data, 0.9)[0] == pytest.approx(79.0)  # 30 + 0.7 * (100 - 30)


def test_groups_are_independent_and_empty_groups_are_nan() -> None:
    values = np.array([5.0, 1.0, np.nan, 7.0, 3.0])
    codes = np.array([2, 0, 0, 2, -1])  # group 1 empty; -1 is no group
    data = stats.sort_by_group(values, codes, 3)
    assert data.counts.tolist() == [1, 0, 2]
    medians = stats.quantile(data, 0.5)
    assert medians[0] == 1.0 and np.isnan(medians[1]) and medians[2] == 6.0


def test_kaplan_meier_hand_computed() -> None:
    # 10, 20 recover; 30 still open; 40, 50 recover. S: 4/5, 3/5, (censor), 3/10 -> median 40.
    times = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    events = np.array([True, True, False, True, True])
    codes = np.zeros(5, np.int64)
    assert stats.kaplan_meier_median(times, events, codes, 1)[0] == 40.0
    # Nothing open: the sample median, 30 of 5.
    assert stats.kaplan_meier_median(times, np.ones(5, bool), codes, 1)[0] == 30.0


def test_kaplan_meier_takes_the_middle_of_a_flat_half() -> None:
    """Issue 21.8: 12 resolved incidents gave 25 (the lower median) beside a median of 55:
    where the curve sits at exactly one half, the middle of that stretch, as R does."""
    times = np.arange(10.0, 130.0, 10.0)  # 10 .. 120, nothing open
    km = stats.kaplan_meier_median(times, np.ones(12, bool), np.zeros(12, np.int64), 1)[0]
    assert km == np.median(times) == 65.0
    # Flat at one half up to the end, the rest open: the middle up to the last time seen.
    times = np.array([10.0, 20.0, 30.0, 40.0, 100.0, 100.0, 100.0, 100.0])
    events = np.array([True] * 4 + [False] * 4)
    assert stats.kaplan_meier_median(times, events, np.zeros(8, np.int64), 1)[0] == 70.0


def test_kaplan_meier_unknown_when_most_are_still_open() -> None:
    times = np.array([10.0, 500.0, 600.0, 700.0])
    events = np.array([True, False, False, False])
    assert np.isnan(stats.kaplan_meier_median(times, events, np.zeros(4, np.int64), 1)[0])
    # Issue 21.8: 8 of 14 open, censored before any recovery: the curve of the 6 that
    # recovered reaches one half, but more than half are still open: no median (DESIGN.md).
    times = np.concatenate([np.full(8, 5.0), np.arange(10.0, 70.0, 10.0)])
    events = np.array([False] * 8 + [True] * 6)
    assert np.isnan(stats.kaplan_meier_median(times, events, np.zeros(14, np.int64), 1)[0])
    # 6 of 12 open is not more than half: 10 .. 60 recover, one half after 30, then 40
    times, events = times[2:], events[2:]
    assert stats.kaplan_meier_median(times, events, np.zeros(12, np.int64), 1)[0] == 35.0


def test_kaplan_meier_several_groups() -> None:
    times = np.array([1.0, 2.0, 3.0, 10.0, 20.0, 30.0])
    events = np.ones(6, bool)
    codes = np.array([0, 0, 0, 1, 1, 1])
    assert stats.kaplan_meier_median(times, events, codes, 3).tolist()[:2] == [2.0, 20.0]


def test_dora_bands_2021() -> None:
    bands = stats.DoraBands().band(np.array([59.9, 60.0, 1439.0, 1440.0, 10079.0, 10080.0, np.nan]))
    assert bands.tolist() == ["elite", "high", "high", "medium", "medium", "low", None]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(min_value=0.1, max_value=1e5), st.booleans(), st.integers(0, 3)),
        min_size=1,
        max_size=80,
    )
)
def test_kaplan_meier_without_censoring_is_the_median(rows) -> None:
    """DESIGN.md: with nothing open, ``km_median`` equals ``mttr_median``."""
    times = np.array([t for t, _, _ in rows])
    codes = np.array([c for _, _, c in rows], dtype=np.int64)
    km = stats.kaplan_meier_median(times, np.ones(len(rows), bool), codes, 4)
    for group in range(4):
        values = times[codes == group]
        if len(values) == 0:
            assert np.isnan(km[group])
        else:
            assert km[group] == pytest.approx(np.median(values), rel=1e-12)


# --- many groups at once against a per-group reference -----------------------------------


def km_median_reference(times: np.ndarray, events: np.ndarray) -> float:
    """Kaplan-Meier median by the textbook loop, with R survfit's conventions: the curve at
    each distinct recovery time; the first time it falls below one half, or, where it sits
    at exactly one half, the middle between that time and the next recovery (the last time
    seen when none follows); none when more than half are still open (DESIGN.md)."""
    if (~events).sum() * 2 > len(times):
        return float("nan")
    survival, at_risk = 1.0, len(times)
    curve = []  # (time, survival after it)
    for t in np.unique(times):
        here = times == t
        recovered = int((events & here).sum())
        if recovered:
            survival *= 1 - recovered / at_risk
            curve.append((float(t), survival))
        at_risk -= int(here.sum())
    for i, (t, s) in enumerate(curve):
        if abs(s - 0.5) < 1e-12:
            following = curve[i + 1][0] if i + 1 < len(curve) else float(times.max())
            return (t + following) / 2
        if s < 0.5:
            return t
    return float("nan")


def test_kaplan_meier_is_right_for_every_group_of_a_large_batch() -> None:
    """Issue 9.1: 12 incidents of 10..120 min gave 70 after 1,000 one-incident groups."""
    twelve = np.arange(10.0, 130.0, 10.0)
    times = np.concatenate([np.full(1000, 5.0), twelve])
    codes = np.concatenate([np.arange(1000), np.full(12, 1000)])
    result = stats.kaplan_meier_median(times, np.ones(len(times), bool), codes, 1001)
    assert result[1000] == 65.0 and (result[:1000] == 5.0).all()  # the midpoint convention

    # 1,200 groups of 1-60 incidents, whole-minute times (many ties), a third censored.
    rng = np.random.default_rng(9)
    sizes = rng.integers(1, 61, 1200)
    codes = np.repeat(np.arange(1200), sizes)
    times = np.round(rng.lognormal(4, 1.3, len(codes)))
    events = rng.random(len(codes)) > 0.33
    batch = stats.kaplan_meier_median(times, events, codes, 1200)
    for g in range(1200):
        mine = codes == g
        expected = km_median_reference(times[mine], events[mine])
        assert batch[g] == expected or (np.isnan(batch[g]) and np.isnan(expected)), g


def test_quantiles_and_intervals_of_many_groups_match_numpy() -> None:
    rng = np.random.default_rng(3)
    sizes = rng.integers(0, 80, 500)
    codes = np.repeat(np.arange(500), sizes)
    values = np.round(rng.lognormal(3.5, 1.4, len(codes)), 1)
    data = stats.sort_by_group(values, codes, 500)
    medians, p90s = stats.quantile(data, 0.5), stats.quantile(data, 0.9)
    intervals = stats.quantile_ci(data, 0.5)
    for g in range(500):
        mine = np.sort(values[codes == g])
        if len(mine) == 0:
            assert np.isnan(medians[g]) and np.isnan(intervals[g]).all()
            continue
        assert medians[g] == pytest.approx(np.quantile(mine, 0.5))
        assert p90s[g] == pytest.approx(np.quantile(mine, 0.9))
        low, high = shortest_pair(len(mine), 0.5)
        if low:
            assert intervals[g].tolist() == [mine[low - 1], mine[high - 1]]
        else:
            assert np.isnan(intervals[g]).all()


def shortest_pair(n: int, p: float, level: float = 0.90) -> tuple[int, int]:
    """Every pair of ranks tried: the fewest ranks apart with coverage at least ``level``,
    then the highest coverage, then the most central; (0, 0) for none."""
    best = None
    for low in range(1, n + 1):
        for high in range(low + 1, n + 1):
            coverage = scipy_stats.binom.cdf(high - 1, n, p) - scipy_stats.binom.cdf(low - 1, n, p)
            if coverage >= level - 1e-12:
                key = (high - low, -coverage, abs((low + high) / 2 - (n + 1) * p))
                if best is None or key < best[0]:
                    best = (key, (low, high))
                break  # a wider upper rank only widens the pair
    return (0, 0) if best is None else best[1]


@pytest.mark.parametrize("p", [0.5, 0.9])
def test_the_shortest_exact_interval_is_chosen(p: float) -> None:
    """Issue 21.7: equal tails were forced (1.65x the shortest pair at n = 10) and the 90th
    percentile had no interval at n = 22-28 although [x(15), x(22)] covers 90.1% at 22."""
    for n in range(1, 61):
        assert stats.shortest_ranks(n, p) == shortest_pair(n, p), n
    assert stats.shortest_ranks(22, 0.9) == (15, 22)
    assert stats.shortest_ranks(21, 0.9) == (0, 0)
    low, high = stats.shortest_ranks(10, 0.5)
    assert high - low == 6  # equal tails need [x(2), x(9)], 7 ranks apart


# --- coverage and false alarms by seeded simulation ----------------------------------------


@pytest.mark.parametrize("n", [10, 22, 30, 100])
@pytest.mark.parametrize("p", [0.5, 0.9])
@pytest.mark.parametrize("grid", [0.0, 60.0])
def test_intervals_cover_at_least_nominally(n: int, p: float, grid: float) -> None:
    """Issue 9.8: the old "90%" intervals covered 78% (median) and 64% (P90) at n = 10. The
    shortest pairs, lopsided or not, still cover at least 90%, also on hour-rounded times."""
    runs = 4000
    rng = np.random.default_rng(20261127 + n + int(grid))

    def draw(size: tuple[int, ...] | int) -> np.ndarray:
        x = rng.lognormal(4.0, 1.2, size)
        return np.round(x / grid) * grid if grid else x

    population = np.sort(draw(2_000_000))
    true_quantile = population[int(np.ceil(p * len(population))) - 1]
    values = draw((runs, n)).ravel()
    codes = np.repeat(np.arange(runs), n)
    intervals = stats.quantile_ci(stats.sort_by_group(values, codes, runs), p)
    if p == 0.9 and n < 22:
        assert np.isnan(intervals).all()  # no distribution-free 90% interval exists
        return
    covered = (intervals[:, 0] <= true_quantile) & (true_quantile <= intervals[:, 1])
    assert covered.mean() >= 0.89  # nominal 90%, within simulation error (SE 0.5%)


def test_benjamini_hochberg_matches_scipy_per_family() -> None:
    rng = np.random.default_rng(8)
    p = rng.random(900) ** 2
    p[rng.random(900) < 0.1] = np.nan
    families = rng.integers(0, 7, 900)
    q = stats.benjamini_hochberg(p, families)
    for family in range(7):
        mine = (families == family) & ~np.isnan(p)
        expected = scipy_stats.false_discovery_control(p[mine], method="bh")
        assert np.allclose(q[mine], expected)
    assert np.isnan(q[np.isnan(p)]).all()
