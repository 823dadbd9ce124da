"""The quarterly review end to end: notebooks, HTML, PDF, index, summary, failures."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from PIL import Image

from maturity.reporting.execute import notebooks_dir
from maturity.reporting.review import run_review

from conftest import EXAMPLE, notebooks_with_cell, tiny_files, write_assessment

EXPORTS = Path(__file__).parents[1] / "fixtures" / "exports"

pytestmark = pytest.mark.notebooks


def test_review_writes_every_output(tiny_review) -> None:
    out = tiny_review.out_dir
    assert tiny_review.ok and out.parts[-2:] == ("tiny", "2026-Q3")
    for team in ("alpha", "beta"):
        assert (out / "teams" / f"{team}.html").stat().st_size > 100_000
        assert (out / "teams" / f"{team}.pdf").read_bytes()[:5] == b"%PDF-"
        nbformat.validate(nbformat.read(out / "notebooks" / f"{team}.ipynb", as_version=4))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["quarter"] == "2026-Q3"
    assert [(t["team"], t["status"]) for t in summary["teams"]] == [("alpha", "ok"), ("beta", "ok")]
    assert summary["teams"][0]["headline"]["mttr_median"] == 25.0
    assert summary["quality"] == {
        "rows_read": 7, "rows_used": 6, "rows_excluded": 1, "rows_rejected": 0, "notes": [],
    }  # fmt: skip
    assert summary["portfolio"]["status"] == "ok"
    assert summary["portfolio"]["headline"]["mttr_median"] == 25.0  # ALL, 2026-Q3
    assert (out / "portfolio.html").exists() and (out / "portfolio.pdf").exists()
    index = (out / "index.html").read_text()
    assert 'href="teams/alpha.html"' in index and 'href="teams/beta.pdf"' in index
    assert 'href="portfolio.html"' in index
    assert 'href="review.pptx"' in index and 'href="summary.md"' in index
    assert (out / "review.pptx").stat().st_size > 10_000 and (out / "summary.md").exists()
    assert "25 min" in index
    # beta: an incident in Q2, only a drill in Q3 -> a quiet quarter, not "no usable data"
    beta = (out / "teams" / "beta.html").read_text()
    assert "No incidents were detected in 2026-Q3" in beta and "No usable incident" not in beta


def test_pdf_shows_the_charts(tiny_review, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    pdf = tiny_review.out_dir / "teams" / "alpha.pdf"
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert 1 <= len(pages) <= 6
    # The median line's blue (theme COLOURS["median"] #1f77b4) must be on the first page.
    blue = 0
    for page in pages:
        pixels = np.asarray(Image.open(page).convert("RGB"), dtype=int)
        blue += int((np.abs(pixels - [0x1F, 0x77, 0xB4]).max(axis=2) < 40).sum())
    assert blue > 200, "the charts' blue (median line, supported maturity) is not in the PDF"


def test_one_failing_team_does_not_stop_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    boom = 'if team == "beta":\n    raise RuntimeError("boom for beta")'
    broken = notebooks_with_cell(tmp_path / "notebooks", boom)
    monkeypatch.setenv("MATURITY_NOTEBOOKS", str(broken))
    assessment = write_assessment(tmp_path / "tiny", tiny_files())

    run = subprocess.run(
        [sys.executable, "-m", "maturity.cli", "review", str(assessment), "--quarter", "2026-Q3",
         "--out", str(tmp_path / "reports"), "--no-pdf"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 1
    assert "1 of 3 reports failed" in run.stderr  # two teams and the portfolio
    out = tmp_path / "reports" / "tiny" / "2026-Q3"
    summary = json.loads((out / "summary.json").read_text())
    status = {t["team"]: (t["status"], t["error"]) for t in summary["teams"]}
    assert status["alpha"] == ("ok", None)
    assert status["beta"] == ("failed", "RuntimeError: boom for beta")
    assert (out / "teams" / "alpha.html").exists() and not (out / "teams" / "beta.html").exists()
    assert (out / "notebooks" / "beta.failed.ipynb").exists()  # kept for diagnosis
    assert not (out / "notebooks" / "beta.ipynb").exists()  # no half-run notebook in its place
    assert "failed: RuntimeError: boom for beta" in (out / "index.html").read_text()


@pytest.mark.slow
def test_make_review_on_the_example(tmp_path: Path) -> None:
    """What `make review` does: every team of the example organisation, HTML and PDF."""
    run = subprocess.run(
        [sys.executable, "-m", "maturity.cli", "review", str(EXAMPLE), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    out = tmp_path / "example" / "2026-Q3"  # the latest quarter with answers
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "ok" and len(summary["teams"]) == 6
    for team in summary["teams"]:
        assert (out / team["html"]).exists() and (out / team["pdf"]).exists()
    payments = next(t for t in summary["teams"] if t["team"] == "payments")["headline"]
    search = next(t for t in summary["teams"] if t["team"] == "search")["headline"]
    assert payments["mttr_median"] < search["mttr_median"]  # the stories the example tells
    # The board pack: no page ends with a heading whose content is on the next page.
    if shutil.which("pdftotext"):
        headings = set()
        for notebook in ("team_report.ipynb", "portfolio_report.ipynb"):
            for cell in nbformat.read(notebooks_dir() / notebook, as_version=4).cells:
                if cell.cell_type == "markdown":
                    headings |= {line.lstrip("#").strip() for line in cell.source.splitlines()
                                 if line.startswith("##")}  # fmt: skip
        text = subprocess.run(["pdftotext", "-layout", str(out / "review.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout  # fmt: skip
        pages = text.split("\f")[:-1]
        assert len(pages) > 20 and "Contents" in pages[0]
        for number, page in enumerate(pages, start=1):
            lines = [line.strip() for line in page.splitlines() if line.strip()]
            body = [line for line in lines if not line.endswith(f"of {len(pages)}")
                    and "recovery review 2026-Q3" not in line]  # fmt: skip
            assert body and body[-1] not in headings, (number, body[-3:])


def test_same_inputs_give_the_same_reports(tiny_review, tmp_path: Path) -> None:
    assessment = tiny_review.out_dir.parents[2] / "tiny"
    again = run_review(assessment, quarter="2026-Q3", out=tmp_path, jobs=2, pdf=False)
    for name in ("teams/alpha.html", "teams/beta.html", "portfolio.html"):
        first = (tiny_review.out_dir / name).read_text()
        second = (again.out_dir / name).read_text()
        assert first == second, name
    # the index and summary.json differ only where the first run also wrote PDFs
    summary = json.loads((again.out_dir / "summary.json").read_text())
    assert summary["teams"][0]["pdf"] is None and summary["status"] == "ok"


@pytest.mark.notebooks
def test_a_review_with_no_usable_incident_says_so_and_fails(tmp_path: Path) -> None:
    """Issue 10 finding 3: a named format whose rows are all rejected no longer gives a
    review of empty reports printing "ok"."""
    from conftest import run_maturity

    export = (EXPORTS / "pagerduty-no-resolution.csv").read_text()
    export = export.replace(",acknowledged,", ",resolved,")  # now every row is rejected
    assessment = write_assessment(
        tmp_path / "pd", {"pd.csv": export},
        teams={"payments": {"name": "Payments", "aliases": ["Payments On-Call"]},
               "search": {"name": "Search"}},
        extra={"sources": [{"path": "incidents/pd.csv", "format": "pagerduty"}]},
        answers={"2026-Q3": {"payments": "team: payments\nperiod: 2026-Q3\nanswers:\n"
                                         "  process.3a: yes\n"}},
    )  # fmt: skip
    run = run_maturity("review", str(assessment), "--quarter", "2026-Q3", "--out",
                       str(tmp_path / "reports"), "--no-pdf")  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    assert "no usable incident in any export (4 rows read, 4 rejected)" in run.stderr
    lines = [line for line in run.stdout.splitlines() if line.startswith("  ")]
    teams = [line for line in lines if "portfolio" not in line]
    assert len(lines) == 3 and all("no usable incident" in line for line in teams), lines
    out = tmp_path / "reports" / "pd" / "2026-Q3"
    payments = (out / "teams" / "payments.html").read_text()
    assert "No usable incident for Payments in the exports: the 4 rows" in payments
    assert "Nothing in this report is checked against incident data" in payments
    search = (out / "teams" / "search.html").read_text()
    assert "no row names this team or its services" in search
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "failed" and summary["problems"]
    # Without answers either, the quarter itself has nothing: one line says why.
    shutil.rmtree(assessment / "answers")
    run = run_maturity("review", str(assessment), "--quarter", "2026-Q3", "--out",
                       str(tmp_path / "reports"), "--no-pdf")  # fmt: skip
    assert run.returncode == 2
    assert "no usable incident: 4 rows read, 4 rejected" in run.stderr
