from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from maturity.errors import InputFileError
from maturity.ingest.incidents import CANONICAL_COLUMNS, load_incidents

from conftest import ALPHA_Q3, generic_csv


def ledger_of(loaded) -> dict[str, tuple[str, str]]:
    return {r.incident_id: (r.action, r.reason) for r in loaded.ledger.itertuples()}


def test_every_row_is_accounted_for(tiny_assessment: Path) -> None:
    loaded = load_incidents(tiny_assessment)
    q = loaded.quality()
    assert q["rows_read"] == 7
    assert q["rows_used"] + q["rows_excluded"] + q["rows_rejected"] == q["rows_read"]
    assert (q["rows_used"], q["rows_excluded"], q["rows_rejected"]) == (6, 1, 0)
    assert q["issues"] == [
        {"file": "incidents/export.csv", "row": 8, "incident_id": "B2", "action": "excluded",
         "reason": "test, drill or game day"}
    ]  # fmt: skip


def test_canonical_record(tiny_assessment: Path) -> None:
    incidents = load_incidents(tiny_assessment).incidents
    assert list(incidents.columns[: len(CANONICAL_COLUMNS)]) == list(CANONICAL_COLUMNS)
    a1 = incidents.set_index("incident_id").loc["A1"]
    assert a1["detected_at"] == pd.Timestamp("2026-07-01T10:00:00Z")
    assert a1["severity"] == 1
    assert bool(a1["runbook_used"]) is True and bool(a1["automated_recovery"]) is False
    assert a1["quarter"] == "2026-Q3"
    assert a1["source_file"] == "incidents/export.csv" and a1["source_row"] == 2
    assert pd.isna(incidents.set_index("incident_id").loc["A5", "resolved_at"])


def test_team_attribution(tiny_assessment: Path) -> None:
    teams = load_incidents(tiny_assessment).incidents.set_index("incident_id")["team"]
    assert teams["A1"] == "alpha"  # team key
    assert teams["A3"] == "alpha"  # team name, another case
    assert teams["A2"] == "alpha"  # service map
    assert teams["B1"] == "beta"


def test_unattributable_rows_are_rejected_naming_the_service(make_assessment: Callable) -> None:
    rows = [
        {"incident_id": "X1", "service": "legacy-crm", "detected_at": "2026-07-01T10:00:00Z"},
        {"incident_id": "X2", "team": "Strangers", "detected_at": "2026-07-01T10:00:00Z"},
        {"incident_id": "X3", "service": "unknown, beta-db", "detected_at": "2026-07-01T10:00:00Z"},
    ]
    loaded = load_incidents(make_assessment({"x.csv": generic_csv(rows)}))
    ledger = ledger_of(loaded)
    assert ledger["X1"] == ("rejected", "no team for service 'legacy-crm'")
    assert ledger["X2"] == ("rejected", "no team for service '(none)' (team 'Strangers' unknown)")
    assert ledger["X3"] == ("used", "")  # several services: the first that maps


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"incident_id": "R1"}, "no detection time"),
        ({"incident_id": "R2", "detected_at": "yesterday-ish"},
         "unparseable detected_at 'yesterday-ish'"),
        ({"incident_id": "R3", "detected_at": "2026-07-01T10:00:00Z",
          "resolved_at": "2026-07-01T09:00:00Z"}, "resolved before detected"),
        ({"incident_id": "R4", "detected_at": "2026-07-01T10:00:00Z",
          "resolved_at": "soon"}, "unparseable resolved_at 'soon'"),
        ({"incident_id": "", "detected_at": "2026-07-01T10:00:00Z"}, "no incident id"),
    ],
)  # fmt: skip
def test_unusable_rows_are_rejected_with_a_reason(
    make_assessment: Callable, row: dict, reason: str
) -> None:
    row = {"team": "alpha", **row}
    loaded = load_incidents(make_assessment({"x.csv": generic_csv([row])}))
    assert loaded.ledger[["row", "action", "reason"]].values.tolist() == [[2, "rejected", reason]]


def test_duplicates_keep_the_most_complete_row(make_assessment: Callable) -> None:
    old = {"incident_id": "D1", "team": "alpha", "detected_at": "2026-07-01T10:00:00Z"}
    new = {**old, "resolved_at": "2026-07-01T11:00:00Z"}
    loaded = load_incidents(
        make_assessment({"a.csv": generic_csv([new]), "b.csv": generic_csv([old])})
    )
    assert loaded.ledger[["file", "action", "reason"]].values.tolist() == [
        ["incidents/a.csv", "used", ""],
        ["incidents/b.csv", "excluded", "duplicate of incidents/a.csv row 2"],
    ]
    assert loaded.incidents["resolved_at"].notna().all()


def test_files_alone_are_read_without_attribution(tmp_path: Path) -> None:
    path = tmp_path / "loose.csv"
    path.write_text(generic_csv(ALPHA_Q3))
    loaded = load_incidents(path)
    assert loaded.count("used") == 5
    assert loaded.incidents.set_index("incident_id")["team"]["A3"] == "Alpha Team"
    assert loaded.ledger["file"].iloc[0] == str(path)


def test_unknown_layout_lists_what_was_seen(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Ticket,When\n1,2026-01-01\n")
    with pytest.raises(InputFileError) as error:
        load_incidents(path)
    message = str(error.value)
    assert "unknown layout" in message and "'Ticket'" in message and "generic" in message


def test_an_assessment_without_exports(make_assessment: Callable) -> None:
    with pytest.raises(InputFileError, match=r"no \.csv or \.xlsx exports"):
        load_incidents(make_assessment({}))


def test_example_organisation_ledger_balances() -> None:
    from conftest import EXAMPLE

    q = load_incidents(EXAMPLE).quality()
    assert q["rows_read"] > 2000
    assert q["rows_used"] + q["rows_excluded"] + q["rows_rejected"] == q["rows_read"]
    assert {i["action"] for i in q["issues"]} == {"excluded", "rejected"}
