from __future__ import annotations

from pathlib import Path

from maturity import charts
from maturity.incidents import load_incidents
from maturity.measures import measures_by_team_quarter


def alpha_history(tiny_assessment: Path):
    table = measures_by_team_quarter(load_incidents(tiny_assessment).incidents)
    return table[table["team"] == "alpha"]


def test_recovery_trend_spec(tiny_assessment: Path) -> None:
    spec = charts.recovery_trend(alpha_history(tiny_assessment), title="Alpha").to_dict()
    assert spec["title"] == "Alpha"
    band, lines = spec["layer"]
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
    # the median's 90% interval is drawn as a band: 10 to 100 minutes in 2026-Q3
    assert band["mark"]["type"] == "area"
    assert (band["encoding"]["y"]["field"], band["encoding"]["y2"]["field"]) == (
        "mttr_median_ci_low", "mttr_median_ci_high",
    )  # fmt: skip
    rows = next(d for d in datasets if "mttr_median_ci_low" in d[0])
    q3 = next(r for r in rows if r["period"] == "2026-Q3")
    assert (q3["mttr_median_ci_low"], q3["mttr_median_ci_high"]) == (10.0, 100.0)


def test_incident_volume_spec(tiny_assessment: Path) -> None:
    spec = charts.incident_volume(alpha_history(tiny_assessment), title="Volume").to_dict()
    values = next(iter(spec["datasets"].values()))
    counts = {(v["period"], v["state"]): v["count"] for v in values}
    assert counts[("2026-Q3", "Resolved")] == 4 and counts[("2026-Q3", "Still open")] == 1
    assert counts[("2026-Q2", "Resolved")] == 0
