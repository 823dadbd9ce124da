"""One test per item of the Quirks list in shared/reference/incident-exports.md."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from maturity.ingest.cells import parse_durations, parse_timestamps
from maturity.ingest.incidents import load_incidents

from conftest import generic_csv

EXPORTS = Path(__file__).parents[1] / "fixtures" / "exports"


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def load_rows(make_assessment, rows, **options):
    return load_incidents(make_assessment({"x.csv": generic_csv(rows)}, **options))


def test_quirk_01_mixed_and_implicit_time_zones() -> None:
    cells = pd.Series(["2026-07-01T10:00:00+0000", "2026-07-01T12:00:00+02:00",
                       "2026-07-01T06:00:00", "2026-07-01T10:00:00Z"])  # fmt: skip
    parsed, invalid = parse_timestamps(cells, "America/New_York")
    assert (parsed == utc("2026-07-01T10:00:00")).all() and not invalid.any()


def test_quirk_02_several_formats_and_day_first(make_assessment) -> None:
    rows = [
        {"incident_id": "1", "team": "alpha", "detected_at": "5/3/2026 10:00"},
        {"incident_id": "2", "team": "alpha", "detected_at": "25/3/2026 10:00"},
        {"incident_id": "3", "team": "alpha", "detected_at": "25/Feb/26 10:17 PM"},
    ]
    loaded = load_rows(make_assessment, rows, timezone="UTC")
    detected = loaded.incidents.set_index("incident_id")["detected_at"]
    assert detected["1"] == utc("2026-03-05T10:00")  # 25/3 in the same file proves day-first
    assert detected["3"] == utc("2026-02-25T22:17")


def test_quirk_02_ambiguous_order_is_reported(make_assessment) -> None:
    rows = [{"incident_id": "1", "team": "alpha", "detected_at": "5/3/2026 10:00"}]
    loaded = load_rows(make_assessment, rows, timezone="America/New_York")
    assert loaded.incidents["detected_at"][0] == utc("2026-05-03T14:00")  # month-first in the US
    assert "ambiguous" in loaded.notes[0]["note"]


def test_quirk_03_excel_serials_and_date_cells(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["incident_id", "detected_at", "resolved_at"])
    sheet.append(["S1", 45345.5, "45345.75"])  # serial numbers: 2024-02-23 12:00 and 18:00
    sheet.append(["S2", dt.datetime(2024, 2, 23, 12, 0), dt.datetime(2024, 2, 23, 13, 0)])
    path = tmp_path / "serials.xlsx"
    workbook.save(path)
    rows = load_incidents(path).incidents.set_index("incident_id")
    assert rows.loc["S1", "detected_at"] == utc("2024-02-23T12:00")
    assert rows.loc["S1", "resolved_at"] == utc("2024-02-23T18:00")
    assert rows.loc["S2", "detected_at"] == utc("2024-02-23T12:00")
    parsed, _ = parse_timestamps(pd.Series([45345.5]), "UTC", date1904=True)
    assert parsed[0] == utc("2028-02-24T12:00")  # the 1904 date system counts from 1904


def test_quirk_03_1904_workbook_is_detected(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.epoch = dt.datetime(1904, 1, 1)  # openpyxl's switch to the 1904 date system
    sheet = workbook.active
    sheet.append(["incident_id", "detected_at"])
    sheet.append(["S1", 43883.5])
    path = tmp_path / "mac.xlsx"
    workbook.save(path)
    assert load_incidents(path).incidents["detected_at"][0] == utc("2024-02-23T12:00")


@pytest.mark.parametrize("cell", ["", "null", "?", "NULL", "-"])
def test_quirk_04_open_incidents(make_assessment, cell: str) -> None:
    rows = [{"incident_id": "1", "team": "alpha", "detected_at": "2026-07-01T10:00:00Z",
             "resolved_at": cell}]  # fmt: skip
    loaded = load_rows(make_assessment, rows)
    assert loaded.count("used") == 1 and loaded.incidents["resolved_at"].isna().all()


def test_quirk_05_negative_durations(make_assessment) -> None:
    rows = [
        {"incident_id": "1", "team": "alpha", "detected_at": "2026-07-01T10:00:00Z",
         "resolved_at": "2026-07-01T09:00:00Z"},
        # closed before resolved (ServiceNow): resolution wins, closure is not used
        {"incident_id": "2", "team": "alpha", "detected_at": "2026-07-01T10:00:00Z",
         "acknowledged_at": "2026-07-01T09:59:00Z", "resolved_at": "2026-07-01T11:00:00Z"},
    ]  # fmt: skip
    loaded = load_rows(make_assessment, rows)
    assert loaded.ledger.set_index("incident_id").loc["1", "reason"] == "resolved before detected"
    from maturity.measures.engine import measures_by_team_quarter
    from maturity.measures.records import to_records

    records = to_records(measures_by_team_quarter(loaded.incidents))
    alpha = next(r for r in records if r["team"] == "alpha")
    # acknowledged before detected: 0 minutes, counted as out of order (DESIGN.md, issue 21.9)
    assert alpha["escalate_median"] == 0.0 and alpha["escalate_median_n"] == 1
    assert alpha["data_trust"]["out_of_order"]["escalate"] == 1


def test_quirk_06_vendor_durations_that_disagree() -> None:
    loaded = load_incidents(EXPORTS / "pagerduty-legacy.csv")
    rows = loaded.incidents.set_index("incident_id")
    assert rows.loc["1044", "resolved_at"] == utc("2026-07-04T09:20:00")  # not +3600 s
    assert "disagrees" in loaded.notes[0]["note"]


@pytest.mark.parametrize(
    ("cell", "unit", "minutes"),
    [(7200, "seconds", 120), (90000, "milliseconds", 1.5), (2, "hours", 120),
     ("2h 10m", "seconds", 130), ("25 Days 21 Hours 1 Minute", "seconds", 37261),
     ("01:30:00", "seconds", 90)],
)  # fmt: skip
def test_quirk_07_duration_notations(cell, unit: str, minutes: float) -> None:
    parsed, invalid = parse_durations(pd.Series([cell], dtype=object), unit)
    assert parsed[0] == pytest.approx(minutes) and not invalid[0]


def test_quirk_08_duplicate_ids_and_event_logs(make_assessment) -> None:
    row = {"incident_id": "D", "team": "alpha", "detected_at": "2026-07-01T10:00:00Z"}
    loaded = load_incidents(
        make_assessment({"a.csv": generic_csv([row]),
                         "b.csv": generic_csv([{**row, "resolved_at": "2026-07-01T11:00Z"}])})
    )  # fmt: skip
    assert loaded.count("used") == 1 and loaded.count("excluded") == 1
    log = load_incidents(EXPORTS / "servicenow-eventlog.csv")
    assert log.count("used") == 2 and log.rows_read == 5


def test_quirk_09_merged_child_duplicate_and_reopened(make_assessment) -> None:
    assert (
        "merged" in load_incidents(EXPORTS / "pagerduty-analytics.csv").ledger["reason"].str.cat()
    )
    rootly = load_incidents(EXPORTS / "rootly.csv").ledger.set_index("incident_id")["reason"]
    assert rootly["34"] == "duplicate of incident 32"
    # reopened: the re-export with the later, final resolution is the one kept
    first = {"incident_id": "R", "team": "alpha", "detected_at": "2026-07-01T10:00:00Z",
             "resolved_at": "2026-07-01T11:00:00Z"}  # fmt: skip
    final = {**first, "resolved_at": "2026-07-02T09:00:00Z"}
    loaded = load_incidents(
        make_assessment({"a.csv": generic_csv([final]), "b.csv": generic_csv([first])})
    )
    assert loaded.incidents["resolved_at"][0] == utc("2026-07-02T09:00:00")


def test_quirk_10_tests_drills_tutorials_retrospectives() -> None:
    reasons = load_incidents(EXPORTS / "incidentio.csv").ledger["reason"].tolist()
    assert {"test, drill or game day", "retrospective incident"} <= set(reasons)
    loaded = load_incidents(EXPORTS / "firehydrant.csv")
    assert loaded.count("excluded") == 1 and loaded.rows_read == 3  # counted, not measured


@pytest.mark.parametrize(
    ("cell", "severity"),
    [("SEV1", 1), ("sev2", 2), ("SEV-2", 2), ("P1", 1), ("1 - Critical", 1), ("Critical", 1),
     ("Major", 2), ("Minor", 3), ("high", 2), ("low", 4)],
)  # fmt: skip
def test_quirk_11_severity_vocabularies(make_assessment, cell: str, severity: int) -> None:
    rows = [{"incident_id": "1", "team": "alpha", "severity": cell,
             "detected_at": "2026-07-01T10:00:00Z"}]  # fmt: skip
    assert load_rows(make_assessment, rows).incidents["severity"][0] == severity


@pytest.mark.parametrize(
    ("cell", "value"),
    [("true", True), ("0", False), ("True", True), ("no", False), ("Y", True), ("x", True),
     ("https://wiki/runbooks/db", True), ("", None)],
)  # fmt: skip
def test_quirk_12_booleans(make_assessment, cell: str, value) -> None:
    rows = [{"incident_id": "1", "team": "alpha", "runbook_used": cell,
             "detected_at": "2026-07-01T10:00:00Z",
             "resolved_at": "2026-07-01T11:00:00Z"}]  # fmt: skip
    flag = load_rows(make_assessment, rows).incidents["runbook_used"][0]
    assert (None if pd.isna(flag) else bool(flag)) is value


def test_quirk_13_encodings_delimiters_line_breaks(tmp_path: Path) -> None:
    text = (
        "incident_id;title;detected_at\r\n"
        'E1;"Caf\u00e9 \u2013 down\r\nsecond line";2026-07-01T10:00:00Z\r\n'
    )
    path = tmp_path / "cp1252.csv"
    path.write_bytes(text.encode("cp1252"))
    row = load_incidents(path).incidents.iloc[0]
    assert row["title"] == "Caf\u00e9 \u2013 down second line"  # a title is one line
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffincident_id,detected_at\nB1,2026-07-01T10:00:00Z\n".encode())
    assert load_incidents(bom).incidents["incident_id"][0] == "B1"


def test_quirk_14_repeated_and_padded_headers_below_title_rows(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text(
        "Weekly incident report\n"
        "Generated 2026-07-08\n"
        "incident_id , detected_at,title,title\n"
        "H1,2026-07-01T10:00:00Z,first,second\n"
    )
    loaded = load_incidents(path)
    assert loaded.incidents["title"][0] == "first"
    assert loaded.ledger["row"][0] == 4  # the row a spreadsheet shows


def test_quirk_15_totals_empty_rows_merged_cells(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["incident_id", "team", "detected_at", "resolved_at"])
    sheet.append(["M1", "alpha", dt.datetime(2026, 7, 1, 10), dt.datetime(2026, 7, 1, 11)])
    sheet.append(["M2", None, dt.datetime(2026, 7, 2, 10), dt.datetime(2026, 7, 2, 11)])
    sheet.append([None, None, None, None])
    sheet.append(["Total", None, None, 2])
    sheet.merge_cells("B2:B3")  # one team cell spanning two incidents
    path = tmp_path / "hand-made.xlsx"
    workbook.save(path)
    loaded = load_incidents(path)
    assert loaded.rows_read == 3  # the empty row is layout, not a record
    assert loaded.ledger.set_index("incident_id").loc["Total", "reason"] == (
        "total or summary row, not an incident"
    )
    assert loaded.count("used") == 2


def test_quirk_16_formulas_are_never_evaluated(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["incident_id", "title", "detected_at"])
    sheet.append(["F1", "=cmd|' /C calc'!A0", "2026-07-01T10:00:00Z"])
    sheet.append(["F2", "=1+1", "2026-07-01T10:00:00Z"])
    sheet["B3"].data_type = "s"  # text that only looks like a formula
    sheet.append(["F3", "+44 20 7946 0000 @ops -rollback", "2026-07-01T10:00:00Z"])
    path = tmp_path / "formulas.xlsx"
    workbook.save(path)
    rows = load_incidents(path).incidents.set_index("incident_id")["title"]
    # openpyxl saved no cached value for the formula: nothing is computed, nothing runs
    assert pd.isna(rows["F1"])  # the formula is not run: its (absent) saved value is read
    assert rows["F2"] == "=1+1"
    assert rows["F3"] == "+44 20 7946 0000 @ops -rollback"


def test_quirk_17_markup_in_titles_stays_text(make_assessment) -> None:
    from maturity.reporting import team_report

    rows = [{"incident_id": "X", "team": "alpha", "title": "<img src=x onerror=alert(1)>",
             "detected_at": "2026-07-01T10:00:00Z",
             "resolved_at": "2026-07-01T11:00:00Z"}]  # fmt: skip
    root = make_assessment({"x.csv": generic_csv(rows)})
    loaded = load_incidents(root)
    assert loaded.incidents["title"][0] == "<img src=x onerror=alert(1)>"  # kept verbatim
    page = team_report.longest_incidents(
        team_report.TeamQuarter.load(root, "alpha", "2026-Q3")
    ).data
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page
