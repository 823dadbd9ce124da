"""A new user's first organisation (issue 24): every file reported at once, counts that agree,
answer files named in any case, a review-link column read, a running quarter said so."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from maturity.ingest.incidents import load_incidents

from conftest import ALPHA_ANSWERS, generic_csv, run_maturity, write_assessment

OPSGENIE_HEADER = "tinyId,message,status,tags,createdAt,updatedAt,priority,report.closeTime\n"


def test_validate_reports_every_broken_file_then_exits_2(tmp_path: Path) -> None:
    org = write_assessment(tmp_path / "org", {
        "a-odd.csv": "when,what\n2026-07-01,x\n",
        "b-good.csv": generic_csv([{"incident_id": "A1", "team": "alpha",
                                    "detected_at": "2026-07-01T10:00:00Z"}]),
        "c-odd.csv": "foo;bar\n1;2\n",
    })  # fmt: skip
    run = run_maturity("validate", str(org))
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    errors = run.stderr.strip().splitlines()
    assert len(errors) == 2, run.stderr
    assert "incidents/a-odd.csv: unknown layout" in errors[0]
    assert "incidents/c-odd.csv: unknown layout" in errors[1]
    assert "incidents/b-good.csv: 1 row, 1 used" in run.stdout  # the good file still reported
    listed = json.loads(run_maturity("validate", str(org), "--json").stdout)["quality"]
    assert [e["file"] for e in listed["errors"]] == ["incidents/a-odd.csv", "incidents/c-odd.csv"]


def test_unknown_team_counts_agree_with_the_ledger(tmp_path: Path) -> None:
    rows = [{"incident_id": f"X{i}", "team": "Storefront", "title": f"checkout {i}",
             "detected_at": f"2026-07-{i + 1:02d}T10:00:00Z"} for i in range(6)]  # fmt: skip
    rows += [{"incident_id": f"T{i}", "team": "Storefront", "title": "TEST - please ignore",
              "detected_at": f"2026-08-{i + 1:02d}T10:00:00Z"} for i in range(4)]  # fmt: skip
    org = write_assessment(tmp_path / "org", {"x.csv": generic_csv(rows)})
    loaded = load_incidents(org)
    rejected = int((loaded.ledger["reason"].str.startswith("no team")).sum())
    assert rejected == 6 and loaded.count("excluded") == 4
    note = next(n["note"] for n in loaded.notes if n["format"] == "teams")
    assert note.startswith("6 rejected rows name teams not in assessment.yaml"), note


def test_opsgenie_rows_name_their_tags_not_a_service(tmp_path: Path) -> None:
    export = OPSGENIE_HEADER + (
        '7,Storefront slow,closed,"storefront,prod",2026-08-01T12:00:00Z,'
        "2026-08-01T13:00:00Z,P2,3600000\n"
    )
    org = write_assessment(tmp_path / "org", {"opsgenie.csv": export})
    reason = load_incidents(org).ledger["reason"].iloc[0]
    assert reason == "no team for tags 'storefront, prod'", reason


def test_a_totals_row_is_not_listed_as_a_row_without_a_team(tmp_path: Path) -> None:
    from maturity.reporting.review import _unattributed_groups

    text = generic_csv([
        {"incident_id": "A1", "team": "alpha", "detected_at": "2026-07-01T10:00:00Z"},
        {"incident_id": "Z1", "team": "zeta", "detected_at": "2026-07-01T10:00:00Z"},
    ]) + "Total,,,,,,,,,,,,,\n"  # fmt: skip
    org = write_assessment(tmp_path / "org", {"x.csv": text})
    loaded = load_incidents(org)
    assert loaded.count("excluded") == 1  # the totals row
    groups = _unattributed_groups(loaded)
    assert [g["rows"] for g in groups] == [1]
    assert groups[0]["reason"].startswith("no team")


def test_answer_files_are_matched_to_teams_in_any_case(tmp_path: Path) -> None:
    files = {"x.csv": generic_csv([{"incident_id": "A1", "team": "alpha",
                                    "detected_at": "2026-07-01T10:00:00Z"}])}  # fmt: skip
    org = write_assessment(tmp_path / "org", files, answers={"2026-Q3": {"Alpha": ALPHA_ANSWERS[
        "alpha"]}})  # fmt: skip
    run = run_maturity("score", str(org), "--quarter", "2026-Q3", "--json")
    assert run.returncode == 0, run.stderr
    scores = json.loads(run.stdout)["scores"]
    assert [s["team"] for s in scores] == ["alpha"]
    assert scores[0]["overall"]["score"] is not None


def test_two_answer_files_for_one_team_differing_in_case_say_so_once(tmp_path: Path) -> None:
    files = {"x.csv": generic_csv([{"incident_id": "A1", "team": "alpha",
                                    "detected_at": "2026-07-01T10:00:00Z"}])}  # fmt: skip
    answers = {"2026-Q3": {"Alpha": ALPHA_ANSWERS["alpha"], "alpha": ALPHA_ANSWERS["alpha"]}}
    org = write_assessment(tmp_path / "org", files, answers=answers)
    run = run_maturity("score", str(org), "--quarter", "2026-Q3")
    assert run.returncode == 2
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "already has answers" in lines[0], run.stderr


JIRA_HEADER = (
    "Summary,Issue key,Issue id,Issue Type,Status,Priority,Resolution,Created,Resolved,"
    "Custom field (Team),Custom field (Postmortem)\n"
)


def test_jira_postmortem_links_count_as_reviews(tmp_path: Path) -> None:
    export = JIRA_HEADER + (
        "Checkout down,INC-1,1,Incident,Done,Highest,Done,01/Jul/26 1:13 AM,01/Jul/26 2:00 AM,"
        "Alpha Team,https://wiki.example.com/pm/1\n"
        "Cart slow,INC-2,2,Incident,Done,High,Done,02/Jul/26 1:13 AM,02/Jul/26 2:00 AM,"
        "Alpha Team,\n"
        "Search slow,INC-3,3,Incident,Open,High,,03/Jul/26 1:13 AM,,Alpha Team,\n"
    )
    org = write_assessment(tmp_path / "org", {"jira.csv": export})
    loaded = load_incidents(org)
    rows = loaded.incidents.set_index("incident_id")
    assert bool(rows.loc["INC-1", "review_done"]) is True
    assert bool(rows.loc["INC-2", "review_done"]) is False
    assert pd.isna(rows.loc["INC-3", "review_done"])  # open: not known yet
    notes = [n["note"] for n in loaded.notes if n["file"] == "incidents/jira.csv"]
    assert any("Custom field (Postmortem)" in n and "review" in n for n in notes), notes
