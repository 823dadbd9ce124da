"""Hostile input and faults, round 2 (issue 26): inputs that aborted or hung the whole review.

Each case is a small file generated here, and each class is tested whole: every name field
with every kind of control character and noncharacter; every way of quoting and spacing an
XLSX cell reference, and every kind of zip damage, in an export and in an answers workbook;
nesting deep enough to exhaust the parser. A command must exit with one clean line, never a
traceback, an abort or "internal error".
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook
from test_hostile import one_clean_line

from maturity.errors import ConfigError, InputFileError
from maturity.organisation import MAX_NAME_CHARACTERS, load_organisation

from conftest import ALPHA_ANSWERS, run_maturity, tiny_files, write_assessment

# --- 1, 14. names: controls, noncharacters, length ------------------------------------------

#: One of each kind: C0 controls (NUL, ESC, a line break), DEL, a C1 control, noncharacters
#: in the basic plane and beyond it, a lone surrogate.
BAD_CHARACTERS = ["\x00", "\x1b", "\n", "\x7f", "\x85", "\ufdd0", "\ufffe", "\uffff",
                  "\U0001fffe", "\U0010ffff", "\ud800"]  # fmt: skip


def _settings(**changes: object) -> dict:
    teams = {"alpha": {"name": "Alpha Team", "services": ["alpha-api"], "aliases": ["Alpha"]},
             "beta": {"name": "Beta", "services": ["beta-web"]}}  # fmt: skip
    settings: dict = {"organisation": "Tiny Org", "timezone": "Europe/London", "teams": teams}
    for path, value in changes.items():
        where = settings
        *parents, last = path.split("__")
        for key in parents:
            where = where[key]
        where[last] = value
    return settings


#: Every name field of assessment.yaml, as a path into the settings.
NAME_FIELDS = {
    "organisation": lambda bad: _settings(organisation=f"Tiny{bad}Org"),
    "team name": lambda bad: _settings(teams__beta__name=f"Be{bad}ta"),
    "alias": lambda bad: _settings(teams__alpha__aliases=["Alpha", f"A{bad}b"]),
    "service": lambda bad: _settings(teams__beta__services=["beta-web", f"beta{bad}db"]),
}


def _write_settings(root: Path, settings: dict) -> Path:
    (root / "incidents").mkdir(parents=True, exist_ok=True)
    (root / "incidents" / "export.csv").write_text(tiny_files()["export.csv"])
    # allow_unicode: the character itself in the file, as a user's editor would write it
    text = yaml.safe_dump(settings, allow_unicode=True, sort_keys=False)
    (root / "assessment.yaml").write_bytes(text.encode("utf-8", "surrogatepass"))
    return root


@pytest.mark.parametrize("field", NAME_FIELDS)
@pytest.mark.parametrize("bad", BAD_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_every_name_refuses_every_control_and_noncharacter(field, bad, tmp_path) -> None:
    """Issue 26, 1: ``"Beta\\u001b"`` made vl-convert panic while printing PDFs (exit 134,
    a mixed folder). Refused as assessment.yaml loads, naming the field and character."""
    root = _write_settings(tmp_path / "org", NAME_FIELDS[field](bad))
    try:
        organisation = load_organisation(root)
    except ConfigError as exc:
        message = str(exc)
    else:
        # YAML itself folds a line break inside a quoted scalar into a space: not kept
        assert bad in "\n\x85", f"{field} with U+{ord(bad):04X} was accepted"
        names = [organisation.name] + [
            text for team in organisation.teams.values()
            for text in (team.name, *team.aliases, *team.services)
        ]  # fmt: skip
        assert not any(bad in name for name in names)
        return
    assert "assessment.yaml" in message
    # a lone surrogate is not even a string to the settings' schema in some fields
    assert re.search(r"U\+[0-9A-F]{4,6} at position \d+|unable to parse raw data as a "
                     "unicode string", message), message  # fmt: skip


@pytest.mark.slow  # a whole review, or a cluster's timeouts: the slow tier
def test_a_name_with_an_escape_stops_the_review_before_any_report(tmp_path: Path) -> None:
    root = _write_settings(tmp_path / "org", _settings(teams__beta__name="Beta\x1b[31m"))
    out = tmp_path / "reports"
    run = run_maturity("review", str(root), "--out", str(out))
    one_clean_line(run, 2, "teams.beta", "U+001B")
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("field", NAME_FIELDS)
def test_a_name_too_long_to_be_one(field: str, tmp_path: Path) -> None:
    """Issue 26, 14: a 300 KB organisation name took 430 s and made a 27 MB PDF."""
    root = _write_settings(tmp_path / "org", NAME_FIELDS[field]("x" * 300_000))
    # the schema's own limit (aliases, services) or the names' check, both 200
    with pytest.raises(ConfigError, match=rf"at most {MAX_NAME_CHARACTERS} characters|over the "
                       rf"{MAX_NAME_CHARACTERS} a name may have"):  # fmt: skip
        load_organisation(root)
    fine = _write_settings(tmp_path / "fine", NAME_FIELDS[field]("x" * 150))
    load_organisation(fine)


def test_names_typed_on_a_mac_and_on_windows_are_one_name(tmp_path: Path) -> None:
    """NFD (macOS) and NFC spellings of ``Café`` are the same team name."""
    import unicodedata

    nfd = unicodedata.normalize("NFD", "Café")
    root = _write_settings(tmp_path / "org", _settings(teams__beta__name=nfd))
    assert load_organisation(root).teams["beta"].name == "Café"


#: Characters that show nothing: zero-width space, non-joiner and joiner beside ASCII, the
#: direction marks, an override and an isolate, word joiner, byte-order mark, soft hyphen,
#: line and paragraph separators, a tag character.
INVISIBLE_CHARACTERS = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202e", "\u2066",
                        "\u2060", "\ufeff", "\u00ad", "\u2028", "\u2029", "\U000e0041"]  # fmt: skip


@pytest.mark.parametrize("field", NAME_FIELDS)
@pytest.mark.parametrize("invisible", INVISIBLE_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
def test_every_name_refuses_every_character_that_shows_nothing(field, invisible,
                                                               tmp_path) -> None:  # fmt: skip
    """Issue 26, 15: "Be\u200bta" looks exactly like "Beta" and is another name."""
    root = _write_settings(tmp_path / "org", NAME_FIELDS[field](invisible))
    with pytest.raises(ConfigError) as raised:
        load_organisation(root)
    message = str(raised.value)
    assert f"U+{ord(invisible):04X}" in message and "invisible character" in message
    assert "assessment.yaml" in message and "\n" not in message


def test_joiners_that_show_are_kept_in_names(tmp_path: Path) -> None:
    """A joiner between letters of a joining script, or inside an emoji sequence, shows."""
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    emoji = "\U0001f469\u200d\U0001f4bb Devs"
    root = _write_settings(tmp_path / "org", _settings(teams__beta__name=persian,
                                                       teams__alpha__name=emoji))  # fmt: skip
    teams = load_organisation(root).teams
    assert teams["beta"].name == persian and teams["alpha"].name == emoji


@pytest.mark.parametrize("twin", ["BETA", "beta", "B\u0065\u0301ta", "Béta"])
def test_names_that_look_the_same_cannot_belong_to_two_teams(twin: str, tmp_path) -> None:
    """Case and Unicode composition do not make two names: "Béta" typed on a Mac (NFD) and
    "BÉTA" are the team already named so."""
    beta = "Béta" if "\u0301" in twin or "é" in twin else "Beta"
    settings = _settings(teams__beta__name=beta, teams__alpha__aliases=["Alpha", twin])
    root = _write_settings(tmp_path / "org", settings)
    with pytest.raises(ConfigError, match="claimed by teams"):
        load_organisation(root)


def test_a_team_cell_with_invisible_characters_names_its_team(tmp_path: Path) -> None:
    """An export's team cell pasted with a zero-width space, or in NFD, still names its
    team (cells are matched as they look)."""
    from maturity.ingest.incidents import load_incidents

    root = _write_settings(tmp_path / "org", _settings(teams__beta__name="Café"))
    header = "incident_id,team,title,detected_at,resolved_at\n"
    cells = [
        "Caf\u00e9",
        "Cafe\u0301",
        "\u200bCaf\u00e9",
        "CA\u200dF\u00c9",
        "Ca\u00adf\u00e9\ufeff",
    ]
    rows = "".join(f"X{i},{cell},down,2026-07-01T10:00:00Z,2026-07-01T11:00:00Z\n"
                   for i, cell in enumerate(cells))  # fmt: skip
    (root / "incidents" / "export.csv").write_text(header + rows, encoding="utf-8")
    loaded = load_incidents(root)
    assert loaded.count("rejected") == 0, loaded.quality()["issues"]
    assert set(loaded.incidents["team"]) == {"beta"} and len(loaded.incidents) == len(cells)


#: In a CSV: no NUL (a binary file), no line break (a new record), no lone surrogate (not UTF-8).
BAD_IN_DATA = [c for c in BAD_CHARACTERS if c not in "\x00\n\ud800"]


def test_controls_and_noncharacters_in_incident_text_are_dropped(tmp_path: Path) -> None:
    """The same characters in an export's titles and services never reach a chart."""
    from maturity.ingest.incidents import load_incidents

    header = "incident_id,team,title,service,detected_at,resolved_at\n"
    rows = "".join(
        f"X{i},alpha,db{bad}down,alpha{bad}-api,2026-07-0{1 + i % 9}T10:00:00Z,"
        f"2026-07-0{1 + i % 9}T11:00:00Z\n"
        for i, bad in enumerate(BAD_IN_DATA)
    )
    root = write_assessment(tmp_path / "org", {"export.csv": header + rows})
    incidents = load_incidents(load_organisation(root))
    used = incidents.incidents
    assert len(used) == len(BAD_IN_DATA)
    assert set(used["title"]) == {"dbdown"}
    for text in [*used["title"], *used["service"]]:
        assert not re.search("[\x00-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]", text)
        assert not any(ord(ch) & 0xFFFE == 0xFFFE for ch in text)


