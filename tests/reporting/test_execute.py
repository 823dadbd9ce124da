"""Finding and running the report notebooks: from a checkout, the package, or elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from maturity.reporting.execute import (
    EXPLORE_NOTEBOOK,
    PORTFOLIO_NOTEBOOK,
    TEAM_NOTEBOOK,
    notebooks_dir,
)

ROOT = Path(__file__).resolve().parents[2]


def test_the_package_ships_the_notebooks_users_open() -> None:
    folder = notebooks_dir()
    for name in (TEAM_NOTEBOOK, PORTFOLIO_NOTEBOOK, EXPLORE_NOTEBOOK):
        shipped, opened = folder / name, ROOT / "notebooks" / name
        assert shipped.read_bytes() == opened.read_bytes(), name


def test_maturity_notebooks_points_elsewhere(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("MATURITY_NOTEBOOKS", str(tmp_path))
    assert notebooks_dir() == tmp_path
