"""The board pack and the review site: what a review leaves for readers beyond its pages.

``review.pdf`` (per quarter): a cover with the contents, then the portfolio report, then
every team's report, each starting on a new page, numbered "page n of N" throughout, each
report's title a PDF bookmark. It is the reports' own PDFs (printed in parallel by the
review's workers), joined with pypdf behind a cover printed by WeasyPrint, so it shows
exactly what each report's PDF shows, and costs the same per team at 300 teams as at 6
(printing one 1,500-page document would not). The contents give each report's first page;
a page number is stamped on every page.

``<out>/<org>/index.html`` (the review site): every reviewed quarter, newest first, with its
headline, its maturity and links to its index, portfolio and board pack; rebuilt after each
review from the quarters' ``summary.json`` files.
"""

from __future__ import annotations

import html
import io
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

import maturity
from maturity import files
from maturity.reporting.formatting import format_minutes, unit_of
from maturity.reporting.render import TEMPLATES
from maturity.wording import plural

# The contents as ruled rows, the page number on the right: dotted leaders (a dotted border,
# or CSS leader()) took WeasyPrint 10 s to draw for 300 teams.
COVER_CSS = """
@page { size: A4; margin: 14mm 12mm 16mm; }
.pack-cover h1 { font-size: 30px; margin-top: 16mm; }
ol.toc { padding-left: 0; list-style: none; font-size: 15px; }
ol.toc li { padding: 5px 0 4px; border-bottom: 1px solid #e3e6ec; }
ol.toc .page { float: right; padding-left: 12px; font-variant-numeric: tabular-nums; }
.pack-failed { color: #c62828; }
"""

#: The pack's title, printed once and drawn in the bottom margin of every page.
TITLE_CSS = """
@page { size: A4; margin: 0; }
body { margin: 0; font: 9px sans-serif; color: #5b6475; }
div.stamp { height: 297mm; position: relative; }
div.stamp span { position: absolute; bottom: 6mm; left: 12mm; max-width: 150mm;
                 white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
"""

#: "page n of N" in the bottom-right margin: Helvetica (a standard PDF font: nothing to
#: embed) at the title's size (9 CSS px, 6.75 points) and grey, right edge 12 mm from the
#: page's, on the title's baseline (6.5 mm up).
NUMBER_POINTS, NUMBER_MARGIN, NUMBER_BASELINE = 6.75, 12 * 72 / 25.4, 6.5 * 72 / 25.4
NUMBER_GREY = "0.357 0.392 0.459"
#: Helvetica's advance widths (thousandths of an em) of the characters "page n of N" uses.
HELVETICA_WIDTHS = {" ": 278, "a": 556, "e": 556, "f": 278, "g": 556, "o": 556, "p": 556,
                    **dict.fromkeys("0123456789", 556)}  # fmt: skip


@dataclass(frozen=True)
class Section:
    """One report in the pack: its key, title, and PDF (None: the report failed)."""

    key: str
    title: str
    pdf: Path | None
    error: str | None = None


#: A headline figure on the cover: label, value and the line below it (count, interval).
Figure = tuple[str, str, str]


def cover_html(organisation: str, quarter: str, entries: list[dict[str, Any]],
               figures: Sequence[Figure] = (), note: str | None = None) -> str:  # fmt: skip
    """The cover and contents; ``entries``: title, first page (None: failed) and error;
    ``figures``: the headline figures shown above the contents; ``note``: a caveat (a
    quarter still running)."""
    return (
        template_environment()
        .get_template("board_pack.html.j2")
        .render(
            organisation=organisation,
            quarter=quarter,
            entries=entries,
            figures=[{"label": f[0], "value": f[1], "detail": f[2]} for f in figures],
            note=note,
            css=(TEMPLATES / "report" / "report.css").read_text() + COVER_CSS,
            version=maturity.__version__,
        )
    )


