from __future__ import annotations

from pathlib import Path

from maturity.ingest.incidents import load_incidents
from maturity.measures.engine import measures_by_team_quarter
from maturity.reporting import charts


def alpha_history(tiny_assessment: Path):
    table = measures_by_team_quarter(load_incidents(tiny_assessment).incidents)
    return table[table["team"] == "alpha"]


def test_recovery_trend_spec(tiny_assessment: Path) -> None:
    spec = charts.recovery_trend(alpha_history(tiny_assessment), title="Alpha").to_dict()
    assert spec["title"] == "Alpha"
    # 4 resolved incidents: no 90% interval exists, so no band is drawn (an empty band
    # would leave Vega an infinite scale extent), only the lines.
    (lines,) = spec["layer"]
    assert lines["mark"]["type"] == "line" and lines["mark"]["point"] is True
    assert lines["encoding"]["y"]["field"] == "minutes"
    # quarters without data are dropped, not drawn at zero
    assert {"filter": "isValid(datum.minutes)"} in lines["transform"]
    tooltips = {t["field"] for t in lines["encoding"]["tooltip"]}
    assert {"resolved", "open", "minutes"} <= tooltips
    datasets = list(spec["datasets"].values())
    values = next(d for d in datasets if "statistic" in d[0])
    medians = {v["period"]: v["minutes"] for v in values if v["statistic"] == "Median"}
    assert medians["2026-Q3"] == 25.0 and medians["2026-Q2"] is None


def test_recovery_trend_draws_the_median_interval_as_a_band() -> None:
    from maturity.reporting.explore import measures_for

    from conftest import EXAMPLE

    table = measures_for(EXAMPLE)
    history = table[table["team"] == "payments"]
    spec = charts.recovery_trend(history, title="Payments").to_dict()
    band, _lines = spec["layer"]
    assert band["mark"]["type"] == "area"
    assert (band["encoding"]["y"]["field"], band["encoding"]["y2"]["field"]) == (
        "mttr_median_ci_low", "mttr_median_ci_high",
    )  # fmt: skip
    rows = next(d for d in spec["datasets"].values() if "mttr_median_ci_low" in d[0])
    q3 = next(r for r in rows if r["period"] == "2026-Q3")
    expected = history[history["period"] == "2026-Q3"].iloc[0]
    assert (q3["mttr_median_ci_low"], q3["mttr_median_ci_high"]) == (
        expected["mttr_median_ci_low"], expected["mttr_median_ci_high"],
    )  # fmt: skip


def test_incident_volume_spec(tiny_assessment: Path) -> None:
    spec = charts.incident_volume(alpha_history(tiny_assessment), title="Volume").to_dict()
    values = next(iter(spec["datasets"].values()))
    counts = {(v["period"], v["state"]): v["count"] for v in values}
    assert counts[("2026-Q3", "Resolved")] == 4 and counts[("2026-Q3", "Still open")] == 1
    assert counts[("2026-Q2", "Resolved")] == 0


def test_explore_charts_and_outliers(tiny_assessment: Path) -> None:
    from maturity.reporting import explore

    incidents = explore.team_incidents(tiny_assessment, "alpha")
    assert incidents["incident_id"].tolist()[0] == "A5"  # newest first
    assert incidents.set_index("incident_id").loc["A4", "recovery_minutes"] == 100.0
    spec = charts.recovery_distribution(incidents, title="x").to_dict()
    assert spec["encoding"]["y"]["scale"]["type"] == "log"
    values = next(iter(spec["datasets"].values()))
    assert sorted(v["minutes"] for v in values) == [10.0, 20.0, 30.0, 100.0]  # open one left out
    # 100 min is over 3x the quarter's median (25): the one outlier
    assert explore.outliers(incidents)["incident_id"].tolist() == ["A4"]
    phases = charts.phase_trend(alpha_history(tiny_assessment), title="p").to_dict()
    assert {"filter": "isValid(datum.minutes)"} in phases["transform"]
