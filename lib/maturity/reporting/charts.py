"""Chart builders: pure functions from tidy DataFrames to Altair charts, no I/O.

Durations are in minutes. Every chart carries the count behind each point in its tooltip,
and leaves periods without data blank rather than drawing them as zero.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from maturity.measures.stats import MIN_RESOLVED
from maturity.reporting.formatting import (
    UNITS,
    format_change,
    format_change_range,
    format_minutes,
    severity_label,
    unit_of,
)
from maturity.reporting.theme import COLOURS
from maturity.wording import plural

#: The recovery statistics drawn by ``recovery_trend``, in legend order.
RECOVERY_SERIES = {
    "mttr_median": ("Median", COLOURS["median"]),
    "mttr_p90": ("90th percentile", COLOURS["p90"]),
    "mttr": ("Mean (MTTR)", COLOURS["mean"]),
}


def recovery_trend(measures: pd.DataFrame, *, title: str,
                   unit: str | None = None) -> alt.LayerChart:  # fmt: skip
    """Time to recover per quarter: median (with its 90% CI band), 90th percentile and mean.

    ``measures`` has one row per quarter (``period``) with ``mttr``, ``mttr_median``,
    ``mttr_p90`` and ``resolved`` (the count behind each figure), as
    ``measures_by_team_quarter`` returns for one team. The mean is dashed: it is the
    standard's MTTR, but long tails move it more than the typical incident. Durations are
    drawn in ``unit`` (the review's ``recovery_unit``; default: one chosen for the data). A
    quarter with fewer than ``MIN_RESOLVED`` resolved incidents shows its median as a hollow
    point and nothing else:
    no band, no 90th percentile or mean, which so few incidents cannot support.
    """
    unit = unit or unit_of(measures["mttr_median"])  # the review's unit, where it has one
    name, per_unit = UNITS[unit]
    frame = measures.copy()
    frame["reliable"] = frame["resolved"] >= MIN_RESOLVED
    for column in ("mttr_p90", "mttr", "mttr_median_ci_low", "mttr_median_ci_high"):
        if column in frame:
            frame[column] = frame[column].where(frame["reliable"])
    long = frame.melt(
        id_vars=["period", "resolved", "open", "reliable"],
        value_vars=list(RECOVERY_SERIES),
        var_name="measure",
        value_name="minutes",
    )
    long["statistic"] = long["measure"].map(lambda m: RECOVERY_SERIES[m][0])
    long["value"] = long["minutes"] / per_unit
    # The legend names only the series drawn: with every quarter under MIN_RESOLVED, the
    # 90th percentile and the mean are not drawn, so they are not listed either.
    dashes = dict(zip(RECOVERY_SERIES, [[1, 0], [1, 0], [5, 4]], strict=True))
    drawn = [m for m in RECOVERY_SERIES if long.loc[long["measure"] == m, "value"].notna().any()]
    drawn = drawn or list(RECOVERY_SERIES)[:1]
    labels = [RECOVERY_SERIES[m][0] for m in drawn]
    colours = [RECOVERY_SERIES[m][1] for m in drawn]
    # Every layer shares one point scale, so each quarter's label sits under its points.
    x = alt.X("period:O", title="Quarter (detected)", axis=alt.Axis(labelAngle=0),
              scale=alt.Scale(type="point", padding=0.5), sort=list(frame["period"]))  # fmt: skip
    legend = alt.Legend(symbolType="stroke", symbolStrokeWidth=2.5, symbolSize=300)
    colour = alt.Color("statistic:N", title=None, sort=labels, legend=legend,
                       scale=alt.Scale(domain=labels, range=colours))  # fmt: skip
    base = alt.Chart(long).encode(
        x=x,
        y=alt.Y("value:Q", title=f"{name.capitalize()} to recover"),
        color=colour,
        tooltip=[
            alt.Tooltip("period:O", title="Quarter"),
            alt.Tooltip("statistic:N", title="Statistic"),
            alt.Tooltip("value:Q", title=name.capitalize(), format=",.1f"),
            alt.Tooltip("resolved:Q", title="Resolved incidents (n)"),
            alt.Tooltip("open:Q", title="Still open"),
        ],
    )
    lines = (
        base.mark_line()
        .encode(
            strokeDash=alt.StrokeDash(
                "statistic:N",
                title=None,
                sort=labels,
                legend=legend,
                scale=alt.Scale(domain=labels, range=[dashes[m] for m in drawn]),
            )
        )
        .transform_filter("isValid(datum.value)")
    )
    points = (
        base.mark_point(size=45, strokeWidth=1.5, filled=False)
        .encode(
            fill=alt.condition("datum.reliable", colour, alt.value("white")),
        )
        .transform_filter("isValid(datum.value)")
    )
    layers: list[alt.Chart] = [lines, points]
    if "mttr_median_ci_low" in frame and frame["mttr_median_ci_low"].notna().any():
        band = (
            alt.Chart(
                frame.assign(
                    low=frame["mttr_median_ci_low"] / per_unit,
                    high=frame["mttr_median_ci_high"] / per_unit,
                )
            )
            .mark_area(opacity=0.18, color=COLOURS["median"])
            .encode(
                x=x,
                y=alt.Y("low:Q"),
                y2=alt.Y2("high:Q"),
                tooltip=[
                    alt.Tooltip("period:O", title="Quarter"),
                    alt.Tooltip("low:Q", title="Median, 90% CI from", format=",.1f"),
                    alt.Tooltip("high:Q", title=f"to ({name})", format=",.1f"),
                ],
            )
            .transform_filter("isValid(datum.low)")
        )
        layers.insert(0, band)
    small = int((~frame["reliable"] & (frame["resolved"] > 0)).sum())
    subtitle = (
        [f"Hollow points: quarters with fewer than {MIN_RESOLVED} resolved incidents, the "
         "median alone, an indication only."]
        if small else []
    )  # fmt: skip
    chart = alt.LayerChart(
        layer=layers,
        title=alt.Title(title, subtitle=subtitle) if subtitle else title,
        description=_trend_summary(frame, title, unit),
    )
    return chart


def _trend_summary(frame: pd.DataFrame, title: str, unit: str) -> str:
    """One sentence saying what the trend chart shows, for readers who cannot see it."""
    medians = frame.dropna(subset=["mttr_median"])
    if medians.empty:
        return f"{title}: no resolved incidents in these quarters."
    first, last = medians.iloc[0], medians.iloc[-1]
    small = int((~frame["reliable"] & (frame["resolved"] > 0)).sum())
    caveat = (
        f" {small} of {plural(len(frame), 'quarter')} {'has' if small == 1 else 'have'} fewer than "
        f"{MIN_RESOLVED} resolved incidents."
        if small else ""
    )  # fmt: skip

    def median_in(row: pd.Series) -> str:
        return (
            f"{format_minutes(row['mttr_median'], unit)} in {row['period']} "
            f"(n = {int(row['resolved'])})"
        )

    if len(medians) == 1:  # one quarter with a median: said once (issue 21.11)
        return f"{title}: the median time to recover was {median_in(first)}.{caveat}"
    return (
        f"{title}: the median time to recover was {median_in(first)} and {median_in(last)}.{caveat}"
    )


def incident_volume(measures: pd.DataFrame, *, title: str) -> alt.Chart:
    """Incidents per quarter, resolved and still open stacked."""
    long = measures.melt(
        id_vars=["period"], value_vars=["resolved", "open"], var_name="state", value_name="count"
    )
    long["state"] = long["state"].map({"resolved": "Resolved", "open": "Still open"})
    return (
        alt.Chart(long, title=title)
        .mark_bar()
        .encode(
            x=alt.X("period:O", title="Quarter (detected)", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("count:Q", title="Incidents", stack="zero"),
            color=alt.Color(
                "state:N",
                title=None,
                scale=alt.Scale(
                    domain=["Resolved", "Still open"],
                    range=[COLOURS["resolved"], COLOURS["open"]],
                ),
            ),
            tooltip=[
                alt.Tooltip("period:O", title="Quarter"),
                alt.Tooltip("state:N", title="State"),
                alt.Tooltip("count:Q", title="Incidents"),
            ],
        )
        .properties(height=160, description=_volume_summary(measures, title))
    )


def _volume_summary(measures: pd.DataFrame, title: str) -> str:
    if measures.empty:
        return f"{title}: no quarters."
    first, last = measures.iloc[0], measures.iloc[-1]
    busiest = measures.loc[measures["incidents"].idxmax()]
    return (
        f"{title}: {plural(int(first['incidents']), 'incident')} in {first['period']}, "
        f"{int(last['incidents'])} in {last['period']} ({int(last['open'])} still open); "
        f"the busiest quarter was {busiest['period']} with {int(busiest['incidents'])}."
    )


def maturity_levels(levels: pd.DataFrame, *, title: str, by: str = "category") -> alt.Chart:
    """Maturity scores (0 to 5) as claimed and as the incident data supports, per ``by``.

    ``levels``: rows of ``by`` (a category or a team), ``kind`` (Claimed / Supported by
    data) and ``score``.
    """
    kinds = ["Claimed", "Supported by data"]
    return (
        alt.Chart(levels, title=title)
        .mark_bar()
        .encode(
            y=alt.Y(f"{by}:N", title=None, sort=None),
            yOffset=alt.YOffset("kind:N", sort=kinds),
            x=alt.X(
                "score:Q",
                title="Maturity score (level + progress to the next)",
                scale=alt.Scale(domain=[0, 5]),
                axis=alt.Axis(values=[0, 1, 2, 3, 4, 5]),
            ),
            color=alt.Color(
                "kind:N",
                title=None,
                sort=kinds,
                scale=alt.Scale(domain=kinds, range=[COLOURS["mean"], COLOURS["median"]]),
            ),
            tooltip=[
                alt.Tooltip(f"{by}:N", title=by.capitalize()),
                alt.Tooltip("kind:N", title="Score"),
                alt.Tooltip("score:Q", title="Value", format=".2f"),
            ],
        )
        .properties(height=alt.Step(14), description=_levels_summary(levels, title, by))
    )


def _levels_summary(levels: pd.DataFrame, title: str, by: str) -> str:
    wide = levels.pivot_table(index=by, columns="kind", values="score", sort=False)
    if wide.empty or "Claimed" not in wide or "Supported by data" not in wide:
        return f"{title}: no scores."
    gaps = (wide["Claimed"] - wide["Supported by data"]).round(2)
    lower = [name for name, gap in gaps.items() if gap > 0]
    said = (
        f"the data supports a lower score than claimed for {', '.join(lower)}"
        if lower
        else "the data supports every score claimed"
    )
    counted = plural(len(wide), by, "categories" if by == "category" else None)
    return f"{title}: scores from 0 to 5 for {counted}; {said}."


def recovery_distribution(incidents: pd.DataFrame, *, title: str) -> alt.Chart:
    """Every resolved incident's time to recover by quarter, on a log scale, by severity.

    ``incidents``: canonical incidents with ``quarter`` and ``recovery_minutes``. Outliers
    show as the dots far above the rest; the tooltip names each incident.
    """
    columns = ["incident_id", "title", "quarter", "severity", "recovery_minutes"]
    data = incidents.loc[incidents["recovery_minutes"].notna(), columns]
    data = data.assign(
        severity=data["severity"].map(severity_label),
        minutes=data["recovery_minutes"].clip(lower=1.0),
    ).drop(columns="recovery_minutes")
    return (
        alt.Chart(data, title=title)
        .mark_circle(opacity=0.6, size=40)
        .encode(
            x=alt.X("quarter:O", title="Quarter (detected)", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("jitter:Q"),
            y=alt.Y(
                "minutes:Q", title="Minutes to recover (log scale)", scale=alt.Scale(type="log")
            ),
            color=alt.Color("severity:N", title="Severity", sort="ascending"),
            tooltip=[
                "incident_id:N",
                "title:N",
                "severity:N",
                alt.Tooltip("minutes:Q", format=",.0f"),
            ],
        )
        .transform_calculate(jitter="random()")
        .properties(
            description=f"{title}: {plural(len(data), 'resolved incident')} over "
            f"{plural(data['quarter'].nunique(), 'quarter')}, one dot each, "
            "on a log scale."
        )
    )


def recovery_spread(incidents: pd.DataFrame, quarters: list[str], *, title: str,
                    unit: str = "min") -> alt.LayerChart:  # fmt: skip
    """Every resolved incident's time to recover, one strip per quarter on a log scale, the
    quarter's median marked: the spread a single figure hides.

    ``incidents``: canonical incidents with ``quarter``, ``detected_at``, ``resolved_at``.
    Points are spread sideways by a hash of the incident id, so the same data draw the
    same picture (no random jitter). ``unit``: min, h or d for the axis.
    """
    per = {"min": 1.0, "h": 60.0, "d": 1440.0}[unit]
    label = {"min": "Minutes", "h": "Hours", "d": "Days"}[unit]
    rows = incidents[incidents["quarter"].isin(quarters) & incidents["resolved_at"].notna()]
    minutes = (rows["resolved_at"] - rows["detected_at"]).dt.total_seconds() / 60
    data = pd.DataFrame({
        "quarter": rows["quarter"].astype(str).to_numpy(),
        "value": (minutes.clip(lower=1.0) / per).to_numpy(),
        "incident_id": rows["incident_id"].astype(str).to_numpy(),
        "title": rows["title"].astype(str).to_numpy(),
    })  # fmt: skip
    data["offset"] = pd.util.hash_pandas_object(data["incident_id"], index=False) % 1000 / 1000
    medians = data.groupby("quarter", as_index=False)["value"].median()
    x = alt.X("quarter:O", title="Quarter (detected)", sort=quarters,
              scale=alt.Scale(domain=quarters), axis=alt.Axis(labelAngle=0))  # fmt: skip
    y = alt.Y("value:Q", title=f"{label} to recover (log scale)", scale=alt.Scale(type="log"))
    points = (
        alt.Chart(data)
        .mark_circle(opacity=0.45, size=28, color=COLOURS["median"])
        .encode(x=x, xOffset=alt.XOffset("offset:Q"), y=y,
                tooltip=["incident_id:N", "title:N", alt.Tooltip("value:Q", format=",.1f")])
    )  # fmt: skip
    ticks = (
        alt.Chart(medians)
        .mark_tick(color="#c62828", thickness=3, size=34)
        .encode(x=x, y=y, tooltip=[alt.Tooltip("value:Q", title="median", format=",.1f")])
    )
    spread = (
        f"{plural(len(data), 'resolved incident')} over {plural(len(quarters), 'quarter')}"
        if len(data)
        else "no resolved incident in these quarters"
    )
    return alt.LayerChart(
        layer=[points, ticks], title=title,
        description=f"{title}: {spread}; each dot one incident, the red mark the quarter's median.",
    ).properties(height=220)  # fmt: skip


def phase_trend(measures: pd.DataFrame, *, title: str) -> alt.Chart:
    """Median minutes of each lifecycle phase per quarter: where the time goes, over time."""
    phases = {"detect_median": "Detect", "escalate_median": "Escalate",
              "respond_median": "Respond", "fix_median": "Fix"}  # fmt: skip
    long = measures.melt(id_vars=["period"], value_vars=list(phases), var_name="phase",
                         value_name="minutes")  # fmt: skip
    long["phase"] = long["phase"].map(phases)
    # Only the phases some quarter records are drawn and listed; the others are named as
    # not recorded, so one line is not read as the other phases taking no time.
    recorded = [name for name in phases.values()
                if long.loc[long["phase"] == name, "minutes"].notna().any()]  # fmt: skip
    missing = [name for name in phases.values() if name not in recorded]
    note = f"Not recorded by these exports: {', '.join(missing)}." if missing else ""
    return (
        alt.Chart(long, title=alt.Title(title, subtitle=[note]) if note else title)
        .mark_line(point=True)
        .encode(
            x=alt.X("period:O", title="Quarter (detected)", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("minutes:Q", title="Median minutes"),
            color=alt.Color("phase:N", title=None, sort=recorded,
                            scale=alt.Scale(domain=recorded or list(phases.values()))),
            tooltip=["period:O", "phase:N", alt.Tooltip("minutes:Q", format=",.1f")],
        )
        .transform_filter("isValid(datum.minutes)")
        .properties(description=f"{title}: " + (f"{', '.join(recorded)} drawn. " if recorded
                                                 else "no phase recorded. ") + note)
    )  # fmt: skip


#: A heatmap column's width (px): each category label must fit within it.
HEATMAP_STEP = 120
#: A label line's height (px); top-axis labels are raised by one line, since a second line
#: is drawn below the first and would otherwise sit on the first row of cells.
LABEL_LINE = 12
#: Category names break after " & " onto two lines ("Measurement &" / "Metrics"), so
#: neighbouring labels never run into each other ("Measurement & MetricsPeople & Culture").
TWO_LINE_LABEL = (
    "indexof(datum.label, ' & ') > 0 ? [slice(datum.label, 0, indexof(datum.label, ' & ') + 2),"
    " slice(datum.label, indexof(datum.label, ' & ') + 3)] : datum.label"
)


def maturity_heatmap(grid: pd.DataFrame, *, order: list[str], title: str) -> alt.LayerChart:
    """Teams (rows, in ``order``) x rubric categories: the supported level as colour and
    ``claimed→supported`` as text, so the figure reads without colour too."""
    levels = [1, 2, 3, 4, 5]
    base = alt.Chart(grid).encode(
        y=alt.Y("team:N", title=None, sort=order),
        x=alt.X("category:N", title=None, axis=alt.Axis(
            orient="top", labelAngle=0, labelExpr=TWO_LINE_LABEL, labelLimit=HEATMAP_STEP - 8,
            labelLineHeight=LABEL_LINE, labelPadding=4 + LABEL_LINE)),
    )  # fmt: skip
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color(
            "supported:O",
            title="Level supported",
            scale=alt.Scale(domain=levels, scheme="blues"),
        ),
        tooltip=[
            alt.Tooltip("team:N", title="Team"),
            alt.Tooltip("category:N", title="Category"),
            alt.Tooltip("claimed:Q", title="Level claimed"),
            alt.Tooltip("supported:Q", title="Level supported"),
            *(
                [alt.Tooltip("disputed:Q", title="Statements disputed")]
                if "disputed" in grid
                else []
            ),
        ],
    )
    text = base.mark_text(fontSize=11).encode(
        text="label:N",
        color=alt.condition("datum.supported >= 4", alt.value("white"), alt.value("#1d2330")),
    )
    below = grid[grid["claimed"] > grid["supported"]]
    summary = (
        f"{title}: {plural(grid['team'].nunique(), 'team')}; the data supports a lower level "
        f"than claimed in {len(below)} of {plural(len(grid), 'team-category', 'team-categories')}."
    )
    if "disputed" in grid and grid["disputed"].sum():
        marked = int((grid["disputed"] > 0).sum())
        summary += (f" ⚑n marks {plural(marked, 'cell')} where the team's respondents disagree "
                    "on n statements.")  # fmt: skip
    return alt.LayerChart(layer=[cells, text], title=title, description=summary).properties(
        width=alt.Step(HEATMAP_STEP), height=alt.Step(18)
    )


def incident_explorer(incidents: pd.DataFrame, *, title: str) -> alt.VConcatChart:
    """Every resolved incident over time, to explore: brush a time range on the strip below
    to zoom the scatter, click a severity in the legend to keep only it; the tooltip gives
    each incident's id, title, service and durations (minutes, log scale)."""
    columns = [
        "key",
        "incident_id",
        "title",
        "service",
        "severity",
        "detected_at",
        "recovery_minutes",
        "escalate_minutes",
        "respond_minutes",
        "fix_minutes",
    ]
    data = incidents.loc[incidents["recovery_minutes"].notna(),
                         [c for c in columns if c in incidents]].copy()  # fmt: skip
    # A phase the export does not record reads "not recorded", not "null".
    for phase in ("escalate", "respond", "fix"):
        if f"{phase}_minutes" in data:
            data[f"{phase}_minutes"] = data[f"{phase}_minutes"].map(
                lambda m: f"{m:,.0f}" if pd.notna(m) else "not recorded")  # fmt: skip
    data["title"] = data["title"].fillna("—") if "title" in data else "—"
    data["service"] = data["service"].fillna("—") if "service" in data else "—"
    data["severity"] = data["severity"].map(severity_label)
    data["detected"] = data["detected_at"].dt.tz_convert("UTC").dt.tz_localize(None)
    data["minutes"] = data["recovery_minutes"].clip(lower=1.0)
    data = data.drop(columns=["detected_at", "recovery_minutes"])
    brush = alt.selection_interval(encodings=["x"], name="period")
    severity = alt.selection_point(fields=["severity"], bind="legend", name="severity")
    tooltip = [alt.Tooltip("incident_id:N", title="Incident"), alt.Tooltip("title:N"),
               alt.Tooltip("service:N"), alt.Tooltip("severity:N"),
               alt.Tooltip("detected:T", title="Detected (UTC)", format="%Y-%m-%d %H:%M"),
               alt.Tooltip("minutes:Q", title="Minutes to recover", format=",.0f")]  # fmt: skip
    tooltip += [alt.Tooltip(f"{p}_minutes:N", title=f"Minutes to {p}")
                for p in ("escalate", "respond", "fix") if f"{p}_minutes" in data]  # fmt: skip
    points = (
        alt.Chart(data, title=title)
        .mark_circle(size=45)
        .encode(
            x=alt.X("detected:T", title="Detected", scale=alt.Scale(domain=brush)),
            y=alt.Y(
                "minutes:Q", title="Minutes to recover (log scale)", scale=alt.Scale(type="log")
            ),
            color=alt.Color("severity:N", title="Severity (click to filter)", sort="ascending"),
            opacity=alt.condition(severity, alt.value(0.75), alt.value(0.05)),
            tooltip=tooltip,
        )
        .add_params(severity)
        .properties(width=640, height=280)
    )
    overview = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("yearmonth(detected):T", title="Brush a time range to zoom"),
            y=alt.Y("count():Q", title="Incidents"),
        )
        .add_params(brush)
        .properties(width=640, height=60)
    )
    return alt.vconcat(points, overview).properties(
        description=f"{title}: {plural(len(data), 'resolved incident')}; brush the strip to "
        "zoom in time, click a severity to keep only it (click it again, or double-click "
        "the chart, to show every severity)."
    )


