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
    # Nothing open: the lower median, the 3rd of 5.
    assert stats.kaplan_meier_median(times, np.ones(5, bool), codes, 1)[0] == 30.0


def test_kaplan_meier_unknown_when_most_are_still_open() -> None:
    times = np.array([10.0, 500.0, 600.0, 700.0])
    events = np.array([True, False, False, False])
    assert np.isnan(stats.kaplan_meier_median(times, events, np.zeros(4, np.int64), 1)[0])


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
def test_kaplan_meier_without_censoring_is_the_lower_median(rows) -> None:
    times = np.array([t for t, _, _ in rows])
    codes = np.array([c for _, _, c in rows], dtype=np.int64)
    km = stats.kaplan_meier_median(times, np.ones(len(rows), bool), codes, 4)
    for group in range(4):
        values = np.sort(times[codes == group])
        if len(values) == 0:
            assert np.isnan(km[group])
        else:
            assert km[group] == values[int(np.ceil(len(values) / 2)) - 1]


# --- many groups at once against a per-group reference -----------------------------------


def km_median_reference(times: np.ndarray, events: np.ndarray) -> float:
    """Kaplan-Meier median by the textbook loop (lifelines' convention): the first event
    time at which the survival product falls to one half or below; events before
    censorings at equal times."""
    order = np.lexsort((~events, times))
    survival, at_risk = 1.0, len(times)
    for t, event in zip(times[order], events[order], strict=True):
        if event:
            survival *= 1 - 1 / at_risk
            if survival <= 0.5 + 1e-12:
                return float(t)
        at_risk -= 1
    return float("nan")


def test_kaplan_meier_is_right_for_every_group_of_a_large_batch() -> None:
    """Issue 9.1: 12 incidents of 10..120 min gave 70 after 1,000 one-incident groups."""
    twelve = np.arange(10.0, 130.0, 10.0)
    times = np.concatenate([np.full(1000, 5.0), twelve])
    codes = np.concatenate([np.arange(1000), np.full(12, 1000)])
    result = stats.kaplan_meier_median(times, np.ones(len(times), bool), codes, 1001)
    assert result[1000] == 60.0 and (result[:1000] == 5.0).all()

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
        n = len(mine)
        low = int(scipy_stats.binom.ppf(0.05, n, 0.5))
        high = int(scipy_stats.binom.ppf(0.95, n, 0.5)) + 1
        if low >= 1 and high <= n:
            assert intervals[g].tolist() == [mine[low - 1], mine[high - 1]]
            covered = scipy_stats.binom.cdf(high - 1, n, 0.5) - scipy_stats.binom.cdf(
                low - 1, n, 0.5
            )
            assert covered >= 0.90
        else:
            assert np.isnan(intervals[g]).all()


# --- coverage and false alarms by seeded simulation ----------------------------------------


@pytest.mark.parametrize("n", [10, 30, 100])
@pytest.mark.parametrize(
    ("p", "true_quantile"), [(0.5, np.exp(4.0)), (0.9, np.exp(4.0 + 1.2 * 1.2816))]
)
def test_intervals_cover_at_least_nominally(n: int, p: float, true_quantile: float) -> None:
    """Issue 9.8: the old "90%" intervals covered 78% (median) and 64% (P90) at n = 10."""
    runs = 4000
    rng = np.random.default_rng(20261127 + n)
    values = rng.lognormal(4.0, 1.2, (runs, n)).ravel()
    codes = np.repeat(np.arange(runs), n)
    intervals = stats.quantile_ci(stats.sort_by_group(values, codes, runs), p)
    if p == 0.9 and n == 10:
        assert np.isnan(intervals).all()  # no distribution-free 90% interval exists
        return
    covered = (intervals[:, 0] <= true_quantile) & (true_quantile <= intervals[:, 1])
    assert covered.mean() >= 0.89  # nominal 90%, within simulation error (SE 0.5%)


def medians_of(samples: np.ndarray) -> stats.Medians:
    groups, n = samples.shape
    data = stats.sort_by_group(samples.ravel(), np.repeat(np.arange(groups), n), groups)
    return stats.Medians(data.counts, stats.quantile(data, 0.5), *stats.log_median_se(data))


