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

from maturity.incidents import load_incidents
from maturity.measures import MEASURES, measures_by_team_quarter, to_records


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
