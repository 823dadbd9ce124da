"""Live charts in JupyterLab, offline: brushing, clicking and tooltips in the notebook itself.

Reports draw their charts with a loader the report page carries (``render.chart_html``);
inside JupyterLab that page is not there, so charts would show as their PNG. A ``LiveChart``
is an anywidget whose front-end module is the Vega libraries bundled by vl-convert (no CDN,
unlike Altair's own JupyterChart, which imports Vega from esm.sh): JupyterLab runs it, draws
the chart, and every selection works. It needs the ``anywidget`` package (in the ``lab``
extra; ``make lab`` installs it); without it, or outside a live kernel (papermill), the
reports' renderer is used.
"""

from __future__ import annotations

import functools
from typing import Any

#: The widget's front end: ``render`` draws the spec the Python side holds.
_RENDER = """
export default {
  async render({ model, el }) {
    const result = await vegaEmbed(el, model.get("spec"), {actions: false, renderer: "svg"});
    return () => result.finalize();
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
    """Whether live charts can be shown: anywidget installed and a live Jupyter kernel."""
    try:
        import anywidget  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def live_chart(spec: dict[str, Any]) -> Any:
    """A widget drawing ``spec`` (a Vega-Lite dict) in JupyterLab."""
    import anywidget
    import traitlets

    class LiveChart(anywidget.AnyWidget):
        _esm = widget_module()
        spec = traitlets.Dict().tag(sync=True)

    return LiveChart(spec=spec)


def _renderer(spec: dict[str, Any], **_metadata: Any) -> dict[str, Any]:
    """The widget for JupyterLab, and the reports' HTML (PNG and spec) beside it for
    everything that cannot run a widget: an exported page, a notebook viewer."""
    from maturity.reporting.render import chart_html

    bundle = live_chart(spec)._repr_mimebundle_()
    data = dict(bundle[0] if isinstance(bundle, tuple) else bundle)
    data["text/html"] = chart_html(spec)
    return data


def enable() -> bool:
    """Use live charts for the rest of this notebook when ``available()``; True if so."""
    import altair as alt

    if not available():
        return False
    if "maturity-live" not in alt.renderers.names():
        alt.renderers.register("maturity-live", _renderer)
    alt.renderers.enable("maturity-live")
    return True
