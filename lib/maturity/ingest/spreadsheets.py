"""Reading an export file into a raw table, one record per spreadsheet row.

A raw table keeps every cell as the file gave it (text from CSV; text, numbers or datetimes
from XLSX) so each source format decides what its columns mean. Column ``_row`` holds the
row number a person sees when opening the file in a spreadsheet (the header is row 1), so
every message can point at the row to fix.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

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


def read_table(path: Path, label: str | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX export into a raw table with a ``_row`` column.

    Rows whose cells are all empty are dropped: they are layout, not records. Header names
    are stripped of surrounding white space; repeated names get ``.1``, ``.2`` suffixes.
    ``label`` names the file in error messages (default: the path).
    """
    label = label or str(path)
    if not path.exists():
        raise InputFileError(f"{label}: no such file")
    if not path.is_file():
        raise InputFileError(f"{label}: not a file")
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


def _decode(data: bytes, label: str) -> str:
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise InputFileError(f"{label}: not a text CSV file (it holds binary data)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Windows-1252 is what Excel and ServiceNow write on Windows; it decodes any byte
        # except five, so a file it cannot decode is not text.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise InputFileError(f"{label}: not UTF-8 or Windows-1252 text") from exc


def _read_csv(path: Path, label: str) -> pd.DataFrame:
    # Windows line ends, and the doubled CR some exporters write (CR CR LF), are one break.
    text = re.sub(r"\r+\n?", "\n", _decode(path.read_bytes(), label))
    sample = text[:_SNIFF_BYTES]
    lines = [line for line in sample.splitlines()[:_HEADER_SEARCH] if line.strip()]
    try:
        widest = max(lines, key=lambda line: sum(line.count(d) for d in _DELIMITERS))
        delimiter = csv.Sniffer().sniff(widest, delimiters=_DELIMITERS).delimiter
    except (csv.Error, ValueError):
        delimiter = ","
    width = max((len(r) for r in csv.reader(io.StringIO(sample), delimiter=delimiter)), default=1)
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
    return _with_header(frame, label, first_row=1)


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


def check_workbook(path: Path, label: str) -> bool:
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
    properties = next((e for e in root.iter() if e.tag.endswith("workbookPr")), None)
    flag = properties.get("date1904", "0") if properties is not None else "0"
    return flag.lower() in ("1", "true")


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
