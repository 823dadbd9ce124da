"""Hostile input and faults (issue 11): no traceback, no escape, no half-written report.

Each case of the red-team pass is a small file generated here. Every command run asserts
the exit code, one clean line on stderr, no traceback and no "internal error" (the CLI's
last-resort catch would hide a bug behind a clean line).
"""

from __future__ import annotations

import datetime
import errno
import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import filelock
import pandas as pd
import pytest
from openpyxl import Workbook

from maturity import files
from maturity.errors import ConfigError, InputFileError, MaturityError
from maturity.ingest import cache
from maturity.ingest.incidents import load_incidents
from maturity.organisation import load_organisation

from conftest import generic_csv, notebooks_with_cell, run_maturity, tiny_files, write_assessment

GOOD_ROW = {
    "incident_id": "G1",
    "team": "alpha",
    "title": "good",
    "detected_at": "2026-07-01T10:00:00Z",
    "resolved_at": "2026-07-01T11:00:00Z",
}


def one_clean_line(run: subprocess.CompletedProcess, code: int, *texts: str) -> str:
    """The run's error, after checking it is one line, names every text, and exits ``code``."""
    assert run.returncode == code, (run.returncode, run.stdout, run.stderr)
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    for text in texts:
        assert text in lines[0], lines[0]
    return lines[0]


def org(tmp_path: Path, settings: str, files_: dict[str, str | bytes] | None = None) -> Path:
    """An assessment folder with ``settings`` as its assessment.yaml text."""
    root = tmp_path / "org"
    (root / "incidents").mkdir(parents=True)
    (root / "assessment.yaml").write_text(settings)
    for name, content in (files_ or tiny_files()).items():
        path = root / "incidents" / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


# --- 1. nothing is written outside --out --------------------------------------------------


@pytest.mark.parametrize("key", ["../../../../escaped", "/tmp/escaped", "a/b", "..", ".hidden",
                                 "x" * 65, "tab\tkey", ""])  # fmt: skip
def test_unsafe_team_keys_are_refused(key: str, tmp_path: Path) -> None:
    root = org(tmp_path, json.dumps({"organisation": "O", "teams": {key: {"name": "T"}}}))
    run = run_maturity("review", str(root), "--out", str(tmp_path / "out"), "--no-pdf")
    one_clean_line(run, 2, "not a safe key")
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.parent.glob("escaped*")) and not Path("/tmp/escaped.html").exists()


def test_the_organisation_key_is_the_folders_real_name(tmp_path: Path) -> None:
    root = write_assessment(tmp_path / "tiny", tiny_files())
    assert load_organisation(root / "incidents" / "..").key == "tiny"
    assert load_organisation(root / ".").key == "tiny"


def test_output_paths_stay_inside(tmp_path: Path) -> None:
    files.inside(tmp_path, tmp_path / "a" / "b.html")
    with pytest.raises(files.OutputError, match="outside the output folder"):
        files.inside(tmp_path / "out", tmp_path / "out" / ".." / "x.html")


# --- 2. user text goes into workbooks as text ---------------------------------------------


def test_a_formula_as_team_is_written_as_text(tmp_path: Path) -> None:
    out = tmp_path / "q.xlsx"
    team = '=HYPERLINK("http://evil.example","click")'
    run = run_maturity("template", "--team", team, "--quarter", "2026-Q3", "--out", str(out))
    assert run.returncode == 0, run.stderr
    with zipfile.ZipFile(out) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist() if "worksheets/" in n]
    assert not any("<f>" in sheet for sheet in sheets)
    from openpyxl import load_workbook

    assert load_workbook(out)["Cover"]["B4"].value == team


# --- 3. sparse-cell XLSX bombs ------------------------------------------------------------


