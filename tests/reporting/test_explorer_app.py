"""The explorer as an app (issue 25): every view follows one choice, a mistyped or empty filter
and a quarter without answers are sentences (never a traceback), drill-down to one incident,
a comparison, and the widgets wired to each other (driven here from Python, as the front end
would: the JupyterLab run is in ``test_explorer_lab.py``)."""

from __future__ import annotations

import html
import itertools
import json
from pathlib import Path

import pandas as pd
import pytest

from maturity.assessment.rubric import load_rubric
from maturity.measures.definitions import ALL_TEAMS
from maturity.reporting.explorer import (
    ALL_QUARTERS,
    Choice,
    ExplorerData,
    severity_label,
    severity_number,
)

from conftest import EXAMPLE, ROOT


@pytest.fixture(scope="module")
def data() -> ExplorerData:
    return ExplorerData(EXAMPLE)


def test_severities_are_accepted_as_the_charts_label_them() -> None:
    for asked, number in [(2, 2), ("2", 2), ("SEV2", 2), ("sev 2", 2), ("P2", 2), (2.0, 2)]:
        assert severity_number(asked) == number, asked
    for asked in ["high", "", None, True, 2.5, "SEV"]:
        assert severity_number(asked) is None, asked
    assert severity_label(3) == "SEV3" and severity_label(None) == "unknown"


def test_a_mistyped_filter_is_named_with_what_there_is(data: ExplorerData) -> None:
    """Issue 25, 4: ``services=["no-such-service"]`` and ``severities=["SEV1"]`` gave empty
    charts and no message. The label the charts show is accepted; what matches nothing is
    named, not applied, with what could be chosen."""
    checked = data.check("search", "2026-Q3", ["no-such-service", "INDEXER"], ["SEV1", 9])
    assert checked.choice.services == ("indexer",)  # case as the data spells it
    assert checked.choice.severities == (1,)
    text = " ".join(checked.messages)
    assert "no-such-service" in text and "search-api" in text  # what there is
    assert "severity 9" in text and "SEV5" in text
    assert not data.in_view(checked.choice).empty

    unknown = data.check("nosuchteam", "2031-Q9", compare="nobody")
    assert unknown.choice.team == ALL_TEAMS and unknown.choice.quarter == ALL_QUARTERS
    text = " ".join(unknown.messages)
    assert "'nosuchteam'" in text and "payments" in text
    assert "'2031-Q9'" in text and "2024-Q4 to 2026-Q3" in text
    assert "'nobody'" in text and unknown.choice.compare == ""
    assert data.check("Search").choice.team == "search"  # keys match case-insensitively


def test_an_empty_choice_says_why(data: ExplorerData) -> None:
    choice = data.check("search", "2026-Q3").choice
    brushed = choice.but(brushed=(pd.Timestamp("2020-01-01", tz="UTC"),) * 2)
    assert data.in_view(brushed).empty
    assert data.empty_message(brushed) == (
        "No incident of this choice in 2026-Q3 within the brushed range."
    )
    assert data.empty_message(choice) is None
    assert "0 listed (2026-Q3, brushed range)" in data.status(brushed)


def test_a_quarter_without_answers_is_a_sentence(data: ExplorerData) -> None:
    """Issue 25, 1: ``quarter = "2025-Q1"`` (incidents, no answers) raised PeriodError."""
    for quarter in data.quarters:
        table, why = data.answers(data.check("search", quarter).choice)
        if quarter in data.answered:
            assert why is None and len(table) == sum(s.scored for s in load_rubric().statements)
            assert table["Statement"].str.contains(r"\(people\.2a\)").any()
            assert table["Statement"].str.len().max() > 60  # the statement in full, not an id
        else:
            assert table.empty
            assert why == (
                f"No questionnaire answers for {quarter} (quarters with answers: 2026-Q2, 2026-Q3)."
            )
    assert data.answers(Choice(team=ALL_TEAMS))[1] == "Choose a team to see its answers."
    labels = dict((q, label) for label, q in data.quarter_options())
    assert labels["2025-Q1"] == "2025-Q1 (no answers)" and labels["2026-Q3"] == "2026-Q3"


