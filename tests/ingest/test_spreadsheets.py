from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from maturity.errors import InputFileError
from maturity.ingest.spreadsheets import ROW, read_table

EXPORTS = Path(__file__).parent.parent / "fixtures" / "exports"


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


def _pandas_cells(text: str, delimiter: str, width: int):
    import io

    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=delimiter, header=None, names=range(width), dtype=object,
            keep_default_na=False, skip_blank_lines=False,
        )  # fmt: skip
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        return exc
    return frame.fillna("").to_numpy(dtype=object)


@pytest.mark.parametrize("seed", range(3))
def test_small_csv_splits_random_text_as_pandas_does_or_leaves_it_to_pandas(seed: int) -> None:
    """The csv-module path for small files gives pandas' cells exactly, or declines."""
    import csv
    import io
    import random

    from maturity.ingest.spreadsheets import _small_csv

    rng = random.Random(seed)
    pieces = ["a", "é", ",", ",", ";", "\t", " ", '"', '""', '"x"', ' "', 'a"', '"\n"', "\n",
              "\n\n"]  # fmt: skip
    compared = 0
    for _ in range(4_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 80)))
        delimiter = rng.choice([",", ";", "\t"])
        lines = text.split("\n", 30)[:30]
        try:
            width = max(len(r) for r in csv.reader(io.StringIO("\n".join(lines)),
                                                   delimiter=delimiter))  # fmt: skip
        except csv.Error:
            width = max(line.count(delimiter) + 1 for line in lines)
        cells = _small_csv(text, delimiter, width)
        if cells is None:
            continue
        expected = _pandas_cells(text, delimiter, width)
        assert not isinstance(expected, Exception), (text, expected)
        assert expected.shape == cells.shape and (expected == cells).all(), text
        compared += 1
    assert compared > 500  # the fast path was taken often enough to mean something


@pytest.mark.parametrize("export", sorted(EXPORTS.glob("*.csv")), ids=lambda p: p.stem)
def test_every_vendor_export_reads_the_same_by_either_splitter(export: Path, monkeypatch) -> None:
    from maturity.ingest import spreadsheets

    fast = read_table(export)
    monkeypatch.setattr(spreadsheets, "SMALL_CSV_CHARACTERS", -1)
    pd.testing.assert_frame_equal(fast, read_table(export))
