"""The ``maturity`` command as a user runs it: a real process, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import EXAMPLE, generic_csv, run_maturity


def assert_one_line_error(run: subprocess.CompletedProcess, code: int, text: str) -> None:
    assert run.returncode == code
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and text in lines[0], run.stderr


def test_validate_missing_file() -> None:
    assert_one_line_error(
        run_maturity("validate", "no-such-file.csv"), 2, "no-such-file.csv: no such file"
    )


def test_validate_unknown_layout(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("a,b\n1,2\n")
    assert_one_line_error(run_maturity("validate", str(path)), 2, "unknown layout")


def test_validate_bad_yaml(tmp_path: Path) -> None:
    (tmp_path / "assessment.yaml").write_text("teams: [oops\n")
    assert_one_line_error(run_maturity("validate", str(tmp_path)), 2, "assessment.yaml: line 2")


def test_validate_exits_1_when_no_row_is_usable(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(generic_csv([{"incident_id": "X", "detected_at": "never"}]))
    run = run_maturity("validate", str(path))
    assert run.returncode == 1
    assert "1 row read: 0 used, 0 excluded, 1 rejected" in run.stdout
    assert "unparseable detected_at 'never'" in run.stdout


def test_validate_json_is_the_quality_object(tiny_assessment: Path) -> None:
    run = run_maturity("validate", str(tiny_assessment), "--json")
    assert run.returncode == 0
    quality = json.loads(run.stdout)["quality"]
    assert set(quality) == {
        "rows_read", "rows_used", "rows_excluded", "rows_rejected", "issues", "notes", "errors"
    }  # fmt: skip
    assert quality["errors"] == []  # files that could not be read
    assert quality["issues"][0] == {
        "file": "incidents/export.csv", "row": 8, "incident_id": "B2", "action": "excluded",
        "reason": "test, drill or game day",
    }  # fmt: skip


def test_validate_prints_a_readable_ledger(tiny_assessment: Path) -> None:
    run = run_maturity("validate", str(tiny_assessment))
    assert run.returncode == 0
    assert run.stdout.splitlines()[0] == "7 rows read: 6 used, 1 excluded, 0 rejected"
    assert "incidents/export.csv row 8 B2: test, drill or game day" in run.stdout


DESIGN_MEASURE_KEYS = {
    "team", "period", "incidents", "resolved", "open", "mttr", "mttr_median", "mttr_p90",
    "detect_median", "escalate_median", "respond_median", "fix_median", "runbook_usage_rate",
    "automation_coverage", "pir_rate", "comms_latency_median",
}  # fmt: skip


STATISTICS_KEYS = {
    "mttr_median_ci", "mttr_p90_ci", "km_median", "dora_band", "change_qoq", "change_yoy",
}  # fmt: skip


def test_measures_by_severity(tiny_assessment: Path) -> None:
    run = run_maturity("measures", str(tiny_assessment), "--json", "--by", "severity")
    assert run.returncode == 0, run.stderr
    rows = {(r["team"], r["severity"], r["period"]): r for r in json.loads(run.stdout)["measures"]}
    assert rows[("alpha", 3, "2026-Q3")]["incidents"] == 2  # A3 (P3) and A4
    assert rows[("alpha", 3, "2026-Q3")]["mttr_median"] == 65.0
    assert rows[("ALL", 2, "2026-Q2")]["incidents"] == 1  # B1


def test_measures_by_service(tiny_assessment: Path) -> None:
    run = run_maturity("measures", str(tiny_assessment), "--json", "--by", "service")
    assert run.returncode == 0, run.stderr
    rows = {(r["team"], r["service"], r["period"]): r for r in json.loads(run.stdout)["measures"]}
    assert rows[("alpha", "alpha-api", "2026-Q3")]["incidents"] == 1  # A2
    assert rows[("alpha", "(none)", "2026-Q3")]["incidents"] == 4  # no service given
    assert rows[("beta", "beta-web", "2026-Q2")]["mttr"] == 60.0


def test_measures_json_has_design_shape(tiny_assessment: Path) -> None:
    run = run_maturity("measures", str(tiny_assessment), "--json")
    assert run.returncode == 0, run.stderr
    payload = json.loads(run.stdout)
    assert {"measures", "quality"} <= set(payload)
    rows = {(r["team"], r["period"]): r for r in payload["measures"]}
    assert all(set(r) >= DESIGN_MEASURE_KEYS | STATISTICS_KEYS for r in rows.values())
    alpha = rows[("alpha", "2026-Q3")]
    # 4 resolved: no distribution-free 90% interval of the median exists (null, not narrow)
    assert alpha["mttr_median_ci"] is None and alpha["km_median"] == 25.0 == alpha["mttr_median"]
    assert alpha["change_qoq"] == {
        "verdict": "insufficient_data", "ratio": None, "ratio_ci": None, "min_detectable": None,
        "min_detectable_rise": None, "p_value": None, "q_value": None,
    }  # fmt: skip
    assert payload["statistics"]["dora_bands"]["year"] == 2021
    assert rows[("alpha", "2026-Q3")]["mttr_p90"] == 79.0
    assert rows[("alpha", "2026-Q2")]["mttr"] is None
    assert payload["quality"]["rows_read"] == 7


@pytest.mark.slow
def test_measures_of_the_example_organisation() -> None:
    run = run_maturity("measures", str(EXAMPLE), "--json")
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)["measures"]
    teams = {r["team"] for r in rows}
    assert teams == {"ALL", "payments", "search", "identity", "data-platform", "mobile", "platform"}
    assert {r["period"] for r in rows} >= {"2024-Q4", "2026-Q3"}
    assert all(set(r) >= DESIGN_MEASURE_KEYS | STATISTICS_KEYS for r in rows)
    verdicts = {r["change_yoy"]["verdict"] for r in rows if r["team"] == "payments"}
    assert "improved" in verdicts  # the example's improving team shows it beyond noise


def test_review_rejects_a_malformed_quarter(tiny_assessment: Path, tmp_path: Path) -> None:
    run = run_maturity(
        "review", str(tiny_assessment), "--quarter", "2026Q3", "--out", str(tmp_path)
    )
    assert_one_line_error(run, 2, "YYYY-Qn")


def test_review_rejects_a_quarter_without_data(tiny_assessment: Path, tmp_path: Path) -> None:
    run = run_maturity(
        "review", str(tiny_assessment), "--quarter", "2019-Q1", "--out", str(tmp_path)
    )
    assert_one_line_error(run, 2, "no incidents or answers in 2019-Q1")


def test_truncated_and_hostile_files_give_one_line(tmp_path: Path) -> None:
    import zipfile

    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["incident_id", "detected_at"])
    workbook.active.append(["A", "2026-07-01T10:00:00Z"])
    good = tmp_path / "good.xlsx"
    workbook.save(good)
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[:700])
    assert_one_line_error(run_maturity("validate", str(cut)), 2, "cut.xlsx: not a readable XLSX")

    quote = tmp_path / "cut.csv"
    quote.write_text('incident_id,title,detected_at\nA,"unterminated,2026-07-01T10:00:00Z\n')
    run = run_maturity("validate", str(quote))
    assert run.returncode in (1, 2) and "Traceback" not in run.stderr

    # Entity expansion in the workbook XML ("billion laughs") is refused, not expanded.
    laughs = tmp_path / "laughs.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(laughs, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/workbook.xml":
                body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
                data = (
                    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>' + body
                )
            target.writestr(item, data)
    assert_one_line_error(run_maturity("validate", str(laughs)), 2, "unsafe or broken workbook XML")

    # A part that expands a thousand-fold is a zip bomb: refused before parsing.
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            out.writestr(item.filename, source.read(item))
        out.writestr("xl/media/padding.bin", b"\0" * (50 * 2**20))
    assert_one_line_error(run_maturity("validate", str(bomb)), 2, "zip bomb")


def test_empty_and_not_a_spreadsheet(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert_one_line_error(run_maturity("validate", str(empty)), 2, "the file is empty")
    picture = tmp_path / "photo.csv"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert_one_line_error(run_maturity("validate", str(picture)), 2, "not a text CSV file")


@pytest.mark.notebooks
def test_a_broken_answers_file_fails_its_team_only(tmp_path: Path) -> None:
    """Issue 10 finding 8: a misspelled file name and a bad answer each belong to one team;
    the review writes every report, says what is wrong, and exits 1."""
    from conftest import tiny_files, write_assessment

    bad = "team: beta\nperiod: 2026-Q3\nanswers:\n  process.3a: sometimes\n"
    misspelled = "team: alpha\nperiod: 2026-Q3\nanswers:\n  people.2a: yes\n"
    answers = {"2026-Q3": {"alpah": misspelled, "beta": bad, "zzz": misspelled}}
    root = write_assessment(tmp_path / "org", tiny_files(), answers=answers)
    run = run_maturity("review", str(root), "--out", str(tmp_path / "reports"), "--no-pdf")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "answers/2026-Q3/zzz.yaml: no team 'zzz'" in run.stderr
    assert "2 of 3 reports failed" in run.stderr
    out = tmp_path / "reports" / "org" / "2026-Q3"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "failed"
    assert any("zzz.yaml" in p for p in summary["problems"])
    errors = {t["team"]: t["error"] for t in summary["teams"]}
    assert "did you mean alpha?" in errors["alpha"]
    assert "process.3a: answer 'sometimes'" in errors["beta"]
    alpha = (out / "teams" / "alpha.html").read_text()
    beta = (out / "teams" / "beta.html").read_text()
    assert "answers/2026-Q3/alpah.yaml" in alpha and "did you mean alpha?" in alpha
    assert "answer &#39;sometimes&#39;" in beta or "answer 'sometimes'" in beta
    assert summary["portfolio"]["status"] == "ok"
    assert "zzz.yaml" in (out / "index.html").read_text()


def test_measures_json_is_strict_json_with_as_of(make_assessment) -> None:
    """Issue 9.6: a zero earlier median wrote "ratio": Infinity. No NaN or Infinity, ever;
    the statistics state the as-of time."""
    rows = [
        {"incident_id": f"Z{i}", "team": "alpha", "detected_at": f"2026-04-{10 + i}T10:00:00Z",
         "resolved_at": f"2026-04-{10 + i}T10:00:00Z"}
        for i in range(12)
    ] + [
        {"incident_id": f"P{i}", "team": "alpha", "detected_at": f"2026-07-{10 + i}T10:00:00Z",
         "resolved_at": f"2026-07-{10 + i}T11:00:00Z"}
        for i in range(12)
    ]  # fmt: skip
    root = make_assessment({"x.csv": generic_csv(rows)}, extra={"as_of": "2026-08-01T00:00:00Z"})
    run = run_maturity("measures", str(root), "--json")
    assert run.returncode == 0, run.stderr

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in the JSON")

    payload = json.loads(run.stdout, parse_constant=refuse)
    assert payload["statistics"]["as_of"] == "2026-08-01T00:00:00+00:00"
    q3 = next(r for r in payload["measures"] if r["team"] == "alpha" and r["period"] == "2026-Q3")
    # issue 21.4: a verdict is never without its ratio; zeros stand for under a grid step
    assert q3["change_qoq"]["verdict"] == "worsened" and q3["change_qoq"]["ratio"] > 1
    assert set(q3["change_qoq"]) >= {"verdict", "ratio", "min_detectable", "q_value"}


# --- issue 10: measures window and widths, template checks, score labels -----------------

LONG_HISTORY = Path(__file__).parent / "fixtures" / "exports" / "generic-long-history.csv"


def test_measures_shows_the_last_eight_quarters_by_default() -> None:
    run = run_maturity("measures", str(LONG_HISTORY))
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    periods = sorted({line.split()[1] for line in lines[1:] if line.split()[1:2] != []
                      and line.split()[1].startswith("20")})  # fmt: skip
    assert periods[0] == "2024-Q4" and periods[-1] == "2026-Q3" and len(periods) == 8
    assert "--all shows every quarter" in lines[-1] and "data from 2015-Q3" in lines[-1]
    everything = run_maturity("measures", str(LONG_HISTORY), "--all").stdout
    assert "2015-Q3" in everything and "2019-Q2" in everything
    since = run_maturity("measures", str(LONG_HISTORY), "--since", "2026-Q2").stdout
    assert {line.split()[1] for line in since.splitlines()[1:3]} == {"2026-Q2", "2026-Q3"}
    full = json.loads(run_maturity("measures", str(LONG_HISTORY), "--json").stdout)
    assert min(r["period"] for r in full["measures"]) == "2015-Q3"  # JSON: every quarter


def test_measures_columns_fit_a_long_team_key() -> None:
    lines = run_maturity("measures", str(LONG_HISTORY)).stdout.splitlines()[:-1]
    header = lines[0]
    # The period column starts at the same offset on every line, past the longest key...
    starts = {line.index(" 20") + 1 for line in lines[1:]}
    assert starts == {header.index("period")}
    assert header.index("period") > len("platform-reliability-engineering-x")
    # ...and numbers end under the end of their heading.
    end = header.index("incidents") + len("incidents")
    assert all(line[end - 1].isdigit() and line[end] == " " for line in lines[1:])


def test_measures_since_must_be_a_quarter() -> None:
    assert_one_line_error(
        run_maturity("measures", str(LONG_HISTORY), "--since", "2026Q2"), 2, "2026Q2"
    )


def test_template_checks_the_team_against_the_assessment(tmp_path: Path) -> None:
    out = tmp_path / "q.xlsx"
    run = run_maturity("template", "--team", "chekout", "--quarter", "2026-Q3", "--out",
                       str(out), "--assessment", str(EXAMPLE))  # fmt: skip
    assert_one_line_error(run, 2, "no team 'chekout'")
    assert "teams: data-platform, identity, mobile, payments" in run.stderr
    assert not out.exists()
    run = run_maturity("template", "--team", "payments", "--quarter", "2026-Q3", "--out",
                       str(out), "--assessment", str(EXAMPLE))  # fmt: skip
    assert run.returncode == 0, run.stderr
    from openpyxl import load_workbook

    cover = load_workbook(out)["Cover"]
    assert cover["A2"].value.endswith(": Payments")
    texts = [str(c.value) for row in cover.iter_rows() for c in row if c.value]
    fill_line = next(t for t in texts if "assessors and the date" in t)
    assert "above" in fill_line and "below" not in fill_line
    # the fields the instructions point at sit above them
    assessors_row = next(c.row for row in cover.iter_rows() for c in row if c.value == "Assessors")
    instructions_row = next(c.row for row in cover.iter_rows() for c in row if c.value == fill_line)
    assert assessors_row < instructions_row


def test_template_without_assessment_says_the_key_is_unchecked(tmp_path: Path) -> None:
    run = run_maturity("template", "--team", "anything", "--quarter", "2026-Q3", "--out",
                       str(tmp_path / "q.xlsx"))  # fmt: skip
    assert run.returncode == 0 and "--assessment PATH checks it" in run.stdout


def test_score_text_shows_the_supported_scores_json_has() -> None:
    """Finding 9: every team's claimed and supported levels and scores, in every column."""
    text = run_maturity("score", str(EXAMPLE))
    data = json.loads(run_maturity("score", str(EXAMPLE), "--json").stdout)
    assert text.returncode == 0, text.stderr
    lines = {line.split()[0]: line for line in text.stdout.splitlines()[2:]}
    checked_differs = False
    for score in data["scores"]:
        cells = lines[score["team"]].split()[1:11]
        parts = [score["overall"], *(score["categories"][c] for c in
                 ("people", "process", "technology", "measurement"))]  # fmt: skip
        for part, (levels, scores) in zip(parts, zip(cells[::2], cells[1::2], strict=True),
                                          strict=True):  # fmt: skip
            assert levels == f"{part['level']}/{part['evidence_level']}"
            assert scores == f"({part['score']:.2f}/{part['evidence_score']:.2f})"
            checked_differs |= part["score"] != part["evidence_score"]
    assert checked_differs  # the example has contradicted claims: the test can tell them apart


def test_reading_many_exports_says_how_far_it_has_got(capsys) -> None:
    """Issue 26, 13: 100,000 small files were read for minutes without a word. Off a
    terminal, a line every ten seconds (none for a quick read)."""
    from maturity.cli import ReadingProgress

    now = [0.0]
    progress = ReadingProgress(every=10, clock=lambda: now[0])
    for files_read in range(1, 100_001):
        now[0] = files_read / 1_000  # 1,000 files a second: 100 s in all
        progress(files_read, 100_000)
    progress.close()
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 10
    assert lines[0] == "  reading exports: 10,000 of 100,000 files read (10 s)"
    assert lines[-1].startswith("  reading exports: 100,000 of 100,000")
    quick = ReadingProgress(every=10, clock=lambda: 1.0)
    quick(5, 5)
    assert capsys.readouterr().err == ""