def _severities(frame: pd.DataFrame, column: str = "Severity") -> set[str]:
    return set(frame[column]) if not frame.empty else set()


@pytest.mark.parametrize(
    "team", ["payments", "search", "identity", "data-platform", "mobile", "platform", ALL_TEAMS]
)
def test_every_view_follows_the_same_filters(data: ExplorerData, team: str) -> None:
    """Issue 25, 5: the outliers listed other severities, the by-severity table only its last
    12 rows, the first chart ignored the filter and the quarter moved only the answers.
    Every severity subset of up to two, every quarter: each table and chart keeps exactly the
    chosen incidents, counted independently from the incident frame."""
    if team not in {key for _, key in data.team_options()}:
        pytest.skip(f"no team {team} in the example")
    levels = data.severities(team)
    services = data.services(team)
    subsets = [(), *itertools.combinations(levels, 1), *itertools.combinations(levels, 2)]
    for severities, quarter in itertools.product(subsets, [ALL_QUARTERS, *data.quarters[-2:]]):
        chosen_services = tuple(services[:1]) if len(severities) == 1 else ()
        choice = Choice(team=team, quarter=quarter, severities=severities,
                        services=chosen_services)  # fmt: skip
        of_team = data.incidents if team == ALL_TEAMS else data.incidents.query("team == @team")
        keep = of_team["severity"].isin(severities) if severities else of_team["severity"].notna()
        keep |= of_team["severity"].isna() & (not severities)
        if chosen_services:
            keep &= of_team["service"].isin(chosen_services)
        if quarter != ALL_QUARTERS:
            keep &= of_team["quarter"] == quarter
        expected = of_team[keep]
        allowed = {severity_label(s) for s in severities} if severities else None
        table = data.table(choice)
        assert sorted(table.index) == sorted(expected["key"]), (severities, quarter)
        by_severity = data.by_severity(choice)
        assert by_severity["Incidents"].sum() == len(expected)
        if allowed and quarter == ALL_QUARTERS:  # the charts draw every quarter
            explorer = data.explorer_chart(choice).to_dict()
            points = next(iter(explorer["datasets"].values()))
            assert {p["severity"] for p in points} <= allowed
        if allowed:
            assert _severities(table) <= allowed
            assert _severities(data.outliers(choice)) <= allowed
            assert _severities(by_severity) <= allowed
        if quarter != ALL_QUARTERS:
            assert set(by_severity["Quarter"]) <= {quarter}
            assert set(table["Quarter"]) <= {quarter}
        # medians in the table's unit, never six decimals
        assert not by_severity["Median"].astype(str).str.contains(r"\.\d{3}").any()