def phase_timeline(phases: pd.DataFrame, *, title: str) -> alt.Chart:
    """The slowest incidents as bars from detection: how long each spent to acknowledge, to
    mitigate and to resolve (``explore.slowest`` gives the rows)."""
    order = list(dict.fromkeys(phases["incident"]))
    names = ["to acknowledge", "to mitigate", "to resolve"]
    return (
        alt.Chart(phases, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("incident:N", title=None, sort=order),
            x=alt.X("start:Q", title="Minutes after detection"),
            x2="end:Q",
            color=alt.Color("phase:N", title=None, sort=names, scale=alt.Scale(domain=names)),
            tooltip=["incident_id:N", "phase:N", alt.Tooltip("minutes:Q", format=",.0f")],
        )
        .properties(
            width=640,
            height=alt.Step(18),
            description=f"{title}: {plural(len(order), 'incident')}, each bar split by the "
            "time spent to acknowledge, to mitigate and to resolve.",
        )
    )


#: The ratios ``change_by_team`` labels on its log axis (those within its data's range).
LOG_TICKS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20]

#: How ``change_by_team`` colours a verdict on change.
CHANGE_COLOURS = {
    "improved": COLOURS["target"],
    "worsened": COLOURS["open"],
    "no change beyond noise": COLOURS["mean"],
}


