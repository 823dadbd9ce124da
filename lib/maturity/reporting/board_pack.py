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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

import maturity
from maturity import files
from maturity.reporting.formatting import format_minutes
from maturity.reporting.render import TEMPLATES
from maturity.wording import plural

# The contents as ruled rows, the page number on the right: dotted leaders (a dotted border,
# or CSS leader()) took WeasyPrint 10 s to draw for 300 teams.
COVER_CSS = """
@page { size: A4; margin: 14mm 12mm 16mm; }
.pack-cover h1 { font-size: 30px; margin-top: 40mm; }
ol.toc { padding-left: 0; list-style: none; font-size: 15px; }
ol.toc li { padding: 5px 0 4px; border-bottom: 1px solid #e3e6ec; }
ol.toc .page { float: right; padding-left: 12px; font-variant-numeric: tabular-nums; }
.pack-failed { color: #c62828; }
"""

#: The stamp laid over every page: the pack's title and "page n of N" in the bottom margin.
STAMP_CSS = """
@page { size: A4; margin: 0; }
body { margin: 0; font: 9px sans-serif; color: #5b6475; }
div.stamp { height: 297mm; position: relative; break-after: page; }
div.stamp span { position: absolute; bottom: 6mm; white-space: nowrap; }
div.stamp .pack-title { left: 12mm; max-width: 150mm; overflow: hidden; text-overflow: ellipsis; }
div.stamp .page-number { right: 12mm; }
"""

#: Stamps printed at a time: a 300-team pack has about 2,000 pages, and WeasyPrint keeps a
#: whole document's layout in memory while it prints it.
STAMP_PAGES_PER_PRINT = 200


@dataclass(frozen=True)
class Section:
    """One report in the pack: its key, title, and PDF (None: the report failed)."""

    key: str
    title: str
    pdf: Path | None
    error: str | None = None


def cover_html(organisation: str, quarter: str, entries: list[dict[str, Any]]) -> str:
    """The cover and contents; ``entries``: title, first page (None: failed) and error."""
    return (
        template_environment()
        .get_template("board_pack.html.j2")
        .render(
            organisation=organisation,
            quarter=quarter,
            entries=entries,
            css=(TEMPLATES / "report" / "report.css").read_text() + COVER_CSS,
            version=maturity.__version__,
        )
    )


def write_board_pack(path: Path, organisation: str, quarter: str, sections: list[Section]) -> None:
    """Join the reports' PDFs behind a cover into ``path`` (written whole or not at all)."""
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

    cover_pages, cover = 1, b""
    for _ in range(4):  # the contents' length decides where the reports start
        document = WeasyHTML(string=cover_html(organisation, quarter, entries(cover_pages)))
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
    total = len(writer.pages)
    for first in range(0, total, STAMP_PAGES_PER_PRINT):
        last = min(first + STAMP_PAGES_PER_PRINT, total)
        stamps = PdfReader(io.BytesIO(_stamps(title, first + 1, last, total)))
        for index, stamp in zip(range(first, last), stamps.pages, strict=True):
            writer.pages[index].merge_page(stamp)
    writer.add_metadata({"/Title": title})
    with files.replacing(path) as partial, partial.open("wb") as handle:
        writer.write(handle)


def _stamps(title: str, first: int, last: int, total: int) -> bytes:
    """Blank A4 pages carrying only the pack's footer, to lay over its pages ``first`` to
    ``last`` (counted from 1) of ``total``."""
    from weasyprint import HTML as WeasyHTML

    name = html.escape(title)
    body = "".join(
        f'<div class="stamp"><span class="pack-title">{name}</span>'
        f'<span class="page-number">page {number} of {total}</span></div>'
        for number in range(first, last + 1)
    )
    page = f"<!DOCTYPE html><html><head><style>{STAMP_CSS}</style></head><body>{body}</body></html>"
    return bytes(WeasyHTML(string=page).write_pdf())


def write_site(org_dir: Path, organisation: str) -> Path:
    """Rebuild ``<out>/<org>/index.html`` from every quarter's ``summary.json``."""
    quarters = []
    for summary_file in sorted(org_dir.glob("*-Q[1-4]/summary.json"), reverse=True):
        try:
            summary = json.loads(summary_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a quarter being written, or damaged: left out until it is whole
        quarters.append(_quarter_entry(summary_file.parent, summary))
    page = (
        template_environment()
        .get_template("site.html.j2")
        .render(
            organisation=organisation,
            quarters=quarters,
            css=(TEMPLATES / "report" / "report.css").read_text(),
            version=maturity.__version__,
        )
    )
    index = org_dir / "index.html"
    files.write_text(index, page)
    return index


def _quarter_entry(folder: Path, summary: dict[str, Any]) -> dict[str, Any]:
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
        "median": format_minutes(portfolio.get("mttr_median")),
        "p90": format_minutes(portfolio.get("mttr_p90")),
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
