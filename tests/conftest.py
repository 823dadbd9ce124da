"""Shared fixtures: tiny assessment folders written on the fly, and headless Chromium."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "assessments" / "example"
GENERIC_HEADER = [
    "incident_id", "title", "team", "service", "severity", "started_at", "detected_at",
    "acknowledged_at", "mitigated_at", "resolved_at", "notified_at", "runbook_used",
    "automated_recovery", "review_done",
]  # fmt: skip


def generic_csv(rows: list[dict[str, str]], header: list[str] | None = None) -> str:
    """A generic-format CSV export of ``rows`` (missing cells empty)."""
    header = header or GENERIC_HEADER
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in header})
    return out.getvalue()


#: A hand-computed team-quarter (tests/README.md explains the figures).
ALPHA_Q3 = [
    {"incident_id": "A1", "title": "db down", "team": "alpha", "severity": "SEV1",
     "started_at": "2026-07-01T09:55:00Z", "detected_at": "2026-07-01T10:00:00Z",
     "acknowledged_at": "2026-07-01T10:02:00Z", "mitigated_at": "2026-07-01T10:06:00Z",
     "resolved_at": "2026-07-01T10:10:00Z", "notified_at": "2026-07-01T10:03:00Z",
     "runbook_used": "yes", "automated_recovery": "no", "review_done": "yes"},
    {"incident_id": "A2", "title": "slow api", "service": "alpha-api", "severity": "2",
     "detected_at": "2026-07-02T10:00:00Z", "acknowledged_at": "2026-07-02T10:04:00Z",
     "mitigated_at": "2026-07-02T10:15:00Z", "resolved_at": "2026-07-02T10:20:00Z",
     "runbook_used": "no", "automated_recovery": "yes", "review_done": "yes"},
    {"incident_id": "A3", "title": "<script>alert('x')</script> & co", "team": "Alpha Team",
     "severity": "P3", "detected_at": "2026-07-03T10:00:00Z",
     "acknowledged_at": "2026-07-03T10:06:00Z", "resolved_at": "2026-07-03T10:30:00Z",
     "runbook_used": "yes", "review_done": "no"},
    {"incident_id": "A4", "title": "queue stuck", "team": "alpha", "severity": "3",
     "detected_at": "2026-07-04T10:00:00Z", "resolved_at": "2026-07-04T11:40:00Z"},
    {"incident_id": "A5", "title": "still burning", "team": "alpha", "severity": "2",
     "detected_at": "2026-07-05T10:00:00Z"},
]  # fmt: skip
BETA = [
    {"incident_id": "B1", "title": "cache flush", "service": "beta-web", "severity": "SEV2",
     "detected_at": "2026-04-10T08:00:00Z", "resolved_at": "2026-04-10T09:00:00Z"},
    {"incident_id": "B2", "title": "drill", "team": "beta", "severity": "SEV2",
     "detected_at": "2026-08-10T08:00:00Z", "resolved_at": "2026-08-10T09:00:00Z"},
]  # fmt: skip
TEAMS = {
    "alpha": {"name": "Alpha Team", "services": ["alpha-api"]},
    "beta": {"name": "Beta", "services": ["beta-web", "beta-db"]},
}


def write_assessment(
    root: Path,
    files: dict[str, str | bytes],
    *,
    teams: dict | None = None,
    timezone: str = "Europe/London",
    answers: dict[str, dict[str, str]] | None = None,
    extra: dict | None = None,
) -> Path:
    """Write an assessment folder: ``files`` maps names under incidents/ to their content."""
    (root / "incidents").mkdir(parents=True)
    settings = {"organisation": "Tiny Org", "timezone": timezone, "teams": teams or TEAMS}
    settings.update(extra or {})
    (root / "assessment.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    for filename, content in files.items():
        path = root / "incidents" / filename
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    for quarter, per_team in (answers or {}).items():
        folder = root / "answers" / quarter
        folder.mkdir(parents=True)
        for team, text in per_team.items():
            (folder / f"{team}.yaml").write_text(text)
    return root


def tiny_files() -> dict[str, str]:
    """The tiny organisation's one export: ALPHA_Q3 and BETA, B2 marked as a drill."""
    text = generic_csv(
        [*ALPHA_Q3, BETA[0], {**BETA[1], "kind": "drill"}], [*GENERIC_HEADER, "kind"]
    )
    return {"export.csv": text}


