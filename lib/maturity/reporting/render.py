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
import contextlib
import copy
import functools
import hashlib
import html
import importlib.util
import itertools
import json
import re
import threading
from importlib import metadata
from pathlib import Path
from typing import Any

import nbformat
import vl_convert

import maturity
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


@functools.cache
def vega_lite_version() -> str:
    """The Vega-Lite version Altair writes specs for, as vl-convert names it (``6.4``).

    Read from the source of Altair's newest schema module (``SCHEMA_VERSION``), without
    importing Altair: a review's worker, which renders pages and draws PNGs but builds no
    chart, would load Altair (half a second, 50 MB) for this one string. Imported when
    that source cannot be read."""
    found = importlib.util.find_spec("altair")
    for folder in found.submodule_search_locations or [] if found else []:
        modules = Path(folder).glob("vegalite/v*/schema/__init__.py")
        for module in sorted(modules, key=lambda m: int(m.parts[-3][1:]), reverse=True):
            with contextlib.suppress(OSError, UnicodeDecodeError):
                match = re.search(r'^SCHEMA_VERSION = "v(\d+)\.(\d+)', module.read_text(), re.M)
                if match:
                    return f"{match[1]}.{match[2]}"
    import altair as alt

    major, minor = alt.SCHEMA_VERSION.lstrip("v").split(".")[:2]
    return f"{major}.{minor}"


@functools.cache
def chart_script() -> str:
    """The page's one module script: the vega libraries and the chart loader.

    Bundling takes vl-convert seconds, in every process that renders pages, so the result
    is kept in the maturity cache folder (``maturity.ingest.cache``), keyed by vl-convert's
    version, the Vega-Lite version and the loader's text."""
    from maturity.ingest.cache import cache_dir

    key = hashlib.sha256(
        f"{metadata.version('vl-convert-python')}|{vega_lite_version()}|{CHART_LOADER}".encode()
    ).hexdigest()[:20]
    folder = cache_dir()
    cached = folder / "chart-script" / f"{key}.js" if folder else None
    if cached is not None and cached.is_file():
        with contextlib.suppress(OSError, UnicodeDecodeError):
            return cached.read_text(encoding="utf-8")
    bundle = vl_convert.javascript_bundle(CHART_LOADER, vl_version=vega_lite_version())
    # Inside an inline <script>, "</script" would end the tag early wherever it appears.
    script = bundle.replace("</script", "<\\/script")
    if cached is not None:
        with contextlib.suppress(OSError):  # a read-only cache folder: bundle each time
            cached.parent.mkdir(parents=True, exist_ok=True)
            from maturity import files

            files.write_text(cached, script)
    return script


def _json_for_script(spec: dict[str, Any]) -> str:
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


#: Whether a chart's HTML carries its PNG (drawn by vl-convert, a few tenths of a second a
#: chart). A review turns this off in its kernels: a page draws its charts with JavaScript,
#: and the PDF step draws the PNGs it needs (``with_chart_images``). A notebook run by hand
#: keeps it on, so JupyterLab and nbconvert show every chart without JavaScript.
CHART_IMAGES = True


#: The smallest chart: drawing it once starts vl-convert's JavaScript engine (about a
#: second), which a worker does while it waits for its first report.
WARM_UP_CHART: dict[str, Any] = {
    "data": {"values": [{"x": 1}]},
    "mark": "point",
    "encoding": {"x": {"field": "x", "type": "quantitative"}},
}


def chart_png(spec: dict[str, Any]) -> bytes:
    return vl_convert.vegalite_to_png(spec, scale=2, vl_version=vega_lite_version())


def _image_tag(spec: dict[str, Any], png: bytes | None = None) -> str:
    title = _title_of(spec)
    summary = spec.get("description")
    alt_text = html.escape(f"{title or 'chart'}. {summary}" if summary else str(title), quote=True)
    data = base64.b64encode(png if png is not None else chart_png(spec)).decode()
    return f'<img class="chart-fallback" alt="{alt_text}" src="data:image/png;base64,{data}">'


def _title_of(spec: dict[str, Any]) -> Any:
    title = spec.get("title")
    return title.get("text") if isinstance(title, dict) else title


def chart_html(spec: dict[str, Any]) -> str:
    """The HTML of one chart: a figure with its summary as caption, the PNG fallback (while
    ``CHART_IMAGES``), and the spec for the page's loader."""
    payload = _json_for_script(spec)
    digest = hashlib.sha1(payload.encode()).hexdigest()[:10]
    chart_id = f"chart-{next(_chart_numbers)}-{digest}"
    label = html.escape(str(_title_of(spec) or "chart"), quote=True)
    # The text alternative: the chart's title, and the one-sentence summary its builder
    # wrote (``description``), shown under the chart for every reader, and in the PDF.
    summary = spec.get("description")
    caption = (
        f'<figcaption class="chart-summary">{html.escape(str(summary))}</figcaption>'
        if summary
        else ""
    )
    image = _image_tag(spec) if CHART_IMAGES else ""
    return (
        f'<figure class="maturity-chart" id="{chart_id}" role="group" aria-label="{label}">'
        f"{image}{caption}</figure>\n"
        f'<script type="application/json" class="maturity-chart-spec" '
        f'data-target="{chart_id}">{payload}</script>'
    )