def test_a_ten_megabyte_title_is_cut_with_a_note(tmp_path: Path) -> None:
    """Issue 26, 5: a 10 MB title in an XLSX cell made the PDF review run over 10 minutes."""
    from maturity.ingest.incidents import MAX_TEXT_CHARACTERS, load_incidents

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["incident_id", "team", "title", "detected_at", "resolved_at"])
    sheet.append(["1", "alpha", "y" * 10_000_000, "2026-07-01T10:00:00Z", "2026-07-01T11:00:00Z"])
    sheet.append(["2", "alpha", "ok", "2026-07-02T10:00:00Z", "2026-07-02T11:00:00Z"])
    root = write_assessment(tmp_path / "org", {})
    workbook.save(root / "incidents" / "big.xlsx")
    started = time.perf_counter()
    incidents = load_incidents(load_organisation(root))
    assert time.perf_counter() - started < 60
    titles = incidents.incidents.sort_values("incident_id")["title"].tolist()
    assert len(titles[0]) == MAX_TEXT_CHARACTERS["title"] and titles[0].endswith("…")
    assert titles[1] == "ok"
    notes = " ".join(str(n) for n in incidents.notes)
    assert "title over 1,000 characters (row 2): cut to 1,000" in notes


# --- 2, 3, 4. XLSX: every way of writing a reference, every kind of zip damage --------------


