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


@pytest.mark.parametrize(("n", "p", "k"), [(31, 0.5, 16), (50, 0.9, 45)])
def test_exact_bootstrap_matches_brute_force_resampling(n: int, p: float, k: int) -> None:
    """The exact interval equals the percentile interval of many seeded resamples."""
    rng = np.random.default_rng(20261126)
    sample = np.sort(rng.lognormal(4.0, 1.2, n))
    exact = stats.bootstrap_quantile_ci(one_group(list(sample)), p)[0]
    # Brute force: 40,000 resamples with replacement, each one's quantile its k-th value.
    resamples = np.sort(rng.choice(sample, size=(40_000, n), replace=True), axis=1)[:, k - 1]
    low, high = np.quantile(resamples, [0.05, 0.95], method="inverted_cdf")
    assert exact[0] == low and exact[1] == high
    assert low < stats.quantile(one_group(list(sample)), p)[0] < high


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


def moments(values: list[float]) -> stats.LogMoments:
    array = np.array(values, dtype=float)
    return stats.log_moments(array, np.zeros(len(array), np.int64), 1)


def test_change_verdict_is_welchs_test_on_logs() -> None:
    rng = np.random.default_rng(1)
    before, after = rng.lognormal(5.0, 1.0, 40), rng.lognormal(4.2, 1.0, 40)
    change = stats.compare_periods(
        moments(list(after)), moments(list(before)), np.array([np.median(after)]),
        np.array([np.median(before)]),
    )  # fmt: skip
    expected = scipy_stats.ttest_ind(np.log(after), np.log(before), equal_var=False).pvalue
    assert change.p_value[0] == pytest.approx(expected)
    assert change.verdict[0] == stats.IMPROVED
    assert change.ratio[0] == pytest.approx(np.median(after) / np.median(before))


def test_min_detectable_matches_the_research_table() -> None:
    """metrics-research.md: log-SD 1.25, 5% two-sided, 80% power: 39% at 100 per period."""
    sd = 1.25
    for n, reduction in ((10, 0.79), (100, 0.39), (1000, 0.145)):
        side = stats.LogMoments(np.array([n]), np.array([0.0]), np.array([sd**2]))
        ratio = stats.compare_periods(side, side, np.array([1.0]), np.array([1.0])).min_detectable
        assert 1 - ratio[0] == pytest.approx(reduction, abs=0.01)


def test_noise_is_not_called_a_change() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.lognormal(4, 1.25, 60), rng.lognormal(4, 1.25, 60)
    change = stats.compare_periods(
        moments(list(a)), moments(list(b)), np.array([1.0]), np.array([1.0])
    )
    assert change.verdict[0] == stats.NO_CHANGE


def test_too_few_incidents_is_insufficient() -> None:
    change = stats.compare_periods(
        moments([1, 2, 3]), moments([100, 200, 300] * 5), np.array([2.0]), np.array([200.0])
    )
    assert change.verdict[0] == stats.INSUFFICIENT


def test_dora_bands_2021() -> None:
    bands = stats.DoraBands().band(np.array([59.9, 60.0, 1439.0, 1440.0, 10079.0, 10080.0, np.nan]))
    assert bands.tolist() == ["elite", "high", "high", "medium", "medium", "low", None]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(min_value=0.0, max_value=1e6, allow_nan=False), min_size=1, max_size=60),
    st.sampled_from([0.5, 0.9]),
)
def test_interval_contains_the_estimate(values: list[float], p: float) -> None:
    data = one_group(values)
    low, high = stats.bootstrap_quantile_ci(data, p)[0]
    assert min(values) <= low <= high <= max(values)
    # The statistic bootstrapped, the ceil(p n)-th smallest value, lies inside its interval.
    ordered = np.sort(values)
    assert low <= ordered[int(np.ceil(p * len(values) - 1e-9)) - 1] <= high


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
