"""Reading an export file into a raw table, one record per spreadsheet row.

A raw table keeps every cell as the file gave it (text from CSV; text, numbers or datetimes
from XLSX) so each source format decides what its columns mean. Column ``_row`` holds the
row number a person sees when opening the file in a spreadsheet (the header is row 1), so
every message can point at the row to fix.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path
from typing import Any

import pandas as pd

from maturity.errors import InputFileError

ROW = "_row"
_SNIFF_BYTES = 64 * 1024
_DELIMITERS = ",;\t|"
_HEADER_SEARCH = 30  # rows searched for the header
#: Guards against hostile or absurd workbooks (see ``check_workbook``).
MAX_UNCOMPRESSED_BYTES = 1 * 2**30
MAX_RATIO = 200
MAX_ROWS = 2_000_000
#: Wider or larger grids are refused before they are read (a workbook of one cell at XFD1048576
#: is 1.6 KB on disk and 17 billion cells in memory); a CSV line over MAX_LINE_BYTES likewise.
MAX_COLUMNS = 2_000
MAX_CELLS = 30_000_000
MAX_LINE_BYTES = 1 << 20
SPARSE_GRID_FLOOR = 1_000_000
SPARSE_RATIO = 20


def read_table(path: Path, label: str | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX export into a raw table with a ``_row`` column.

    Rows whose cells are all empty are dropped: they are layout, not records. Header names
    are stripped of surrounding white space; repeated names get ``.1``, ``.2`` suffixes.
    ``label`` names the file in error messages (default: the path).
    """
    label = label or str(path)
    check_readable(path, label)
    if path.stat().st_size == 0:
        raise InputFileError(f"{label}: the file is empty")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table = _read_csv(path, label)
    elif suffix == ".xlsx":
        table = _read_xlsx(path, label)
    else:
        raise InputFileError(
            f"{label}: unsupported file type {suffix or '(none)'}; use .csv or .xlsx"
        )
    cells = table.drop(columns=ROW)
    filled_cells = pd.DataFrame(
        {name: cells[name].notna() & (cells[name].astype(object) != "") for name in cells}
    )
    counts = filled_cells.sum(axis=1)
    records = counts > 0
    # A row of a few cells holding only spaces is blank too (checked on those rows alone).
    sparse = table.index[records & (counts <= 3)]
    if len(sparse):
        text = cells.loc[sparse].astype("string")
        records[sparse] = text.apply(lambda col: col.str.strip().fillna("") != "").any(axis=1)
    return table[records].reset_index(drop=True)


def check_readable(path: Path, label: str) -> None:
    """A one-line InputFileError unless ``path`` is a regular file this process can read."""
    if not path.exists():
        raise InputFileError(f"{label}: no such file")
    if not path.is_file():
        raise InputFileError(f"{label}: not a file")
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise InputFileError(f"{label}: cannot be read ({exc.strerror or exc})") from exc


def _decode(data: bytes, label: str) -> tuple[str, str | None]:
    """The file's text, and a note when its encoding had to be mixed.

    UTF-8 first. Bytes that are not UTF-8 are read as Windows-1252 (what Excel and
    ServiceNow write on Windows), sequence by sequence, so a UTF-8 file with a few pasted
    Windows-1252 lines keeps both right instead of garbling the UTF-8 (``cafÃ©``).
    """
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise InputFileError(f"{label}: not a text CSV file (it holds binary data)")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    fallback: list[int] = []

    def windows_1252(error: UnicodeError) -> tuple[str, int]:
        assert isinstance(error, UnicodeDecodeError)
        bad = error.object[error.start : error.end]
        fallback.append(len(bad))
        return bad.decode("cp1252", errors="replace"), error.end

    codecs.register_error("maturity-cp1252", windows_1252)
    text = data.decode("utf-8-sig", errors="maturity-cp1252")
    from_utf8 = sum(1 for ch in text if ord(ch) > 127) - sum(fallback)
    if from_utf8 > 0:
        return text, (
            f"mixed encodings: {len(fallback)} byte sequences are not UTF-8 and were read as "
            "Windows-1252; check accented names, and save the export as UTF-8"
        )
    return text, None


