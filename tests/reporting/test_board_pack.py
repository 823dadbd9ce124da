"""The board pack (``review.pdf``) and the review site (``<out>/<org>/index.html``), from
the tiny organisation's review (``tiny_review`` in conftest)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from maturity.reporting import board_pack
from maturity.reporting.board_pack import Section, write_board_pack, write_site

pytestmark = pytest.mark.notebooks


def pdf_text(path: Path, first: int, last: int) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-f", str(first), "-l", str(last), str(path), "-"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def page_count(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(
        next(line.split()[-1] for line in info.stdout.splitlines() if line.startswith("Pages"))
    )


@pytest.fixture(scope="module")
def pack(tiny_review) -> Path:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    return tiny_review.out_dir / "review.pdf"


def test_the_board_pack_has_contents_with_page_numbers(tiny_review, pack: Path) -> None:
    pages = page_count(pack)
    # the cover, then the portfolio and each team on pages of their own
    assert pages >= 1 + 1 + len(tiny_review.teams)
    cover = pdf_text(pack, 1, 1)
    assert "Tiny Org: recovery review 2026-Q3" in cover and "Contents" in cover
    entries = {}
    for line in cover.splitlines():
        for title in ("Portfolio", "Alpha Team", "Beta"):
            if line.strip().startswith(title) and line.rstrip()[-1].isdigit():
                entries[title] = int(line.split()[-1])
    assert list(entries) == ["Portfolio", "Alpha Team", "Beta"]
    assert 1 < entries["Portfolio"] < entries["Alpha Team"] < entries["Beta"] <= pages
    # each entry's page is where that report's title is
    for title, page in entries.items():
        heading = "recovery from failure" if title != "Portfolio" else "Tiny Org: recovery from"
        text = pdf_text(pack, page, page)
        assert heading in text and (title == "Portfolio" or title in text), (title, page)
    # every page is numbered "page n of N"
    for page in (1, pages):
        assert f"page {page} of {pages}" in pdf_text(pack, page, page)


def test_the_review_site_lists_every_quarter(tiny_review) -> None:
    site = tiny_review.out_dir.parent / "index.html"
    page = site.read_text()
    assert 'href="2026-Q3/index.html"' in page and 'href="2026-Q3/review.pdf"' in page
    assert "Tiny Org: recovery reviews" in page
    index = (tiny_review.out_dir / "index.html").read_text()
    assert 'href="review.pdf"' in index and 'href="../index.html"' in index


def test_the_site_adds_quarters_newest_first(tiny_review, tmp_path: Path) -> None:
    org = tmp_path / "tiny"
    shutil.copytree(tiny_review.out_dir, org / "2026-Q3")
    shutil.copytree(tiny_review.out_dir, org / "2026-Q2")
    summary = (org / "2026-Q2" / "summary.json").read_text().replace('"2026-Q3"', '"2026-Q2"')
    (org / "2026-Q2" / "summary.json").write_text(summary)
    (org / "2026-Q1").mkdir()  # a quarter still being written: no summary, left out
    page = write_site(org, "Tiny Org").read_text()
    assert page.index('href="2026-Q3/index.html"') < page.index('href="2026-Q2/index.html"')
    assert "2026-Q1" not in page


def test_a_failed_report_is_named_in_the_contents(tiny_review, pack: Path, tmp_path: Path) -> None:
    out = tiny_review.out_dir
    target = tmp_path / "pack.pdf"
    write_board_pack(target, "Org <b>", "2026-Q3", [
        Section("portfolio", "Portfolio", out / "portfolio.pdf"),
        Section("alpha", "Alpha Team", None, "boom <script>"),
        Section("beta", "Beta", out / "teams" / "beta.pdf"),
    ])  # fmt: skip
    cover = pdf_text(target, 1, 1)
    assert "Alpha Team: this report failed and is not in the pack (boom <script>)" in cover
    assert "Org <b>: recovery review 2026-Q3" in cover  # escaped: shown as written
    expected = 1 + page_count(out / "portfolio.pdf") + page_count(out / "teams" / "beta.pdf")
    assert page_count(target) == expected


@pytest.mark.parametrize("guess", [None, 1, 9])
def test_many_reports_join_with_contents_over_several_pages(
    tiny_review, pack: Path, tmp_path: Path, monkeypatch, guess: int | None
) -> None:
    """Past ~20 reports the contents take more than one page: every entry still points at
    its report's first page, whatever the first guess of the contents' length, and every
    page carries the pack's title and its number."""
    if guess is not None:
        monkeypatch.setattr(board_pack, "_cover_pages_guess", lambda entries: guess)
    alpha = tiny_review.out_dir / "teams" / "alpha.pdf"
    per_report = page_count(alpha)
    sections = [Section(f"t{i}", f"Team {i:03d}", alpha) for i in range(60)]
    target = tmp_path / "big.pdf"
    write_board_pack(target, "Big Org", "2026-Q3", sections)
    pages = page_count(target)
    text = pdf_text(target, 1, pages).split("\f")
    cover_pages = pages - 60 * per_report
    assert cover_pages == 3
    for i in (0, 29, 59):
        line = next(line for page in text[:cover_pages] for line in page.splitlines()
                    if line.strip().startswith(f"Team {i:03d}"))  # fmt: skip
        assert int(line.split()[-1]) == cover_pages + 1 + i * per_report
    for number, page in enumerate(text[:pages], start=1):
        assert f"page {number} of {pages}" in page, number
        assert "Big Org: recovery review 2026-Q3" in page, number