def test_one_incident_s_whole_record(data: ExplorerData) -> None:
    """Drill-down: every timestamp in the organisation's zone, each phase, each practice
    flag (an unrecorded one says so), and the file and row it came from."""
    row = data.incidents.iloc[len(data.incidents) // 2]
    fields = dict(data.record(row["key"]))
    assert fields["Incident"] == str(row["incident_id"])
    assert fields["Source"].startswith(f"{row['source_file']} row {row['source_row']} (")
    for label in ["Impact started", "Detected", "Acknowledged", "Mitigated", "Resolved",
                  "Stakeholders notified", "Time to recover", "Runbook used",
                  "Automated recovery", "Post-incident review"]:  # fmt: skip
        assert label in fields
    assert sum(label.startswith("Phase: ") for label in fields) == 5
    zone = data.organisation.timezone
    detected = pd.Timestamp(row["detected_at"]).tz_convert(zone).strftime("%Y-%m-%d %H:%M")
    assert fields["Detected"].startswith(detected)
    unrecorded = data.incidents[data.incidents["mitigated_at"].isna()]
    if not unrecorded.empty:
        assert dict(data.record(unrecorded.iloc[0]["key"]))["Mitigated"] == "not recorded"
    assert data.record("no/such.csv#1") == []


def test_a_team_against_the_organisation(data: ExplorerData) -> None:
    choice = data.check("search", ALL_QUARTERS, severities=[1, 2], compare="ALL").choice
    frame = data.comparison(choice)
    assert set(frame["team"]) == {"Search & Discovery", "All teams"}
    everyone = data.incidents[data.incidents["severity"].isin([1, 2])]
    for quarter, group in everyone.groupby("quarter"):
        row = frame[(frame["team"] == "All teams") & (frame["period"] == quarter)].iloc[0]
        assert row["median"] == pytest.approx(group["recovery_minutes"].median())
        assert row["resolved"] == group["recovery_minutes"].notna().sum()
    chart = data.comparison_chart(choice)
    assert chart is not None
    assert "Search & Discovery against All teams" in json.dumps(chart.to_dict())
    assert data.comparison_chart(choice.but(compare="")) is None


def test_the_app_s_widgets_follow_each_other(data: ExplorerData) -> None:
    """What the front end does, from Python: pick a team (its services and severities are
    offered, the old ones dropped), a quarter, brush and a legend value (the table keeps
    what they keep), click a point (its record), clear."""
    from maturity.reporting.explorer_app import Explorer

    app = Explorer(data, data.check("search", "2026-Q3").choice)
    status = html.unescape(app.status.value)
    assert "Search & Discovery: 384 incidents loaded; 58 listed (2026-Q3)." in status
    assert len(app.grid.data) == 58 and app.explorer.spec and app.phases.spec
    app.team.value = "payments"
    assert set(app.services.options) == set(data.services("payments"))
    assert app.status.value.count("Payments:") == 1
    app.quarter.value = ALL_QUARTERS
    assert len(app.grid.data) == len(data.of_team("payments"))
    app.severities.value = (1,)
    assert set(app.grid.data["Severity"]) == {"SEV1"}
    # Vega-Lite's param values as the widget reports them: months as drawn, in ms
    start, end = pd.Timestamp("2025-07-01", tz="UTC"), pd.Timestamp("2025-09-15", tz="UTC")
    app.explorer.selection = {
        "period": {"yearmonth_detected": [start.value // 10**6, end.value // 10**6]},
        "severity": {"severity": ["SEV1"]},
    }
    listed = data.of_team("payments").query("severity == 1")
    listed = listed[(listed["detected_at"] >= start) & (listed["detected_at"] < "2025-10-01")]
    assert sorted(app.grid.data.index) == sorted(listed["key"])
    assert "brushed range, SEV1" in app.status.value
    key = app.grid.data.index[0]
    app.explorer.clicked = key
    assert f"data-key='{key}'" in app.record.value
    app.clear.click()
    assert app.severities.value == () and app.choice.brushed is None
    assert len(app.grid.data) == len(data.of_team("payments"))
    app.compare.value = ALL_TEAMS
    assert app.comparison.spec and "against All teams" in json.dumps(app.comparison.spec)
    app.quarter.value = "2025-Q1"
    assert "No questionnaire answers for 2025-Q1" in app.answers.value


@pytest.mark.notebooks
def test_the_notebook_runs_for_a_quarter_without_answers_and_mistyped_filters(
    tmp_path: Path,
) -> None:
    """Issue 25, 1 and 4 through papermill: the old notebook raised PeriodError in its
    answers cell and skipped the rest; a mistyped service gave empty charts silently."""
    import papermill

    out = tmp_path / "explore.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "explore.ipynb"), str(out), kernel_name="python3",
        parameters={"assessment": str(EXAMPLE), "team": "search", "quarter": "2025-Q1",
                    "services": ["no-such-service"], "severities": ["SEV1"]},
        progress_bar=False, cwd=str(ROOT / "notebooks"),
    )  # fmt: skip
    cells = json.loads(out.read_text())["cells"]
    outputs = [o for c in cells if c["cell_type"] == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] == "error"]
    text = json.dumps(outputs).replace("&#x27;", "'")
    assert "No questionnaire answers for 2025-Q1" in text
    assert "has no incidents of service no-such-service" in text
    assert "SEV1" in text and "listed (2025-Q1)" in text