@pytest.mark.parametrize("n", [10, 30, 100, 400])
def test_no_change_is_rarely_called_a_change(n: int) -> None:
    runs = 4000
    rng = np.random.default_rng(n)
    now = rng.lognormal(4.0, 1.25, (runs, n)).round()  # whole minutes: ties, as in exports
    then = rng.lognormal(4.0, 1.25, (runs, n)).round()
    change = stats.compare_medians(medians_of(now), medians_of(then))
    called = np.isin(change.verdict, [stats.IMPROVED, stats.WORSENED]).mean()
    assert called <= 0.065  # alpha 5%, within simulation error


@pytest.mark.parametrize("n", [30, 100])
def test_a_change_of_the_detectable_size_is_usually_found(n: int) -> None:
    runs = 3000
    rng = np.random.default_rng(100 + n)
    then = rng.lognormal(4.0, 1.25, (runs, n))
    base = stats.compare_medians(medians_of(then), medians_of(then))
    drop = float(np.median(base.min_detectable))
    now = rng.lognormal(4.0 + np.log(drop), 1.25, (runs, n))
    change = stats.compare_medians(medians_of(now), medians_of(then))
    assert (change.verdict == stats.IMPROVED).mean() >= 0.70  # designed for 80%
    assert np.allclose(base.min_detectable_rise, 1 / base.min_detectable)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 600), min_size=10, max_size=40),
    st.lists(st.integers(0, 600), min_size=10, max_size=40),
)
def test_a_verdict_never_contradicts_its_ratio(now: list[int], then: list[int]) -> None:
    """Issue 9.4: the verdict and the ratio printed beside it measure the same thing."""
    change = stats.compare_medians(
        medians_of(np.array([now], float)), medians_of(np.array([then], float))
    )
    verdict, ratio = change.verdict[0], change.ratio[0]
    if verdict == stats.IMPROVED:
        assert ratio < 1
    elif verdict == stats.WORSENED:
        assert np.isnan(ratio) or ratio > 1
    assert np.isnan(ratio) or np.isfinite(ratio)  # never Infinity (issue 9.6)


def test_the_issues_examples() -> None:
    rng = np.random.default_rng(4)
    # 9.4: previous 100 x ~60 min; now 55 x 70 and 45 x 5: the median rose (ratio 1.17).
    then = rng.normal(60, 3, 100).round()
    now = np.concatenate([rng.normal(70, 3, 55), rng.normal(5, 1, 45)]).round()
    change = stats.compare_medians(medians_of(now[None]), medians_of(then[None]))
    assert change.ratio[0] > 1 and change.verdict[0] != stats.IMPROVED
    # 9.5: 6 zero-minute recoveries among 30 do not drive a verdict.
    base = rng.lognormal(4, 1, 30).round()
    zeros = base.copy()
    zeros[:6] = 0.0
    change = stats.compare_medians(medians_of(zeros[None]), medians_of(base[None]))
    assert change.verdict[0] == stats.NO_CHANGE
    # 9.6: a zero earlier median gives no ratio, not Infinity.
    change = stats.compare_medians(medians_of(base[None]), medians_of(np.zeros((1, 30))))
    assert np.isnan(change.ratio[0])


def test_too_few_incidents_is_insufficient() -> None:
    change = stats.compare_medians(
        medians_of(np.array([[1.0, 2, 3]])), medians_of(np.array([[100.0, 200, 300] * 5]))
    )
    assert change.verdict[0] == stats.INSUFFICIENT and np.isnan(change.min_detectable[0])


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


def test_false_discoveries_across_many_teams_are_controlled() -> None:
    """Issue 9.10: 500 teams, no real change: p < 0.05 names about 25 teams; q < 0.10
    names none in most periods."""
    rng = np.random.default_rng(10)
    periods, teams, n = 40, 500, 30
    any_named = 0
    for _ in range(periods):
        now = rng.lognormal(4, 1.25, (teams, n)).round()
        then = rng.lognormal(4, 1.25, (teams, n)).round()
        change = stats.compare_medians(medians_of(now), medians_of(then))
        q = stats.benjamini_hochberg(change.p_value, np.zeros(teams, np.int64))
        any_named += bool((q < 0.10).any())
    assert any_named / periods <= 0.2  # FDR control under the global null: P(any) <= 10%
