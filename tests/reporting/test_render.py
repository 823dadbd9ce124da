from __future__ import annotations

import html
import json
import re

import altair as alt
import nbformat
import pandas as pd
from nbformat.v4 import new_code_cell, new_notebook, new_output
from pypdf import PdfReader

from maturity.reporting import render


def test_chart_html_escapes_data_and_keeps_a_png() -> None:
    data = pd.DataFrame({"x": ["</script><script>alert(1)</script>"], "y": [1]})
    spec = alt.Chart(data, title="t & <b>").mark_bar().encode(x="x:N", y="y:Q").to_dict()
    html = render.chart_html(spec)
    assert "<script>alert" not in html and "</script><script>" not in html
    assert 'alt="t &amp; &lt;b&gt;"' in html
    assert 'src="data:image/png;base64,iVBOR' in html
    payload = re.search(r'data-target="[^"]+">(.*)</script>', html, re.S).group(1)
    assert json.loads(payload) == json.loads(json.dumps(spec))  # same spec after escaping


def test_the_vega_lite_version_is_altairs_read_without_importing_it() -> None:
    major, minor = alt.SCHEMA_VERSION.lstrip("v").split(".")[:2]
    assert render.vega_lite_version() == f"{major}.{minor}"


def test_chart_script_bundles_vega_for_altairs_version() -> None:
    script = render.chart_script()
    assert "vegaEmbed" in script or "maturity-chart-spec" in script
    assert "</script" not in script
    assert len(script) > 100_000  # the libraries themselves, not a CDN reference


def test_page_is_offline_and_hides_code() -> None:
    spec = alt.Chart(pd.DataFrame({"a": [1]})).mark_point().encode(x="a:Q").to_dict()
    cell = new_code_cell(
        "secret_code_marker = 1",
        outputs=[new_output("display_data", data={"text/html": render.chart_html(spec)})],
    )
    page = render.notebook_to_html(new_notebook(cells=[cell]), title="T <1>", footer="F")
    assert "secret_code_marker" not in page
    assert "<title>T &lt;1&gt;</title>" in page
    assert page.count('<script type="module">') == 1
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']?(https?:)?//", page)
    assert "cdn." not in page and "require.js" not in page
    nbformat.validate(new_notebook(cells=[cell]))


def test_the_printed_page_drops_scripts_and_keeps_escaped_text(tmp_path) -> None:
    """The PDF step prints the page without its scripts (a printer runs none), with every
    chart as a PNG, and text from incident data that looks like a tag still printed as text."""
    spec = alt.Chart(pd.DataFrame({"a": [1]}), title="Trend").mark_point().encode(x="a:Q")
    hostile = "<script>alert(1)</script> & </script >"
    cell = new_code_cell(
        "",
        outputs=[
            new_output("display_data", data={"text/html": render.chart_html(spec.to_dict())}),
            new_output("display_data", data={"text/html": f"<p>{html.escape(hostile)}</p>"}),
        ],
    )
    page = render.notebook_to_html(new_notebook(cells=[cell]), title="T", footer="F")
    printable = render.without_scripts(render.with_chart_images(page))
    assert "<script" not in printable.lower() and "vegaEmbed" not in printable
    assert printable.count('class="chart-fallback"') == 1
    assert html.escape(hostile) in printable
    render.notebook_to_pdf(page, tmp_path / "page.pdf")
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "page.pdf").pages)
    assert hostile in text and "vegaEmbed" not in text


def test_pdfs_printed_one_after_another_share_fonts_and_nothing_else(tmp_path) -> None:
    """A worker prints hundreds of PDFs with one font configuration (WeasyPrint's own, one
    per document, kept memory each time): the same page prints byte for byte the same
    before and after another, and each thread has a configuration of its own."""
    import threading

    def page(title: str, text: str) -> str:
        cell = new_code_cell("", outputs=[new_output("display_data", data={"text/html": text})])
        return render.notebook_to_html(new_notebook(cells=[cell]), title=title, footer="F")

    first, other = page("A", "<p>Alpha Ünïcode ✓</p>"), page("B", "<h2>Beta</h2><p>β</p>" * 40)
    for name, html_page in (("a1", first), ("b", other), ("a2", first)):
        render.notebook_to_pdf(html_page, tmp_path / f"{name}.pdf")
    assert (tmp_path / "a1.pdf").read_bytes() == (tmp_path / "a2.pdf").read_bytes()
    assert "Alpha Ünïcode" in PdfReader(tmp_path / "a2.pdf").pages[0].extract_text()
    mine, theirs = render._font_configuration(), []
    thread = threading.Thread(target=lambda: theirs.append(render._font_configuration()))
    thread.start()
    thread.join()
    assert render._font_configuration() is mine and theirs[0] is not mine