# Attributes in any order: nbconvert writes a notebook's HTML outputs back out sorted.
_SPEC_TAG = re.compile(
    r'<script(?=[^>]*\bclass="maturity-chart-spec")[^>]*\bdata-target="([^"]+)"[^>]*>(.*?)</script>',
    re.S,
)


# A chart's PNG, first in its figure, its attributes in any order.
_FALLBACK_IMAGE = re.compile(r'\s*<img\b[^>]*\bclass="chart-fallback"')


def with_chart_images(page: str) -> str:
    """``page`` with a PNG in every chart figure that has none (drawn from the chart's
    spec on the page): what a printer, which runs no JavaScript, needs."""
    return draw_chart_images(page)[0]


def draw_chart_images(page: str) -> tuple[str, dict[str, bytes]]:
    """``with_chart_images``, and the PNGs it drew by chart title (the deck reuses them)."""
    drawn: dict[str, bytes] = {}
    for match in _SPEC_TAG.finditer(page):
        opening = re.search(rf'<figure\b[^>]*\bid="{re.escape(match[1])}"[^>]*>', page)
        if opening is None or _FALLBACK_IMAGE.match(page, opening.end()):
            continue  # no such figure, or it has its PNG (from the kernel, or drawn before)
        spec = json.loads(match[2])
        png = chart_png(spec)
        drawn.setdefault(str(_title_of(spec)), png)
        page = page[: opening.end()] + _image_tag(spec, png) + page[opening.end() :]
    return page, drawn


def _renderer(spec: dict[str, Any], **_metadata: Any) -> dict[str, str]:
    return {"text/html": chart_html(spec)}


def setup_notebook() -> None:
    """Call once at the top of a report notebook: the maturity theme and chart renderer.
    (The explore notebook then calls ``maturity.reporting.live.enable()`` for live charts.)
    Chart numbering starts again, so a notebook renders the same in a warm kernel (one that
    ran other notebooks before) as in a new one."""
    import altair as alt  # here: a worker that only renders pages never loads Altair

    from maturity.reporting import theme

    global _chart_numbers
    _chart_numbers = itertools.count(1)
    theme.enable()
    if "maturity" not in alt.renderers.names():
        alt.renderers.register("maturity", _renderer)
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


@functools.cache
def _html_exporter() -> Any:
    """One exporter per process: building one compiles its templates (a third of a second),
    and it keeps no state between notebooks."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        extra_template_basedirs=[str(TEMPLATES)],
        template_name="report",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        # No empty "¶" links beside headings: a link without text is an accessibility
        # failure (axe: link-name), and a printed report has no use for them.
        exclude_anchor_links=True,
    )


def notebook_to_html(
    notebook: nbformat.NotebookNode | str | Path, *, title: str, footer: str = ""
) -> str:
    """Render an executed notebook as a self-contained, offline HTML page, code hidden."""
    node = (
        notebook
        if isinstance(notebook, nbformat.NotebookNode)
        else nbformat.read(str(notebook), as_version=4)
    )
    page_notebook = _without_records(node)
    exporter = _html_exporter()
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

    WeasyPrint runs no JavaScript, so each chart prints as its PNG (drawn here where the
    page has none): every chart shows.
    """
    from weasyprint import HTML as WeasyHTML

    printable = without_scripts(with_chart_images(page_html))
    WeasyHTML(string=printable).write_pdf(str(path), font_config=_font_configuration())


_font_configurations = threading.local()


def _font_configuration() -> Any:
    """This thread's WeasyPrint font configuration, kept across PDFs. WeasyPrint makes a new
    one for each document unless given one, and each kept about half a megabyte: a worker
    printing 150 reports grew by 70 MB. Per thread: Pango is not thread-safe (a Dask worker
    may print in several threads). Report pages declare no @font-face, so nothing a
    document adds to it changes the next one."""
    configuration = getattr(_font_configurations, "configuration", None)
    if configuration is None:
        from weasyprint.text.fonts import FontConfiguration

        configuration = _font_configurations.configuration = FontConfiguration()
    return configuration


# A script element, up to its end tag. The page's own scripts can hold no "</script": the
# chart script escapes it and specs escape every "<" (``_json_for_script``).
_SCRIPT_ELEMENT = re.compile(r"<script\b[^>]*>.*?</script\s*>", re.S | re.I)


def without_scripts(page: str) -> str:
    """``page`` without its script elements: a printer runs no JavaScript, and parsing the
    page's megabyte of chart script took WeasyPrint half a second a report."""
    return _SCRIPT_ELEMENT.sub("", page)
