"""Live charts in JupyterLab, offline: brushing, clicking and tooltips in the notebook itself.

Reports draw their charts with a loader the report page carries (``render.chart_html``);
inside JupyterLab that page is not there, so charts would show as their PNG. A ``LiveChart``
is an anywidget whose front-end module is the Vega libraries bundled by vl-convert (no CDN,
unlike Altair's own JupyterChart, which imports Vega from esm.sh): JupyterLab runs it, draws
the chart, and every selection works. It needs the ``anywidget`` package (in the ``lab``
extra; ``make lab`` installs it); without it, outside a live kernel, or in a kernel no
widget front end is attached to (papermill, ``jupyter nbconvert --execute``), the reports'
renderer is used, so an exported page draws every chart offline.
"""

from __future__ import annotations

import functools
import os
from typing import Any

#: The widget's front end: ``render`` draws the spec the Python side holds, draws again when
#: it changes, and reports back the selections named in ``listen`` (their Vega-Lite param
#: values: a brushed range, the legend's kept values) and the ``key`` of a clicked point.
_RENDER = """
export default {
  async render({ model, el }) {
    let result = null;
    async function draw() {
      if (result) result.finalize();
      result = null;
      el.replaceChildren();
      const spec = model.get("spec");
      if (!spec || Object.keys(spec).length === 0) return;  // nothing to draw (hidden)
      const box = document.createElement("div");
      el.appendChild(box);
      result = await vegaEmbed(box, spec, {actions: false, renderer: "svg"});
      const view = result.view;
      for (const name of model.get("listen") || []) {
        try {
          view.addSignalListener(name, (_, value) => {
            model.set("selection", {...model.get("selection"), [name]: value ?? null});
            model.save_changes();
          });
        } catch (error) {
          console.warn("no selection named " + name, error);
        }
      }
      view.addEventListener("click", (_, item) => {
        const key = item && item.datum && item.datum.key;
        if (key !== undefined && key !== null) {
          model.set("clicked", String(key));
          model.save_changes();
        }
      });
      el.dataset.drawn = String(Number(el.dataset.drawn || 0) + 1);
    }
    model.on("change:spec", draw);
    await draw();
    return () => { model.off("change:spec", draw); if (result) result.finalize(); };
  }
};
"""


@functools.cache
def widget_module() -> str:
    """The widget's ES module: vega-embed, Vega-Lite and Vega bundled with ``_RENDER``."""
    import vl_convert

    from maturity.reporting.render import vega_lite_version

    return vl_convert.javascript_bundle(_RENDER, vl_version=vega_lite_version())


def available() -> bool:
    """Whether live charts can be shown: anywidget installed, a live Jupyter kernel, and a
    widget front end connected to it (JupyterLab's widget manager opened the
    ``jupyter.widget.control`` channel, or a Jupyter server started the kernel for a
    document it shows).

    A kernel that nbconvert ``--execute``, papermill or nbclient runs has no front end: a
    widget there would be saved as a widget view that an exported page can draw only with
    a widget manager fetched from a CDN (blank offline), so the reports' chart HTML is used
    instead: drawn offline, interactive, in any exported page."""
    try:
        import anywidget  # noqa: F401
        from IPython import get_ipython
        from ipywidgets import Widget
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or "IPKernelApp" not in getattr(shell, "config", {}):
        return False
    if getattr(Widget, "_control_comm", None) is not None:
        return True
    # JupyterLab opens the control channel as the kernel starts, before this module (or
    # ipywidgets) is imported, so the channel is often refused; a kernel a Jupyter server
    # started for a document (JupyterLab, Notebook 7) carries JPY_SESSION_NAME, and those
    # front ends have the widget manager. nbclient, papermill and nbconvert never set it.
    return bool(os.environ.get("JPY_SESSION_NAME"))


@functools.cache
def _widget_class() -> type:
    import anywidget
    import traitlets

    class LiveChart(anywidget.AnyWidget):
        """A chart drawn by the bundled Vega libraries; ``selection`` holds the current
        value of each param named in ``listen``, ``clicked`` the key of the last point
        clicked."""

        _esm = widget_module()
        spec = traitlets.Dict().tag(sync=True)
        listen = traitlets.List(traitlets.Unicode()).tag(sync=True)
        selection = traitlets.Dict().tag(sync=True)
        clicked = traitlets.Unicode("").tag(sync=True)

    return LiveChart


def live_chart(spec: dict[str, Any], listen: list[str] | None = None) -> Any:
    """A widget drawing ``spec`` (a Vega-Lite dict) in JupyterLab, reporting the params
    named in ``listen`` and clicks."""
    return _widget_class()(spec=spec, listen=list(listen or []))


def _renderer(spec: dict[str, Any], **_metadata: Any) -> dict[str, Any]:
    """The widget for JupyterLab, and the reports' HTML (PNG and spec) beside it for
    everything that cannot run a widget: an exported page, a notebook viewer."""
    from maturity.reporting.render import chart_html

    bundle = live_chart(spec)._repr_mimebundle_()
    data = dict(bundle[0] if isinstance(bundle, tuple) else bundle)
    data["text/html"] = chart_html(spec)
    return data


def enable() -> bool:
    """Use live charts for the rest of this notebook when ``available()``; True if so.

    Otherwise (nbconvert ``--execute``, papermill, a kernel no widget front end is attached
    to) the charts are the reports' chart HTML, and this cell's output carries the reports'
    chart script once, so a page exported from the notebook (``jupyter nbconvert --to
    html``) draws every chart, interactive, offline; a front end that runs no script shows
    each chart's PNG."""
    import altair as alt

    if not available():
        from IPython.display import HTML, display

        from maturity.reporting.render import chart_script

        display(HTML(f'<script type="module">{chart_script()}</script>'))
        return False
    if "maturity-live" not in alt.renderers.names():
        alt.renderers.register("maturity-live", _renderer)
    alt.renderers.enable("maturity-live")
    return True