def write_board_pack(path: Path, organisation: str, quarter: str, sections: list[Section],
                     figures: Sequence[Figure] = (), note: str | None = None) -> None:  # fmt: skip
    """Join the reports' PDFs behind a cover into ``path`` (written whole or not at all);
    the cover shows ``figures`` (``portfolio_report.cover_figures``) and ``note`` above the
    contents."""
    from pypdf import PdfReader, PdfWriter
    from weasyprint import HTML as WeasyHTML

    readers = {s.key: PdfReader(s.pdf) for s in sections if s.pdf is not None}

    def entries(cover_pages: int) -> list[dict[str, Any]]:
        listed, page = [], cover_pages + 1
        for s in sections:
            reader = readers.get(s.key)
            listed.append({"title": s.title, "page": page if reader else None, "error": s.error})
            page += len(reader.pages) if reader else 0
        return listed

    # The contents' length decides where the reports start: guessed from the entries a
    # page holds (each print costs about a second at 300 teams), then checked.
    cover_pages, cover = _cover_pages_guess(len(sections)), b""
    for _ in range(4):
        document = WeasyHTML(
            string=cover_html(organisation, quarter, entries(cover_pages), figures, note)
        )
        rendered = document.render()
        cover = rendered.write_pdf()
        if len(rendered.pages) == cover_pages:
            break
        cover_pages = len(rendered.pages)
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(cover)))
    for s, entry in zip(sections, entries(cover_pages), strict=True):
        if s.key in readers:
            writer.append(readers[s.key], outline_item=s.title)
            assert entry["page"] is not None
    title = f"{organisation}: recovery review {quarter}"
    _number_pages(writer, title)
    writer.add_metadata({"/Title": title})
    with files.replacing(path) as partial, partial.open("wb") as handle:
        writer.write(handle)


def _cover_pages_guess(entries: int) -> int:
    """The cover's pages for this many contents entries, as ``COVER_CSS`` lays them out
    (the first page holds about 14 under the title and the headline figures, later pages
    about 31)."""
    return 1 if entries <= 14 else 1 + -(-(entries - 14) // 31)


def _number_pages(writer: Any, title: str) -> None:
    """Draw the pack's title and "page n of N" in the bottom margin of every page.

    The title is printed once by WeasyPrint (any script, its fonts embedded) and drawn on
    each page as a form XObject; the number is a line of text in a content stream of its
    own. Each page's own content is wrapped in ``q``/``Q`` so whatever state it leaves
    cannot move the footer. Printing a stamp page per page and merging it took 25 s at
    2,000 pages; this takes well under one.
    """
    from pypdf import PdfReader
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
    )
    from weasyprint import HTML as WeasyHTML

    name = html.escape(title)
    page = (f"<!DOCTYPE html><html><head><style>{TITLE_CSS}</style></head><body>"
            f'<div class="stamp"><span>{name}</span></div></body></html>')  # fmt: skip
    printed = PdfReader(io.BytesIO(WeasyHTML(string=page).write_pdf())).pages[0]
    drawing, resources = printed.get_contents(), printed["/Resources"].get_object()
    assert drawing is not None and resources is not None  # a page WeasyPrint drew text on
    form = DecodedStreamObject()
    form.set_data(drawing.get_data())
    form.update({
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): ArrayObject(printed.mediabox),
        NameObject("/Resources"): resources.clone(writer),
    })  # fmt: skip
    title_form = writer._add_object(form)
    font = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"),
        NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
        NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
    }))  # fmt: skip
    total = len(writer.pages)
    opening = writer._add_object(_stream(b"q\n"))
    for number, target in enumerate(writer.pages, start=1):
        resources = target.get("/Resources")
        resources = DictionaryObject() if resources is None else resources.get_object()
        target[NameObject("/Resources")] = resources
        for kind, key, value in (("/Font", "/MaturityPageNumber", font),
                                 ("/XObject", "/MaturityPackTitle", title_form)):  # fmt: skip
            entries = resources.get(kind)
            entries = DictionaryObject() if entries is None else entries.get_object()
            entries[NameObject(key)] = value
            resources[NameObject(kind)] = entries
        box = target.mediabox
        text = f"page {number} of {total}"
        width = sum(HELVETICA_WIDTHS[c] for c in text) * NUMBER_POINTS / 1000
        x = float(box.right) - NUMBER_MARGIN - width
        y = float(box.bottom) + NUMBER_BASELINE
        left, bottom = float(box.left), float(box.bottom)
        footer = (
            f"\nQ\nq 1 0 0 1 {left:.2f} {bottom:.2f} cm /MaturityPackTitle Do Q\n"
            f"q BT /MaturityPageNumber {NUMBER_POINTS:g} Tf {NUMBER_GREY} rg "
            f"{x:.2f} {y:.2f} Td ({text}) Tj ET Q\n"
        ).encode("ascii")
        contents = target.get("/Contents")
        if contents is None:
            own = []
        else:
            resolved = contents.get_object()
            own = list(resolved) if isinstance(resolved, ArrayObject) else [contents]
        target[NameObject("/Contents")] = ArrayObject(
            [opening, *own, writer._add_object(_stream(footer))]
        )


def _stream(data: bytes) -> Any:
    from pypdf.generic import DecodedStreamObject

    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream


