"""The explorer as an app inside the notebook: pick a team, quarter, services, severities and
a team to compare with; every chart and table follows. The incident table (an ipydatagrid
``DataGrid``: sort and filter by any column) lists what the explorer chart's brush and legend
keep; clicking a point or a row shows that incident's whole record.

``show(assessment, ...)`` is what ``notebooks/explore.ipynb`` calls. In JupyterLab with a
widget front end it returns the app (``Explorer``); anywhere else (papermill, ``jupyter
nbconvert --execute``) it displays the same views once, statically, so an exported page has
every chart (the reports' offline, interactive charts) and table. The figures come from
``maturity.reporting.explorer.ExplorerData`` either way.
"""

from __future__ import annotations

import contextlib
import html
from pathlib import Path
from typing import Any

import pandas as pd

from maturity.organisation import Organisation
from maturity.reporting import html as report_html
from maturity.reporting import live
from maturity.reporting.explorer import (
    NO_COMPARISON,
    Choice,
    ExplorerData,
    severity_label,
)

#: The explorer chart's params the app listens to (``charts.incident_explorer``).
BRUSH, LEGEND = "period", "severity"


def show(
    assessment: str | Path | Organisation,
    team: str = "ALL",
    quarter: str | None = None,
    services: list[Any] | None = None,
    severities: list[Any] | None = None,
    compare: str = NO_COMPARISON,
) -> Any:
    """The explorer on ``assessment``, starting from the choice given (a mistyped team,
    service or severity is named in a message, never a traceback). Returns the app in a
    live JupyterLab; elsewhere displays the static views and returns None."""
    data = ExplorerData(assessment)
    checked = data.check(team, quarter, services or (), severities or (), compare)
    if live.available():
        import ipywidgets  # noqa: F401  (the app needs them; the static path does not)

        return Explorer(data, checked.choice, checked.messages)
    from IPython.display import HTML, display

    live.enable()  # the reports' chart script, once, for an exported page
    display(HTML(static_page(data, checked.choice, checked.messages)))
    return None


def _table_html(frame: pd.DataFrame, text_columns: tuple[int, ...] = (0, 1, 2)) -> str:
    if frame.empty:
        return ""
    rows = [[("" if pd.isna(v) else v) for v in row] for row in frame.itertuples(index=False)]
    return str(report_html.table(rows, list(frame.columns), text_columns=text_columns))


def _message(text: str | None, kind: str = "callout") -> str:
    return f'<p class="{kind}">{html.escape(text)}</p>' if text else ""


def _chart_html(chart: Any) -> str:
    import altair as alt

    from maturity.reporting.render import chart_html
    from maturity.reporting.theme import NAME

    with alt.theme.enable(NAME):
        return chart_html(chart.to_dict())


def _answers_html(data: ExplorerData, choice: Choice) -> str:
    answers, why = data.answers(choice)
    return _message(why, "note") or _table_html(answers, (0, 2, 3, 4))


def _tables_html(data: ExplorerData, choice: Choice) -> str:
    """The outliers, the breakdown by severity and the measures by quarter, headed."""
    return "".join(
        [
            "<h3>Outliers: over three times their quarter's median</h3>",
            _table_html(data.outliers(choice)) or _message("None listed.", "note"),
            "<h3>By severity</h3>",
            _table_html(data.by_severity(choice), (0, 1)),
            "<h3>The measures, quarter by quarter</h3>",
            _table_html(data.measures_table(choice), (0, 7)),
        ]
    )


def static_page(data: ExplorerData, choice: Choice, messages: list[str]) -> str:
    """Every view of ``choice`` as one HTML block (no widgets): what an executed or exported
    notebook shows."""
    parts = [
        f"<h2>{html.escape(data.team_name(choice.team))}</h2>",
        _message(data.status(choice), "note"),
    ]
    parts += [_message(m) for m in messages]
    empty = data.empty_message(choice)
    parts.append(_message(empty))
    if data.of_team(choice.team).empty:
        return "".join(parts)
    parts.append(
        "<p class='note'>Open this notebook in JupyterLab to pick the team, quarter, "
        "services and severities, brush the time range and click an incident.</p>"
    )
    if not data.chosen(choice).empty:
        parts.append(_chart_html(data.explorer_chart(choice)))
        parts.append(_chart_html(data.distribution_chart(choice)))
    comparison = data.comparison_chart(choice)
    if comparison is not None:
        parts.append(_chart_html(comparison))
    if not data.in_view(choice).empty:
        parts.append("<h3>The slowest incidents listed, phase by phase</h3>")
        parts.append(_message(data.phase_note(choice), "note"))
        parts.append(_chart_html(data.phase_chart(choice)))
        parts.append("<h3>Incidents listed</h3>")
        parts.append(
            _table_html(
                data.table(choice).head(50).reset_index(drop=True), (0, 1, 2, 3, 4, 5, 7, 8)
            )
        )
    parts.append("<h3>What the team says, and what its data shows</h3>")
    parts.append(_answers_html(data, choice))
    parts.append(_tables_html(data, choice))
    parts.append(_chart_html(data.phase_trend_chart(choice)))
    return "".join(parts)


