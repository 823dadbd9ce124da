"""Offline rendering: Altair charts in report notebooks, and notebooks to HTML.

Charts. The ``maturity`` Altair renderer turns each chart into one ``text/html`` output:
a ``<div>`` holding the chart as a PNG (drawn by vl-convert, so JupyterLab, nbconvert and
PDF all show it without JavaScript) and the Vega-Lite spec in a
``<script type="application/json">`` tag. The spec's JSON has ``<``, ``>`` and ``&``
escaped, so text from incident data cannot close the tag.

Pages. ``notebook_to_html`` renders an executed notebook with the ``report`` nbconvert
template: code hidden, no CDN, the vega libraries (bundled by vl-convert-python at the
exact versions Altair targets) on the page once. A small loader replaces each PNG with the
interactive chart. The page works offline.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import html
import itertools
import json
from pathlib import Path
from typing import Any

import altair as alt
import nbformat
import vl_convert

import maturity
from maturity.reporting import theme
from maturity.reporting.notebook_record import RECORD_MIMETYPE

TEMPLATES = Path(__file__).parent / "templates"
_chart_numbers = itertools.count(1)

#: The module script that draws every chart on the page. It runs after the page is parsed
#: (module scripts are deferred) and records the outcome on <body> for tests and users.
CHART_LOADER = """
const specs = document.querySelectorAll("script.maturity-chart-spec");
let drawn = 0, failed = 0;
for (const tag of specs) {
  const box = document.getElementById(tag.dataset.target);
  try {
    const view = document.createElement("div");
    box.insertBefore(view, box.querySelector("figcaption"));
    await vegaEmbed(view, JSON.parse(tag.textContent), {actions: false, renderer: "svg"});
    for (const img of box.querySelectorAll("img.chart-fallback")) img.remove();
    drawn += 1;
  } catch (error) {
    failed += 1;
    console.error("chart " + tag.dataset.target + " could not be drawn:", error);
  }
}
document.body.dataset.chartsDrawn = String(drawn);
document.body.dataset.chartsFailed = String(failed);
"""


def vega_lite_version() -> str:
    """The Vega-Lite version Altair writes specs for, as vl-convert names it (``6.4``)."""
    major, minor = alt.SCHEMA_VERSION.lstrip("v").split(".")[:2]
    return f"{major}.{minor}"


@functools.cache
def chart_script() -> str:
    """The page's one module script: the vega libraries and the chart loader."""
    bundle = vl_convert.javascript_bundle(CHART_LOADER, vl_version=vega_lite_version())
    # Inside an inline <script>, "</script" would end the tag early wherever it appears.
    return bundle.replace("</script", "<\\/script")


def _json_for_script(spec: dict[str, Any]) -> str:
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def chart_html(spec: dict[str, Any]) -> str:
    """The HTML of one chart: PNG fallback plus the spec for the page's loader."""
    png = vl_convert.vegalite_to_png(spec, scale=2, vl_version=vega_lite_version())
    payload = _json_for_script(spec)
    digest = hashlib.sha1(payload.encode()).hexdigest()[:10]
    chart_id = f"chart-{next(_chart_numbers)}-{digest}"
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    label = html.escape(str(title or "chart"), quote=True)
    # The text alternative: the chart's title, and the one-sentence summary its builder
    # wrote (``description``), shown under the chart for every reader, and in the PDF.
    summary = spec.get("description")
    caption = (
        f'<figcaption class="chart-summary">{html.escape(str(summary))}</figcaption>'
        if summary
        else ""
    )
    alt_text = html.escape(f"{title or 'chart'}. {summary}" if summary else str(title), quote=True)
    return (
        f'<figure class="maturity-chart" id="{chart_id}" role="group" aria-label="{label}">'
        f'<img class="chart-fallback" alt="{alt_text}" '
        f'src="data:image/png;base64,{base64.b64encode(png).decode()}">{caption}</figure>\n'
        f'<script type="application/json" class="maturity-chart-spec" '
        f'data-target="{chart_id}">{payload}</script>'
    )


def _renderer(spec: dict[str, Any], **_metadata: Any) -> dict[str, str]:
    return {"text/html": chart_html(spec)}


alt.renderers.register("maturity", _renderer)


def setup_notebook() -> None:
    """Call once at the top of a report notebook: the maturity theme and chart renderer.
    (The explore notebook then calls ``maturity.reporting.live.enable()`` for live charts.)"""
    theme.enable()
    alt.renderers.enable("maturity")


WIDGET_MIMETYPE = "application/vnd.jupyter.widget-view+json"


def _without_records(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy for the page: without the outputs that only carry a report's record, and
    without the parameter cells (no output; papermill gives the injected one a random id,
    which would make two renders of the same data differ)."""
    notebook = copy.deepcopy(notebook)
    hidden = {"parameters", "injected-parameters"}
    notebook.cells = [
        c for c in notebook.cells if not hidden & set(c.get("metadata", {}).get("tags", []))
    ]
    for cell in notebook.cells:
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if RECORD_MIMETYPE not in o.get("data", {})]
            for output in cell.outputs:
                # A live chart's widget view needs a running kernel: the page uses the chart's
                # own HTML (PNG and spec), which the widget's output carries beside it.
                data = output.get("data", {})
                if WIDGET_MIMETYPE in data and "text/html" in data:
                    del data[WIDGET_MIMETYPE]
    return notebook


def notebook_to_html(
    notebook: nbformat.NotebookNode | str | Path, *, title: str, footer: str = ""
) -> str:
    """Render an executed notebook as a self-contained, offline HTML page, code hidden."""
    from nbconvert import HTMLExporter

    node = (
        notebook
        if isinstance(notebook, nbformat.NotebookNode)
        else nbformat.read(str(notebook), as_version=4)
    )
    page_notebook = _without_records(node)
    exporter = HTMLExporter(
        extra_template_basedirs=[str(TEMPLATES)],
        template_name="report",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        # No empty "¶" links beside headings: a link without text is an accessibility
        # failure (axe: link-name), and a printed report has no use for them.
        exclude_anchor_links=True,
    )
    resources = {
        "report_title": title,
        "report_footer": footer,
        "report_css": (TEMPLATES / "report" / "report.css").read_text(),
        "chart_script": chart_script(),
        "maturity_version": maturity.__version__,
    }
    body, _ = exporter.from_notebook_node(page_notebook, resources=resources)
    return body


def notebook_to_pdf(page_html: str, path: str | Path) -> None:
    """Print a rendered report page to PDF (A4) with WeasyPrint.

    WeasyPrint runs no JavaScript, so each chart prints as its PNG: every chart shows.
    """
    from weasyprint import HTML as WeasyHTML

    WeasyHTML(string=page_html).write_pdf(str(path))
