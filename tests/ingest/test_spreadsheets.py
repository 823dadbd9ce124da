from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from maturity.errors import InputFileError
from maturity.ingest.spreadsheets import ROW, read_table


def test_csv_rows_keep_their_spreadsheet_numbers(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    # a blank line and a quoted line break: row numbers are what a spreadsheet shows
    path.write_text('id,title\n1,one\n\n2,"two\nlines"\n3,three\n', encoding="utf-8")
    table = read_table(path)
    assert table["id"].tolist() == ["1", "2", "3"]
    assert table[ROW].tolist() == [2, 4, 5]
    assert table["title"][1] == "two\nlines"


def test_csv_with_bom_semicolons_and_windows_1252(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("\ufeffClave;Resumen \r\nINC-1;Caf\u00e9 ca\u00eddo\r\n".encode("utf-8"))
    table = read_table(path)
    assert list(table.columns) == [ROW, "Clave", "Resumen"]  # header stripped of spaces
    assert table["Resumen"][0] == "Caf\u00e9 ca\u00eddo"
    path.write_bytes("id,title\r\n1,Caf\u00e9 \u2013 down\r\n".encode("cp1252"))
    assert read_table(path)["title"][0] == "Caf\u00e9 \u2013 down"


def test_repeated_header_names_are_kept_apart(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("id,Labels,Labels\n1,a,b\n")
    table = read_table(path)
    assert table["Labels"][0] == "a" and table["Labels.1"][0] == "b"


def test_xlsx_cells_keep_their_types(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["id", "detected_at", "count"])
    sheet.append(["A1", dt.datetime(2026, 7, 1, 10, 30), 3])
    sheet.append([None, None, None])
    sheet.append(["A2", "2026-07-02T10:00:00Z", None])
    path = tmp_path / "x.xlsx"
    workbook.save(path)
    table = read_table(path)
    assert table["id"].tolist() == ["A1", "A2"]
    assert table[ROW].tolist() == [2, 4]
    assert table["detected_at"][0] == dt.datetime(2026, 7, 1, 10, 30)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "the file is empty"),
        ("binary.csv", b"\x00\x01\x02PK", "binary"),
        ("fake.xlsx", b"this is not a zip file", "not a readable XLSX"),
        ("notes.txt", b"hello", "unsupported file type .txt"),
    ],
)
def test_unreadable_files_give_one_clear_line(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=message) as error:
        read_table(path)
    assert name in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        read_table(tmp_path / "nope.csv")
