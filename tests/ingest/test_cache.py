from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from maturity.ingest import cache, incidents
from maturity.ingest.incidents import load_incidents


@pytest.fixture(autouse=True)
def every_file_is_large(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache serves the exports read one by one (larger than SMALL_EXPORT_BYTES; small
    ones are normalised together, faster than a cache entry is read): these tests' small
    exports count as large."""
    monkeypatch.setattr(incidents, "SMALL_EXPORT_BYTES", 0)


def test_second_load_reads_the_cache_and_gives_the_same_result(
    tiny_assessment: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATURITY_CACHE_DIR", str(tmp_path / "cache"))
    first = load_incidents(tiny_assessment)
    entries = sorted(p.suffix for p in (tmp_path / "cache").iterdir())
    assert entries == [".json", ".parquet"]

    def refuse(*args, **kwargs):
        raise AssertionError("parsed again despite the cache")

    monkeypatch.setattr("maturity.ingest.incidents._read_raw", refuse)
    second = load_incidents(tiny_assessment)
    pd.testing.assert_frame_equal(first.incidents, second.incidents)
    pd.testing.assert_frame_equal(first.ledger, second.ledger)
    assert first.notes == second.notes


def test_a_changed_file_or_setting_is_read_afresh(
    tiny_assessment: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATURITY_CACHE_DIR", str(tmp_path / "cache"))
    export = tiny_assessment / "incidents" / "export.csv"
    key = cache.file_key(export, {"timezone": None})
    assert key != cache.file_key(export, {"timezone": "UTC"})
    load_incidents(tiny_assessment)
    export.write_text(export.read_text().replace("db down", "database down"))
    assert cache.file_key(export, {"timezone": None}) != key
    titles = load_incidents(tiny_assessment).incidents["title"].tolist()
    assert "database down" in titles


def test_cache_can_be_switched_off(tiny_assessment: Path, monkeypatch) -> None:
    monkeypatch.setenv("MATURITY_CACHE_DIR", "off")
    assert cache.cache_dir() is None
    assert load_incidents(tiny_assessment).count("used") == 6


def test_a_damaged_entry_is_replaced(tiny_assessment: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MATURITY_CACHE_DIR", str(tmp_path / "cache"))
    load_incidents(tiny_assessment)
    for entry in (tmp_path / "cache").glob("*.parquet"):
        entry.write_bytes(b"not parquet")
    assert load_incidents(tiny_assessment).count("used") == 6


def test_tests_never_use_the_users_cache() -> None:
    folder = cache.cache_dir()
    assert folder is not None
    assert not folder.resolve().is_relative_to((Path.home() / ".cache").resolve())


def test_small_exports_are_not_cached(
    tiny_assessment: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(incidents, "SMALL_EXPORT_BYTES", 256 * 1024)
    monkeypatch.setenv("MATURITY_CACHE_DIR", str(tmp_path / "cache"))
    assert load_incidents(tiny_assessment).count("used") == 6
    assert not (tmp_path / "cache").exists()
