"""Many small exports are normalised together (``incidents._Reading``): the result must be
exactly what reading each file alone gives, for every format and every decision a file's
own rows drive (date order, notes with counts, test titles, totals rows, errors).

The reference is the one-by-one path (every file counted as large, no cache).
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pandas as pd
import pytest
import yaml

from maturity.ingest import incidents
from maturity.ingest.incidents import load_incidents

EXPORTS = Path(__file__).parent.parent / "fixtures" / "exports"


def _load(paths, one_by_one: bool, monkeypatch: pytest.MonkeyPatch) -> tuple:
    with monkeypatch.context() as patch:
        patch.setenv("MATURITY_CACHE_DIR", "off")
        if one_by_one:
            patch.setattr(incidents, "SMALL_EXPORT_BYTES", -1)
        errors: list[str] = []
        loaded = load_incidents(paths, file_errors=errors)
    return loaded, errors


def assert_same_as_one_by_one(paths, monkeypatch: pytest.MonkeyPatch) -> tuple:
    together, errors = _load(paths, False, monkeypatch)
    alone, errors_alone = _load(paths, True, monkeypatch)
    pd.testing.assert_frame_equal(together.incidents, alone.incidents)
    pd.testing.assert_frame_equal(together.ledger, alone.ledger)
    assert together.notes == alone.notes
    assert errors == errors_alone
    return together, errors


def split(export: Path, folder: Path, rng: random.Random) -> list[Path]:
    """``export``'s first 60 records cut into files of one to three records each (header
    repeated), in the export's own encoding and delimiter; plus a header-only copy."""
    raw = export.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text, encoding = raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:  # ServiceNow's Windows-1252 dump
        text, encoding = raw.decode("cp1252"), "cp1252"
    delimiter = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t|").delimiter
    records = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header, body = records[0], records[1:61]  # enough rows to meet each kind of row
    written, start, part = [], 0, 0
    while start < len(body):
        size = rng.choice([1, 1, 1, 2, 3])
        written.append(_write(folder / f"{export.stem}-{part:03d}.csv", header,
                              body[start : start + size], delimiter, bom, encoding))  # fmt: skip
        start, part = start + size, part + 1
    written.append(_write(folder / f"{export.stem}-empty.csv", header, [], delimiter, bom,
                          encoding))  # fmt: skip
    return written


def _write(path: Path, header: list[str], rows: list[list[str]], delimiter: str,
           bom: bool, encoding: str = "utf-8") -> Path:  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows([header, *rows])
    path.write_bytes(("\ufeff" if bom else "").encode() + out.getvalue().encode(encoding))
    return path