def _export_workbook(path: Path) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["incident_id", "team", "detected_at", "resolved_at"])
    sheet.append(["1", "alpha", "2026-07-01T10:00:00Z", "2026-07-01T11:00:00Z"])
    workbook.save(path)
    return path


def _rewrite_part(path: Path, part: str, change) -> None:
    """Rewrite one part of a zip (the others copied as they are)."""
    with zipfile.ZipFile(path) as source:
        items = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in items:
            target.writestr(info, change(data) if info.filename == part else data)


SHEET = "xl/worksheets/sheet1.xml"

#: A cell far outside the data, written every way XML allows (and a few no reader should
#: accept): quotes, spaces around '=', a row past Excel's last, a row past 2**32 (which
#: wrapped onto a real cell), lower-case letters, a dimension declaring the whole grid.
FORGED_CELLS = {
    "single quotes": "<c r='XFD1048576' t='inlineStr'><is><t>x</t></is></c>",
    "spaces": '<c r = "XFD1048576" t = "inlineStr"><is><t>x</t></is></c>',
    "tab and newline": '<c\tr\n=\n"XFD1048576"\tt="inlineStr"><is><t>x</t></is></c>',
    "single-quoted T1048576": "<c r='T1048576' t='inlineStr'><is><t>x</t></is></c>",
    "ten-digit row": '<c r="A1234567890" t="inlineStr"><is><t>x</t></is></c>',
    "row past 2**32": '<c r="C4294967298"><v>46000</v></c>',
    "lower case": "<c r='xfd1048576' t='inlineStr'><is><t>x</t></is></c>",
    "beyond XFD": '<c r="ZZZ5" t="inlineStr"><is><t>x</t></is></c>',
    "row element only": "<row r='1048576'><c t='inlineStr'><is><t>x</t></is></c></row>",
}


def _forge(cell: str):
    def change(xml: bytes) -> bytes:
        text = xml.decode()
        if cell.startswith("<row"):
            return text.replace("</sheetData>", cell + "</sheetData>").encode()
        # inside the last row, where a reader meets it after the real cells
        at = text.rindex("</row>")
        return (text[:at] + cell + text[at:]).encode()

    return change


@pytest.mark.parametrize("forged", FORGED_CELLS)
def test_no_way_of_writing_a_cell_reference_bypasses_the_grid_check(forged, tmp_path) -> None:
    """Issue 26, 2 and 3: the check was a regular expression: ``r='XFD1048576'``, spaces or
    a 10-digit row passed it, and calamine allocated 549 GB and aborted (exit 134)."""
    path = _export_workbook(tmp_path / "forged.xlsx")
    _rewrite_part(path, SHEET, _forge(FORGED_CELLS[forged]))
    run = run_maturity("validate", str(path))
    line = one_clean_line(run, 2, "forged.xlsx")
    assert re.search(r"too large or too sparse|beyond Excel's last cell|no cell reference", line)


def test_a_dimension_declaring_the_whole_grid_is_refused(tmp_path: Path) -> None:
    path = _export_workbook(tmp_path / "forged.xlsx")
    _rewrite_part(path, SHEET, lambda xml: re.sub(
        rb'<dimension ref="[^"]*"', b"<dimension ref='A1:XFD1048576'", xml))  # fmt: skip
    one_clean_line(run_maturity("validate", str(path)), 2, "forged.xlsx", "too large")


def test_a_plain_dimension_larger_than_the_cells_is_read(tmp_path: Path) -> None:
    """Some writers leave the dimension at a fixed size: reserved, not filled, still read."""
    path = _export_workbook(tmp_path / "loose.xlsx")
    _rewrite_part(path, SHEET, lambda xml: re.sub(
        rb'<dimension ref="[^"]*"', b'<dimension ref="A1:Z65536"', xml))  # fmt: skip
    run = run_maturity("validate", str(path))
    assert run.returncode == 0, run.stderr


def _duplicate_sheet(path: Path) -> None:
    with zipfile.ZipFile(path) as source:
        forged = _forge(FORGED_CELLS["single quotes"])(source.read(SHEET))
    with (
        zipfile.ZipFile(path, "a") as target,
        pytest.warns(UserWarning, match="Duplicate name"),
    ):
        target.writestr(SHEET, forged)