class Explorer:
    """The app: controls on top, a status line and messages, then the charts, the incident
    table with the record of the incident picked, the comparison, the answers and the
    tables. ``widget`` is what the notebook displays (``_repr_mimebundle_`` shows it)."""

    def __init__(self, data: ExplorerData, choice: Choice, messages: list[str] | None = None):
        import ipywidgets as w

        self.data, self.choice = data, choice
        self._messages = list(messages or [])
        self._updating = False
        layout = w.Layout(width="auto")
        self.team = w.Dropdown(
            options=data.team_options(), value=choice.team, description="Team", layout=layout
        )
        self.quarter = w.Dropdown(
            options=data.quarter_options(),
            value=choice.quarter,
            description="Quarter",
            layout=layout,
        )
        self.services = w.SelectMultiple(description="Services", rows=5, layout=layout)
        self.severities = w.SelectMultiple(description="Severities", rows=5, layout=layout)
        self.compare = w.Dropdown(
            description="Compare with", layout=layout, style={"description_width": "initial"}
        )
        self.clear = w.Button(
            description="Clear filters",
            tooltip="Every service, severity, time and legend value",
            icon="times",
        )
        self.status = w.HTML()
        self.notes = w.HTML()
        self.explorer = live.live_chart({}, listen=[BRUSH, LEGEND])
        self.distribution = live.live_chart({})
        self.phases = live.live_chart({})
        self.comparison = live.live_chart({})
        self.trend = live.live_chart({})
        self.phase_note = w.HTML()
        self.record = w.HTML(value=self._record_hint())
        self.grid = self._grid()
        self.answers = w.HTML()
        self.tables = w.HTML()
        self._fill_options()
        for control in (self.team, self.quarter, self.services, self.severities, self.compare):
            control.observe(self._on_control, names="value")
        self.clear.on_click(self._on_clear)
        self.explorer.observe(self._on_selection, names="selection")
        for chart in (self.explorer, self.distribution, self.phases):
            chart.observe(self._on_click, names="clicked")
        controls = w.VBox(
            [
                w.HBox([self.team, self.quarter, self.compare]),
                w.HBox([self.services, self.severities, self.clear]),
            ]
        )
        help_text = w.HTML(
            "<p class='note'>Brush the strip under the scatter to keep a time range; click a "
            "severity in its legend to keep only it (click it again, or double-click the chart, "
            "to show all); click a point or a table row for the incident's whole record. "
            "The table sorts and filters by any column (its header menu).</p>"
        )
        self.widget = w.VBox(
            [
                controls,
                self.status,
                self.notes,
                help_text,
                self.explorer,
                w.HTML("<h3>Incidents listed</h3>"),
                self.grid,
                self.record,
                w.HTML("<h3>The slowest incidents listed, phase by phase</h3>"),
                self.phase_note,
                self.phases,
                self.distribution,
                self.comparison,
                w.HTML("<h3>What the team says, and what its data shows</h3>"),
                self.answers,
                self.tables,
                self.trend,
            ]
        )
        self.refresh()

    # -- widgets --------------------------------------------------------------------------

    def _grid(self) -> Any:
        from ipydatagrid import DataGrid

        # header_visibility="column": the index (the incident's key) is for drill-down only
        grid = DataGrid(
            self._grid_frame(),
            selection_mode="row",
            base_column_size=100,
            header_visibility="column",
            column_widths={"Title": 300, "Source": 240, "Time to recover": 110},
            layout={"height": "320px", "width": "100%"},
        )
        grid.observe(self._on_row, names="selections")
        return grid

    def _grid_frame(self) -> pd.DataFrame:
        table = self.data.table(self.choice)
        return table.reset_index().set_index("key") if not table.empty else table

    def _fill_options(self) -> None:
        team = self.choice.team
        self.services.options = self.data.services(team)
        self.services.value = tuple(s for s in self.choice.services if s in self.services.options)
        self.severities.options = [(severity_label(s), s) for s in self.data.severities(team)]
        self.severities.value = tuple(
            s for s in self.choice.severities if s in self.data.severities(team)
        )
        others = [(name, key) for name, key in self.data.team_options() if key != team]
        self.compare.options = [("nobody", NO_COMPARISON), *others]
        self.compare.value = self.choice.compare if self.choice.compare != team else NO_COMPARISON

    # -- events ---------------------------------------------------------------------------

    def _on_control(self, change: dict[str, Any]) -> None:
        if self._updating:
            return
        team_changed = change["owner"] is self.team
        self.choice = self.choice.but(
            team=self.team.value,
            quarter=self.quarter.value,
            services=() if team_changed else tuple(self.services.value),
            severities=() if team_changed else tuple(self.severities.value),
            compare=self.compare.value,
            brushed=None if team_changed else self.choice.brushed,
            legend=() if team_changed else self.choice.legend,
        )
        self._messages = []
        if team_changed:
            with self._quietly():
                self._fill_options()
        self.refresh()

    def _on_clear(self, _button: Any) -> None:
        self.choice = self.choice.but(services=(), severities=(), brushed=None, legend=())
        self._messages = []
        with self._quietly():
            self.services.value, self.severities.value = (), ()
        self.refresh()

    def _on_selection(self, change: dict[str, Any]) -> None:
        """The explorer chart's brush and legend, as Vega-Lite reports them:
        ``{"period": {"yearmonth_detected": [t0, t1]}, "severity": {"severity": [...]}}``
        (times in milliseconds since the epoch, UTC as drawn; empty when cleared)."""
        selection = change["new"] or {}
        brushed = None
        period = selection.get(BRUSH) or {}
        values = next(iter(period.values()), None) if isinstance(period, dict) else None
        if isinstance(values, list) and len(values) == 2:
            low, high = sorted(
                pd.Timestamp(v, unit="ms", tz="UTC")
                if isinstance(v, int | float)
                else pd.Timestamp(v).tz_localize("UTC")
                for v in values
            )
            # the strip is drawn by month: a brush covers the months it touches
            months = [t.tz_convert(None).to_period("M") for t in (low, high)]
            brushed = (
                months[0].start_time.tz_localize("UTC"),
                months[1].end_time.tz_localize("UTC"),
            )
        legend = selection.get(LEGEND) or {}
        kept: Any = next(iter(legend.values()), []) if isinstance(legend, dict) else []
        self.choice = self.choice.but(brushed=brushed, legend=tuple(str(v) for v in kept or []))
        self.refresh(charts=False)

    def _on_click(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self.show_record(change["new"])

    def _on_row(self, change: dict[str, Any]) -> None:
        selections = change["new"] or []
        if not selections:
            return
        row = selections[-1].get("r1")
        frame = self.grid.get_visible_data() if hasattr(self.grid, "get_visible_data") else None
        if frame is None or row is None or row >= len(frame):
            return
        self.show_record(str(frame.index[row]))

    @contextlib.contextmanager
    def _quietly(self) -> Any:
        self._updating = True
        try:
            yield
        finally:
            self._updating = False

    # -- drawing --------------------------------------------------------------------------

    def _record_hint(self) -> str:
        return "<p class='note'>Click a point or a row to see that incident's whole record.</p>"

    def show_record(self, key: str) -> None:
        """Show one incident's whole record beside the table."""
        fields = self.data.record(key)
        if not fields:
            self.record.value = self._record_hint()
            return
        rows = "".join(
            f"<tr><th style='text-align:left;padding:1px 12px 1px 0'>{html.escape(k)}"
            f"</th><td style='padding:1px 0'>{html.escape(v)}</td></tr>"
            for k, v in fields
        )
        self.record.value = (
            f"<div class='maturity-record' data-key='{html.escape(key)}'>"
            f"<h4>Incident {html.escape(fields[0][1])}</h4>"
            f"<table style='line-height:1.35'>{rows}</table></div>"
        )

    def refresh(self, *, charts: bool = True) -> None:
        """Redraw what the choice changes: the status, messages, table, record and tables,
        and (unless only a selection inside a chart moved) the charts."""
        import altair as alt

        from maturity.reporting.theme import NAME

        data, choice = self.data, self.choice
        self.status.value = _message(data.status(choice), "note")
        notes = [*self._messages, data.empty_message(choice)]
        self.notes.value = "".join(_message(n) for n in notes if n)
        with alt.theme.enable(NAME):
            if charts:
                has_any = not data.chosen(choice).empty
                self.explorer.spec = data.explorer_chart(choice).to_dict() if has_any else {}
                self.distribution.spec = (
                    data.distribution_chart(choice).to_dict() if has_any else {}
                )
                comparison = data.comparison_chart(choice)
                self.comparison.spec = comparison.to_dict() if comparison is not None else {}
                self.trend.spec = data.phase_trend_chart(choice).to_dict()
            listed = not data.in_view(choice).empty
            self.phases.spec = data.phase_chart(choice).to_dict() if listed else {}
        for chart in (self.explorer, self.distribution, self.phases, self.comparison, self.trend):
            chart.layout.display = None if chart.spec else "none"
        self.phase_note.value = _message(data.phase_note(choice), "note")
        self.grid.data = self._grid_frame()
        self.answers.value = _answers_html(data, choice)
        self.tables.value = _tables_html(data, choice)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)
