"""The board pack and the review site: what a review leaves for readers beyond its pages.

``review.pdf`` (per quarter): a cover with the contents, then the portfolio report, then
every team's report, each starting on a new page, numbered "page n of N" throughout. It is
printed from the reports' own HTML (their charts as the PNGs they carry), so it shows
exactly what the HTML shows. The contents give each section's page (WeasyPrint's
``target-counter``), and each report's title is a PDF bookmark.

``<out>/<org>/index.html`` (the review site): every reviewed quarter, newest first, with its
headline, its maturity and links to its index, portfolio and board pack; rebuilt after each
review from the quarters' ``summary.json`` files.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

import maturity
from maturity import files
from maturity.reporting.formatting import format_minutes
from maturity.reporting.render import TEMPLATES

_MAIN = re.compile(r"<main[^>]*>(.*)</main>", re.S)
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)

PACK_CSS = """
@page {
  size: A4; margin: 14mm 12mm 16mm;
  @bottom-left { content: string(pack-title); font-size: 9px; color: #5b6475; }
  @bottom-right { content: "page " counter(page) " of " counter(pages); font-size: 9px;
                  color: #5b6475; }
}
.pack-cover h1 { string-set: pack-title content(); font-size: 30px; margin-top: 40mm; }
.pack-section { break-before: page; }
.pack-section h1 { bookmark-level: 1; }
.pack-section h2, .pack-section h3 { bookmark-level: none; }
ol.toc { padding-left: 0; list-style: none; font-size: 15px; }
ol.toc li { margin: 6px 0; }
ol.toc a { color: inherit; text-decoration: none; }
ol.toc a::after { content: leader(".") " " target-counter(attr(href), page); }
.pack-failed { color: #c62828; }
"""


@dataclass(frozen=True)
class Section:
    """One report in the pack: its anchor, title, and page HTML (None: the report failed)."""

    key: str
    title: str
    page: str | None
    error: str | None = None


def main_of(page: str, prefix: str = "") -> str:
    """The content of a report page's ``<main>``, without scripts (the PDF draws PNGs); ids
    and in-page links prefixed, so sections of one pack never share an anchor."""
    found = _MAIN.search(page)
    body = _SCRIPT.sub("", found.group(1) if found else page)
    if prefix:
        body = re.sub(r'\b(id|data-target)="', rf'\1="{prefix}-', body)
        body = body.replace('href="#', f'href="#{prefix}-')
    return body


def board_pack_html(organisation: str, quarter: str, sections: list[Section]) -> str:
    """One HTML document: the cover and contents, then every section on its own pages."""
    env = _environment()
    return env.get_template("board_pack.html.j2").render(
        organisation=organisation,
        quarter=quarter,
        sections=[
            {
                "key": s.key,
                "title": s.title,
                "body": None if s.page is None else main_of(s.page, s.key),
                "error": s.error,
            }
            for s in sections
        ],
        css=(TEMPLATES / "report" / "report.css").read_text() + PACK_CSS,
        version=maturity.__version__,
    )


def write_board_pack(path: Path, organisation: str, quarter: str, sections: list[Section]) -> None:
    """Print the board pack to ``path`` (written whole or not at all)."""
    from weasyprint import HTML as WeasyHTML

    page = board_pack_html(organisation, quarter, sections)
    with files.replacing(path) as partial:
        WeasyHTML(string=page, base_url=str(path.parent)).write_pdf(str(partial))


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
        _environment()
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
        parts[0] = f"{first} team{'s' if first != 1 else ''} at level {min(counts)}"
    return " · ".join(parts)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True, keep_trailing_newline=True
    )
