"""ServiceNow ``incident`` table: CSV with field names, XLSX with field labels, REST dumps,
and the event-log layout (one row per update, as in the UCI "Incident management process
enriched event log"), which is reduced to each incident's latest state.

``opened_at`` is the detection time (ServiceNow has no detected or acknowledged time);
``resolved_at`` the recovery, else ``closed_at`` for a resolved or closed incident (the
real dump has ``closed_at`` before ``resolved_at`` in a third of its rows, so closure never
overrides resolution). Cancelled incidents and child incidents (their parent carries the
impact) are excluded. Reference cells of REST dumps (``{'link': ..., 'value': ...}``) give
their value.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from maturity.ingest.cells import parse_durations
from maturity.ingest.formats.common import (
    OFFSET_SUFFIX,
    STATUS_RESOLVED,
    SourceContext,
    canonical_frame,
    column,
    custom_flags,
    exclude,
    has_all,
    has_any,
    reference_value,
    text,
)
from maturity.ingest.spreadsheets import ROW
from maturity.wording import plural

NAME = "servicenow"
#: Columns whose presence makes rows depend on each other:
#: an event log's rows are reduced to each incident's latest state;
#: such files are read one by one.
CROSS_ROW_COLUMNS = ("sys_mod_count",)
REQUIRED = {
    "incident_id": ("number", "Number"),
    "detected_at": ("opened_at", "sys_created_on", "Opened", "Created"),
}
RESOLUTION = ("resolved_at", "closed_at", "calendar_stc", "Resolved", "Closed", "Resolve time")
#: The lifecycle timestamps this layout can carry (a custom ``columns:`` mapping may add more).
TIMESTAMPS = ("detected_at", "resolved_at")
TEAM_COLUMNS = ("assignment_group",)
SEVERITY_COLUMNS = ("priority",)

#: XLSX exports use labels: label -> field name.
LABELS = {
    "Number": "number",
    "Short description": "short_description",
    "Opened": "opened_at",
    "Created": "sys_created_on",
    "Resolved": "resolved_at",
    "Closed": "closed_at",
    "State": "state",
    "Incident state": "incident_state",
    "Priority": "priority",
    "Assignment group": "assignment_group",
    "Service": "business_service",
    "Configuration item": "cmdb_ci",
    "Resolve time": "calendar_stc",
    "Parent Incident": "parent_incident",
    "Updates": "sys_mod_count",
    "Updated": "sys_updated_on",
}
#: ``state`` / ``incident_state`` codes and their display values.
RESOLVED_STATES = {"6", "7", "resolved", "closed"}
CANCELLED_STATES = {"8", "canceled", "cancelled"}


#: The columns each practice flag is read from (a custom-field column may add one); with none
#: of them in a file, the practice is unknown for its rows, never "no".
FLAG_SOURCES: dict[str, tuple[str, ...]] = {}


def matches(columns: Sequence[str]) -> bool:
    return (has_all(columns, "number") and has_any(columns, "opened_at", "sys_created_on")) or (
        has_all(columns, "Number", "Opened") and has_any(columns, "Short description", "Priority")
    )


def to_canonical(raw: pd.DataFrame, context: SourceContext) -> pd.DataFrame:
    raw = raw.rename(columns={label: field for label, field in LABELS.items() if label in raw})
    out = canonical_frame(raw.index)
    out["incident_id"] = column(raw, "number")
    out["title"] = column(raw, "short_description")
    out["team"] = reference_value(column(raw, *TEAM_COLUMNS))
    service = reference_value(column(raw, "business_service"))
    out["service"] = service.fillna(reference_value(column(raw, "cmdb_ci")))
    out["severity"] = column(raw, *SEVERITY_COLUMNS)
    opened = column(raw, "opened_at")
    out["detected_at"] = opened.where(opened.notna(), column(raw, "sys_created_on"))

    state = text(column(raw, "incident_state", "state")).str.lower()
    resolved = text(column(raw, "resolved_at"))
    closed = text(column(raw, "closed_at"))
    done = state.isin(RESOLVED_STATES)
    out[STATUS_RESOLVED] = done.astype("boolean").mask(state.isna())
    no_resolution = resolved.isna() | resolved.isin(["", "?"])
    out["resolved_at"] = resolved.where(~no_resolution, closed.where(done))
    seconds, _ = parse_durations(column(raw, "calendar_stc"), "seconds")
    out[f"resolved_at{OFFSET_SUFFIX}"] = seconds.where(done)

    exclude(out, state.isin(CANCELLED_STATES), "cancelled incident")
    parent = reference_value(column(raw, "parent_incident"))
    exclude(
        out,
        parent.notna() & ~parent.isin(["", "?"]),
        "child incident: " + parent.fillna("") + " carries the impact",
    )
    if has_all(list(raw.columns), "sys_mod_count") and out["incident_id"].duplicated().any():
        _reduce_event_log(raw, out, context)
    custom_flags(raw, out, context)
    return out


def _reduce_event_log(raw: pd.DataFrame, out: pd.DataFrame, context: SourceContext) -> None:
    """Keep each incident's latest state (most updates, then latest update, then last row)."""
    updates = pd.to_numeric(column(raw, "sys_mod_count"), errors="coerce").fillna(-1)
    order = pd.DataFrame(
        {"id": text(out["incident_id"]), "updates": updates, "row": raw[ROW]}, index=raw.index
    ).sort_values(["id", "updates", "row"])
    latest = order.groupby("id", sort=False).tail(1)
    kept_row = dict(zip(latest["id"], latest["row"], strict=True))
    earlier = order.index.difference(latest.index)
    ids = order.loc[earlier, "id"]
    out.loc[earlier, "exclude_reason"] = (
        "earlier state of " + ids + " (latest at row " + ids.map(kept_row).astype(str) + ")"
    )
    context.note(
        f"event log: {plural(len(order), 'row')} for {plural(len(latest), 'incident')}, "
        "reduced to each one's latest state"
    )