def write_site(org_dir: Path, organisation: str) -> Path:
    """Rebuild ``<out>/<org>/index.html`` from every quarter's ``summary.json``."""
    summaries = []
    for summary_file in sorted(org_dir.glob("*-Q[1-4]/summary.json"), reverse=True):
        try:
            summaries.append(
                (summary_file.parent, json.loads(summary_file.read_text(encoding="utf-8")))
            )
        except (OSError, ValueError):
            continue  # a quarter being written, or damaged: left out until it is whole
    # One unit down the table: the one the quarters' medians call for.
    unit = unit_of([((s.get("portfolio") or {}).get("headline") or {}).get("mttr_median")
                    for _, s in summaries])  # fmt: skip
    quarters = [_quarter_entry(folder, summary, unit) for folder, summary in summaries]
    trend = _site_trend(summaries, unit)
    page = (
        template_environment()
        .get_template("site.html.j2")
        .render(
            organisation=organisation,
            quarters=quarters,
            trend=trend,
            css=(TEMPLATES / "report" / "report.css").read_text(),
            version=maturity.__version__,
        )
    )
    index = org_dir / "index.html"
    files.write_text(index, page)
    return index


def _site_trend(summaries: list[tuple[Path, dict[str, Any]]], unit: str) -> str | None:
    """The organisation's median and 90th percentile time to recover across the reviewed
    quarters, as an inline SVG (drawn here: the site opens offline, with no script); None
    with fewer than two quarters that have a median."""
    import altair as alt
    import pandas as pd
    import vl_convert

    from maturity.reporting.formatting import UNITS

    name, per_unit = UNITS[unit]
    rows = []
    for _, summary in summaries:
        headline = (summary.get("portfolio") or {}).get("headline") or {}
        for key, label in (("mttr_median", "Median"), ("mttr_p90", "90th percentile")):
            if headline.get(key) is not None:
                rows.append({"quarter": summary.get("quarter"), "statistic": label,
                             "value": headline[key] / per_unit})  # fmt: skip
    frame = pd.DataFrame(rows)
    if frame.empty or frame.loc[frame["statistic"] == "Median", "quarter"].nunique() < 2:
        return None
    chart = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("quarter:O", title="Quarter reviewed", sort="ascending",
                    axis=alt.Axis(labelAngle=0)),
            y=alt.Y("value:Q", title=f"{name.capitalize()} to recover, all teams"),
            color=alt.Color("statistic:N", title=None, sort=["Median", "90th percentile"]),
        )
        .properties(width=560, height=200, title="Time to recover across the reviews")
    )  # fmt: skip
    from maturity.reporting.render import vega_lite_version

    svg = vl_convert.vegalite_to_svg(chart.to_dict(), vl_version=vega_lite_version())
    return svg[svg.index("<svg") :] if "<svg" in svg else None


def _quarter_entry(folder: Path, summary: dict[str, Any], unit: str) -> dict[str, Any]:
    portfolio = (summary.get("portfolio") or {}).get("headline") or {}
    levels: Counter[int] = Counter()
    claimed: Counter[int] = Counter()
    for team in summary.get("teams", []):
        assessed = (team.get("headline") or {}).get("maturity")
        if assessed:
            levels[assessed["evidence_level"]] += 1
            claimed[assessed["level"]] += 1
    failed = [t["team"] for t in summary.get("teams", []) if t.get("status") != "ok"]
    return {
        "quarter": summary.get("quarter", folder.name),
        "folder": folder.name,
        "teams": len(summary.get("teams", [])),
        "incidents": portfolio.get("incidents"),
        "median": format_minutes(portfolio.get("mttr_median"), unit),
        "p90": format_minutes(portfolio.get("mttr_p90"), unit),
        "change_yoy": (portfolio.get("change_yoy") or {}).get("verdict", "").replace("_", " "),
        "supported": level_counts(levels),
        "claimed": level_counts(claimed),
        "status": summary.get("status"),
        "failed": failed,
        "has_pdf": (folder / "review.pdf").exists(),
        "has_portfolio": (folder / "portfolio.html").exists(),
    }


def level_counts(counts: Counter[int]) -> str:
    """``1 team at level 1 · 2 at level 2``: levels are ordinal, so counted, not averaged."""
    parts = [f"{counts[level]} at level {level}" for level in sorted(counts)]
    if parts:
        first = counts[min(counts)]
        parts[0] = f"{plural(first, 'team')} at level {min(counts)}"
    return " · ".join(parts)


def template_environment() -> jinja2.Environment:
    """The review's Jinja templates (index, board pack), autoescaped, with a ``plural``
    filter: ``{{ teams | length | plural("team") }}`` is ``1 team`` or ``6 teams``."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True, keep_trailing_newline=True
    )
    env.filters["plural"] = plural
    return env
