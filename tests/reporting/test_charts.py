from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from maturity.ingest.incidents import load_incidents
from maturity.measures.engine import measures_by_team_quarter
from maturity.reporting import charts


def alpha_history(tiny_assessment: Path):
    table = measures_by_team_quarter(load_incidents(tiny_assessment).incidents)
    return table[table["team"] == "alpha"]


def test_recovery_trend_spec(tiny_assessment: Path) -> None:
    spec = charts.recovery_trend(alpha_history(tiny_assessment), title="Alpha").to_dict()
    # 4 resolved incidents: a small sample, said in the subtitle and drawn hollow
    assert spec["title"]["text"] == "Alpha"
    assert "fewer than 10 resolved" in spec["title"]["subtitle"][0]
    # no 90% interval exists, so no band (an empty band leaves Vega an infinite extent)
    lines, points = spec["layer"]
    assert lines["mark"]["type"] == "line" and points["mark"]["type"] == "point"
    assert points["encoding"]["fill"]["condition"]["test"] == "datum.reliable"
    assert lines["encoding"]["y"]["field"] == "value"
    assert lines["encoding"]["y"]["title"] == "Minutes to recover"  # alpha's median: 25 min
    # quarters without data are dropped, not drawn at zero; labels sit on a point scale
    assert {"filter": "isValid(datum.value)"} in lines["transform"]
    assert lines["encoding"]["x"]["scale"]["type"] == "point"
    tooltips = {t["field"] for t in lines["encoding"]["tooltip"]}
    assert {"resolved", "open", "value"} <= tooltips
    datasets = list(spec["datasets"].values())
    values = next(d for d in datasets if "statistic" in d[0])
    by = {(v["period"], v["statistic"]): v["value"] for v in values}
    assert by[("2026-Q3", "Median")] == 25.0 and by[("2026-Q2", "Median")] is None
    # with 4 resolved, the 90th percentile and the mean are not drawn at all
    assert by[("2026-Q3", "90th percentile")] is None and by[("2026-Q3", "Mean (MTTR)")] is None
    assert "25 min in 2026-Q3 (n = 4)" in spec["description"]


def test_recovery_trend_draws_the_median_interval_as_a_band() -> None:
    from maturity.reporting.explore import measures_for

    from conftest import EXAMPLE

    table = measures_for(EXAMPLE)
    history = table[table["team"] == "payments"]
    spec = charts.recovery_trend(history, title="Payments").to_dict()
    band, _lines, _points = spec["layer"]
    assert band["mark"]["type"] == "area"
    assert (band["encoding"]["y"]["field"], band["encoding"]["y2"]["field"]) == ("low", "high")
    rows = next(d for d in spec["datasets"].values() if "low" in d[0])
    q3 = next(r for r in rows if r["period"] == "2026-Q3")
    expected = history[history["period"] == "2026-Q3"].iloc[0]
    unit = 60.0 if band["encoding"]["tooltip"][2]["title"] == "to (hours)" else 1.0
    assert (q3["low"], q3["high"]) == pytest.approx(
        (expected["mttr_median_ci_low"] / unit, expected["mttr_median_ci_high"] / unit)
    )


def test_one_unit_per_chart_chosen_for_the_data() -> None:
    import pandas as pd

    def history(medians: list[float]) -> pd.DataFrame:
        return pd.DataFrame({
            "period": [f"2026-Q{i + 1}" for i in range(len(medians))], "resolved": 20, "open": 0,
            "mttr_median": medians, "mttr_p90": [m * 3 for m in medians],
            "mttr": [m * 2 for m in medians],
        })  # fmt: skip

    for medians, title in (([20, 40], "Minutes"), ([200, 300], "Hours"), ([5000, 9000], "Days")):
        spec = charts.recovery_trend(history(medians), title="T").to_dict()
        assert spec["layer"][0]["encoding"]["y"]["title"] == f"{title} to recover"
        values = next(iter(spec["datasets"].values()))
        per = {"Minutes": 1, "Hours": 60, "Days": 1440}[title]
        first = next(v for v in values if v["statistic"] == "Median")
        assert first["value"] == pytest.approx(medians[0] / per)


def test_small_samples_are_hollow_and_carry_no_tail(tiny_assessment: Path) -> None:
    import pandas as pd

    frame = pd.DataFrame({
        "period": ["2026-Q1", "2026-Q2"], "resolved": [30, 3], "open": [0, 0],
        "mttr_median": [60.0, 70.0], "mttr_p90": [120.0, 3400.0], "mttr": [80.0, 900.0],
        "mttr_median_ci_low": [50.0, None], "mttr_median_ci_high": [70.0, None],
    })  # fmt: skip
    spec = charts.recovery_trend(frame, title="T").to_dict()
    values = next(d for d in spec["datasets"].values() if "statistic" in d[0])
    q2 = {v["statistic"]: (v["value"], v["reliable"]) for v in values if v["period"] == "2026-Q2"}
    assert q2["Median"] == (70.0, False)  # drawn, hollow
    assert q2["90th percentile"][0] is None and q2["Mean (MTTR)"][0] is None  # no 3,400 spike


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


