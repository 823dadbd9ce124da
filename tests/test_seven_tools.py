"""Issue 24's "done when": an organisation of seven tools' exports, as a newcomer brings
them (two overlapping PagerDuty re-exports, Rootly, Opsgenie, Jira with its BOM, FireHydrant
under its current column names, incident.io, a hand-kept workbook with a title row, a totals
row and day-first dates), every tool numbering its incidents 1, 2, 3..., tests marked only
by their titles. It validates with every file reported, merges nothing across tools,
excludes the tests and drills with their reasons, shows no practice as 0% that an export
does not record, and gives the organisation's median in one unit in every output."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import run_maturity

pytestmark = pytest.mark.slow

EXPORTS = Path(__file__).parent / "fixtures" / "exports"

#: fixture -> (its format, the id column, the team it belongs to)
TOOLS = {
    "pagerduty-legacy.csv": ("pagerduty", None, "payments"),
    "rootly.csv": ("rootly", None, "platform"),
    "opsgenie.csv": ("opsgenie", None, "mobile"),
    "jira.csv": ("jira", "Issue key", "identity"),
    "firehydrant-current.csv": ("firehydrant", None, "checkout"),
    "incidentio.csv": ("incidentio", None, "data"),
}
TEAMS = {
    "payments": {"name": "Payments", "aliases": ["Payments"]},
    "platform": {"name": "Platform & Infrastructure", "aliases": ["Platform & Infrastructure"]},
    "mobile": {"name": "Mobile Apps", "aliases": ["Mobile Apps"]},
    "identity": {"name": "Identity", "aliases": ["Identity"]},
    "checkout": {"name": "Checkout", "aliases": ["Checkout"]},
    "data": {"name": "Data Platform", "aliases": ["Data Platform"]},
    "sre": {"name": "Site Reliability", "aliases": ["SRE"]},
}


def _id_column(frame: pd.DataFrame, fmt: str, named: str | None) -> str:
    from maturity.ingest.formats import FORMATS

    if named:
        return named
    by_name = {c.lower(): c for c in frame.columns}
    return next(by_name[h.lower()] for h in FORMATS[fmt].REQUIRED["incident_id"]
                if h.lower() in by_name)  # fmt: skip


def _title_column(frame: pd.DataFrame) -> str:
    return next(c for c in frame.columns
                if c.lower() in ("title", "summary", "message", "name", "description"))  # fmt: skip


def organisation(root: Path) -> Path:
    incidents = root / "incidents"
    incidents.mkdir(parents=True)
    for name, (fmt, named, _team) in TOOLS.items():
        text = (EXPORTS / name).read_text(encoding="utf-8-sig")
        frame = pd.read_csv(pd.io.common.StringIO(text), dtype=str, keep_default_na=False)
        column = _id_column(frame, fmt, named)
        frame[column] = [str(i + 1) for i in range(len(frame))]  # every tool counts 1, 2, 3
        test = frame.iloc[[0]].copy()  # one test incident, marked only by its title
        test[column] = str(len(frame) + 1)
        test[_title_column(frame)] = "[TEST] integration test - please ignore"
        frame = pd.concat([frame, test], ignore_index=True)
        out = incidents / f"{Path(name).stem}.csv"
        encoding = "utf-8-sig" if fmt == "jira" else "utf-8"  # Jira's BOM
        frame.to_csv(out, index=False, encoding=encoding)
        if fmt == "pagerduty":  # a re-export overlapping the first: the same incidents again
            frame.iloc[:3].to_csv(incidents / "pagerduty-reexport.csv", index=False)
    _hand_kept_workbook(incidents / "sre-incident-log.xlsx")
    settings = {"organisation": "Seven Tools Ltd", "timezone": "Europe/London", "teams": TEAMS}
    (root / "assessment.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    return root


def _hand_kept_workbook(path: Path) -> None:
    """A title row above the header, day-first dates, ids 1, 2, 3 and a totals row."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["SRE incident log (kept by hand)"])
    sheet.append(["incident_id", "title", "team", "severity", "detected_at", "resolved_at"])
    for i in range(1, 6):
        sheet.append([str(i), f"Queue backlog {i}", "SRE", 2, f"0{i}/08/2026 10:00",
                      f"0{i}/08/2026 1{i}:30"])  # fmt: skip
    sheet.append(["Total", None, None, None, None, None])
    book.save(path)


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = organisation(tmp_path_factory.mktemp("seven") / "seven")
    out = root.parent / "reports"
    validate = run_maturity("validate", str(root), "--json")
    review = run_maturity("review", str(root), "--quarter", "2026-Q3", "--out", str(out),
                          "--jobs", "2")  # fmt: skip
    return {"root": root, "validate": validate, "review": review,
            "folder": out / root.name / "2026-Q3"}  # fmt: skip