@pytest.mark.parametrize("cell", ["XFD1048576", "T1048576", "ZZ200000"])
def test_a_sparse_workbook_is_refused_before_it_is_read(cell: str, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["incident_id", "detected_at", "resolved_at"])
    sheet.append(["1", "2026-07-01T10:00:00Z", "2026-07-01T11:00:00Z"])
    sheet[cell] = "x"
    path = tmp_path / "bomb.xlsx"
    workbook.save(path)
    assert path.stat().st_size < 10_000
    started = time.perf_counter()
    run = run_maturity("validate", str(path))
    one_clean_line(run, 2, "bomb.xlsx", "too large or too sparse", cell)
    assert time.perf_counter() - started < 30  # refused before the grid is built


def test_a_questionnaire_with_a_bomb_in_its_second_sheet(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from maturity.assessment.answers import load_answers
    from maturity.assessment.questionnaire import write_template
    from maturity.assessment.rubric import load_rubric

    path = write_template(load_rubric(), "alpha", "2026-Q3", tmp_path / "alpha.xlsx")
    workbook = load_workbook(path)
    workbook["Questionnaire"]["XFD1048576"] = "x"
    workbook.save(path)
    with pytest.raises(InputFileError, match="too large or too sparse"):
        load_answers(path, load_rubric(), team="alpha", period="2026-Q3")


# --- 4. wide and long CSVs ----------------------------------------------------------------


def test_twenty_thousand_columns(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    header = ",".join(f"c{i}" for i in range(20_000))
    path.write_text(f"incident_id,detected_at,{header}\n1,2026-07-01T10:00:00Z\n")
    started = time.perf_counter()
    one_clean_line(run_maturity("validate", str(path)), 2, "wide.csv", "20,002 columns")
    assert time.perf_counter() - started < 30


def test_a_fifty_megabyte_line(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    with path.open("w") as handle:
        handle.write("incident_id,title,detected_at\n1,")
        handle.write("a," * 25_000_000)
        handle.write("2026-07-01T10:00:00Z\n")
    one_clean_line(run_maturity("validate", str(path)), 2, "long.csv", "line 2 is 47.7 MB long")


# --- 5, 6. dates out of range, times without a date ---------------------------------------

BAD_DATES = {
    "1677-09-21 10:00": "outside 1970-2099", "0001-01-01": "outside 1970-2099",
    "2262-04-12 00:00": "outside 1970-2099", "9999-12-31T23:59:59Z": "outside 1970-2099",
    "1899-12-31": "outside 1970-2099", "3pm": "is a time with no date",
    "10:00": "is a time with no date", "July 4": "unparseable", "-5": "unparseable",
}  # fmt: skip


def test_bad_dates_reject_their_rows_only(make_assessment: Callable) -> None:
    rows = [GOOD_ROW] + [
        {**GOOD_ROW, "incident_id": f"B{i}", "detected_at": value}
        for i, value in enumerate(BAD_DATES)
    ]
    loaded = load_incidents(make_assessment({"export.csv": generic_csv(rows)}))
    assert list(loaded.incidents["incident_id"]) == ["G1"]
    reasons = loaded.ledger.set_index("incident_id")["reason"]
    for i, (value, why) in enumerate(BAD_DATES.items()):
        assert reasons[f"B{i}"] == f"detected_at {why} '{value}'" or (
            why == "unparseable" and reasons[f"B{i}"] == f"unparseable detected_at '{value}'"
        ), reasons[f"B{i}"]


def test_bad_xlsx_date_and_time_cells(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["incident_id", "detected_at", "resolved_at"])
    sheet.append(["G1", datetime.datetime(2026, 7, 1, 10), datetime.datetime(2026, 7, 1, 11)])
    sheet.append(["Y9999", datetime.datetime(9999, 12, 31, 10), None])
    sheet.append(["TIME", datetime.time(10, 0), None])
    sheet.append(["NEG", -5, None])
    sheet.append(["OLD", datetime.datetime(1899, 12, 31), None])
    sheet.append(["RES9999", datetime.datetime(2026, 7, 1, 10), datetime.datetime(9999, 1, 1)])
    path = tmp_path / "dates.xlsx"
    workbook.save(path)
    run = run_maturity("validate", str(path), "--json")
    assert run.returncode == 0, run.stderr
    quality = json.loads(run.stdout)["quality"]
    assert quality["rows_used"] == 1
    reasons = {i["incident_id"]: i["reason"] for i in quality["issues"]}
    assert reasons["Y9999"].startswith("detected_at outside 1970-2099")
    assert reasons["TIME"].startswith("detected_at is a time with no date")
    assert reasons["NEG"].startswith("unparseable detected_at")
    # Excel stores 1899-12-31 as serial 1: read back, it is a bare time of day. Either way out.
    assert reasons["OLD"].startswith(("detected_at outside 1970-2099", "detected_at is a time"))
    assert reasons["RES9999"].startswith("resolved_at outside 1970-2099")


def test_an_absurd_vendor_duration_does_not_overflow(tmp_path: Path) -> None:
    path = tmp_path / "pd.csv"
    path.write_text(
        "id,incident_number,service_name,created_on,resolved_on,seconds_to_resolve\n"
        "Q1,1,api,2026-07-01T10:00:00Z,,1e20\nQ2,2,api,2026-07-01T10:00:00Z,,-60\n"
    )
    loaded = load_incidents(path)
    assert loaded.count("used") == 2 and loaded.incidents["resolved_at"].isna().all()


# --- 7. assessment.yaml and answers: a schema, every problem with its key path ------------

BAD_SETTINGS = {
    "slo_minutes: [60, 240]": "slo_minutes: Input should be a valid dictionary",
    "slo_minutes: {9: 5}": "slo_minutes.9: Input should be less than or equal to 5",
    "slo_minutes: {3: .inf}": "slo_minutes.3: Input should be a finite number",
    "slo_minutes: {3: -60}": "slo_minutes.3: Input should be greater than 0",
    "teams: {a: {services: 5}}": "teams.a.services: Input should be a valid list",
    "sources: [{path: x.csv, columns: [a, b]}]": "sources.0.columns: Input should be a valid "
                                                 "dictionary",
    "evidence_thresholds: [1]": "evidence_thresholds: Input should be a valid dictionary",
    "evidence_thresholds: {process.3a: high}": "process.3a: must be a number",
    "sources: [{path: x.csv, day_first: maybe}]": "sources.0.day_first: must be true or false",
    "teams: 5": "teams: Input should be a valid dictionary",
    "severity_map: {P1: 0}": "severity_map.P1: Input should be greater than or equal to 1",
    "dora_bands: [1]": "dora_bands: Input should be a valid dictionary",
    "teams:\n  a: {}\n  a: {name: X}": "key 'a' repeats line 3",
}  # fmt: skip


@pytest.mark.parametrize(("setting", "message"), BAD_SETTINGS.items(), ids=list(BAD_SETTINGS))
def test_bad_settings_name_the_key(setting: str, message: str, tmp_path: Path) -> None:
    text = "organisation: O\n" + setting + "\n"
    if not setting.startswith("teams"):
        text += "teams: {a: {}}\n"
    run = run_maturity("validate", str(org(tmp_path, text)))
    one_clean_line(run, 2, "assessment.yaml", message)


def test_several_problems_are_reported_together(tmp_path: Path) -> None:
    text = "teams: {a: {}}\nslo_minutes: {3: -1}\nsources: [{path: x, day_first: maybe}]\n"
    with pytest.raises(ConfigError) as error:
        load_organisation(org(tmp_path, text))
    assert "2 problems" in str(error.value) and "slo_minutes.3" in str(error.value)
    assert "sources.0.day_first" in str(error.value)


def test_unknown_settings_are_shown_not_silent(tmp_path: Path) -> None:
    root = org(tmp_path, "organisation: O\nteams: {alpha: {alias: [x]}}\nslo_minute: {1: 5}\n")
    run = run_maturity("validate", str(root))
    assert "unknown setting 'slo_minute' ignored" in run.stdout
    assert "unknown setting 'teams.alpha.alias' ignored" in run.stdout


@pytest.mark.parametrize("levels", [9, 10])
def test_billion_laughs(levels: int, tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    text = "\n".join(lines) + f"\norganisation: *a{levels - 1}\nteams: {{a: {{}}}}\n"
    started = time.perf_counter()
    run = run_maturity("validate", str(org(tmp_path, text)))
    one_clean_line(run, 2, "aliases expand to over")
    assert time.perf_counter() - started < 30


def test_a_huge_settings_file(tmp_path: Path) -> None:
    text = "organisation: O\nteams: {a: {}}\n" + "# padding\n" * 200_000
    one_clean_line(run_maturity("validate", str(org(tmp_path, text))), 2, "not a settings file")


BAD_ANSWERS = {
    "targets: [1]": "'targets' must map categories",
    "assessors: {a: 1}": "'assessors' must be a list",
    "answers: {people.2a: {answer: [yes]}}": "'answer' must be text",
    "answers: [people.2a]": "'answers' must map statement ids",
}


@pytest.mark.parametrize(("text", "message"), BAD_ANSWERS.items(), ids=list(BAD_ANSWERS))
def test_bad_answers_name_file_and_problem(text: str, message: str, tmp_path: Path) -> None:
    answers = {"2026-Q3": {"alpha": f"team: alpha\nperiod: 2026-Q3\n{text}\n"}}
    root = write_assessment(tmp_path / "org", tiny_files(), answers=answers)
    run = run_maturity("score", str(root), "--quarter", "2026-Q3")
    one_clean_line(run, 2, "answers/2026-Q3/alpha.yaml", message)


def test_an_answers_path_that_is_a_folder(tmp_path: Path) -> None:
    root = write_assessment(tmp_path / "org", tiny_files(), answers={"2026-Q3": {}})
    (root / "answers" / "2026-Q3" / "alpha.yaml").mkdir(parents=True)
    run = run_maturity("score", str(root), "--quarter", "2026-Q3")
    one_clean_line(run, 2, "alpha.yaml: a folder, not a YAML file")


# --- 8. unreadable files, links, pipes ----------------------------------------------------


def deny(monkeypatch: pytest.MonkeyPatch, victim: Path) -> None:
    """Reading ``victim`` fails as it would without permission (tests may run as root)."""
    real_open, real_read_text = Path.open, Path.read_text

    def guarded_open(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.resolve() == victim.resolve():
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    def guarded_read_text(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.resolve() == victim.resolve():
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_read_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", guarded_open)
    monkeypatch.setattr(Path, "read_text", guarded_read_text)


@pytest.mark.parametrize("which", ["export", "settings", "answers"])
def test_unreadable_files_give_one_line(which: str, tmp_path: Path, monkeypatch) -> None:
    from maturity.assessment.maturity import assess_quarter

    answers = {"2026-Q3": {"alpha": "team: alpha\nperiod: 2026-Q3\nanswers: {}\n"}}
    root = write_assessment(tmp_path / "org", tiny_files(), answers=answers)
    victim = {
        "export": root / "incidents" / "export.csv",
        "settings": root / "assessment.yaml",
        "answers": root / "answers" / "2026-Q3" / "alpha.yaml",
    }[which]
    monkeypatch.setenv("MATURITY_CACHE_DIR", "off")
    deny(monkeypatch, victim)
    with pytest.raises(MaturityError, match="cannot be read \\(Permission denied\\)"):
        assess_quarter(load_organisation(root), "2026-Q3")


def test_links_pipes_and_folders_in_incidents_are_noted_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("incident_id,detected_at\nSECRET-LINE,2026-07-01T10:00:00Z\n")
    root = write_assessment(tmp_path / "org", tiny_files())
    incidents = root / "incidents"
    (incidents / "outside.csv").symlink_to(secret)
    (incidents / "inside.csv").symlink_to(incidents / "export.csv")  # a link within: read
    (incidents / "dangling.csv").symlink_to(tmp_path / "nowhere.csv")
    (incidents / "folder.csv").mkdir()
    os.mkfifo(incidents / "pipe.csv")
    run = run_maturity("validate", str(root))
    assert run.returncode == 0 and "SECRET" not in run.stdout + run.stderr
    notes = {line.split(" (skipped)")[0].split("note: ")[1]: line for line in
             run.stdout.splitlines() if "(skipped)" in line}  # fmt: skip
    assert set(notes) == {"incidents/outside.csv", "incidents/dangling.csv",
                          "incidents/folder.csv", "incidents/pipe.csv"}  # fmt: skip
    assert "outside the assessment folder" in notes["incidents/outside.csv"]
    assert "incidents/inside.csv" in run.stdout  # read (its rows are duplicates, excluded)


# --- 9. a killed worker is one team's failure ---------------------------------------------


@pytest.mark.notebooks
def test_a_killed_worker_fails_one_team_and_keeps_its_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_assessment(tmp_path / "tiny", tiny_files())
    out = tmp_path / "reports"
    first = run_maturity("review", str(root), "--quarter", "2026-Q3", "--out", str(out),
                         "--no-pdf")  # fmt: skip
    assert first.returncode == 0, first.stderr
    folder = out / "tiny" / "2026-Q3"
    before = {p: p.read_bytes() for p in
              (folder / "teams" / "beta.html", folder / "notebooks" / "beta.ipynb")}  # fmt: skip

    # The kernel's parent is the worker process running the report: kill it.
    killer = "import os, signal\nif team == 'beta':\n    os.kill(os.getppid(), signal.SIGKILL)"
    custom = notebooks_with_cell(tmp_path / "notebooks", killer)
    run = subprocess.run(
        [sys.executable, "-m", "maturity.cli", "review", str(root), "--quarter", "2026-Q3",
         "--out", str(out), "--no-pdf"],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "MATURITY_NOTEBOOKS": str(custom)},
    )  # fmt: skip
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert "1 of 3 reports failed" in run.stderr
    summary = json.loads((folder / "summary.json").read_text())
    status = {t["team"]: t["status"] for t in summary["teams"]}
    assert status == {"alpha": "ok", "beta": "failed"} and summary["portfolio"]["status"] == "ok"
    beta = next(t for t in summary["teams"] if t["team"] == "beta")
    assert "worker process running this report died" in beta["error"]
    for path, content in before.items():  # the previous good report is intact
        assert path.read_bytes() == content, path


# --- 10. writes are whole or not at all ----------------------------------------------------


def test_a_failed_write_leaves_the_previous_file(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "index.html"
    files.write_text(target, "previous, good")
    real = Path.write_text

    def disk_full(self: Path, text: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        real(self, text[: len(text) // 2], *args, **kwargs)  # half written, then the disk fills
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_text", disk_full)
    with pytest.raises(OSError, match="No space left"):
        files.write_text(target, "new content that will not fit")
    monkeypatch.undo()
    assert target.read_text() == "previous, good"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]  # no partial left behind


def test_reports_keep_ordinary_permissions(tmp_path: Path) -> None:
    files.write_text(tmp_path / "a.html", "x")
    assert (tmp_path / "a.html").stat().st_mode & 0o044  # readable by others, umask allowing


def test_the_index_write_failing_keeps_the_previous_index(tmp_path: Path, monkeypatch) -> None:
    from maturity.reporting.review import ReviewResult, write_index

    root = write_assessment(tmp_path / "tiny", tiny_files())
    organisation = load_organisation(root)
    incidents = load_incidents(organisation)
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "index.html").write_text("previous index")
    review = ReviewResult("Tiny", "2026-Q3", folder, [])

    def full(path: Path, text: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(files, "write_text", full)
    with pytest.raises(OSError):
        write_index(review, organisation, incidents)
    assert (folder / "index.html").read_text() == "previous index"


def test_an_output_folder_that_cannot_be_made(tmp_path: Path) -> None:
    root = write_assessment(tmp_path / "tiny", tiny_files())
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    run = run_maturity("review", str(root), "--quarter", "2026-Q3", "--out", str(blocker / "r"))
    one_clean_line(run, 2, "cannot write reports there")


# --- 11. one review per quarter folder at a time -------------------------------------------


def test_a_second_review_into_the_same_folder_says_so(tmp_path: Path) -> None:
    root = write_assessment(tmp_path / "tiny", tiny_files())
    folder = tmp_path / "out" / "tiny" / "2026-Q3"
    folder.mkdir(parents=True)
    with filelock.FileLock(folder / ".review.lock"):
        run = run_maturity("review", str(root), "--quarter", "2026-Q3", "--out",
                           str(tmp_path / "out"), "--no-pdf")  # fmt: skip
    one_clean_line(run, 2, "another review is writing this folder")
    assert not (folder / "teams" / "alpha.html").exists()


# --- 12. cache entries are checked, not trusted --------------------------------------------


@pytest.mark.parametrize("damage", ["notes-shape", "other-columns", "other-rows", "not-json"])
def test_damaged_cache_entries_are_read_afresh(damage: str, tmp_path, monkeypatch) -> None:
    from maturity.ingest import incidents

    monkeypatch.setenv("MATURITY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(incidents, "SMALL_EXPORT_BYTES", 0)  # cached: read one by one
    root = write_assessment(tmp_path / "tiny", tiny_files())
    first = load_incidents(root)
    [notes_file] = (tmp_path / "cache").glob("*.json")
    rows_file = notes_file.with_suffix(".parquet")
    if damage == "notes-shape":
        notes_file.write_text('{"a": 1}')
    elif damage == "other-columns":
        pd.DataFrame({"x": [1, 2]}).to_parquet(rows_file)
    elif damage == "other-rows":  # right columns, twice the rows
        rows = pd.read_parquet(rows_file)
        pd.concat([rows, rows]).to_parquet(rows_file, index=False)
    else:
        notes_file.write_text("{not json")
    again = load_incidents(root)
    assert again.rows_read == first.rows_read == 7
    assert again.incidents.equals(first.incidents)
    assert cache.load(notes_file.stem) is not None  # replaced by a good entry


# --- 13. terminal escapes and mixed encodings ------------------------------------------------


def test_ansi_escapes_never_reach_the_terminal(tmp_path: Path) -> None:
    red = "\x1b[31m"
    rows = [{**GOOD_ROW, "title": f"{red}red alert\x1b[0m\x07"},
            {**GOOD_ROW, "incident_id": "B1", "detected_at": f"{red}2026"}]  # fmt: skip
    path = tmp_path / "ansi.csv"
    path.write_text(generic_csv(rows))
    run = run_maturity("validate", str(path))
    assert "\x1b" not in run.stdout + run.stderr and "\x07" not in run.stdout
    assert "\\x1b[31m2026" in run.stdout  # shown, escaped
    loaded = load_incidents(path)
    assert loaded.incidents["title"].tolist() == ["[31mred alert[0m"]


def test_a_mixed_utf8_and_windows_1252_file(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"incident_id,title,detected_at\n"
        + "U1,Caf\u00e9 \u2013 UTF-8,2026-07-01T10:00:00Z\n".encode()
        + "W1,Caf\u00e9 \u2013 Windows,2026-07-01T11:00:00Z\n".encode("cp1252")
    )
    loaded = load_incidents(path)
    titles = loaded.incidents.set_index("incident_id")["title"]
    assert titles["U1"] == "Caf\u00e9 \u2013 UTF-8" and titles["W1"] == "Caf\u00e9 \u2013 Windows"
    assert any("mixed encodings" in n["note"] for n in loaded.notes)


def test_nanosecond_timestamps_are_read_to_the_microsecond(tmp_path: Path) -> None:
    """Found by the generated 40-team organisation: times written by pandas carry nine
    fractional digits; they load (to the microsecond), aware or naive, CSV or XLSX."""
    path = tmp_path / "ns.csv"
    path.write_text(
        "incident_id,detected_at,resolved_at\n"
        "N1,2024-10-27T09:57:04.297437029+00:00,2024-10-27T10:57:04.297437029+00:00\n"
        "N2,2024-10-27 09:57:04.123456789,2024-10-27 11:00:00\n"
    )
    loaded = load_incidents(path)
    assert loaded.count("used") == 2
    first = loaded.incidents.set_index("incident_id").loc["N1", "detected_at"]
    assert first == pd.Timestamp("2024-10-27T09:57:04.297437Z")
