"""Real exports and real mistakes (issue 10): each finding has a fixture export in
``tests/fixtures/exports/`` and a test that failed before its fix.

The class behind each finding is tested, not the one file: every export layout with a
header and no rows, every layout whose status column can say "resolved", every layout's
required columns.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from maturity.errors import ConfigError, InputFileError
from maturity.ingest.formats import FORMATS
from maturity.ingest.incidents import load_incidents
from maturity.ingest.spreadsheets import ROW, read_table
from maturity.organisation import load_organisation

EXPORTS = Path(__file__).parents[1] / "fixtures" / "exports"
#: One export of each layout, as the vendor writes it.
LAYOUTS = {
    "pagerduty-legacy.csv": "pagerduty",
    "pagerduty-analytics.csv": "pagerduty",
    "opsgenie.csv": "opsgenie",
    "jira.csv": "jira",
    "jira-es.csv": "jira",
    "servicenow-eventlog.csv": "servicenow",
    "servicenow-rest-dump.csv": "servicenow",
    "incidentio.csv": "incidentio",
    "rootly.csv": "rootly",
    "firehydrant.csv": "firehydrant",
    "generic-long-history.csv": "generic",
}


def header_of(name: str) -> list[str]:
    """The export's header as the reader sees it (delimiter, BOM and encoding handled)."""
    return [c for c in read_table(EXPORTS / name, name).columns if c != ROW]


# --- 1. a header-only export is a quiet period, not a crash ------------------------------