def _read_csv(path: Path, label: str) -> pd.DataFrame:
    # Windows line ends, and the doubled CR some exporters write (CR CR LF), are one break.
    text, note = _decode(path.read_bytes(), label)
    text = re.sub(r"\r+\n?", "\n", text)
    longest = max(text.split("\n"), key=len)
    if len(longest) > MAX_LINE_BYTES:
        number = text.split("\n").index(longest) + 1
        raise InputFileError(
            f"{label}: line {number} is {len(longest) / 2**20:,.1f} MB long, over the "
            f"{MAX_LINE_BYTES / 2**20:,.0f} MB a line may be; is this an incident export?"
        )
    head = text[:_SNIFF_BYTES].split("\n")[:_HEADER_SEARCH]
    lines = [line for line in head if line.strip()]
    try:
        widest = max(lines, key=lambda line: sum(line.count(d) for d in _DELIMITERS))
        # The sniffer's regular expressions slow down badly on long lines: a start is enough.
        delimiter = csv.Sniffer().sniff(widest[:4096], delimiters=_DELIMITERS).delimiter
    except (csv.Error, ValueError):
        delimiter = ","
    # Lines whole (not the sample cut mid-line): the widest of the first few sets the width.
    first_lines = text.split("\n", _HEADER_SEARCH)[:_HEADER_SEARCH]
    try:
        width = max(
            (len(r) for r in csv.reader(io.StringIO("\n".join(first_lines)), delimiter=delimiter)),
            default=1,
        )
    except csv.Error:
        width = max(line.count(delimiter) + 1 for line in first_lines)
    if width > MAX_COLUMNS:
        raise InputFileError(
            f"{label}: {width:,} columns, over the {MAX_COLUMNS:,} allowed; is this an incident "
            "export?"
        )
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            names=range(width),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
        )
    except pd.errors.ParserError as exc:
        raise InputFileError(f"{label}: not a readable CSV file ({_first_line(exc)})") from exc
    except pd.errors.EmptyDataError as exc:
        raise InputFileError(f"{label}: the file has no header row") from exc
    frame = frame.fillna("")
    # Record i (0-based) is spreadsheet row i + 1.
    table = _with_header(frame, label, first_row=1)
    table.attrs["notes"] = [note] if note else []
    return table


def _read_xlsx(path: Path, label: str) -> pd.DataFrame:
    from python_calamine import CalamineError, CalamineWorkbook

    date1904 = check_workbook(path, label)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except (CalamineError, OSError, ValueError) as exc:
        raise InputFileError(f"{label}: not a readable XLSX workbook ({_first_line(exc)})") from exc
    if len(rows) > MAX_ROWS:
        raise InputFileError(f"{label}: {len(rows):,} rows is more than the {MAX_ROWS:,} allowed")
    width = max((len(r) for r in rows), default=0)
    frame = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows], dtype=object)
    table = _with_header(frame, label, first_row=1)
    table.attrs["date1904"] = date1904
    return table


def check_workbook(path: Path, label: str, *, every_sheet: bool = False) -> bool:
    """Refuse zip and XML bombs before parsing; return the workbook's 1904 date flag.

    An XLSX file is a zip of XML parts. The sizes its directory declares are checked
    against limits (total, and the ratio of any part's expanded size to its compressed
    size), and ``xl/workbook.xml`` is parsed with defusedxml, which refuses entity tricks.
    Cell values are read by calamine, which never evaluates formulas: a formula cell gives
    the value Excel last saved with it, and text starting with ``=`` stays text.
    """
    import zipfile

    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    if not zipfile.is_zipfile(path):
        raise InputFileError(f"{label}: not a readable XLSX workbook (not a zip archive)")
    with zipfile.ZipFile(path) as archive:
        parts = archive.infolist()
        total = sum(p.file_size for p in parts)
        if total > MAX_UNCOMPRESSED_BYTES:
            raise InputFileError(
                f"{label}: the workbook expands to {total / 2**20:,.0f} MB, over the "
                f"{MAX_UNCOMPRESSED_BYTES / 2**20:,.0f} MB allowed; export fewer rows or a CSV"
            )
        for part in parts:
            ratio = part.file_size // max(part.compress_size, 1)
            if part.file_size > 2**20 and ratio > MAX_RATIO:
                raise InputFileError(
                    f"{label}: {part.filename} expands {ratio}-fold, which only a zip bomb "
                    "does; refusing to read it"
                )
        try:
            workbook = archive.read("xl/workbook.xml")
        except KeyError:
            raise InputFileError(f"{label}: not an XLSX workbook (no xl/workbook.xml)") from None
        try:
            root = ElementTree.fromstring(workbook)
        except (DefusedXmlException, ElementTree.ParseError) as exc:
            raise InputFileError(
                f"{label}: unsafe or broken workbook XML ({_first_line(exc)})"
            ) from exc
        if every_sheet:
            sheets = [p.filename for p in parts if p.filename.startswith("xl/worksheets/")
                      and p.filename.endswith(".xml")]  # fmt: skip
        else:
            sheets = [part for part in [_first_sheet_part(archive, root)] if part]
        for sheet in sheets:
            _check_grid(archive, sheet, label)
    properties = next((e for e in root.iter() if e.tag.endswith("workbookPr")), None)
    flag = properties.get("date1904", "0") if properties is not None else "0"
    return flag.lower() in ("1", "true")


