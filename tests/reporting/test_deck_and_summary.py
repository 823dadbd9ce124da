"""The slide deck (``review.pptx``) and the plain summary (``summary.md``) of a review
(issue 14): read back with python-pptx, converted to PDF by LibreOffice and checked page by
page as images, and checked line by line against the portfolio's numbers."""

from __future__ import annotations

import io
import itertools
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from maturity.measures.definitions import ALL_TEAMS
from maturity.reporting import portfolio_report
from maturity.reporting.formatting import format_interval, format_minutes, unit_of
from maturity.reporting.quarter import ReviewQuarter
from maturity.reporting.summary import plain, summary_markdown

pytestmark = pytest.mark.notebooks

FIXED_SLIDES = 5  # title, headline, changes and claims, where to invest, heatmap


def titles(deck) -> list[str]:  # type: ignore[no-untyped-def]
    return [slide.shapes.title.text for slide in deck.slides]


def pictures(slide) -> list:  # type: ignore[no-untyped-def]
    return [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]


def test_the_deck_has_a_slide_per_team_with_its_chart(tiny_review) -> None:
    deck = Presentation(str(tiny_review.out_dir / "review.pptx"))
    assert len(deck.slides) == FIXED_SLIDES + len(tiny_review.teams)
    names = titles(deck)
    assert names[0] == "Tiny Org: recovery review 2026-Q3"
    assert names[1] == "2026-Q3: how fast the organisation recovers"
    assert names[3] == "Where to invest" and names[4] == "Maturity by team and category"
    assert names[5].startswith("Alpha Team: 25 min median time to recover")
    assert names[6].startswith("Beta")
    assert len(pictures(deck.slides[4])) == 1  # the heatmap (alpha answered)
    alpha = deck.slides[5]
    assert len(pictures(alpha)) == 1
    image = Image.open(io.BytesIO(pictures(alpha)[0].image.blob))
    assert image.width >= 1000  # slide resolution, not a thumbnail
    text = "\n".join(s.text_frame.text for s in alpha.shapes if s.has_text_frame)
    assert "Maturity claimed → supported" in text and "First to work on" in text
    notes = [slide.notes_slide.notes_text_frame.text for slide in deck.slides]
    assert all(len(text) > 100 for text in notes)  # every slide has notes for the presenter
    for text in (notes[1], *notes[FIXED_SLIDES:]):  # the figures' slides: the method caveats
        assert "whatever the distribution" in text and "q-value" in text
        assert "Mann-Whitney" in text  # what "beyond noise" rests on (issue 21)
    summary = (tiny_review.out_dir / "summary.json").read_text()
    assert '"deck": "review.pptx"' in summary and '"summary": "summary.md"' in summary


def test_the_deck_opens_in_libreoffice_page_by_page(tiny_review, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftoppm") is None:
        pytest.skip("LibreOffice (libreoffice-impress) or poppler-utils is not installed")
    subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
         "--convert-to", "pdf", "--outdir", str(tmp_path),
         str(tiny_review.out_dir / "review.pptx")],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(tmp_path / "review.pdf"),
                    str(tmp_path / "slide")], check=True)  # fmt: skip
    pages = sorted(tmp_path.glob("slide*.png"))
    assert len(pages) == FIXED_SLIDES + len(tiny_review.teams)
    for page in pages:
        pixels = np.asarray(Image.open(page).convert("L"), dtype=int)
        assert (pixels < 128).sum() > 200, f"{page.name} is blank"
        assert pixels.shape[1] / pixels.shape[0] == pytest.approx(16 / 9, rel=0.02)

    # the team slides show their charts (blue lines), the text-only slides none
    def blue(page: Path) -> int:
        rgb = np.asarray(Image.open(page).convert("RGB"), dtype=int)
        return int(((rgb[..., 2] > 120) & (rgb[..., 2] - rgb[..., 0] > 60)).sum())

    # the headline and where to invest (alpha answered) draw their charts too (issue 24)
    for page in (pages[1], pages[3], *pages[FIXED_SLIDES:]):
        assert blue(page) > 20, page.name
    # the title slide is the deck's dark colour, not python-pptx's white template
    title = np.asarray(Image.open(pages[0]).convert("RGB"), dtype=int)
    assert np.abs(title[5:40, 5:40] - [0x1F, 0x3A, 0x5F]).max() < 12


def test_the_summary_says_what_the_portfolio_says(tiny_review) -> None:
    text = (tiny_review.out_dir / "summary.md").read_text()
    lines = text.splitlines()
    assert 8 <= len(lines) <= 25
    data = ReviewQuarter.load(tiny_review.out_dir.parents[2] / "tiny", "2026-Q3")
    now = data.row(ALL_TEAMS)
    unit = unit_of([now["mttr_median"], now["mttr_p90"]])
    assert lines[0] == "# Tiny Org: recovery review 2026-Q3"
    assert f"Median time to recover {format_minutes(now['mttr_median'], unit)}" in text
    assert f"over {now['resolved']} resolved incidents" in text
    interval = format_interval(now["mttr_median_ci"], unit)
    assert (interval in text) if interval else "CI" not in lines[2]
    assert f"{now['open']} still open" in text
    assert "1 team at level" in text and "(1 of 2 teams assessed)" in text
    for entry in portfolio_report.contradicted_entries(data)[:3]:
        assert plain(entry) in text
    assert text.rstrip().endswith("index.html")
    assert "<" not in text  # plain text: no markup for an email or a chat


