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

import numpy as np
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
        return _read_csv(path, label)
    if suffix == ".xlsx":
        return _read_xlsx(path, label)
    raise InputFileError(f"{label}: unsupported file type {suffix or '(none)'}; use .csv or .xlsx")


def _filled_cells(cells: np.ndarray) -> np.ndarray:
    """``filled`` for each cell of a 2-D object array."""
    if cells.size == 0:
        return np.zeros(cells.shape, dtype=bool)
    return np.frompyfunc(filled, 1, 1)(cells).astype(bool)


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
    cells = _small_csv(text, delimiter, width)
    if cells is None:
        try:
            frame = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                header=None,
                names=range(width),
                dtype=object,
                keep_default_na=False,
                skip_blank_lines=False,
            )
        except pd.errors.ParserError as exc:
            raise InputFileError(f"{label}: not a readable CSV file ({_first_line(exc)})") from exc
        except pd.errors.EmptyDataError as exc:
            raise InputFileError(f"{label}: the file has no header row") from exc
        cells = frame.fillna("").to_numpy(dtype=object)
    # Record i (0-based) is spreadsheet row i + 1.
    table = _with_header(cells, label, first_row=1)
    table.attrs["notes"] = [note] if note else []
    return table


def _read_xlsx(path: Path, label: str) -> pd.DataFrame:
    date1904 = check_workbook(path, label)
    (rows,) = read_sheets_safely(path, label, [0])
    if len(rows) > MAX_ROWS:
        raise InputFileError(f"{label}: {len(rows):,} rows is more than the {MAX_ROWS:,} allowed")
    width = max((len(r) for r in rows), default=0)
    frame = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows], dtype=object)
    table = _with_header(frame.to_numpy(dtype=object), label, first_row=1)
    table.attrs["date1904"] = date1904
    return table


def read_sheets_safely(path: Path, label: str, wanted: list[int | str]) -> list[Any]:
    """The rows of each sheet ``wanted`` (None for a name the workbook lacks), read in a
    helper process (``sheet_reader``): whatever calamine refuses, a panic in it, or a crash
    of the process reading, is a one-line InputFileError naming the file."""
    from maturity.ingest.sheet_reader import read_sheets

    status, value = read_sheets(str(path), wanted)
    if status == "ok":
        return value
    first = value.strip().splitlines()[0] if value.strip() else "no detail"
    detail = {"error": first, "panic": f"the reader failed: {first}",
              "crashed": "the reader crashed on it"}[status]  # fmt: skip
    raise InputFileError(f"{label}: not a readable XLSX workbook ({detail})")


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
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise InputFileError(f"{label}: a damaged XLSX workbook ({_first_line(exc)})") from exc
    with archive:
        parts = archive.infolist()
        _check_parts(archive, parts, label)
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


def _check_parts(archive: Any, parts: list[Any], label: str) -> None:
    """Refuse a workbook whose zip a reader would misread: two parts of one name (which one
    is read depends on the reader), an encrypted part, or a part that does not decompress
    to what its checksum says (each part is read through once, in chunks, and discarded)."""
    import zipfile
    import zlib

    names: set[str] = set()
    for part in parts:
        if part.filename in names:
            raise InputFileError(
                f"{label}: the workbook holds two parts named {part.filename[:80]!r}; a "
                "spreadsheet never writes that, so it is refused"
            )
        names.add(part.filename)
        if part.flag_bits & 0x1:
            raise InputFileError(
                f"{label}: part {part.filename[:80]!r} is encrypted; save the workbook "
                "without a password"
            )
    for part in parts:
        try:
            with archive.open(part) as handle:
                while handle.read(1 << 22):
                    pass
        except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError,
                NotImplementedError, ValueError) as exc:  # fmt: skip
            raise InputFileError(
                f"{label}: the workbook is damaged: part {part.filename[:80]!r} cannot be "
                f"read ({_first_line(exc)}); export it again"
            ) from exc


