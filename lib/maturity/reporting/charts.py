"""Chart builders: pure functions from tidy DataFrames to Altair charts, no I/O.

Durations are in minutes. Every chart carries the count behind each point in its tooltip,
and leaves periods without data blank rather than drawing them as zero.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from maturity.reporting.theme import COLOURS

#: The recovery statistics drawn by ``recovery_trend``, in legend order.
RECOVERY_SERIES = {
    "mttr_median": ("Median", COLOURS["median"]),
    "mttr_p90": ("90th percentile", COLOURS["p90"]),
    "mttr": ("Mean (MTTR)", COLOURS["mean"]),
}


def recovery_trend(measures: pd.DataFrame, *, title: str) -> alt.LayerChart:
    """Time to recover per quarter: median (with its 90% CI band), 90th percentile and mean.

    ``measures`` has one row per quarter (``period``) with ``mttr``, ``mttr_median``,
    ``mttr_p90`` and ``resolved`` (the count behind each figure), as
    ``measures_by_team_quarter`` returns for one team. The mean is dashed: it is the
    standard's MTTR, but long tails move it more than the typical incident.
    """
    long = measures.melt(
        id_vars=["period", "resolved", "open"],
        value_vars=list(RECOVERY_SERIES),
        var_name="measure",
        value_name="minutes",
    )
    long["statistic"] = long["measure"].map(lambda m: RECOVERY_SERIES[m][0])
    long["hours"] = long["minutes"] / 60.0
    labels = [label for label, _ in RECOVERY_SERIES.values()]
    colours = [colour for _, colour in RECOVERY_SERIES.values()]
    base = alt.Chart(long).encode(
        x=alt.X("period:O", title="Quarter (detected)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("minutes:Q", title="Minutes to recover"),
        color=alt.Color(
            "statistic:N",
            title=None,
            scale=alt.Scale(domain=labels, range=colours),
            sort=labels,
        ),
        strokeDash=alt.StrokeDash(
            "statistic:N",
            title=None,
            scale=alt.Scale(domain=labels, range=[[1, 0], [1, 0], [5, 4]]),
            sort=labels,
        ),
        tooltip=[
            alt.Tooltip("period:O", title="Quarter"),
            alt.Tooltip("statistic:N", title="Statistic"),
            alt.Tooltip("minutes:Q", title="Minutes", format=",.0f"),
            alt.Tooltip("hours:Q", title="Hours", format=",.1f"),
            alt.Tooltip("resolved:Q", title="Resolved incidents (n)"),
            alt.Tooltip("open:Q", title="Still open"),
        ],
    )
    lines = base.mark_line(point=True).transform_filter("isValid(datum.minutes)")
    if "mttr_median_ci_low" not in measures or measures["mttr_median_ci_low"].isna().all():
        # No quarter has an interval (too few incidents): no band, rather than an empty
        # layer whose scale Vega cannot size.
        return alt.LayerChart(layer=[lines], title=title)
    band = (
        alt.Chart(measures.assign(band="Median, 90% CI"))
        .mark_area(opacity=0.18, color=COLOURS["median"])
        .encode(
            x=alt.X("period:O"),
            y=alt.Y("mttr_median_ci_low:Q"),
            y2=alt.Y2("mttr_median_ci_high:Q"),
            tooltip=[
                alt.Tooltip("period:O", title="Quarter"),
                alt.Tooltip("mttr_median_ci_low:Q", title="Median, 90% CI from", format=",.0f"),
                alt.Tooltip("mttr_median_ci_high:Q", title="to (minutes)", format=",.0f"),
            ],
        )
        .transform_filter("isValid(datum.mttr_median_ci_low)")
    )
    return alt.LayerChart(layer=[band, lines], title=title)


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
        .properties(height=160)
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
        .properties(height=alt.Step(14))
    )


def recovery_distribution(incidents: pd.DataFrame, *, title: str) -> alt.Chart:
    """Every resolved incident's time to recover by quarter, on a log scale, by severity.

    ``incidents``: canonical incidents with ``quarter`` and ``recovery_minutes``. Outliers
    show as the dots far above the rest; the tooltip names each incident.
    """
    columns = ["incident_id", "title", "quarter", "severity", "recovery_minutes"]
    data = incidents.loc[incidents["recovery_minutes"].notna(), columns]
    data = data.assign(
        severity=data["severity"].map(lambda s: f"SEV{s}" if pd.notna(s) else "unknown"),
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
    )


def phase_trend(measures: pd.DataFrame, *, title: str) -> alt.Chart:
    """Median minutes of each lifecycle phase per quarter: where the time goes, over time."""
    phases = {"detect_median": "Detect", "escalate_median": "Escalate",
              "respond_median": "Respond", "fix_median": "Fix"}  # fmt: skip
    long = measures.melt(id_vars=["period"], value_vars=list(phases), var_name="phase",
                         value_name="minutes")  # fmt: skip
    long["phase"] = long["phase"].map(phases)
    return (
        alt.Chart(long, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X("period:O", title="Quarter (detected)", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("minutes:Q", title="Median minutes"),
            color=alt.Color("phase:N", title=None, sort=list(phases.values())),
            tooltip=["period:O", "phase:N", alt.Tooltip("minutes:Q", format=",.1f")],
        )
        .transform_filter("isValid(datum.minutes)")
    )
