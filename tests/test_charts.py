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
    assert spec["mark"]["type"] == "line" and spec["mark"]["point"] is True
    assert spec["encoding"]["y"]["field"] == "minutes"
    # quarters without data are dropped, not drawn at zero
    assert {"filter": "isValid(datum.minutes)"} in spec["transform"]
    tooltips = {t["field"] for t in spec["encoding"]["tooltip"]}
    assert {"resolved", "open", "minutes"} <= tooltips
    values = next(iter(spec["datasets"].values()))
    medians = {v["period"]: v["minutes"] for v in values if v["statistic"] == "Median"}
    assert medians["2026-Q3"] == 25.0 and medians["2026-Q2"] is None


def test_incident_volume_spec(tiny_assessment: Path) -> None:
    spec = charts.incident_volume(alpha_history(tiny_assessment), title="Volume").to_dict()
    values = next(iter(spec["datasets"].values()))
    counts = {(v["period"], v["state"]): v["count"] for v in values}
    assert counts[("2026-Q3", "Resolved")] == 4 and counts[("2026-Q3", "Still open")] == 1
    assert counts[("2026-Q2", "Resolved")] == 0
