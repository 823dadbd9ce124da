"""The key measures on the hand-computed tiny organisation (conftest.ALPHA_Q3, BETA).

Alpha, 2026-Q3: five incidents, four resolved after 10, 20, 30 and 100 minutes, one open.
  mean 40; median (20 + 30) / 2 = 25; P90 at position 0.9 * 3 = 2.7 between 30 and 100:
  30 + 0.7 * 70 = 79. Escalation (detected -> acknowledged) 2, 4, 6 min: median 4.
  Runbook known for A1 yes, A2 no, A3 yes: 2/3. Automation A1 no, A2 yes: 1/2.
  Review A1 yes, A2 yes, A3 no: 2/3. Detection (started -> detected) A1 only: 5 min.
Beta: one incident in 2026-Q2 resolved after 60 minutes; its drill in Q3 is excluded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maturity.ingest.incidents import load_incidents
from maturity.measures.definitions import MEASURES
from maturity.measures.engine import MeasureSettings, measures_by_team_quarter
from maturity.measures.records import to_records
from maturity.periods import quarter_of


@pytest.fixture
def table(tiny_assessment: Path) -> pd.DataFrame:
    return measures_by_team_quarter(load_incidents(tiny_assessment).incidents)


def row(table: pd.DataFrame, team: str, period: str) -> dict:
    return to_records(table[(table["team"] == team) & (table["period"] == period)])[0]


def test_hand_computed_team_quarter(table: pd.DataFrame) -> None:
    alpha = row(table, "alpha", "2026-Q3")
    assert (alpha["incidents"], alpha["resolved"], alpha["open"]) == (5, 4, 1)
    assert alpha["mttr"] == 40.0
    assert alpha["mttr_median"] == 25.0
    assert alpha["mttr_p90"] == pytest.approx(79.0)
    assert alpha["escalate_median"] == 4.0 and alpha["escalate_median_n"] == 3
    assert alpha["detect_median"] == 5.0 and alpha["detect_median_n"] == 1
    assert alpha["respond_median"] == pytest.approx(7.5)  # A1 4 min, A2 11 min
    assert alpha["fix_median"] == pytest.approx(4.5)  # A1 4 min, A2 5 min
    assert alpha["comms_latency_median"] == 3.0
    assert alpha["runbook_usage_rate"] == pytest.approx(0.67, abs=0.005)
    assert alpha["runbook_usage_rate_n"] == 3
    assert alpha["automation_coverage"] == 0.5 and alpha["automation_coverage_n"] == 2
    assert alpha["pir_rate"] == pytest.approx(0.67, abs=0.005)


def test_no_data_is_null_never_zero(table: pd.DataFrame) -> None:
    empty = row(table, "alpha", "2026-Q2")
    assert (empty["incidents"], empty["resolved"], empty["open"]) == (0, 0, 0)
    for measure in MEASURES[3:]:
        assert empty[measure] is None, measure
    beta_q3 = row(table, "beta", "2026-Q3")  # only a drill: excluded
    assert beta_q3["incidents"] == 0 and beta_q3["mttr_median"] is None


def test_all_is_the_whole_organisation(table: pd.DataFrame) -> None:
    q2, q3 = row(table, "ALL", "2026-Q2"), row(table, "ALL", "2026-Q3")
    assert (q2["incidents"], q2["mttr"]) == (1, 60.0)
    assert (q3["incidents"], q3["resolved"], q3["mttr_median"]) == (5, 4, 25.0)


def test_grid_covers_every_team_and_quarter(table: pd.DataFrame) -> None:
    assert table[["team", "period"]].values.tolist() == [
        ["ALL", "2026-Q2"], ["ALL", "2026-Q3"], ["alpha", "2026-Q2"], ["alpha", "2026-Q3"],
        ["beta", "2026-Q2"], ["beta", "2026-Q3"],
    ]  # fmt: skip


PHASE_ENDS = {
    # phase measure: (start, end) timestamps; A1 has every one of them
    "escalate_median": ("detected_at", "acknowledged_at"),
    "respond_median": ("acknowledged_at", "mitigated_at"),
    "fix_median": ("mitigated_at", "resolved_at"),
    "comms_latency_median": ("detected_at", "notified_at"),
}


@pytest.mark.parametrize("phase", sorted(PHASE_ENDS))
def test_a_phase_out_of_order_counts_as_zero_and_is_counted(tiny_assessment: Path, phase) -> None:
    """Issue 21.9: phase medians dropped negative durations silently (mitigated before
    acknowledged: auto-mitigation), moving respond_median by 26%. DESIGN.md: such a phase
    counts as 0 minutes and data_trust counts it as out of order, for every phase."""
    incidents = load_incidents(tiny_assessment).incidents.copy()
    before = row(measures_by_team_quarter(incidents), "alpha", "2026-Q3")
    start, end = PHASE_ENDS[phase]
    a1 = incidents["incident_id"] == "A1"
    incidents.loc[a1, end] = incidents.loc[a1, start] - pd.Timedelta("1min")
    table = measures_by_team_quarter(incidents)
    alpha = row(table, "alpha", "2026-Q3")
    assert alpha[f"{phase}_n"] == before[f"{phase}_n"]  # nothing dropped
    values = [0.0]  # A1's phase, now counted as 0 minutes
    others = incidents[(incidents["team"] == "alpha") & ~a1 & (incidents["quarter"] == "2026-Q3")]
    values += list(((others[end] - others[start]).dt.total_seconds() / 60).dropna())
    assert alpha[phase] == pytest.approx(np.median(values))
    name = phase.removesuffix("_median")
    assert alpha["data_trust"]["out_of_order"][name] == 1
    assert alpha["data_trust"]["phase_out_of_order"] > 0


def test_auto_mitigation_moves_respond_median_as_zero(tiny_assessment: Path) -> None:
    incidents = load_incidents(tiny_assessment).incidents.copy()
    a1 = incidents["incident_id"] == "A1"  # acknowledged 10:02, now mitigated 10:01
    incidents.loc[a1, "mitigated_at"] = incidents.loc[a1, "acknowledged_at"] - pd.Timedelta("1min")
    alpha = row(measures_by_team_quarter(incidents), "alpha", "2026-Q3")
    assert alpha["respond_median_n"] == 2 and alpha["respond_median"] == 5.5  # (0 + 11) / 2


def test_row_order_does_not_matter(tiny_assessment: Path) -> None:
    incidents = load_incidents(tiny_assessment).incidents
    shuffled = incidents.sample(frac=1.0, random_state=7)
    pd.testing.assert_frame_equal(
        measures_by_team_quarter(incidents), measures_by_team_quarter(shuffled)
    )


def test_statistics_hand_computed(tiny_assessment: Path) -> None:
    from maturity.measures.engine import MeasureSettings

    # SLO: SEV1 and SEV2 within 15 min, SEV3 within 60 (A1 10 met, A2 20 missed,
    # A3 30 met, A4 100 missed; A5 open but not yet past its target: not counted).
    settings = MeasureSettings(timezone="Europe/London", slo_minutes={1: 15, 2: 15, 3: 60})
    table = measures_by_team_quarter(load_incidents(tiny_assessment).incidents, settings=settings)
    alpha = row(table, "alpha", "2026-Q3")
    # 2 of 4 met, but a share of 4 says little: null under 10 (issue 21.10), counts kept
    assert alpha["slo_attainment"] is None and alpha["slo_attainment_n"] == 4
    assert alpha["slo_attainment_by_severity"]["2"] == {"attainment": None, "n": 1, "target": 15.0}
    # Kaplan-Meier: A5 open (censored at the data's last timestamp, its own detection);
    # 10 -> 3/4 unrecovered, 20 -> 1/2 until 30: the middle, 25, as the median of the four.
    assert alpha["km_median"] == 25.0 == alpha["mttr_median"]
    # No distribution-free 90% interval of a median from 4 values: the widest, [10, 100],
    # covers with probability 1 - 2/16 = 87.5%, so there is none to print.
    assert alpha["mttr_median_ci"] is None and alpha["mttr_p90_ci"] is None
    assert alpha["insufficient_data"] is True
    assert alpha["dora_band"] is None  # a band needs 10 resolved incidents
    # Impact: A1 started 09:55, mitigated 10:06 = 11; A2 detected -> mitigated 15;
    # A3 and A4 have no mitigation: to resolution, 30 and 100. Total 156.
    assert alpha["impact_minutes"] == 156.0 and alpha["impact_minutes_n"] == 4
    # 5 incidents in 2026-Q3 so far: the data end at A5's detection, 5 Jul 10:00 UTC, which is
    # 4 days 10 hours after the quarter began (1 Jul 00:00 in London = 30 Jun 23:00 UTC).
    assert alpha["incidents_per_week"] == pytest.approx(5 / ((4 * 24 + 11) / 24 / 7), abs=0.005)
    assert alpha["change_qoq"]["verdict"] == "insufficient_data"


def test_open_incidents_are_censored_when_the_data_were_taken(make_assessment) -> None:
    """Issue 9.2: 11 incidents detected 30 Sep, 5 resolved after 2-6 days, 6 still open on
    15 Nov. Censored at the quarter's end, the open ones looked short (km_median 4 days,
    SLO 2 of 5); censored at as_of, most are still running: no median yet, SLO 2 of 11."""
    from maturity.measures.engine import MeasureSettings

    from conftest import generic_csv

    rows = [
        {"incident_id": f"R{days}", "team": "alpha", "severity": "2",
         "detected_at": "2026-09-30T10:00:00Z", "resolved_at": f"2026-10-0{days}T10:00:00Z"}
        for days in range(2, 7)
    ] + [
        {"incident_id": f"O{i}", "team": "alpha", "severity": "2",
         "detected_at": "2026-09-30T10:00:00Z"}
        for i in range(6)
    ]  # fmt: skip
    incidents = load_incidents(make_assessment({"x.csv": generic_csv(rows)})).incidents
    as_of = pd.Timestamp("2026-11-15T00:00:00Z")
    settings = MeasureSettings(timezone="UTC", as_of=as_of, slo_minutes={2: 3.5 * 1440})
    alpha = row(measures_by_team_quarter(incidents, settings=settings), "alpha", "2026-Q3")
    assert alpha["km_median"] is None  # 6 of 11 still running after 46 days
    assert (
        alpha["slo_attainment"] == pytest.approx(2 / 11, abs=0.005)
        and alpha["slo_attainment_n"] == 11
    )
    # Without as_of, the latest timestamp in the data (6 Oct) is when they were taken: the
    # open ones have run 6 days by then, past their 3.5-day target.
    settings = MeasureSettings(timezone="UTC", slo_minutes={2: 3.5 * 1440})
    default = row(measures_by_team_quarter(incidents, settings=settings), "alpha", "2026-Q3")
    assert default["km_median"] is None and default["slo_attainment_n"] == 11


def test_a_running_quarter_counts_its_weeks_so_far(make_assessment) -> None:
    """Issue 9.7: 14 incidents in the first 7 days of a quarter are 14 a week, not 1.07."""
    from maturity.measures.engine import MeasureSettings

    from conftest import generic_csv

    rows = [
        {"incident_id": f"W{i}", "team": "alpha",
         "detected_at": f"2026-10-0{1 + i // 2}T0{i % 2}:00:00Z",
         "resolved_at": f"2026-10-0{1 + i // 2}T0{i % 2}:30:00Z"}
        for i in range(14)
    ]  # fmt: skip
    incidents = load_incidents(make_assessment({"x.csv": generic_csv(rows)})).incidents
    settings = MeasureSettings(timezone="UTC", as_of=pd.Timestamp("2026-10-08T00:00:00Z"))
    table = measures_by_team_quarter(incidents, settings=settings)
    assert row(table, "alpha", "2026-Q4")["incidents_per_week"] == pytest.approx(14.0)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["alpha", "beta", "gamma"]),
            st.integers(0, 364),
            st.one_of(st.none(), st.floats(min_value=0, max_value=5000)),
        ),
        max_size=40,
    )
)
def test_properties(rows) -> None:
    """Teams add up to ALL; open incidents never move resolved-only figures; no crash on empty."""
    start = pd.Timestamp("2026-01-01", tz="UTC")
    detected = [start + pd.Timedelta(days=d) for _, d, _ in rows]
    resolved = [
        d + pd.Timedelta(minutes=m) if m is not None else pd.NaT
        for d, (_, _, m) in zip(detected, rows, strict=True)
    ]
    frame = pd.DataFrame(
        {
            "incident_id": [str(i) for i in range(len(rows))],
            "team": pd.array([t for t, _, _ in rows], dtype="string"),
            "severity": pd.array([2] * len(rows), dtype="Int64"),
            "detected_at": pd.Series(detected, dtype="datetime64[ns, UTC]"),
            "resolved_at": pd.Series(resolved, dtype="datetime64[ns, UTC]"),
        }
    )
    for column in ("started_at", "acknowledged_at", "mitigated_at", "notified_at"):
        frame[column] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    for column in ("runbook_used", "automated_recovery", "review_done"):
        frame[column] = pd.array([pd.NA] * len(rows), dtype="boolean")
    frame["quarter"] = quarter_of(frame["detected_at"], "UTC")
    teams = ["alpha", "beta", "gamma"]
    table = measures_by_team_quarter(frame, teams=teams, quarters=["2026-Q1", "2026-Q2"])
    assert len(table) == 8  # (ALL + 3 teams) x 2 quarters, whatever the data
    for quarter in ("2026-Q1", "2026-Q2"):
        part = table[table["period"] == quarter].set_index("team")
        assert part.loc[teams, "incidents"].sum() == part.loc["ALL", "incidents"]
        assert part.loc[teams, "open"].sum() == part.loc["ALL", "open"]
    resolved_only = frame[frame["resolved_at"].notna()]
    again = measures_by_team_quarter(resolved_only, teams=teams, quarters=["2026-Q1", "2026-Q2"])
    for column in ("mttr", "mttr_median", "mttr_p90", "mttr_median_ci_low", "mttr_p90_ci_high"):
        pd.testing.assert_series_equal(table[column], again[column])


def test_measures_for_an_assessment_folder(tiny_assessment: Path) -> None:
    from maturity.reporting.explore import measures_for

    table = measures_for(tiny_assessment)
    assert set(table["team"]) == {"ALL", "alpha", "beta"}
    assert row(table, "alpha", "2026-Q3")["mttr_median"] == 25.0


def test_a_300_team_organisation_matches_a_per_group_computation() -> None:
    """Issue 9: every figure of every team-quarter of a real-sized organisation, batched,
    against a straightforward computation of that group alone (pandas, numpy, a loop)."""
    from maturity.measures import stats

    from test_stats import km_median_reference

    rng = np.random.default_rng(300)
    n = 24_000
    teams = [f"t{i:03d}" for i in range(300)]
    detected = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(
        rng.uniform(0, 364, n), unit="D"
    )
    minutes = np.round(rng.lognormal(4, 1.4, n))
    is_open = rng.random(n) < 0.08
    frame = pd.DataFrame(
        {
            "incident_id": [str(i) for i in range(n)],
            "team": pd.array(rng.choice(teams, n), dtype="string"),
            "severity": pd.array(rng.integers(1, 5, n), dtype="Int64"),
            "detected_at": detected,
            "resolved_at": (detected + pd.to_timedelta(minutes, unit="min")).where(~is_open),
        }
    )
    for column in ("started_at", "acknowledged_at", "mitigated_at", "notified_at"):
        frame[column] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    for column in ("runbook_used", "automated_recovery", "review_done"):
        frame[column] = pd.array([pd.NA] * n, dtype="boolean")
    frame["quarter"] = quarter_of(frame["detected_at"], "UTC")
    as_of = pd.Timestamp("2027-01-15", tz="UTC")
    settings = MeasureSettings(timezone="UTC", as_of=as_of)
    table = measures_by_team_quarter(frame, teams=teams, settings=settings)
    table = table[table["team"] != "ALL"].set_index(["team", "period"])
    recovery = (frame["resolved_at"] - frame["detected_at"]).dt.total_seconds() / 60
    open_for = (as_of - frame["detected_at"]).dt.total_seconds() / 60
    for (team, period), group in frame.groupby(["team", "quarter"]):
        got = table.loc[(team, period)]
        done = np.sort(recovery[group.index].dropna().to_numpy())
        assert got["resolved"] == len(done) and got["open"] == len(group) - len(done)
        assert got["mttr"] == pytest.approx(done.mean())
        assert got["mttr_median"] == pytest.approx(np.median(done))
        assert got["mttr_p90"] == pytest.approx(np.quantile(done, 0.9))
        events = group["resolved_at"].notna().to_numpy()
        times = np.where(events, recovery[group.index], open_for[group.index])
        expected_km = km_median_reference(times, events)
        assert got["km_median"] == pytest.approx(expected_km, nan_ok=True), (team, period)
        low, high = stats.quantile_interval_ranks(np.array([len(done)]), 0.5)
        if low[0]:
            assert [got["mttr_median_ci_low"], got["mttr_median_ci_high"]] == [
                done[low[0] - 1],
                done[high[0] - 1],
            ]