def _check_grid(archive: Any, sheet: str, label: str) -> None:
    """Refuse a sheet whose grid a reader would have to allocate is beyond the limits: the
    cells' extent, or the extent its ``dimension`` declares (a reader reserves that much)."""
    used_rows, used_columns, cells, declared = _used_range(archive, sheet, label)
    rows, columns = max(used_rows, declared[0]), max(used_columns, declared[1])
    if rows > MAX_ROWS:
        raise InputFileError(
            f"{label}: sheet {sheet} reaches row {rows:,}, over the {MAX_ROWS:,} "
            "rows allowed; export fewer rows"
        )
    grid = rows * columns
    # A reader allocates the whole grid the cells span: refuse one far larger than the cells
    # in it. (A declared dimension larger than the cells, as some writers leave it, counts
    # towards the absolute limits only: it is reserved, not filled.)
    used = used_rows * used_columns
    sparse = used > SPARSE_GRID_FLOOR and used > SPARSE_RATIO * max(cells, 1)
    if columns > MAX_COLUMNS or grid > MAX_CELLS or sparse:
        raise InputFileError(
            f"{label}: sheet {sheet} spans {rows:,} rows x {columns:,} columns (to "
            f"cell {_column_letters(columns)}{rows}) with {cells:,} cells filled: too "
            f"large or too sparse to read (at most {MAX_COLUMNS:,} columns and "
            f"{MAX_CELLS:,} cells); delete stray cells far from the data"
        )


#: Excel's own grid: no cell beyond XFD1048576 exists in a workbook Excel can open.
EXCEL_MAX_ROW = 1_048_576
EXCEL_MAX_COLUMN = 16_384
_REFERENCE = re.compile(r"^\s*([A-Za-z]{1,3})?\s*(\d{1,7})?\s*$")


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


class _GridScan:
    """The extent of one sheet, read by an XML parser (expat) as the sheet streams through:
    the highest row and column any ``<row r>`` or ``<c r>`` names (or implies, when ``r`` is
    left out: the next row, the next column), how many cells there are, and the
    ``<dimension ref>`` the sheet declares. Attribute quoting and spacing are the parser's
    business, so a reference cannot hide from the check; one that names no cell Excel could
    hold (a 10-digit row, past XFD) is refused, before a reader allocates or wraps it."""

    def __init__(self, label: str, sheet: str) -> None:
        self.label, self.sheet = label, sheet
        self.rows = self.columns = self.cells = 0
        self.declared = (0, 0)
        self._row = self._column = 0

    def _where(self, value: str) -> tuple[int | None, int | None]:
        match = _REFERENCE.match(value)
        if not match or not any(match.groups()):
            raise InputFileError(
                f"{self.label}: sheet {self.sheet} names a cell {value[:40]!r}, which is no "
                "cell reference; the workbook is damaged or was not written by a spreadsheet"
            )
        letters, digits = match.groups()
        column = _column_number(letters.upper()) if letters else None
        row = int(digits) if digits else None
        if (row is not None and not 1 <= row <= EXCEL_MAX_ROW) or (
            column is not None and column > EXCEL_MAX_COLUMN
        ):
            raise InputFileError(
                f"{self.label}: sheet {self.sheet} names cell {value.strip()[:40]!r}, beyond "
                f"Excel's last cell XFD{EXCEL_MAX_ROW}; the workbook is damaged or forged"
            )
        return row, column

    def start(self, name: str, attributes: dict[str, str]) -> None:
        tag = name.rpartition(":")[2]
        if tag == "c":
            reference = attributes.get("r")
            row, column = self._where(reference) if reference is not None else (None, None)
            self._row = row or self._row or 1
            self._column = column or self._column + 1
            self.cells += 1
            self.rows = max(self.rows, self._row)
            self.columns = max(self.columns, self._column)
        elif tag == "row":
            reference = attributes.get("r")
            row = self._where(reference)[0] if reference is not None else None
            self._row, self._column = row or self._row + 1, 0
            self.rows = max(self.rows, self._row)
        elif tag == "dimension":
            ends = [self._where(end) for end in attributes.get("ref", "A1").split(":")[:2]]
            self.declared = (max(r or 0 for r, _ in ends), max(c or 0 for _, c in ends))


def _refuse_declarations(*_args: Any) -> None:
    raise InputFileError("declarations")  # replaced by a message naming the file below


