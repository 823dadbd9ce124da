"""The HTML kit every report block is built from, with escaping enforced by type.

Text is ``str`` and markup is ``markupsafe.Markup``: joining or formatting them escapes every
``str`` (incident titles, services, reasons, team names), so text from incident data cannot
become markup by accident. Build markup with ``Markup("<b>{}</b>").format(text)`` or the
helpers here; never by concatenating ``str``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from IPython.display import HTML
from markupsafe import Markup, escape

from maturity.reporting.formatting import MISSING

__all__ = ["MISSING", "Markup", "block", "card", "escape", "items", "join", "table"]


def join(parts: Iterable[Markup | str], separator: str = "") -> Markup:
    """Markup of ``parts`` one after another; plain strings among them are escaped."""
    return Markup(separator).join(parts)


def card(label: str, value: str, detail: str | Markup) -> Markup:
    """A headline card: a label, a big value and a line of detail."""
    return Markup(
        '<div class="card"><div class="label">{}</div><div class="value">{}</div>'
        '<div class="detail">{}</div></div>'
    ).format(label, value, detail)


def cards(parts: Iterable[Markup]) -> Markup:
    return Markup('<div class="cards">{}</div>').format(join(parts))


def items(
    entries: Iterable[Markup | str], *, ordered: bool = False, kind: str = "findings"
) -> Markup:
    """A list (``<ul class="findings">``, or ``<ol>`` when ``ordered``; ``kind`` = the class:
    ``findings``, or ``method`` for the small print on how figures are computed)."""
    tag = "ol" if ordered else "ul"
    body = join(Markup("<li>{}</li>").format(entry) for entry in entries)
    return Markup('<{0} class="{1}">{2}</{0}>').format(Markup(tag), kind, body)


def paragraph(content: Markup | str, kind: str | None = None) -> Markup:
    """A paragraph, optionally of a kind (``note``, ``callout``, ``subtitle``)."""
    if kind is None:
        return Markup("<p>{}</p>").format(content)
    return Markup('<p class="{}">{}</p>').format(kind, content)


#: Rows of a table printed whole (moved to the next page rather than split); a longer one
#: runs on across pages, its header repeated.
SHORT_TABLE = 6


def table(
    rows: Iterable[Sequence[Any]],
    header: Sequence[str],
    *,
    highlight: Iterable[int] = (),
    text_columns: Iterable[int] = (0,),
    wide: bool = False,
) -> Markup:
    """A data table; ``highlight`` marks row numbers, ``text_columns`` left-aligns columns;
    ``wide``: many columns, set tighter in print so the table fits the page's width.
    Cells are escaped unless they are ``Markup``; ``MISSING`` cells are greyed."""
    marked, text = set(highlight), set(text_columns)

    def cell(tag: str, j: int, value: Any) -> Markup:
        classes = [name for name, on in (("text", j in text), ("missing", value == MISSING)) if on]
        attr = Markup(' class="{}"').format(" ".join(classes)) if classes else Markup("")
        shown = value if isinstance(value, Markup) else str(value)
        return Markup("<{0}{1}>{2}</{0}>").format(Markup(tag), attr, shown)

    head = join(cell("th", j, h) for j, h in enumerate(header))
    listed = list(rows)
    body = join(
        Markup("<tr{}>{}</tr>").format(
            Markup(' class="current"') if i in marked else Markup(""),
            join(cell("td", j, v) for j, v in enumerate(row)),
        )
        for i, row in enumerate(listed)
    )
    kind = Markup(" ".join(["data", *(["wide"] if wide else []),
                            *(["short"] if len(listed) <= SHORT_TABLE else [])]))  # fmt: skip
    return Markup('<table class="{}"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>').format(
        kind, head, body
    )


def block(*parts: Markup | str) -> HTML:
    """Markup as a notebook output (``IPython.display.HTML``); ``str`` parts are escaped."""
    return HTML(str(join(parts)))
