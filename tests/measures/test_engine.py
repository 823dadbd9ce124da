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

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maturity.ingest.incidents import load_incidents
from maturity.measures.definitions import MEASURES
from maturity.measures.engine import measures_by_team_quarter
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


def test_negative_phases_are_left_out(tiny_assessment: Path) -> None:
    incidents = load_incidents(tiny_assessment).incidents.copy()
    # A clock skew: acknowledged a minute before detection.
    a1 = incidents["incident_id"] == "A1"
    incidents.loc[a1, "acknowledged_at"] = incidents.loc[a1, "detected_at"] - pd.Timedelta("1min")
    alpha = row(measures_by_team_quarter(incidents), "alpha", "2026-Q3")
    assert alpha["escalate_median_n"] == 2 and alpha["escalate_median"] == 5.0


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
    assert alpha["slo_attainment"] == 0.5 and alpha["slo_attainment_n"] == 4
    assert alpha["slo_attainment_by_severity"]["2"] == {"attainment": 0.0, "n": 1, "target": 15.0}
    # Kaplan-Meier: A5 open (censored at the data's last timestamp, its own detection);
    # 10 -> 3/4 unrecovered, 20 -> 1/2: median 20.
    assert alpha["km_median"] == 20.0
    assert alpha["mttr_median_ci"] == [10.0, 100.0]
    assert alpha["insufficient_data"] is True
    assert alpha["dora_band"] == "elite"  # median 25 min < 1 hour (2021 bands)
    # Impact: A1 started 09:55, mitigated 10:06 = 11; A2 detected -> mitigated 15;
    # A3 and A4 have no mitigation: to resolution, 30 and 100. Total 156.
    assert alpha["impact_minutes"] == 156.0 and alpha["impact_minutes_n"] == 4
    # 5 incidents over 2026-Q3 (92 days = 13.14 weeks).
    assert alpha["incidents_per_week"] == pytest.approx(5 / (92 / 7), abs=0.005)
    assert alpha["change_qoq"]["verdict"] == "insufficient_data"


def test_open_incidents_past_the_quarter_are_censored_at_its_end(make_assessment) -> None:
    from maturity.measures.engine import MeasureSettings

    from conftest import generic_csv

    rows = [
        {"incident_id": f"R{i}", "team": "alpha", "detected_at": f"2026-09-{10 + i}T10:00:00Z",
         "resolved_at": f"2026-09-{10 + i}T1{i}:00:00Z"}
        for i in range(1, 4)
    ] + [{"incident_id": "O1", "team": "alpha", "detected_at": "2026-09-30T10:00:00Z"}]  # fmt: skip
    incidents = load_incidents(make_assessment({"x.csv": generic_csv(rows)})).incidents
    settings = MeasureSettings(timezone="UTC", as_of=pd.Timestamp("2026-12-01", tz="UTC"))
    alpha = row(measures_by_team_quarter(incidents, settings=settings), "alpha", "2026-Q3")
    # recoveries 60, 120, 180 min; O1 open 14 h at the quarter's end. 4 at risk:
    # 60 -> 3/4, 120 -> 1/2: median 120 (the open one does not vanish, it sits above).
    assert alpha["km_median"] == 120.0 and alpha["mttr_median"] == 120.0


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