def change_by_team(changes: pd.DataFrame, *, title: str, earlier: str) -> alt.LayerChart:
    """Each team's typical change of recovery time against ``earlier``, with its 90%
    interval, on a log scale (a halving and a doubling the same distance from 1).

    ``changes``: one row per team: ``team`` (its name), ``ratio`` (Hodges-Lehmann estimate
    of recovery time now / then), ``low`` and ``high`` (its interval) and ``verdict``
    (``improved``, ``worsened`` beyond noise, else ``no change beyond noise``). Teams with no
    ratio (too few incidents either side) are left out by the caller; the chart says what
    it draws, never a verdict the q-values did not give.
    """
    verdicts = list(CHANGE_COLOURS)
    order = list(changes.sort_values("ratio")["team"])
    data = changes.assign(
        change=changes["ratio"].map(format_change),
        interval=[format_change_range([lo, hi]) for lo, hi in zip(changes["low"],
                                                                     changes["high"], strict=True)],
    )  # fmt: skip
    y = alt.Y("team:N", title=None, sort=order)
    lowest = float(min(data["low"].min(), data["ratio"].min(), 1.0))
    highest = float(max(data["high"].max(), data["ratio"].max(), 1.0))
    ticks = [t for t in LOG_TICKS if lowest / 1.5 <= t <= highest * 1.5]
    x_scale = alt.Scale(type="log", nice=False, domain=[lowest / 1.15, highest * 1.15])
    axis = alt.Axis(values=ticks, format="~g")
    palette = alt.Scale(domain=verdicts, range=list(CHANGE_COLOURS.values()))
    colour = alt.Color("verdict:N", title=None, sort=verdicts, scale=palette)
    tooltip = [alt.Tooltip("team:N", title="Team"), alt.Tooltip("change:N", title="Typically"),
               alt.Tooltip("interval:N", title="90% interval"),
               alt.Tooltip("verdict:N", title="Verdict")]  # fmt: skip
    base = alt.Chart(data).encode(y=y, tooltip=tooltip)
    whiskers = base.mark_rule(strokeWidth=2, opacity=0.6).encode(
        x=alt.X("low:Q", scale=x_scale), x2="high:Q", color=colour
    )
    points = base.mark_point(size=90, filled=True).encode(
        x=alt.X("ratio:Q", scale=x_scale, axis=axis,
                title=f"Recovery time now ÷ {earlier}'s (log scale; left of 1: faster)"),
        color=colour,
    )  # fmt: skip
    same = alt.Chart(pd.DataFrame({"one": [1.0]})).mark_rule(color="#999999", strokeDash=[4, 3])
    beyond = data[data["verdict"] != "no change beyond noise"]
    summary = (f"{title}: {plural(len(data), 'team')} drawn; "
               + (", ".join(f"{t} {v} ({c})" for t, v, c in
                            zip(beyond["team"], beyond["verdict"], beyond["change"], strict=True))
                  or "none changed beyond noise") + ".")  # fmt: skip
    return alt.LayerChart(
        layer=[same.encode(x=alt.X("one:Q", scale=x_scale)), whiskers, points],
        title=title,
        description=summary,
    ).properties(height=alt.Step(30))