def _sheet_data(path: Path) -> tuple[bytearray, int, int]:
    """The file's bytes, where the sheet's stored data starts, and its stored size."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(SHEET)
    data = bytearray(path.read_bytes())
    header = info.header_offset
    name_length = int.from_bytes(data[header + 26 : header + 28], "little")
    extra_length = int.from_bytes(data[header + 28 : header + 30], "little")
    return data, header + 30 + name_length + extra_length, info.compress_size


def _damage_crc(path: Path) -> None:
    """Flip a byte of the sheet's stored data: the checksum no longer matches."""
    data, start, size = _sheet_data(path)
    data[start + size // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _stored_then_damaged(path: Path) -> None:
    """The sheet stored uncompressed, one byte changed: a CRC error, not a deflate one."""
    with zipfile.ZipFile(path) as source:
        items = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as target:
        for name, data in items:
            target.writestr(name, data)
    _damage_crc(path)


def _bad_deflate(path: Path) -> None:
    data, start, _ = _sheet_data(path)
    data[start : start + 4] = b"\xff\xff\xff\xff"  # no valid deflate block starts so
    path.write_bytes(bytes(data))


def _encrypted(path: Path) -> None:
    """The sheet's 'encrypted' flag set, in its local header and the central directory."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(SHEET)
    data[info.header_offset + 6] |= 0x01
    at = data.find(b"PK\x01\x02")
    while at != -1:
        name_length = int.from_bytes(data[at + 28 : at + 30], "little")
        if data[at + 46 : at + 46 + name_length] == SHEET.encode():
            data[at + 8] |= 0x01
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] + data[-22:])  # the end record, half the parts


ZIP_DAMAGE = {
    "duplicate sheet": (_duplicate_sheet, "two parts named"),
    "bad CRC (deflated)": (_damage_crc, "damaged"),
    "bad CRC (stored)": (_stored_then_damaged, "damaged"),
    "bad deflate": (_bad_deflate, "damaged"),
    "encrypted": (_encrypted, "encrypted"),
    "truncated": (_truncated, ""),
}


@pytest.mark.parametrize("damage", ZIP_DAMAGE)
def test_every_kind_of_zip_damage_is_one_line(damage: str, tmp_path: Path) -> None:
    """Issue 26, 4: corrupt CRC, bad deflate, encrypted members: "internal error", exit 3."""
    path = _export_workbook(tmp_path / "damaged.xlsx")
    spoil, words = ZIP_DAMAGE[damage]
    spoil(path)
    line = one_clean_line(run_maturity("validate", str(path)), 2, "damaged.xlsx")
    assert words in line


def _answers_workbook(root: Path, team: str) -> Path:
    from maturity.assessment.questionnaire import write_template
    from maturity.assessment.rubric import load_rubric

    folder = root / "answers" / "2026-Q3"
    folder.mkdir(parents=True, exist_ok=True)
    return write_template(load_rubric(), team, "2026-Q3", folder / f"{team}.xlsx")


@pytest.mark.slow  # a whole review, or a cluster's timeouts: the slow tier
@pytest.mark.parametrize(
    "spoil",
    ["forged cell", "bad CRC", "bad deflate", "encrypted", "duplicate sheet"],
)
def test_a_hostile_answers_workbook_is_that_team_s_problem(spoil: str, tmp_path: Path) -> None:
    """Issue 26, 2 and 4: one team's answers workbook aborted score and review for every
    team. Now ``score`` names the file and scores the other team."""
    root = write_assessment(tmp_path / "org", tiny_files(), answers={"2026-Q3": ALPHA_ANSWERS})
    path = _answers_workbook(root, "beta")
    questions = "xl/worksheets/sheet2.xml"
    with zipfile.ZipFile(path) as archive:
        assert questions in archive.namelist()
    global SHEET
    saved, SHEET = SHEET, questions
    try:
        {
            "forged cell": lambda: _rewrite_part(path, questions,
                                                 _forge(FORGED_CELLS["single quotes"])),
            "bad CRC": lambda: _damage_crc(path),
            "bad deflate": lambda: _bad_deflate(path),
            "encrypted": lambda: _encrypted(path),
            "duplicate sheet": lambda: _duplicate_sheet(path),
        }[spoil]()  # fmt: skip
    finally:
        SHEET = saved
    run = run_maturity("score", str(root), "--quarter", "2026-Q3")
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    assert run.returncode in (0, 1, 2), run.returncode
    assert "beta.xlsx" in run.stderr + run.stdout
    assert "alpha" in run.stdout.lower()  # the other team is scored


# --- 8. YAML nested deeper than the parser can go --------------------------------------------


@pytest.mark.parametrize("depth", [1_000, 5_000, 50_000])
@pytest.mark.parametrize("shape", ["[", "{a: "])
def test_deeply_nested_yaml_is_one_line(depth: int, shape: str, tmp_path: Path) -> None:
    """Issue 26, 8: nesting over 1,000 levels raised RecursionError inside the YAMLError
    handler: exit 3."""
    closing = {"[": "]", "{a: ": "}"}[shape]
    root = tmp_path / "org"
    (root / "incidents").mkdir(parents=True)
    (root / "assessment.yaml").write_text(
        "organisation: x\nteams:\n  a: " + shape * depth + "1" + closing * depth + "\n"
    )
    run = run_maturity("validate", str(root))
    assert run.returncode == 2, (run.returncode, run.stderr[-500:])
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr[-500:]
    assert "assessment.yaml" in run.stderr


# --- 9. file names that are not UTF-8 ---------------------------------------------------------


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS refuses non-UTF-8 file names")
@pytest.mark.parametrize("command", ["validate", "measures"])
def test_a_file_name_that_is_not_utf8(command: str, tmp_path: Path) -> None:
    """Issue 26, 9: ``caf\\xe9-\\xff.csv`` in incidents/: internal error from pyarrow."""
    root = write_assessment(tmp_path / "org", tiny_files())
    name = os.path.join(os.fsencode(root / "incidents"), b"caf\xe9-\xff.csv")
    with open(name, "wb") as handle:
        handle.write(tiny_files()["export.csv"].encode())
    run = run_maturity(command, str(root))
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    assert run.returncode in (0, 1), run.stderr
    if command == "validate":  # the file is listed as not read, its bytes shown as \xe9
        assert "caf\\xe9-\\xff.csv" in run.stdout + run.stderr
        assert "its name is not UTF-8 text" in run.stdout + run.stderr


# --- 10. template writes whole files or none ----------------------------------------------------


def test_a_failing_template_keeps_the_good_workbook(tmp_path: Path, monkeypatch) -> None:
    """Issue 26, 10: ``template`` wrote in place; a failure left a broken zip where a good
    workbook was."""
    from openpyxl.workbook import Workbook as OpenpyxlWorkbook

    from maturity.assessment.questionnaire import write_template
    from maturity.assessment.rubric import load_rubric

    path = write_template(load_rubric(), "alpha", "2026-Q3", tmp_path / "alpha.xlsx")
    good = path.read_bytes()

    def fail_halfway(self, filename):
        Path(filename).write_bytes(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(OpenpyxlWorkbook, "save", fail_halfway)
    with pytest.raises((OSError, InputFileError)):
        write_template(load_rubric(), "alpha", "2026-Q3", path)
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["alpha.xlsx"]  # no temporary left


@pytest.mark.parametrize("bad", ["\x1b", "\uffff", "\x7f", "x" * 300])
def test_template_refuses_a_team_name_no_name_may_be(bad: str, tmp_path: Path) -> None:
    run = run_maturity("template", "--team", f"beta{bad}", "--quarter", "2026-Q3",
                       "--out", str(tmp_path / "t.xlsx"))  # fmt: skip
    assert run.returncode == 2, (run.returncode, run.stderr)
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    assert not (tmp_path / "t.xlsx").exists()


# --- 12. summary.md never carries markup from a name ---------------------------------------------


def test_markdown_escape() -> None:
    from maturity.wording import markdown_text

    assert markdown_text("![x](http://evil/p.png)") == "!\\[x\\](http://evil/p.png)"
    assert markdown_text("<img src=x onerror=alert(1)>") == "\\<img src=x onerror=alert(1)>"
    assert markdown_text("a_b*c`d") == "a\\_b\\*c\\`d"
    for unchanged in ["Search & Discovery", "q < 0.001", "1.2 h (0.9-1.5 h)", "plain name"]:
        assert markdown_text(unchanged) == unchanged


@pytest.mark.slow  # a whole review, or a cluster's timeouts: the slow tier
def test_summary_md_carries_no_markup_from_names(tmp_path: Path) -> None:
    """Issue 26, 12: summary.md copied markdown and HTML from names verbatim (an image that
    calls a server when the summary is pasted into a wiki)."""
    settings = _settings(organisation="Org ![p](http://evil.example/p.png)",
                         teams__alpha__name="<img src=http://evil.example/x>")  # fmt: skip
    root = _write_settings(tmp_path / "org", settings)
    answers = root / "answers" / "2026-Q3"
    answers.mkdir(parents=True)
    (answers / "alpha.yaml").write_text(ALPHA_ANSWERS["alpha"])
    out = tmp_path / "reports"
    run = run_maturity("review", str(root), "--out", str(out), "--no-pdf",
                       "--quarter", "2026-Q3")  # fmt: skip
    assert run.returncode in (0, 1), run.stderr
    summary = (out / "org" / "2026-Q3" / "summary.md").read_text()
    assert "![p](" not in summary and "<img" not in summary
    assert "\\[p\\]" in summary


# --- 15. a terminal that cannot print every character -----------------------------------------


@pytest.mark.parametrize(
    "env", [{"PYTHONIOENCODING": "ascii"}, {"LC_ALL": "C", "PYTHONUTF8": "0", "LANG": "C"}]
)
def test_an_ascii_terminal_gets_the_output_not_an_internal_error(env, tmp_path: Path) -> None:
    root = _write_settings(tmp_path / "org", _settings(organisation="Café Ünïcode ✓",
                                                        teams__beta__name="Bêta ✓"))  # fmt: skip
    command = [str(Path(sys.executable).with_name("maturity")), "measures", str(root)]
    run = subprocess.run(command, capture_output=True, env={**os.environ, **env}, timeout=300)
    stderr = run.stderr.decode("ascii", "replace")
    assert run.returncode == 0, stderr
    assert b"Traceback" not in run.stderr and b"internal error" not in run.stderr
    assert b"\\u2014" in run.stdout  # the dash, escaped, not an error


# --- 11. a saved report never unpickles what sits at its old bundle path ----------------------


class _Planted:
    """A pickle that, loaded, writes a file: what an attacker would put at a bundle path."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):
        return (Path.write_text, (self.target, "ran"))


def test_a_forged_bundle_is_refused_before_anything_is_unpickled(tmp_path, monkeypatch) -> None:
    """Issue 26, 11: re-executing a saved audit notebook unpickled ``bundle`` from a deleted
    temporary path anyone could recreate: code ran before the header check."""
    import pickle

    from maturity.reporting.quarter import ReviewQuarter, read_bundle
    from maturity.reporting.signing import BUNDLE_KEY_VARIABLE, BUNDLE_MAGIC

    ran = tmp_path / "ran.txt"
    forged = tmp_path / "report.bundle"
    header = {"format": "maturity-report-bundle", "team": "alpha", "quarter": "2026-Q3"}
    plain = pickle.dumps(_Planted(ran)) + pickle.dumps(header)
    for content in [plain, BUNDLE_MAGIC + b"\0" * 32 + plain]:
        forged.write_bytes(content)
        for key in [None, "ab" * 32]:  # a fresh kernel (no key), and another review's key
            if key is None:
                monkeypatch.delenv(BUNDLE_KEY_VARIABLE, raising=False)
            else:
                monkeypatch.setenv(BUNDLE_KEY_VARIABLE, key)
            with pytest.raises(InputFileError, match=r"bundle|not signed"):
                read_bundle(forged, team="alpha", quarter="2026-Q3")
            assert not ran.exists()
    # what a review signs, its kernels read
    monkeypatch.delenv(BUNDLE_KEY_VARIABLE, raising=False)
    root = write_assessment(tmp_path / "tiny", tiny_files())
    good = tmp_path / "good.bundle"
    ReviewQuarter.load(root, "2026-Q3").save_bundle(good, "alpha")
    assert read_bundle(good, team="alpha", quarter="2026-Q3").quarter == "2026-Q3"
    key = os.environ[BUNDLE_KEY_VARIABLE]
    assert key not in good.read_bytes().hex()  # the key is in no file
    monkeypatch.delenv(BUNDLE_KEY_VARIABLE)
    with pytest.raises(InputFileError, match="read only by the review that wrote it"):
        read_bundle(good, team="alpha", quarter="2026-Q3")


@pytest.mark.slow  # a whole review, or a cluster's timeouts: the slow tier
def test_saved_report_notebooks_name_no_temporary_path(tmp_path: Path) -> None:
    """The executed notebooks a review keeps say ``bundle = ""``: no temporary path, and a
    re-execution reads the assessment folder."""
    import json

    root = write_assessment(tmp_path / "tiny", tiny_files(), answers={"2026-Q3": ALPHA_ANSWERS})
    out = tmp_path / "reports"
    run = run_maturity("review", str(root), "--out", str(out), "--no-pdf", "--quarter", "2026-Q3")
    assert run.returncode in (0, 1), run.stderr
    saved = sorted(out.rglob("*.ipynb"))
    assert saved, list(out.rglob("*"))
    for path in saved:
        text = path.read_text()
        assert "maturity-report-" not in text and "report.bundle" not in text, path
        node = json.loads(text)
        assert node["metadata"]["papermill"]["parameters"].get("bundle", "") == ""
        key = os.environ.get("MATURITY_BUNDLE_KEY")
        assert not key or key not in text


# --- 6. signals: no worker or kernel outlives its review --------------------------------------


def _descendants(pid: int) -> list:
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.mark.slow  # a whole review, or a cluster's timeouts: the slow tier
@pytest.mark.notebooks
@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL", "SIGINT"])
def test_a_review_stopped_by_a_signal_leaves_no_worker_or_kernel(how: str, tmp_path: Path) -> None:
    """Issue 26, 6: SIGTERM or SIGKILL of ``maturity review`` left its workers and kernels
    running (reparented to PID 1); Ctrl-C sometimes printed a 54-line worker traceback."""
    import signal

    import psutil

    from conftest import notebooks_with_cell

    root = write_assessment(tmp_path / "tiny", tiny_files())
    out = tmp_path / "reports"
    marker = tmp_path / "started"
    slow = f"import pathlib, time\npathlib.Path({str(marker)!r}).touch()\ntime.sleep(120)"
    custom = notebooks_with_cell(tmp_path / "notebooks", slow)
    review = subprocess.Popen(
        [sys.executable, "-m", "maturity.cli", "review", str(root), "--quarter", "2026-Q3",
         "--out", str(out), "--no-pdf"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "MATURITY_NOTEBOOKS": str(custom)},
        start_new_session=True,  # its own group: Ctrl-C reaches the whole group, as a terminal's
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert marker.exists(), "no report started"
        family = _descendants(review.pid)
        assert any("ipykernel" in " ".join(p.cmdline()) for p in family if p.is_running())
        if how == "SIGINT":
            os.killpg(review.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        else:
            os.kill(review.pid, getattr(signal, how))
        _, stderr = review.communicate(timeout=150)
        _, alive = psutil.wait_procs(family, timeout=30)
        assert not alive, [(p.pid, p.cmdline()) for p in alive]
        if how != "SIGKILL":
            assert review.returncode == 130, (review.returncode, stderr)
            assert "Traceback" not in stderr, stderr
            assert stderr.strip().splitlines()[-1] == "maturity: interrupted", stderr
    finally:
        if review.poll() is None:
            review.kill()
        for process in _descendants(review.pid):
            process.kill()


# --- 7. Dask: every wait bounded -----------------------------------------------------------------


def _review_on(address: str, root: Path, out: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "maturity.cli", "review", str(root), "--quarter", "2026-Q3",
         "--out", str(out), "--no-pdf", "--scheduler", address],
        capture_output=True, text=True, timeout=240,
        env={**os.environ, "MATURITY_SCHEDULER_TIMEOUT": "3", **env},
    )  # fmt: skip


@pytest.mark.slow  # a whole review, or a cluster's timeouts: the slow tier
@pytest.mark.parametrize("address", ["garbage!", "http://", "tcp://[::1", "tcp://host:99999",
                                     "tcp://127.0.0.1:9", "garbage"])  # fmt: skip
def test_a_bad_scheduler_address_is_one_line_and_quick(address: str, tmp_path: Path) -> None:
    """Issue 26, 7: ``garbage``, ``http://``, ``tcp://[::1``: internal error, a 40 s hang
    and a ``Client.__del__`` traceback."""
    pytest.importorskip("distributed")
    root = write_assessment(tmp_path / "tiny", tiny_files())
    started = time.monotonic()
    run = _review_on(address, root, tmp_path / "out")
    assert time.monotonic() - started < 60
    line = one_clean_line(run, 2, "--scheduler")
    assert "not a scheduler address" in line or "no Dask scheduler answers there" in line
    assert "__del__" not in run.stderr


def _peer(behaviour: str):
    """A TCP server on 127.0.0.1 that accepts and then never speaks, or sends junk."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()

    def serve() -> None:
        import random

        server.settimeout(0.2)
        held = []
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            held.append(connection)
            if behaviour == "junk":
                junk = random.Random(7)
                try:
                    while not stop.is_set():
                        connection.sendall(bytes(junk.getrandbits(8) for _ in range(4096)))
                        time.sleep(0.01)
                except OSError:
                    pass
        for connection in held:
            connection.close()
        server.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"tcp://127.0.0.1:{server.getsockname()[1]}", stop


@pytest.mark.slow  # a whole review, or a cluster's timeouts: the slow tier
@pytest.mark.parametrize("behaviour", ["silent", "junk"])
def test_a_peer_that_is_no_scheduler_is_one_line_and_quick(behaviour, tmp_path) -> None:
    """Issue 26, 7: a peer sending random bytes gave MemoryError (2.81 EiB); one that never
    speaks hung the review for over 580 s."""
    pytest.importorskip("distributed")
    root = write_assessment(tmp_path / "tiny", tiny_files())
    address, stop = _peer(behaviour)
    try:
        started = time.monotonic()
        run = _review_on(address, root, tmp_path / "out")
        assert time.monotonic() - started < 90
    finally:
        stop.set()
    one_clean_line(run, 2, "no Dask scheduler answers there")


@pytest.mark.slow  # a whole review, or a cluster's timeouts: the slow tier
def test_a_scheduler_with_no_workers_is_one_line(tmp_path: Path) -> None:
    """Issue 26, 7: a scheduler without workers: the review waited silently for ever."""
    distributed = pytest.importorskip("distributed")
    root = write_assessment(tmp_path / "tiny", tiny_files())
    with distributed.LocalCluster(n_workers=0, processes=True, dashboard_address=None) as empty:
        started = time.monotonic()
        run = _review_on(empty.scheduler_address, root, tmp_path / "out")
        assert time.monotonic() - started < 90
    one_clean_line(run, 2, "has no workers", "dask worker")


@pytest.mark.slow  # a whole review, or a cluster's timeouts: the slow tier
@pytest.mark.notebooks
def test_a_scheduler_killed_mid_review_still_gives_an_index(tmp_path: Path) -> None:
    """Issue 26, 7: the scheduler killed mid-review: no index or summary was written. The
    reports not back fail, named; the index and summary say so."""
    pytest.importorskip("distributed")
    import json
    import socket

    from conftest import notebooks_with_cell

    root = write_assessment(tmp_path / "tiny", tiny_files())
    out = tmp_path / "reports"
    marker = tmp_path / "started"
    slow = f"import pathlib, time\npathlib.Path({str(marker)!r}).touch()\ntime.sleep(60)"
    custom = notebooks_with_cell(tmp_path / "notebooks", slow)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    dask = Path(sys.executable).with_name("dask")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen([str(dask), "scheduler", "--host", "127.0.0.1", "--port",
                                  str(port), "--no-dashboard"], **quiet)  # fmt: skip
    worker = subprocess.Popen([str(dask), "worker", address, "--nthreads", "1",
                               "--no-dashboard"], **quiet)  # fmt: skip
    review = None
    try:
        review = subprocess.Popen(
            [sys.executable, "-m", "maturity.cli", "review", str(root), "--quarter", "2026-Q3",
             "--out", str(out), "--no-pdf", "--scheduler", address],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "MATURITY_NOTEBOOKS": str(custom),
                 "MATURITY_SCHEDULER_TIMEOUT": "60"},
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < deadline and review.poll() is None:
            time.sleep(0.2)
        assert marker.exists(), review.communicate(timeout=30)
        scheduler.kill()
        _, stderr = review.communicate(timeout=150)
    finally:
        for process in (scheduler, worker, review):
            if process is not None and process.poll() is None:
                process.kill()
    assert "Traceback" not in stderr, stderr
    assert review.returncode == 1, (review.returncode, stderr)
    folder = out / "tiny" / "2026-Q3"
    assert (folder / "index.html").exists() and (folder / "summary.md").exists()
    summary = json.loads((folder / "summary.json").read_text())
    errors = [t.get("error") or "" for t in summary["teams"]] + [
        summary["portfolio"].get("error") or ""
    ]
    assert any("went away" in e for e in errors), errors


# --- a native crash while making the board pack or the deck --------------------------------

#: Made importable (``sitecustomize``) in every process of the review: the named functions
#: abort the process as a native library's crash would (a Rust panic that aborts, a
#: segfault), wherever they are called.
_CRASHING = """
import importlib.abc, importlib.util, os, sys

CRASH = os.environ.get("MATURITY_TEST_CRASH", "").split(",")


def crash(*args, **kwargs):
    os.abort()


class Crashing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        wanted = {"maturity.reporting.deck": "write_deck",
                  "maturity.reporting.board_pack": "write_board_pack"}
        if name not in wanted or wanted[name] not in CRASH:
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        sys.meta_path.insert(0, self)
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            setattr(module, wanted[name], crash)

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, Crashing())
"""


@pytest.mark.slow  # a whole review: the slow tier
@pytest.mark.parametrize(
    "crashing", ["write_deck", "write_board_pack", "write_deck,write_board_pack"]
)
def test_a_native_crash_making_the_deck_or_board_pack_never_takes_down_the_review(
    crashing: str, tmp_path: Path
) -> None:
    """Issue 26: a native abort (vl-convert's Rust panic on a name with an escape) while the
    review made its board pack or deck ended the whole review (exit 134) and left a mixed
    folder. Each is made in a process of its own: the review writes its index and summary,
    and says in one line each which file could not be made."""
    import json

    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(_CRASHING)
    root = write_assessment(tmp_path / "tiny", tiny_files(), answers={"2026-Q3": ALPHA_ANSWERS})
    out = tmp_path / "reports"
    env = {**os.environ, "PYTHONPATH": f"{hooks}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "MATURITY_TEST_CRASH": crashing}  # fmt: skip
    run = run_maturity("review", str(root), "--quarter", "2026-Q3", "--out", str(out), env=env)
    assert run.returncode == 1, (run.returncode, run.stderr[-2000:])
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    folder = out / "tiny" / "2026-Q3"
    summary = json.loads((folder / "summary.json").read_text())
    assert (folder / "index.html").exists() and (folder / "summary.md").exists()
    assert (folder / "teams" / "alpha.pdf").exists()  # every report written
    problems = [line for line in run.stderr.splitlines() if line.startswith("maturity: ")]
    expected = {"write_deck": "review.pptx could not be written: the process making it stopped",
                "write_board_pack": "review.pdf could not be printed: the process making it "
                "stopped"}  # fmt: skip
    for name in crashing.split(","):
        assert any(expected[name] in line for line in problems), run.stderr
        assert any(expected[name] in p for p in summary["problems"]), summary["problems"]
    assert len(problems) == len(crashing.split(",")), run.stderr
    made = {"write_deck": "review.pptx", "write_board_pack": "review.pdf"}
    for name, file in made.items():
        assert (folder / file).exists() == (name not in crashing)


#: ``sitecustomize`` for every process of a run: calamine's ``from_path`` aborts the process
#: reading a workbook whose path holds ``MATURITY_TEST_CRASH_ON``, as a native crash would.
_CRASHING_READER = """
import importlib.abc, importlib.util, os, sys

ON = os.environ["MATURITY_TEST_CRASH_ON"]


class Crashing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "python_calamine":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            real = module.CalamineWorkbook

            class CalamineWorkbook:
                @staticmethod
                def from_path(path, *args, **kwargs):
                    if ON in str(path):
                        os.abort()
                    return real.from_path(path, *args, **kwargs)

            module.CalamineWorkbook = CalamineWorkbook

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, Crashing())
"""


def _crashing_reader(tmp_path: Path, on: str) -> dict[str, str]:
    hooks = tmp_path / "reader-hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(_CRASHING_READER)
    path = f"{hooks}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
    return {**os.environ, "PYTHONPATH": path, "MATURITY_TEST_CRASH_ON": on}


def _log_workbook(path: Path) -> None:
    book = Workbook()
    book.active.append(["incident_id", "title", "team", "detected_at", "resolved_at"])
    book.active.append(
        ["W1", "queue stuck", "alpha", "2026-08-01T10:00:00Z", "2026-08-01T11:00:00Z"]
    )
    book.save(path)


def test_a_native_crash_reading_an_export_costs_that_file_alone(tmp_path: Path) -> None:
    """Issue 26: calamine aborting (exit 134) on one workbook ended validate and review.
    Workbooks are read in a helper process: that file is one line, the others are read."""
    root = write_assessment(tmp_path / "org", tiny_files())
    _log_workbook(root / "incidents" / "crash-log.xlsx")
    _log_workbook(root / "incidents" / "good-log.xlsx")
    run = run_maturity("validate", str(root), env=_crashing_reader(tmp_path, "crash-log"))
    line = one_clean_line(run, 2, "incidents/crash-log.xlsx", "the reader crashed on it")
    assert line.startswith("maturity: ")
    assert "incidents/good-log.xlsx: 1 row, 1 used" in run.stdout  # read after the crash
    assert "incidents/export.csv: 7 rows" in run.stdout


def test_a_native_crash_reading_an_answers_workbook_is_that_team_s_problem(tmp_path) -> None:
    root = write_assessment(tmp_path / "org", tiny_files(), answers={"2026-Q3": ALPHA_ANSWERS})
    _answers_workbook(root, "beta")
    run = run_maturity("score", str(root), "--quarter", "2026-Q3",
                       env=_crashing_reader(tmp_path, "beta.xlsx"))  # fmt: skip
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    assert run.returncode in (0, 1, 2), (run.returncode, run.stderr)
    assert "beta.xlsx" in run.stderr + run.stdout and "crashed" in run.stderr + run.stdout
    assert "alpha" in run.stdout.lower()  # the other team is scored