@pytest.mark.parametrize("export", sorted(EXPORTS.glob("*.csv")), ids=lambda p: p.stem)
def test_every_vendor_export_cut_into_small_files_reads_as_one_by_one(
    export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = split(export, tmp_path, random.Random(export.stem))
    # The whole export beside its pieces: every row twice, so duplicates are decided across
    # files (the kept row depends on the order files are read).
    files.append(tmp_path / export.name)
    (tmp_path / export.name).write_bytes(export.read_bytes())
    together, _ = assert_same_as_one_by_one(files, monkeypatch)
    assert together.rows_read >= 2 * (len(files) - 2) or together.rows_read == 0


def test_an_organisation_of_seven_tools_in_small_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_seven_tools import organisation

    root = organisation(tmp_path / "seven")
    rng = random.Random(7)
    for export in sorted((root / "incidents").glob("*.csv")):
        split(export, root / "incidents", rng)
    together, errors = assert_same_as_one_by_one(root, monkeypatch)
    assert not errors and together.count("used") > 0 and together.count("rejected") >= 0


def _generic(rows: list[dict[str, str]], columns: list[str] | None = None) -> str:
    columns = columns or ["incident_id", "title", "team", "service", "severity",
                          "detected_at", "resolved_at", "runbook_used"]  # fmt: skip
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_decisions_from_each_files_own_rows(tmp_path: Path, monkeypatch) -> None:
    """Hundreds of small hand-kept files, each with its own oddity: the date order each
    proves or leaves to a guess, unknown severities, titles marking tests, over-long
    titles, totals rows, unparseable times, unknown teams, ids repeated across files,
    header-only files, other column orders, and files that cannot be read."""
    rng = random.Random(2026)
    root = tmp_path / "org"
    (root / "incidents").mkdir(parents=True)
    teams = {"alpha": {"name": "Alpha", "services": ["api"]},
             "beta": {"name": "Beta", "services": ["web"]}}  # fmt: skip
    sources: list[dict] = [{"path": f"incidents/bad-{n}.csv", "columns": {"title": "Nope"}}
                           for n in range(2)]  # fmt: skip
    dates = {
        "iso": lambda d, h: f"2026-0{d % 9 + 1}-1{d % 9}T{h:02d}:05:00Z",
        "ambiguous": lambda d, h: f"{d % 12 + 1}/{d % 11 + 1}/2026 {h:02d}:05",
        "day-first": lambda d, h: f"{d % 15 + 13}/{d % 12 + 1}/2026 {h:02d}:05",
        "month-first": lambda d, h: f"{d % 12 + 1}/{d % 15 + 13}/2026 {h:02d}:05",
    }
    oddities = ["none", "severity", "test title", "long title", "totals", "bad time",
                "unknown team", "repeat id", "no resolution"]  # fmt: skip
    earlier: list[dict[str, str]] = []
    for n in range(90):
        style = rng.choice(list(dates))
        oddity = rng.choice(oddities)
        rows = []
        for r in range(rng.choice([1, 1, 2, 3])):
            day = rng.randrange(200)
            row = {"incident_id": f"INC-{n}-{r}", "title": f"outage {n}.{r}",
                   "team": rng.choice(["Alpha", "beta", ""]), "service": rng.choice(["api", "web"]),
                   "severity": rng.choice(["SEV1", "2", "P3", "Minor"]),
                   "detected_at": dates[style](day, 9), "resolved_at": dates[style](day, 11),
                   "runbook_used": rng.choice(["yes", "no", ""])}  # fmt: skip
            rows.append(row)
        first = rows[0]
        if oddity == "severity":
            first["severity"] = "sev-max"
        elif oddity == "test title":
            first["title"] = "[TEST] please ignore"
        elif oddity == "long title":
            first["title"] = "x" * 1_500
        elif oddity == "totals":
            rows.append({"incident_id": "Total", "title": str(len(rows))})
        elif oddity == "bad time":
            first["resolved_at"] = "soon"
        elif oddity == "unknown team":
            first["team"], first["service"] = "Gamma", "db"
        elif oddity == "repeat id" and earlier:  # the same incident in another file
            rows[0] = dict(rng.choice(earlier))
        columns = None
        if oddity == "no resolution":
            columns = ["incident_id", "title", "team", "service", "detected_at"]
        elif n % 7 == 0:
            columns = ["detected_at", "incident_id", "team", "service", "title", "resolved_at"]
        prefix = rng.choice(["", "", "", "us-", "fixed-"])
        name = f"incidents/{prefix}{n:04d}.csv"
        (root / name).write_text(_generic(rows, columns))
        earlier.extend(dict(row) for row in rows if row["incident_id"] != "Total")
        if prefix == "us-":
            sources.append({"path": name, "timezone": "America/New_York"})
        elif prefix == "fixed-":
            sources.append({"path": name, "day_first": False})
    for n in range(20):
        (root / "incidents" / f"empty-{n:02d}.csv").write_text(_generic([]))
    (root / "incidents" / "bad-0.csv").write_text(_generic([{"incident_id": "B-1"}]))
    (root / "incidents" / "bad-1.csv").write_text(_generic([{"incident_id": "B-2"}]))

    (root / "assessment.yaml").write_text(yaml.safe_dump(
        {"organisation": "Many", "timezone": "Europe/London", "teams": teams, "sources": sources}
    ))  # fmt: skip
    together, errors = assert_same_as_one_by_one(root, monkeypatch)
    kinds = " ".join(n["note"] for n in together.notes)
    reasons = " ".join(together.ledger["reason"])
    # The oddities were met (the comparison above is not of two empty results).
    assert "ambiguous" in kinds and "not understood" in kinds and "over 1,000" in kinds
    assert "tests or drills" in kinds or "a test or drill" in kinds
    assert "header only" in kinds and "no resolution column" in kinds
    assert "duplicate of" in reasons and "total or summary row" in reasons
    assert "unparseable resolved_at" in reasons and "no team for" in reasons
    assert len(errors) == 2 and all("columns override title" in e for e in errors)
    assert together.rows_read > 150


def test_progress_is_reported_for_every_file(tiny_assessment: Path) -> None:
    seen: list[tuple[int, int]] = []
    load_incidents(tiny_assessment, progress=lambda done, total: seen.append((done, total)))
    files = len(list((tiny_assessment / "incidents").iterdir()))
    assert seen == [(n, files) for n in range(1, files + 1)]