@pytest.mark.parametrize("name", sorted(LAYOUTS))
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_every_layout_with_a_header_and_no_rows_loads_empty(
    name: str, suffix: str, tmp_path: Path
) -> None:
    header = header_of(name)
    path = tmp_path / f"quiet{suffix}"
    if suffix == ".csv":
        with open(path, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerow(header)
    else:
        from openpyxl import Workbook

        workbook = Workbook()
        workbook.active.append(header)
        workbook.save(path)
    loaded = load_incidents(path)
    assert loaded.rows_read == 0 and loaded.incidents.empty
    assert [n["format"] for n in loaded.notes] == [LAYOUTS[name]]
    assert "header only" in loaded.notes[0]["note"]


def test_a_header_only_export_beside_others_in_an_organisation(
    make_assessment: Callable,
) -> None:
    files = {
        "pd-quiet.csv": (EXPORTS / "pagerduty-header-only.csv").read_text(),
        "generic-quiet.csv": (EXPORTS / "generic-header-only.csv").read_text(),
        "pd.csv": (EXPORTS / "pagerduty-legacy.csv").read_text(),
    }
    teams = {"payments": {"name": "Payments", "services": ["checkout-api", "payment-gateway",
                                                            "ledger-service"]}}  # fmt: skip
    loaded = load_incidents(make_assessment(files, teams=teams))
    assert loaded.count("used") == 4
    assert sum("header only" in n["note"] for n in loaded.notes) == 2


# --- 2. "resolved" without a resolution time is named, per row and per file -------------


def test_status_resolved_without_resolution_columns_is_rejected_and_noted() -> None:
    loaded = load_incidents(EXPORTS / "pagerduty-no-resolution.csv")
    ledger = loaded.ledger.set_index("incident_id")
    assert loaded.count("used") == 1  # 3004, acknowledged: honestly still open
    assert pd.isna(loaded.incidents.set_index("incident_id").loc["3004", "resolved_at"])
    for incident in ("3001", "3002", "3003"):
        assert ledger.loc[incident, "action"] == "rejected"
        assert ledger.loc[incident, "reason"] == "status says resolved but no resolution time"
    (note,) = loaded.notes
    assert "no resolution column (resolved_on, resolved_at, seconds_to_resolve)" in note["note"]
    assert "3 rows whose status says resolved are rejected" in note["note"]


#: For each layout with a status: the status column, a word meaning resolved, and the
#: columns that carry the resolution time (dropped to make the mistake).
STATUS_CASES = [
    ("pagerduty-analytics.csv", "status", "resolved", ["resolved_at", "seconds_to_resolve"]),
    ("opsgenie.csv", "status", "closed", ["report.closeTime", "closeTime", "resolvedAt"]),
    ("jira.csv", "Status", "Done", ["Resolved"]),
    ("servicenow-eventlog.csv", "incident_state", "Closed", ["resolved_at", "closed_at"]),
    ("incidentio.csv", "incident_status", "Closed", ["Resolved at", "Closed at"]),
    ("rootly.csv", "status", "resolved", ["resolved_at"]),
    ("firehydrant.csv", "current_milestone", "resolved", ["resolved_at", "Resolved At"]),
]


@pytest.mark.parametrize(("name", "status", "word", "drop"), STATUS_CASES)
def test_every_layout_rejects_resolved_rows_without_a_time(
    name: str, status: str, word: str, drop: list[str], tmp_path: Path
) -> None:
    raw = pd.read_csv(EXPORTS / name, dtype=str, keep_default_na=False)
    raw = raw.drop(columns=[c for c in drop if c in raw.columns])
    raw[status] = word
    raw.to_csv(tmp_path / name, index=False)
    loaded = load_incidents(tmp_path / name)
    reasons = loaded.ledger["reason"]
    kept = loaded.ledger[loaded.ledger["action"] != "excluded"]
    assert len(kept) > 0
    assert (kept["reason"] == "status says resolved but no resolution time").all(), reasons
    assert loaded.count("used") == 0
    assert any("no resolution column" in n["note"] for n in loaded.notes)


def test_generic_status_column_counts_too(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text(
        "incident_id,detected_at,resolved_at,status\n"
        "1,2026-07-01T10:00:00Z,,resolved\n"
        "2,2026-07-01T11:00:00Z,,open\n"
        "3,2026-07-01T12:00:00Z,2026-07-01T13:00:00Z,closed\n"
    )
    ledger = load_incidents(path).ledger.set_index("incident_id")
    assert list(ledger["action"]) == ["rejected", "used", "used"]


# --- 3. a named format says which required column it lacks -------------------------------


def test_missing_created_column_is_named_when_detecting() -> None:
    with pytest.raises(InputFileError) as error:
        load_incidents(EXPORTS / "pagerduty-no-created.csv")
    assert "nearest: pagerduty, which needs created_on (or created_at)" in str(error.value)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_named_format_names_each_required_column_it_lacks(
    fmt: str, make_assessment: Callable
) -> None:
    module = FORMATS[fmt]
    for canonical, headers in module.REQUIRED.items():
        others = [h[0] for c, h in module.REQUIRED.items() if c != canonical]
        text = ",".join([*others, "title"]) + "\n" + ",".join(["x"] * (len(others) + 1)) + "\n"
        folder = make_assessment(
            {"export.csv": text}, name=f"{fmt}-{canonical}",
            extra={"sources": [{"path": "incidents/export.csv", "format": fmt}]},
        )  # fmt: skip
        with pytest.raises(InputFileError) as error:
            load_incidents(folder)
        message = str(error.value)
        assert f"a {fmt} export needs {headers[0]}" in message, message
        assert message.startswith("incidents/export.csv:")


def test_a_columns_override_supplies_a_required_column(make_assessment: Callable) -> None:
    text = (
        (EXPORTS / "pagerduty-no-created.csv").read_text().replace("resolved_on,", "resolved_on,")
    )
    text = text.replace("id,incident_number", "opened,incident_number", 1)
    rows = text.splitlines()
    rows = [rows[0]] + [
        row.replace("Q4AAA", "2026-07-01T10:00:00Z").replace("Q4AAB", "2026-07-02T10:00:00Z")
        for row in rows[1:]
    ]
    folder = make_assessment(
        {"pd.csv": "\n".join(rows) + "\n"},
        teams={"payments": {"name": "Payments", "aliases": ["Payments On-Call"]}},
        extra={"sources": [{"path": "incidents/pd.csv", "format": "pagerduty",
                            "columns": {"detected_at": "opened"}}]},
    )  # fmt: skip
    assert load_incidents(folder).count("used") == 2


# --- 4. teams from real tools: aliases ---------------------------------------------------

#: The real ServiceNow REST dump's assignment groups (sys_ids) of the demo instance.
SERVICE_DESK, HARDWARE, SOFTWARE = (
    "d625dccec0a8016700a222a0f7900d06",
    "8a5055c9c61122780043563ef53438e3",
    "8a4dde73c6112278017a6a4baf547aa7",
)


def test_servicenow_sys_ids_map_to_teams_through_aliases(make_assessment: Callable) -> None:
    teams = {
        "service-desk": {"name": "Service Desk", "aliases": [SERVICE_DESK]},
        "hardware": {"name": "Hardware", "aliases": [HARDWARE.upper()]},  # case-insensitive
        "software": {"name": "Software", "aliases": SOFTWARE},  # one alias as a string
    }
    export = (EXPORTS / "servicenow-rest-dump.csv").read_bytes()
    loaded = load_incidents(make_assessment({"snow.csv": export}, teams=teams))
    counts = loaded.incidents["team"].value_counts().to_dict()
    assert counts == {"service-desk": 12, "hardware": 9, "software": 9}
    assert loaded.rows_read == 67
    (note,) = [n for n in loaded.notes if n["format"] == "teams"]
    assert "team keys: hardware, service-desk, software" in note["note"]
    assert "aliases" in note["note"]


def test_pagerduty_escalation_policies_map_through_aliases(make_assessment: Callable) -> None:
    teams = {
        "payments": {"name": "Payments", "aliases": ["Payments On-Call"]},
        "search": {"name": "Search", "aliases": ["Search Primary"]},
    }
    export = (EXPORTS / "pagerduty-priority.csv").read_text()
    loaded = load_incidents(make_assessment({"pd.csv": export}, teams=teams))
    assert loaded.incidents["team"].value_counts().to_dict() == {"payments": 3, "search": 1}
    rejected = loaded.ledger[loaded.ledger["action"] == "rejected"]
    assert list(rejected["reason"]) == ["no team for service 'indexer' (team 'Data Platform "
                                        "Rota' unknown)"]  # fmt: skip
    (note,) = [n for n in loaded.notes if n["format"] == "teams"]
    assert "'Data Platform Rota' (1 row)" in note["note"]
    assert "team keys: payments, search" in note["note"]


def test_an_alias_claimed_by_two_teams_is_an_error(make_assessment: Callable) -> None:
    teams = {"a": {"aliases": ["Ops"]}, "b": {"aliases": ["ops"]}}
    with pytest.raises(ConfigError, match="'ops' is claimed by teams 'a' and 'b'"):
        load_organisation(make_assessment({}, teams=teams))


def test_aliases_must_be_names(make_assessment: Callable) -> None:
    with pytest.raises(ConfigError, match=r"teams.a.aliases: Input should be a valid list"):
        load_organisation(make_assessment({}, teams={"a": {"aliases": {"x": 1}}}))


# --- 5. severity: PagerDuty priority first, and severity_map ----------------------------


def test_pagerduty_priority_wins_over_urgency() -> None:
    rows = load_incidents(EXPORTS / "pagerduty-priority.csv").incidents.set_index("incident_id")
    assert rows["severity"].to_dict() == {"5001": 1, "5002": 3, "5003": 4, "5004": 2, "5005": 2}


@pytest.mark.parametrize("where", ["top", "source"])
def test_severity_map_applies_per_source_or_globally(where: str, make_assessment: Callable) -> None:
    severity_map = {"P3": 1, "high": 2, "LOW": 5}
    source = {"path": "incidents/pd.csv", "format": "pagerduty"}
    extra = (
        {"severity_map": severity_map, "sources": [source]}
        if where == "top"
        else {"sources": [{**source, "severity_map": severity_map}]}
    )
    teams = {"payments": {"aliases": ["Payments On-Call", "Search Primary", "Data Platform Rota"]}}
    folder = make_assessment(
        {"pd.csv": (EXPORTS / "pagerduty-priority.csv").read_text()}, teams=teams, extra=extra
    )
    rows = load_incidents(folder).incidents.set_index("incident_id")
    # P1 keeps its own meaning; P3 -> 1, urgency low -> 5, urgency high -> 2.
    assert rows["severity"].to_dict() == {"5001": 1, "5002": 1, "5003": 5, "5004": 2, "5005": 2}


def test_a_source_severity_map_overrides_the_global_one(make_assessment: Callable) -> None:
    folder = make_assessment(
        {"pd.csv": (EXPORTS / "pagerduty-priority.csv").read_text()},
        teams={"p": {"aliases": ["Payments On-Call", "Search Primary", "Data Platform Rota"]}},
        extra={"severity_map": {"P1": 3, "P2": 3},
               "sources": [{"path": "incidents/pd.csv", "severity_map": {"P1": 2}}]},
    )  # fmt: skip
    rows = load_incidents(folder).incidents.set_index("incident_id")
    assert rows.loc["5001", "severity"] == 2 and rows.loc["5005", "severity"] == 3


@pytest.mark.parametrize("bad", [{"P1": 0}, {"P1": 6}, {"P1": "high"}, {"P1": True}, [1, 2]])
def test_a_bad_severity_map_is_named(bad: object, make_assessment: Callable) -> None:
    with pytest.raises(ConfigError, match="severity_map"):
        load_organisation(make_assessment({}, extra={"severity_map": bad}))


def test_readme_documents_each_formats_team_severity_and_required_columns() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    for name, module in FORMATS.items():
        row = next((line for line in readme.splitlines() if line.startswith(f"| {name} |")), None)
        assert row, f"README's format table has no row for {name}"
        wanted = [module.SEVERITY_COLUMNS[0], *(h[0] for h in module.REQUIRED.values())]
        if name != "incidentio":  # its team is any custom field naming a team
            wanted.append(module.TEAM_COLUMNS[0])
        for column in wanted:
            assert f"`{column}`" in row, f"README row for {name} does not name {column}"
