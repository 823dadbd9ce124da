"""Reading an export file into a raw table, one record per spreadsheet row.

A raw table keeps every cell as the file gave it (text from CSV; text, numbers or datetimes
from XLSX) so each source format decides what its columns mean. Column ``_row`` holds the
row number a person sees when opening the file in a spreadsheet (the header is row 1), so
every message can point at the row to fix.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from maturity.errors import InputFileError

ROW = "_row"
_SNIFF_BYTES = 64 * 1024
_DELIMITERS = ",;\t|"


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
    blank = cells.isna() | cells.astype("string").apply(lambda col: col.str.strip() == "")
    table = table[~blank.all(axis=1)].reset_index(drop=True)
    return table


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
    text = _decode(path.read_bytes(), label)
    sample = text[:_SNIFF_BYTES]
    try:
        delimiter = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=_DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
        )
    except pd.errors.ParserError as exc:
        raise InputFileError(f"{label}: not a readable CSV file ({_first_line(exc)})") from exc
    except pd.errors.EmptyDataError as exc:
        raise InputFileError(f"{label}: the file has no header row") from exc
    frame.columns = _clean_header(list(frame.columns))
    # Record i (0-based) sits on spreadsheet row i + 2: the header is row 1.
    frame.insert(0, ROW, range(2, len(frame) + 2))
    return frame


def _read_xlsx(path: Path, label: str) -> pd.DataFrame:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except (CalamineError, OSError, ValueError) as exc:
        raise InputFileError(f"{label}: not a readable XLSX workbook ({_first_line(exc)})") from exc
    header_at = next((i for i, r in enumerate(rows) if sum(_filled(v) for v in r) >= 2), None)
    if header_at is None:
        raise InputFileError(f"{label}: the first sheet has no header row")
    header = _clean_header(
        [str(v) if _filled(v) else f"column_{j + 1}" for j, v in enumerate(rows[header_at])]
    )
    body = [list(r) + [""] * (len(header) - len(r)) for r in rows[header_at + 1 :]]
    frame = pd.DataFrame(body, columns=header, dtype=object)
    frame.insert(0, ROW, range(header_at + 2, header_at + 2 + len(frame)))
    return frame


def _filled(value: object) -> bool:
    return value is not None and str(value).strip() != ""


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