def test_it_validates_with_every_file_reported(reviewed: dict) -> None:
    validate = reviewed["validate"]
    assert validate.returncode == 0, validate.stderr
    quality = json.loads(validate.stdout)
    text = json.dumps(quality)
    for path in sorted((reviewed["root"] / "incidents").iterdir()):
        assert path.name in text, path.name
    assert not quality.get("errors")


def test_nothing_is_merged_across_tools(reviewed: dict) -> None:
    """Every tool numbers its incidents 1, 2, 3...: a duplicate is only ever of a row of the
    same tool (the PagerDuty re-export's copies, an incident Rootly marks a duplicate)."""
    issues = json.loads(reviewed["validate"].stdout)["quality"]["issues"]
    pagerduty = {"incidents/pagerduty-legacy.csv", "incidents/pagerduty-reexport.csv"}
    copies = [i for i in issues if i["reason"].startswith("duplicate of ")]
    assert sum(i["file"] in pagerduty for i in copies) == 3  # the re-export's three rows
    for copy in copies:
        found = re.match(r"duplicate of (\S+) row", copy["reason"])
        if found is None:  # the tool's own marking ("duplicate of incident 33")
            continue
        assert found[1] == copy["file"] or {copy["file"], found[1]} <= pagerduty, copy
    summary = json.loads((reviewed["folder"] / "summary.json").read_text())
    counted = {t["team"]: t["headline"]["incidents"] for t in summary["teams"]}
    for name, (_fmt, _column, team) in TOOLS.items():
        rows = len(pd.read_csv(EXPORTS / name, dtype=str, encoding="utf-8-sig"))
        in_quarter = counted[team]
        assert in_quarter <= rows and in_quarter >= 0, (team, in_quarter, rows)
    assert counted["sre"] == 5 and counted["checkout"] == 3  # its fourth is a game day


def test_tests_are_excluded_with_their_reason(reviewed: dict) -> None:
    """Each tool's "[TEST] ..." incident is excluded by its title, named with its file and
    row; the drills the exports tag are excluded as such; the workbook's totals row too."""
    from maturity.ingest.formats.common import TEST_BY_TITLE

    issues = json.loads(reviewed["validate"].stdout)["quality"]["issues"]
    by_title = {i["file"] for i in issues if i["reason"] == TEST_BY_TITLE}
    assert by_title == {f"incidents/{Path(name).stem}.csv" for name in TOOLS}
    assert all(
        i["action"] == "excluded" and i["row"] for i in issues if i["reason"] == TEST_BY_TITLE
    )
    reasons = {i["reason"] for i in issues}
    assert "test, drill or game day" in reasons
    assert any("total" in reason for reason in reasons)


def test_no_practice_shows_as_zero_that_the_export_does_not_record(reviewed: dict) -> None:
    """FireHydrant's current export has no runbook column: Checkout's runbook usage is
    unknown, never 0%."""
    summary = json.loads((reviewed["folder"] / "summary.json").read_text())
    checkout = next(t for t in summary["teams"] if t["team"] == "checkout")
    assert checkout["headline"].get("runbook_usage_rate") is None
    page = (reviewed["folder"] / "teams" / "checkout.html").read_text()
    assert not re.search(r"Runbook usage</td><td[^>]*>0%", page)


def test_the_organisations_median_reads_in_one_unit_everywhere(reviewed: dict) -> None:
    from maturity.reporting.formatting import format_minutes, unit_of

    summary = json.loads((reviewed["folder"] / "summary.json").read_text())
    median = summary["portfolio"]["headline"]["mttr_median"]
    medians = [t["headline"].get("mttr_median") for t in summary["teams"]]
    shown = format_minutes(median, unit_of([median, *medians]))
    deck = zipfile.ZipFile(reviewed["folder"] / "review.pptx")
    deck_text = " ".join(deck.read(n).decode() for n in deck.namelist()
                         if n.startswith("ppt/slides/slide") and n.endswith(".xml"))  # fmt: skip
    outputs = {"portfolio.html": (reviewed["folder"] / "portfolio.html").read_text(),
               "summary.md": (reviewed["folder"] / "summary.md").read_text(),
               "review.pptx": deck_text}  # fmt: skip
    for name, text in outputs.items():
        assert shown in text, (name, shown)
    assert reviewed["review"].returncode == 0, reviewed["review"].stderr
