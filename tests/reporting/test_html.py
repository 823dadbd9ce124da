"""The escaping HTML kit: text is escaped wherever it goes, markup only where it is Markup."""

from __future__ import annotations

import pytest

from maturity.reporting.html import MISSING, Markup, card, items, join, paragraph, table

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "a & b < c",
    "' onmouseover='x",
    "{}",
    "{0}",
    "%s",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_is_escaped_in_every_helper(text: str) -> None:
    pieces = [
        card(text, text, text),
        items([text, text]),
        paragraph(text, "note"),
        table([[text, text]], [text, text]),
        join([text, Markup("<b>x</b>")]),
    ]
    for piece in pieces:
        assert isinstance(piece, Markup)
        assert "<script" not in piece and "<img" not in piece
        assert "onmouseover='x" not in piece
    assert str(Markup("{}").format(text)).count("&") >= text.count("&")


def test_markup_passes_through_unescaped() -> None:
    bold = Markup("<b>{}</b>").format("<i>")
    assert str(items([bold])) == '<ul class="findings"><li><b>&lt;i&gt;</b></li></ul>'
    assert "<ol" in items(["x"], ordered=True)


def test_table_marks_rows_and_missing_cells() -> None:
    page = table([["a", 1], ["b", MISSING]], ["name", "n"], highlight=[1], text_columns=(0,))
    assert page.count('<tr class="current">') == 1
    assert '<td class="missing">—</td>' in page
    assert '<th class="text">name</th>' in page
