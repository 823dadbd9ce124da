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


# -- a quarter still running; quarters before the first export ------------------------------


def test_a_quarter_still_running_is_said_so_in_every_zone() -> None:
    import zoneinfo

    from maturity.periods import quarter_bounds, running_quarter_note

    for zone in sorted(zoneinfo.available_timezones()):
        if zone.startswith(("SystemV/", "build/")) or zone in ("Factory", "localtime"):
            continue
        start, end = quarter_bounds("2026-Q4", zone)
        assert start.tz_convert(zone).strftime("%m-%d %H:%M") == "10-01 00:00", zone
        note = running_quarter_note("2026-Q4", zone, end - pd.Timedelta(seconds=1))
        assert note is not None and "91 of its 92 days" in note, (zone, note)
        assert running_quarter_note("2026-Q4", zone, end) is None, zone


def test_a_running_quarter_without_answers_reads_not_assessed(tmp_path: Path) -> None:
    from maturity.reporting.quarter import ReviewQuarter
    from maturity.reporting.summary import summary_markdown

    rows = [{"incident_id": f"A{i}", "team": "alpha", "title": f"outage {i}",
             "detected_at": f"2026-{m:02d}-0{d}T10:00:00Z",
             "resolved_at": f"2026-{m:02d}-0{d}T11:00:00Z"}
            for i, (m, d) in enumerate([(8, 1), (8, 2), (11, 3), (12, 1)])]  # fmt: skip
    org = write_assessment(tmp_path / "org", {"x.csv": generic_csv(rows)},
                           extra={"as_of": "2026-12-01T18:00:00Z"})  # fmt: skip
    data = ReviewQuarter.load(org, "2026-Q4")
    text = summary_markdown(data)
    assert "Note: 2026-Q4 is still running: the data run to 1 Dec 2026, 61 of its 92 days" in text
    assert "Not assessed: no questionnaire answers for 2026-Q4." in text
    assert "contradicts no claim" not in text
    assert ReviewQuarter.load(org, "2026-Q3").running_note is None


def test_history_starts_with_the_first_export(tiny_assessment: Path) -> None:
    from maturity.reporting import team_report
    from maturity.reporting.quarter import ReviewQuarter, TeamQuarter

    data = ReviewQuarter.load(tiny_assessment, "2026-Q3")
    assert list(data.history("alpha")["period"]) == ["2026-Q2", "2026-Q3"]  # not 8 quarters
    assert list(data.organisation_history["period"]) == ["2026-Q2", "2026-Q3"]
    assert data.row("alpha", "2025-Q3")["incidents"] == 0  # earlier rows exist, empty
    report = TeamQuarter(data, data.organisation.teams["beta"])
    table = team_report.quarter_table(report).data
    assert "no earlier quarter" in table
    findings = team_report.findings(TeamQuarter(data, data.organisation.teams["alpha"])).data
    assert "Against 2025-Q3: no earlier quarter in the data to compare with" in findings