@pytest.mark.parametrize(
    ("by", "names", "counted"),
    [
        ("category", ["People & Culture", "Process & Governance"], "2 categories"),
        ("category", ["Technology & Tools"], "1 category"),
        ("team", ["alpha", "beta", "gamma"], "3 teams"),
        ("team", ["alpha"], "1 team"),
    ],
)
def test_maturity_levels_summary_counts_in_words(by, names, counted) -> None:
    levels = pd.DataFrame(
        [{by: n, "kind": k, "score": 2.0} for n in names for k in ("Claimed", "Supported by data")]
    )
    summary = charts.maturity_levels(levels, title="T", by=by).to_dict()["description"]
    assert f"scores from 0 to 5 for {counted};" in summary


def test_chart_summaries_count_one_in_the_singular() -> None:
    """A quarter with one incident is common in a small team: "1 incident", never
    "1 incidents", in every chart summary that counts."""
    measures = pd.DataFrame(
        {"period": ["2026-Q2", "2026-Q3"], "incidents": [1, 2], "open": [0, 1],
         "resolved": [1, 1], "mttr_median": [30.0, 60.0], "mttr_p90": [30.0, 60.0],
         "reliable": [False, False]}
    )  # fmt: skip
    volume = charts.incident_volume(measures, title="V").to_dict()["description"]
    assert "V: 1 incident in 2026-Q2" in volume
    assert "1 incidents" not in volume


def test_a_trend_with_one_quarter_of_medians_says_it_once() -> None:
    """Issue 21.11: "9.2 h in 2025-Q4 (n = 6) and 9.2 h in 2025-Q4 (n = 6)"."""
    measures = pd.DataFrame(
        {"period": ["2025-Q3", "2025-Q4"], "incidents": [0, 6], "open": [0, 0],
         "resolved": [0, 6], "mttr_median": [None, 552.0], "mttr_p90": [None, 700.0],
         "mttr": [None, 560.0], "mttr_median_ci_low": [None, 400.0],
         "mttr_median_ci_high": [None, 650.0]}
    )  # fmt: skip
    summary = charts.recovery_trend(measures, title="T").to_dict()["description"]
    assert summary.count("in 2025-Q4") == 1, summary


def test_heatmap_category_labels_fit_their_columns() -> None:
    """Each category's label fits its column, so neighbours never run together
    ("Measurement & MetricsPeople & Culture"): names break after " & " (checked in the
    rendered SVG), and every line is narrower than the column at the axis font."""
    import vl_convert

    from maturity.assessment.rubric import load_rubric
    from maturity.reporting.charts import HEATMAP_STEP, maturity_heatmap

    names = list(load_rubric().categories.values())
    grid = pd.DataFrame([
        {"team": f"Team {t}", "category": name, "claimed": 3, "supported": 2, "label": "3→2"}
        for t in range(3) for name in names
    ])  # fmt: skip
    chart = maturity_heatmap(grid, order=[f"Team {t}" for t in range(3)], title="Levels")
    axis = chart.to_dict()["layer"][0]["encoding"]["x"]["axis"]
    # two lines above the cells: raised by a line, or the second sits on the first row
    assert axis["labelPadding"] >= axis["labelLineHeight"] + 2
    svg = vl_convert.vegalite_to_svg(chart.to_dict())
    for name in names:
        lines = name.split(" & ")
        lines = [f"{lines[0]} &", *lines[1:]] if len(lines) > 1 else lines
        for line in lines:
            assert f">{line.replace('&', '&amp;')}<" in svg, (line, name)
            assert len(line) * 10 * 0.62 < HEATMAP_STEP - 8, line  # 10 px axis labels


@pytest.mark.parametrize("resolved", [[3, 4], [3, 30], [30, 30]])
def test_the_trend_legend_lists_only_the_series_drawn(resolved: list[int]) -> None:
    """A quarter under MIN_RESOLVED shows its median alone; when no quarter has enough, the
    legend does not list a 90th percentile and a mean that are nowhere on the chart."""
    import pandas as pd

    history = pd.DataFrame({
        "period": ["2026-Q2", "2026-Q3"], "resolved": resolved, "open": 0,
        "mttr_median": [40.0, 50.0], "mttr_p90": [120.0, 150.0], "mttr": [60.0, 70.0],
    })  # fmt: skip
    spec = charts.recovery_trend(history, title="t").to_dict()
    lines = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "line")
    listed = lines["encoding"]["color"]["scale"]["domain"]
    enough = any(r >= charts.MIN_RESOLVED for r in resolved)
    assert listed == (["Median", "90th percentile", "Mean (MTTR)"] if enough else ["Median"])
