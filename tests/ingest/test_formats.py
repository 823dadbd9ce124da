"""Every supported export layout, from fixture files written in the vendor's real layout."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from maturity.ingest.incidents import load_incidents

EXPORTS = Path(__file__).parents[1] / "fixtures" / "exports"
SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "samples" / "servicenow-table-dump.csv"


def load(name: str):
    return load_incidents(EXPORTS / name)


def by_id(loaded) -> pd.DataFrame:
    return loaded.incidents.set_index("incident_id")


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.mark.parametrize(
    ("name", "fmt", "counts"),
    [
        ("pagerduty-legacy.csv", "pagerduty", (4, 0, 0)),
        ("pagerduty-analytics.csv", "pagerduty", (3, 1, 0)),
        ("opsgenie.csv", "opsgenie", (3, 1, 0)),
        ("jira.csv", "jira", (3, 2, 0)),
        ("jira-es.csv", "jira", (2, 0, 0)),
        ("servicenow-eventlog.csv", "servicenow", (2, 3, 0)),
        ("incidentio.csv", "incidentio", (3, 3, 0)),
        ("rootly.csv", "rootly", (2, 3, 0)),
        ("firehydrant.csv", "firehydrant", (2, 1, 0)),
    ],
)
def test_layout_is_detected_and_every_row_accounted(name: str, fmt: str, counts) -> None:
    loaded = load(name)
    assert set(loaded.incidents["source_format"]) == {fmt}
    q = loaded.quality()
    assert (q["rows_used"], q["rows_excluded"], q["rows_rejected"]) == counts
    assert q["rows_used"] + q["rows_excluded"] + q["rows_rejected"] == q["rows_read"]


def test_pagerduty_legacy() -> None:
    loaded = load("pagerduty-legacy.csv")
    rows = by_id(loaded)
    assert rows.loc["1041", "acknowledged_at"] == utc("2026-07-01T10:02:00")  # created + 120 s
    assert rows.loc["1042", "detected_at"] == utc("2026-07-02T10:00:00")  # -05:00 offset
    assert bool(rows.loc["1042", "automated_recovery"]) is True  # auto_resolved 1
    assert pd.isna(rows.loc["1043", "resolved_at"])  # still open
    assert rows.loc["1043", "severity"] == 4  # urgency low
    assert rows.loc["1041", "team"] == "Payments"  # escalation policy as the team
    # 1044: 20 minutes by its timestamps, 3600 s by the vendor: timestamps win, noted.
    assert rows.loc["1044", "resolved_at"] == utc("2026-07-04T09:20:00")
    assert "seconds_to_resolve disagrees" in loaded.notes[0]["note"]


def test_pagerduty_analytics_zone_column_and_merges() -> None:
    loaded = load("pagerduty-analytics.csv")
    rows = by_id(loaded)
    # naive 06:00 in the time_zone column's America/New_York (EDT) is 10:00 UTC
    assert rows.loc["2001", "detected_at"] == utc("2026-07-10T10:00:00")
    assert rows.loc["2001", "severity"] == 1 and rows.loc["2003", "severity"] == 2  # P1, SEV-2
    assert rows.loc["2002", "severity"] == 4  # no priority: urgency low
    ledger = loaded.ledger.set_index("incident_id")
    assert ledger.loc["2004", "reason"] == "merged into another incident"


def test_pagerduty_export_cap_is_noted(tmp_path: Path) -> None:
    header = (EXPORTS / "pagerduty-legacy.csv").read_text().splitlines()[0]
    line = "Q{0},{0},x,P,checkout-api,E,Payments,2026-07-01T10:00:00+00:00,,,,0,0,0,0,0,,,,,,,high"
    rows = "\n".join(line.format(i) for i in range(20_000))
    path = tmp_path / "pd.csv"
    path.write_text(header + "\n" + rows + "\n")
    loaded = load_incidents(path)
    assert loaded.rows_read == 20_000
    assert any("probably truncated" in n["note"] for n in loaded.notes)


def test_opsgenie_milliseconds_after_creation() -> None:
    rows = by_id(load("opsgenie.csv"))
    assert rows.loc["101", "acknowledged_at"] == utc("2026-08-01T12:01:30.123")
    assert rows.loc["101", "resolved_at"] == utc("2026-08-01T13:00:00.123")
    assert rows.loc["102", "detected_at"] == utc("2026-08-02T12:00:00.5")  # one fractional digit
    assert pd.isna(rows.loc["103", "resolved_at"])  # open: no close time


def test_jira_quirks() -> None:
    loaded = load("jira.csv")
    rows = by_id(loaded)
    # BOM-prefixed header still finds "Summary"; a line break inside a quoted title
    # (line breaks in text become spaces: a title is one line in every report)
    assert rows.loc["INC-7", "title"] == "Identity login failures across regions"
    # two date formats in one file: 25/Feb/26 10:17 PM and 2026-02-25 16:38:58.679
    assert rows.loc["INC-7", "detected_at"] == utc("2026-02-25T22:17:00")
    assert rows.loc["INC-8", "resolved_at"] == utc("2026-02-25T17:08:58.679")
    # repeated Component/s columns are both read; severity field before priority
    assert rows.loc["INC-8", "service"] == "sso-gateway"
    assert rows.loc["INC-7", "severity"] == 1 and rows.loc["INC-11", "severity"] == 4
    assert rows.loc["INC-7", "acknowledged_at"] == utc("2026-02-25T22:29:00")  # +12 min
    reasons = loaded.ledger.set_index("incident_id")["reason"]
    assert reasons["INC-9"] == "test, drill or game day"  # label gameday
    assert reasons["INC-10"] == "duplicate (resolved as such in Jira)"


def test_jira_spanish_semicolons() -> None:
    rows = by_id(load("jira-es.csv"))
    assert rows.loc["DP-1", "title"] == "Caída del almacén de datos"
    assert rows.loc["DP-1", "detected_at"] == utc("2026-03-14T09:15:00")  # day-first: 14/03
    assert rows.loc["DP-1", "severity"] == 1  # "Prioriteit 1"
    assert rows.loc["DP-2", "severity"] == 3  # "Medium"


def test_servicenow_event_log_is_reduced_to_latest_state() -> None:
    loaded = load("servicenow-eventlog.csv")
    rows = by_id(loaded)
    assert rows.loc["INC0000045", "resolved_at"] == utc("2016-02-29T11:29:00")
    assert pd.isna(rows.loc["INC0000047", "resolved_at"])  # '?' means missing
    assert rows.loc["INC0000047", "team"] == "Group 24"  # the latest assignment
    reasons = loaded.ledger.set_index("row")["reason"]
    assert reasons[2] == "earlier state of INC0000045 (latest at row 3)"


def test_servicenow_real_sample_accounts_for_all_67_rows() -> None:
    if not SAMPLE.exists():
        pytest.skip("shared/samples is not beside this checkout")
    loaded = load_incidents(SAMPLE)
    q = loaded.quality()
    assert q["rows_read"] == 67
    assert q["rows_used"] + q["rows_excluded"] + q["rows_rejected"] == 67
    assert set(loaded.incidents["source_format"]) == {"servicenow"}
    rows = by_id(loaded)
    # Windows-1252 text, CR CR LF line ends, REST reference cells reduced to their value
    assert rows.loc["INC0000060", "title"] == "Unable to connect to email"
    assert rows.loc["INC0000060", "team"] == "287ebd7da9fe198100f92cc8d1d2154e"
    assert rows.loc["INC0000060", "severity"] == 3
    assert rows.loc["INC0000060", "resolved_at"] == utc("2016-12-13T21:43:14")


def test_servicenow_xlsx_labels_with_a_title_row(tmp_path: Path) -> None:
    import datetime as dt

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Incidents resolved last quarter (exported 2026-10-01)"])
    sheet.append([])
    sheet.append(["Number", "Short description", "Opened", "Resolved", "Priority", "State",
                  "Assignment group", "Service"])  # fmt: skip
    sheet.append(["INC0010001", "Email down", dt.datetime(2026, 7, 1, 9, 0),
                  dt.datetime(2026, 7, 1, 10, 30), "1 - Critical", "Resolved", "Service Desk",
                  "Email"])  # fmt: skip
    sheet.append(["INC0010002", "VPN flaps", dt.datetime(2026, 7, 2, 9, 0), None, "4 - Low",
                  "Canceled", "Network", "VPN"])  # fmt: skip
    path = tmp_path / "servicenow.xlsx"
    workbook.save(path)
    loaded = load_incidents(path)
    assert set(loaded.incidents["source_format"]) == {"servicenow"}
    rows = by_id(loaded)
    assert rows.loc["INC0010001", "severity"] == 1
    assert rows.loc["INC0010001", "resolved_at"] - rows.loc["INC0010001", "detected_at"] == (
        pd.Timedelta("90min")
    )
    ledger = loaded.ledger.set_index("incident_id")
    assert ledger.loc["INC0010002", "reason"] == "cancelled incident"
    assert ledger.loc["INC0010001", "row"] == 4  # below the title rows


def test_incidentio() -> None:
    loaded = load("incidentio.csv")
    rows = by_id(loaded)
    assert rows.loc["INC-123", "detected_at"] == utc("2026-05-04T08:00:00.6")
    assert rows.loc["INC-123", "mitigated_at"] == utc("2026-05-04T09:00:00")  # Fixed at
    assert bool(rows.loc["INC-123", "review_done"]) is True  # post-mortem URL
    assert bool(rows.loc["INC-124", "review_done"]) is False
    assert pd.isna(rows.loc["INC-128", "review_done"])  # still open: not known yet
    assert rows.loc["INC-123", "severity"] == 2 and rows.loc["INC-128", "severity"] == 1
    reasons = loaded.ledger.set_index("incident_id")["reason"]
    assert reasons["INC-125"] == "test, drill or game day"
    assert reasons["INC-126"] == "retrospective incident"
    assert reasons["INC-127"] == "merged incident"


def test_rootly() -> None:
    loaded = load("rootly.csv")
    rows = by_id(loaded)
    # detected_at empty: created_at stands in; -08:00 offsets kept
    assert rows.loc["31", "detected_at"] == utc("2026-02-16T10:08:44.183")
    assert rows.loc["32", "detected_at"] == utc("2026-02-17T10:05:00")
    assert bool(rows.loc["31", "review_done"]) is True
    reasons = loaded.ledger.set_index("incident_id")["reason"]
    assert reasons["33"] == "test, drill or game day"
    assert reasons["34"] == "duplicate of incident 32"
    assert reasons["35"] == "cancelled incident"


def test_firehydrant() -> None:
    loaded = load("firehydrant.csv")
    rows = by_id(loaded)
    assert bool(rows.loc["201", "runbook_used"]) is True  # a runbook attached
    assert bool(rows.loc["202", "runbook_used"]) is False
    assert rows.loc["201", "started_at"] == utc("2026-06-01T09:50:00")
    assert bool(rows.loc["201", "review_done"]) is True
    assert loaded.ledger.set_index("incident_id")["reason"]["203"] == "test, drill or game day"


def test_format_and_columns_can_be_named_in_assessment_yaml(make_assessment) -> None:
    text = "Ticket,Opened on,Fixed on,Squad\nT-1,2026-07-01 10:00,2026-07-01 11:00,alpha\n"
    root = make_assessment(
        {"custom.csv": text},
        extra={"sources": [{"path": "incidents/custom.csv", "format": "generic",
                            "timezone": "America/New_York",
                            "columns": {"incident_id": "Ticket", "detected_at": "Opened on",
                                        "resolved_at": "Fixed on", "team": "Squad"}}]},
    )  # fmt: skip
    loaded = load_incidents(root)
    row = loaded.incidents.iloc[0]
    assert row["team"] == "alpha"
    assert row["detected_at"] == utc("2026-07-01T14:00:00")  # New York, EDT


def test_unknown_layout_lists_what_is_supported(tmp_path: Path) -> None:
    from maturity.errors import InputFileError

    path = tmp_path / "x.csv"
    path.write_text("Ticket,When\n1,2\n")
    with pytest.raises(InputFileError) as error:
        load_incidents(path)
    for fmt in ("pagerduty", "opsgenie", "jira", "servicenow", "incidentio", "rootly",
                "firehydrant", "generic"):  # fmt: skip
        assert fmt in str(error.value)
