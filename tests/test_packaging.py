"""The package as users install it: a wheel with its notebooks, templates and rubric,
running a review from a fresh virtual environment, away from this checkout."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import EXAMPLE, ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (built,) = out.glob("maturity-*.whl")
    return built


def test_wheel_holds_the_notebooks_templates_and_rubric(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "maturity/reporting/notebooks/team_report.ipynb",
        "maturity/reporting/notebooks/portfolio_report.ipynb",
        "maturity/reporting/notebooks/explore.ipynb",
        "maturity/reporting/templates/report/index.html.j2",
        "maturity/reporting/templates/index.html.j2",
        "maturity/assessment/rubrics/mttr.yaml",
        "maturity/py.typed",
    ):
        assert needed in names, needed
    metadata = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith(".dist-info/METADATA"))
    )
    assert b"License-Expression: Apache-2.0" in metadata


def test_pyproject_declares_an_spdx_license() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"


def test_installed_wheel_runs_a_review_away_from_the_checkout(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    target = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    # The dependencies come from this environment's site-packages: a plain path line, so
    # its .pth files (this checkout's editable install among them) are not processed.
    (Path(target) / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    console = env_dir / "bin" / "maturity"

    work = tmp_path / "elsewhere"
    shutil.copytree(EXAMPLE, work / "example")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MATURITY_NOTEBOOKS")}
    env["PATH"] = f"{env_dir / 'bin'}:{env['PATH']}"
    # nbconvert's own templates are data files under its environment's share/jupyter; a
    # real install of the dependencies would put them in the new environment's.
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    where = subprocess.run(
        [python, "-c", "import maturity; print(maturity.__file__)"],
        capture_output=True, text=True, check=True, cwd=work, env=env,
    ).stdout  # fmt: skip
    assert where.startswith(target), where
    run = subprocess.run(
        [console, "review", "example", "--out", "reports", "--no-pdf", "--jobs", "2"],
        capture_output=True, text=True, cwd=work, env=env, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    summary = json.loads((work / "reports/example/2026-Q3/summary.json").read_text())
    assert summary["status"] == "ok" and len(summary["teams"]) == 6
    assert (work / "reports/example/2026-Q3/teams/payments.html").stat().st_size > 100_000