def _check_grid(archive: Any, sheet: str, label: str) -> None:
    """Refuse a sheet whose grid a reader would have to allocate is beyond the limits."""
    rows, columns, cells = _used_range(archive, sheet)
    if rows > MAX_ROWS:
        raise InputFileError(
            f"{label}: sheet {sheet} reaches row {rows:,}, over the {MAX_ROWS:,} "
            "rows allowed; export fewer rows"
        )
    grid = rows * columns
    # A reader allocates the whole grid: refuse one far larger than the cells in it.
    sparse = grid > SPARSE_GRID_FLOOR and grid > SPARSE_RATIO * max(cells, 1)
    if columns > MAX_COLUMNS or grid > MAX_CELLS or sparse:
        raise InputFileError(
            f"{label}: sheet {sheet} spans {rows:,} rows x {columns:,} columns (to "
            f"cell {_column_letters(columns)}{rows}) with {cells:,} cells filled: too "
            f"large or too sparse to read (at most {MAX_COLUMNS:,} columns and "
            f"{MAX_CELLS:,} cells); delete stray cells far from the data"
        )


_CELL_COLUMN = re.compile(rb"<(?:\w+:)?c\b[^>]*?\sr=\"([A-Z]{1,3})\d")
_ROW_NUMBER = re.compile(rb"<(?:\w+:)?(?:row|c)\b[^>]*?\sr=\"[A-Z]{0,3}(\d{1,9})\"")


def _first_sheet_part(archive: Any, workbook: Any) -> str | None:
    """The zip part of the workbook's first sheet (the one read), from workbook.xml and
    its relationships; None when they do not say."""
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    sheet = next((e for e in workbook.iter() if e.tag.endswith("}sheet") or e.tag == "sheet"), None)
    if sheet is None:
        return None
    rel_id = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
    try:
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError, DefusedXmlException):
        return None  # no readable relationships: calamine will say what is wrong
    for rel in rels.iter():
        if rel.get("Id") == rel_id and rel.get("Target"):
            target = rel.get("Target").lstrip("/")
            return target if target.startswith("xl/") else f"xl/{target}"
    return None


def _used_range(archive: Any, part: str) -> tuple[int, int, int]:
    """The highest row and column any cell of ``part`` names, and how many cells name
    themselves, streamed through (the sheet is never held whole): the grid a reader would
    allocate, and what fills it."""
    try:
        handle = archive.open(part)
    except KeyError:
        return 0, 0, 0
    rows, letters, cells, carry = 0, "", 0, b""
    with handle:
        while chunk := handle.read(1 << 22):
            # Carry an unfinished tag over to the next chunk, so no tag is split or counted twice.
            text = carry + chunk
            cut = text.rfind(b"<")
            text, carry = (text[:cut], text[cut:]) if cut > 0 else (text, b"")
            rows, letters, cells = _scan(text, rows, letters, cells)
        rows, letters, cells = _scan(carry, rows, letters, cells)
    return rows, (_column_number(letters) if letters else 0), cells


def _scan(text: bytes, rows: int, letters: str, cells: int) -> tuple[int, str, int]:
    found = _ROW_NUMBER.findall(text)
    if found:
        rows = max(rows, max(int(n) for n in set(found)))
    columns = _CELL_COLUMN.findall(text)
    cells += len(columns)
    for name in set(columns):
        word = name.decode()
        if (len(word), word) > (len(letters), letters):
            letters = word
    return rows, letters, cells


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters or "A"


def _with_header(frame: pd.DataFrame, label: str, first_row: int) -> pd.DataFrame:
    """Find the header (title rows may sit above it) and return the records below it.

    The header is the first row, among the first few, with at least half as many filled
    cells as the fullest of them (and at least two).
    """
    counts = frame.head(_HEADER_SEARCH).map(filled).sum(axis=1)
    if counts.empty or counts.max() < 2:
        raise InputFileError(f"{label}: no header row found (no row with two or more names)")
    header_at = int(counts[counts >= max(2, counts.max() / 2)].index[0])
    names = [
        str(v).strip() if filled(v) else f"column_{j + 1}"
        for j, v in enumerate(frame.iloc[header_at])
    ]
    body = frame.iloc[header_at + 1 :].reset_index(drop=True)
    body.columns = _clean_header(names)
    body.insert(0, ROW, range(header_at + first_row + 1, header_at + first_row + 1 + len(body)))
    return body


def filled(value: object) -> bool:
    """Whether a cell holds something (not None, NaN, or only spaces)."""
    if value is None or (isinstance(value, float) and value != value):
        return False
    return str(value).strip() != ""


def _clean_header(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    clean = []
    for name in names:
        base = str(name).strip()
        if base in seen:
            seen[base] += 1
            clean.append(f"{base}.{seen[base]}")
        else:
            seen[base] = 0
            clean.append(base)
    return clean


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
