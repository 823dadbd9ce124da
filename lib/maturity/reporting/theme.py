"""The report's chart theme, registered with Altair as ``maturity``.

One place for fonts, colours and sizes, so every chart in every report looks the same.
Colours are the Tableau 10 hues, which stay distinct for colour-blind readers and in grey
print.
"""

from __future__ import annotations

import altair as alt

FONT = "Inter, 'Segoe UI', 'Helvetica Neue', Arial, sans-serif"
#: Colours by meaning, used by the chart builders.
COLOURS = {
    "median": "#1f77b4",
    "p90": "#ff7f0e",
    "mean": "#7f7f7f",
    "resolved": "#4c78a8",
    "open": "#e45756",
    "target": "#54a24b",
}


NAME = "maturity"


@alt.theme.register(NAME, enable=False)
def maturity_theme() -> alt.theme.ThemeConfig:
    """Quiet axes, readable labels, a fixed width that fits an A4 page."""
    return {
        "config": {
            "view": {
                "continuousWidth": 640,
                "continuousHeight": 260,
                "discreteWidth": 640,
                "stroke": None,
            },
            "font": FONT,
            "title": {"fontSize": 15, "fontWeight": 600, "anchor": "start", "offset": 12},
            "axis": {
                "labelFontSize": 12,
                "titleFontSize": 12,
                "titleFontWeight": 500,
                "gridColor": "#e6e6e6",
                "domainColor": "#999999",
                "tickColor": "#999999",
            },
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"},
            "line": {"strokeWidth": 2.5},
            "point": {"size": 60, "filled": True},
        }
    }


def enable() -> None:
    """Make ``maturity`` the active Altair theme."""
    alt.theme.enable("maturity")