def test_the_cover_carries_the_headline_figures(tiny_review, pack: Path) -> None:
    from maturity.reporting.formatting import format_minutes
    from maturity.reporting.quarter import ReviewQuarter

    organisation = Path(tiny_review.out_dir).parents[2] / "tiny"
    data = ReviewQuarter.load(organisation, "2026-Q3")
    now = data.row("ALL")
    # (not -layout: the cards side by side would interleave their wrapped labels)
    raw = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pack), "-"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    cover = " ".join(raw.split())
    for label in ("Median time to recover", "90th percentile", "Incidents",
                  "Against 2025-Q3", "Teams assessed"):  # fmt: skip
        assert label.upper() in cover.upper(), label  # labels are set in capitals
    assert format_minutes(now["mttr_median"], data.recovery_unit) in cover
    assert f"n = {now['resolved']} resolved" in cover
    assert "no data for 2025-Q3" in cover  # the tiny exports begin in 2026-Q2
    assert "Contents" in cover


def test_the_site_draws_the_trend_across_quarters_offline(tiny_review, tmp_path: Path) -> None:
    import json

    org = tmp_path / "tiny"
    shutil.copytree(tiny_review.out_dir, org / "2026-Q3")
    only_one = write_site(org, "Tiny Org").read_text()
    assert "<svg" not in only_one  # one quarter: no trend to draw
    shutil.copytree(tiny_review.out_dir, org / "2026-Q2")
    summary = json.loads((org / "2026-Q2" / "summary.json").read_text())
    summary["quarter"] = "2026-Q2"
    summary["portfolio"]["headline"]["mttr_median"] *= 2
    (org / "2026-Q2" / "summary.json").write_text(json.dumps(summary))
    page = write_site(org, "Tiny Org").read_text()
    figure = page[page.index('<figure class="site-trend"') : page.index("</figure>")]
    assert "<svg" in figure and "Time to recover across the reviews" in figure
    assert "2026-Q2" in figure and "2026-Q3" in figure
    assert "<script" not in page and "http" not in figure.replace("http://www.w3.org", "")


def test_no_word_of_the_pack_runs_off_the_page(tiny_review, pack: Path) -> None:
    """The portfolio's table of teams (nine columns) fits the page: every word of every page
    lies within the right margin (pdftotext's word boxes)."""
    import re

    boxes = subprocess.run(["pdftotext", "-bbox", str(pack), "-"], capture_output=True,
                           text=True, check=True).stdout  # fmt: skip
    width = float(re.search(r'<page width="([\d.]+)"', boxes)[1])
    right = width - 12 * 72 / 25.4 + 1.0  # the 12 mm margin, a point of slack
    beyond = [(w, float(x)) for x, w in re.findall(r'xMax="([\d.]+)"[^>]*>([^<]*)<', boxes)
              if float(x) > right]  # fmt: skip
    assert not beyond, beyond[:10]


def _ink_depth(pdf: Path, tmp_path: Path) -> list[float]:
    """How far down each page its content reaches (the lowest dark pixel above the pack's
    footer line), as a share of the page's height: 0.2 is a page with a few lines."""
    import numpy as np
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "30", "-gray", "-png", str(pdf), str(tmp_path / "p")],
                   check=True)  # fmt: skip
    depths = []
    for image in sorted(tmp_path.glob("p-*.png"), key=lambda p: int(p.stem.split("-")[-1])):
        pixels = np.asarray(Image.open(image))
        body = pixels[: int(pixels.shape[0] * 0.93)]  # above the title and page number
        dark = np.where((body < 200).any(axis=1))[0]
        depths.append((dark.max() + 1) / body.shape[0] if len(dark) else 0.0)
    return depths


def test_no_page_of_the_pack_is_left_half_empty(tiny_review, pack: Path, tmp_path: Path) -> None:
    """Issue 24: the pack had pages holding only a report's closing line, and pages left
    half empty before a table that would have run on. Every page but a report's last is
    filled at least half way down (a chart is never split, so a page may end early by up to
    the height of the next), and no page holds only a footer."""
    pages = page_count(pack)
    starts = sorted({1} | {int(line.split()[-1]) for line in pdf_text(pack, 1, 1).splitlines()
                           if line.strip() and line.rstrip()[-1].isdigit()
                           and line.split()[-1].isdigit()})  # fmt: skip
    last_pages = {start - 1 for start in starts[1:]} | {pages}
    depths = _ink_depth(pack, tmp_path)
    assert len(depths) == pages
    for page in range(1, pages + 1):
        text = pdf_text(pack, page, page)
        lines = [line for line in text.splitlines()
                 if line.strip() and f"page {page} of {pages}" not in line]  # fmt: skip
        assert not (len(lines) == 1 and "generated by maturity" in lines[0]), (page, lines)
        if page not in last_pages:
            assert depths[page - 1] >= 0.5, (page, round(depths[page - 1], 2), lines[:3])