def _used_range(archive: Any, part: str, label: str) -> tuple[int, int, int, tuple[int, int]]:
    """The highest row and column any cell of ``part`` names, how many cells there are, and
    the rows and columns its ``dimension`` declares (a reader may reserve that), streamed
    through an XML parser (the sheet is never held whole): the grid a reader would
    allocate, and what fills it."""
    from xml.parsers import expat

    try:
        handle = archive.open(part)
    except KeyError:
        return 0, 0, 0, (0, 0)
    scan = _GridScan(label, part)
    parser = expat.ParserCreate()
    parser.StartElementHandler = scan.start
    # A sheet has no business declaring entities or a DTD (entity expansion is the classic
    # XML bomb): refused, as defusedxml refuses them in workbook.xml.
    parser.StartDoctypeDeclHandler = _refuse_declarations
    parser.EntityDeclHandler = _refuse_declarations
    try:
        with handle:
            while chunk := handle.read(1 << 22):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise InputFileError(f"{label}: sheet {part} is not well-formed XML ({exc})") from exc
    except InputFileError as exc:
        if str(exc) == "declarations":
            raise InputFileError(
                f"{label}: sheet {part} declares a DTD or entities, which no spreadsheet "
                "writes; refusing it"
            ) from None
        raise
    return scan.rows, scan.columns, scan.cells, scan.declared


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


#: CSV text up to this many characters is split by the ``csv`` module (microseconds) rather
#: than pandas' parser (about a millisecond of set-up per file): see ``_small_csv``.
SMALL_CSV_CHARACTERS = 256 * 1024


def _small_csv(text: str, delimiter: str, width: int) -> np.ndarray | None:
    """The cells of a small CSV text as pandas' parser reads them (``header=None``, ``width``
    columns, blank lines kept, every cell text, short rows padded with ""), or None to let
    pandas read it: a large text, or anything out of the ordinary (a row wider than
    ``width``, a stray or unclosed quote, no text), where pandas' own result or error
    stands. tests/ingest/test_spreadsheets.py compares the two on random texts."""
    if len(text) > SMALL_CSV_CHARACTERS or not text.strip():
        return None
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error:
        return None
    cells = np.full((len(rows), width), "", dtype=object)
    for i, row in enumerate(rows):
        if len(row) > width:
            return None
        cells[i, : len(row)] = row
    return cells


def _with_header(cells: np.ndarray, label: str, first_row: int) -> pd.DataFrame:
    """Find the header (title rows may sit above it) and return the records below it.

    The header is the first row, among the first few, with at least half as many filled
    cells as the fullest of them (and at least two). Rows whose cells are all empty are
    dropped: they are layout, not records.
    """
    # Whole-array operations, not column by column or cell by cell: an export of a few
    # rows costs microseconds here (tens of thousands of small files may be read).
    counts = _filled_cells(cells[:_HEADER_SEARCH]).sum(axis=1)
    if not len(counts) or counts.max() < 2:
        raise InputFileError(f"{label}: no header row found (no row with two or more names)")
    header_at = int(np.flatnonzero(counts >= max(2, counts.max() / 2))[0])
    names = [
        str(v).strip() if filled(v) else f"column_{j + 1}" for j, v in enumerate(cells[header_at])
    ]
    body = cells[header_at + 1 :]
    rows = np.arange(header_at + first_row + 1, header_at + first_row + 1 + len(body))
    kept = _records(body)
    table = pd.DataFrame(body[kept], columns=_clean_header(names), dtype=object)
    table.insert(0, ROW, rows[kept])
    return table


def _records(cells: np.ndarray) -> np.ndarray:
    """Which rows of a 2-D object array hold a record: some cell not empty, and, for a row
    of only a few filled cells, not all of them spaces."""
    counts = (np.where(pd.isna(cells), "", cells) != "").sum(axis=1)
    records = counts > 0
    sparse = np.flatnonzero(records & (counts <= 3))
    if len(sparse):  # checked on those rows alone
        records[sparse] = _filled_cells(cells[sparse]).any(axis=1)
    return records


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