@pytest.fixture
def make_assessment(tmp_path: Path) -> Callable[..., Path]:
    """``write_assessment`` into a fresh folder ``tmp_path/<name>``."""

    def make(files: dict[str, str | bytes], *, name: str = "org", **options) -> Path:
        return write_assessment(tmp_path / name, files, **options)

    return make


@pytest.fixture
def tiny_assessment(tmp_path: Path) -> Path:
    """Two teams, hand-computed figures (see ALPHA_Q3), one drill."""
    return write_assessment(tmp_path / "tiny", tiny_files())


#: A valid answers file for team alpha (YAML, as DESIGN.md shows it).
GOOD_ANSWERS = """team: alpha
period: 2026-Q3
assessed_on: 2026-09-28
assessors: [A. Coach]
answers:
  people.2a: yes
  process.3a: {answer: partly, evidence: "https://wiki/runbooks", note: "half the services"}
  technology.2a: n/a
targets: {people: 4}
"""

#: alpha answers; beta has none (its report says so instead of scoring).
ALPHA_ANSWERS = {
    "alpha": "team: alpha\nperiod: 2026-Q3\nanswers:\n  people.2a: yes\n  process.2a: yes\n"
    "  process.3a: yes\n  technology.2a: yes\n  measurement.2a: yes\n"
}


@pytest.fixture(scope="session")
def tiny_review(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The tiny organisation's review of 2026-Q3 (HTML and PDF), run once per session and
    shared by the review and browser tests."""
    from maturity.reporting.review import run_review

    root = tmp_path_factory.mktemp("review")
    assessment = write_assessment(root / "tiny", tiny_files(), answers={"2026-Q3": ALPHA_ANSWERS})
    return run_review(assessment, quarter="2026-Q3", out=root / "reports", jobs=2, pdf=True)


def run_maturity(*args: str, **options: Any) -> subprocess.CompletedProcess:
    """The ``maturity`` command as a real process (text output captured)."""
    return subprocess.run(
        [sys.executable, "-m", "maturity.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        **options,
    )


# --- headless Chromium ------------------------------------------------------------------

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Every host name fails to resolve: a page that needs the network cannot load it.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--virtual-time-budget=15000",
    "--enable-logging=stderr",
    "--v=0",
]


def find_chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], tuple[str, list[str]]]:
    """Open a local page offline; returns (DOM after scripts ran, console messages)."""
    binary = find_chromium()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it")
        pytest.skip("chromium is not installed (apt-get install chromium)")

    def open_page(page: Path, screenshot: Path | None = None) -> tuple[str, list[str]]:
        home = tmp_path_factory.mktemp("chromium")
        env = {**os.environ, "XDG_CONFIG_HOME": str(home), "XDG_CACHE_HOME": str(home)}
        extra = (
            [f"--screenshot={screenshot}", "--window-size=1200,2400"]
            if screenshot
            else ["--dump-dom"]
        )
        run = subprocess.run(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={home / 'profile'}", *extra, page.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
        return run.stdout, console

    return open_page


# --- isolation ------------------------------------------------------------------------

_PRIVATE: dict[str, str | None] = {}


def pytest_configure(config: pytest.Config) -> None:
    """Every test, notebook kernel (nbval's too) and CLI process caches parsed exports in
    a folder of this run's own, never the user's ``~/.cache/maturity``: set before any
    collection, so the notebooks under ``notebooks/`` (outside this folder) inherit it."""
    folder = tempfile.mkdtemp(prefix="maturity-test-cache-")
    for name, value in (("MATURITY_CACHE_DIR", folder), ("XDG_CACHE_HOME", folder)):
        _PRIVATE[name] = os.environ.get(name)
        os.environ[name] = value
    _PRIVATE["_folder"] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = _PRIVATE.pop("_folder", None)
    for name, value in _PRIVATE.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


def notebooks_with_cell(folder: Path, code: str) -> Path:
    """A copy of the report notebooks in ``folder`` whose team notebook runs ``code`` first
    (after its parameters): for ``MATURITY_NOTEBOOKS``, to make one team's report slow, fail
    or kill its worker."""
    import nbformat

    from maturity.reporting.execute import PORTFOLIO_NOTEBOOK, TEAM_NOTEBOOK, notebooks_dir

    notebook = nbformat.read(notebooks_dir() / TEAM_NOTEBOOK, as_version=4)
    notebook.cells.insert(1, nbformat.v4.new_code_cell(code))
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / TEAM_NOTEBOOK)
    shutil.copy(notebooks_dir() / PORTFOLIO_NOTEBOOK, folder / PORTFOLIO_NOTEBOOK)
    return folder