def test_a_summary_lists_three_and_counts_the_rest(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parents[1]))
    from generated import generate_organisation

    root = generate_organisation(tmp_path / "org", teams=12, seed=3)
    data = ReviewQuarter.load(root, "2026-Q3")
    text = summary_markdown(data)
    movers = portfolio_report.mover_entries(data)
    contradicted = portfolio_report.contradicted_entries(data)
    assert len(contradicted) > 3
    assert f"- and {len(contradicted) - 3} more in the portfolio report" in text
    if len(movers) > 3:
        assert f"- and {len(movers) - 3} more in the portfolio report" in text
    for entry in movers[:3]:
        assert plain(entry) in text
    assert len(text.splitlines()) <= 25


def test_the_deck_is_the_same_file_for_the_same_review_and_says_whose_it_is(
    tiny_assessment: Path, tmp_path: Path
) -> None:
    import time

    from maturity.reporting.deck import write_deck

    data = ReviewQuarter.load(tiny_assessment, "2026-Q3")
    write_deck(tmp_path / "a.pptx", data, {})
    time.sleep(2.1)  # a zip records each entry's time to the 2 seconds
    write_deck(tmp_path / "b.pptx", data, {})
    assert (tmp_path / "a.pptx").read_bytes() == (tmp_path / "b.pptx").read_bytes()
    props = Presentation(str(tmp_path / "a.pptx")).core_properties
    assert props.title == "Tiny Org: recovery review 2026-Q3"
    assert props.author.startswith("maturity ") and props.last_modified_by == props.author
    assert "Canny" not in props.author + props.last_modified_by
    assert props.created.year == 2026 and props.created == props.modified


def test_the_deck_has_its_own_look_and_a_chart_beside_the_headline(tiny_review) -> None:
    """Issue 24: the deck was python-pptx's white template and slides 2-4 walls of text.
    Every slide after the title has the title band, its title white, and a footer naming the
    review and the slide; the headline slide shows the figures as tiles and the
    organisation's trend; where to invest the claimed and supported scores."""
    from pptx.dml.color import RGBColor

    deck = Presentation(str(tiny_review.out_dir / "review.pptx"))
    total = len(deck.slides)
    assert deck.slides[0].background.fill.fore_color.rgb == RGBColor(0x1F, 0x3A, 0x5F)
    for number, slide in enumerate(list(deck.slides)[1:], start=2):
        names = [shape.name for shape in slide.shapes]
        assert "Title band" in names, number
        colours = {p.font.color.rgb for p in slide.shapes.title.text_frame.paragraphs}
        assert colours == {RGBColor(0xFF, 0xFF, 0xFF)}, number
        footer = " ".join(s.text_frame.text for s in slide.shapes if s.name == "Footer")
        assert "Tiny Org · recovery review 2026-Q3" in footer and f"{number} / {total}" in footer
        # the body ends above the footer
        bodies = [s for s in slide.shapes if s.name == "Body"]
        top_of_footer = min(s.top for s in slide.shapes if s.name == "Footer")
        assert all(s.top + s.height <= top_of_footer for s in bodies), number
    headline = deck.slides[1]
    tiles = [s.text_frame.text for s in headline.shapes if s.name.startswith("Figure: ")]
    assert len(tiles) == 4 and tiles[0].startswith("MEDIAN TIME TO RECOVER\n25 min")
    assert tiles[3].startswith("AGAINST 2025-Q3")
    (trend,) = pictures(headline)
    assert "All teams: time to recover" in trend._element.nvPicPr.cNvPr.get("descr")
    (scores,) = pictures(deck.slides[3])
    assert "claimed" in scores._element.nvPicPr.cNvPr.get("descr")


def test_a_long_bullet_list_shrinks_to_fit_above_the_footer() -> None:
    """However much a slide has to say, its estimated height fits its box: the type shrinks
    (down to 11 points), the longer the text the smaller, never larger than asked."""
    from pptx.util import Inches

    from maturity.reporting.deck import SMALLEST_BULLETS, fitting_size

    width, height = int(Inches(5.4)), int(Inches(5.4))
    sizes = [fitting_size(["A sentence of about sixty characters, as findings read."] * n,
                          width, height, 18) for n in range(1, 30)]  # fmt: skip
    assert sizes[0] == 18 and sizes[-1] == SMALLEST_BULLETS
    assert all(a >= b for a, b in itertools.pairwise(sizes))  # never grows
    for n, size in enumerate(sizes, start=1):
        if size > SMALLEST_BULLETS:  # fits: lines of ~55 characters at half the size wide
            per_line = int(5.4 * 72 / (size * 0.5))
            rows = n * -(-58 // per_line)
            assert rows * size * 1.2 + n * 6 <= 5.4 * 72, (n, size)


def test_the_change_chart_draws_each_team_with_its_interval() -> None:
    """The changes slide's chart: one dot per team at its ratio, its interval as a rule,
    coloured by verdict, the log axis labelled only where the data is."""
    import pandas as pd

    from maturity.reporting.charts import change_by_team

    frame = pd.DataFrame({
        "team": ["A", "B", "C"], "ratio": [0.5, 1.02, 1.9], "low": [0.4, 0.8, 1.3],
        "high": [0.7, 1.3, 2.8], "verdict": ["improved", "no change beyond noise", "worsened"],
    })  # fmt: skip
    spec = change_by_team(frame, title="t", earlier="2025-Q3").to_dict()
    points = spec["layer"][2]
    assert points["mark"]["type"] == "point" and points["encoding"]["x"]["field"] == "ratio"
    assert points["encoding"]["x"]["axis"]["values"] == [0.5, 1, 2]
    assert "A improved (50% shorter)" in spec["description"]
    assert "C worsened (90% longer)" in spec["description"]
    assert "B " not in spec["description"].split("drawn; ")[1]
