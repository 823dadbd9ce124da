"""PagerDuty: the legacy Reports "Download CSV" and the Analytics raw incidents export.

Legacy columns: ``id, incident_number, description, service_name, escalation_policy_name,
created_on, resolved_on, seconds_to_first_ack, seconds_to_resolve, auto_resolved, urgency``.
Analytics adds ``title, team_name, created_at, resolved_at, status, priority_name, major,
time_zone`` (naive timestamps, zone in ``time_zone``). Timestamps win over the vendor's
durations, which are only used where a timestamp is missing; disagreements are noted.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from maturity.ingest.cells import parse_durations, parse_timestamps
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
    status_is,
    text,
)
from maturity.wording import plural

NAME = "pagerduty"
#: Columns whose presence makes rows depend on each other:
#: an account's zone column is read for all rows at once;
#: such files are read one by one.
CROSS_ROW_COLUMNS = ("time_zone",)
#: Canonical columns this format cannot do without, and the headers each is read from.
REQUIRED = {"incident_id": ("incident_number", "id"), "detected_at": ("created_on", "created_at")}
#: Headers giving the recovery time; without any, no incident can count as resolved.
RESOLUTION = ("resolved_on", "resolved_at", "seconds_to_resolve")
#: The lifecycle timestamps this layout can carry (a custom ``columns:`` mapping may add more).
TIMESTAMPS = ("detected_at", "acknowledged_at", "resolved_at")
#: Where the team and the severity come from, first found wins (README "Supported exports").
TEAM_COLUMNS = ("team_name", "escalation_policy_name")
SEVERITY_COLUMNS = ("priority_name", "priority", "priority.summary", "urgency")
#: PagerDuty's legacy CSV export stops at this many rows without saying so.
EXPORT_CAP = 20_000


#: The columns each practice flag is read from (a custom-field column may add one); with none
#: of them in a file, the practice is unknown for its rows, never "no".
FLAG_SOURCES = {"automated_recovery": ("auto_resolved",)}


def matches(columns: Sequence[str]) -> bool:
    return (
        has_all(columns, "incident_number")
        and has_any(columns, "created_on", "created_at")
        and (has_any(columns, "service_name", "escalation_policy_name", "seconds_to_resolve"))
    )


def to_canonical(raw: pd.DataFrame, context: SourceContext) -> pd.DataFrame:
    out = canonical_frame(raw.index)
    out["incident_id"] = column(raw, "incident_number", "id")
    out["title"] = column(raw, "title", "description")
    out["service"] = column(raw, "service_name")
    team = text(column(raw, TEAM_COLUMNS[0]))
    out["team"] = team.fillna(text(column(raw, TEAM_COLUMNS[1])))
    # Priority (P1-P5) is the account's severity scale; urgency (high/low) only says whom
    # to page, so it stands in only where an incident has no priority.
    priority = text(column(raw, *SEVERITY_COLUMNS[:-1]))
    out["severity"] = priority.fillna(text(column(raw, "urgency")))

    created = column(raw, "created_on", "created_at")
    resolved = column(raw, "resolved_on", "resolved_at")
    zones = text(column(raw, "time_zone"))
    if zones.notna().any():
        # Analytics exports give naive times and the account's zone in a column of its own.
        created, resolved = (_in_row_zones(c, zones, context.timezone) for c in (created, resolved))
    out["detected_at"] = created
    out["resolved_at"] = resolved

    ack, _ = parse_durations(column(raw, "seconds_to_first_ack"), "seconds")
    out[f"acknowledged_at{OFFSET_SUFFIX}"] = ack
    to_resolve, _ = parse_durations(column(raw, "seconds_to_resolve"), "seconds")
    status = text(column(raw, "status")).str.lower()
    out[STATUS_RESOLVED] = status_is(status, ["resolved"])
    # A resolved incident without a resolution time: take the vendor's duration.
    out[f"resolved_at{OFFSET_SUFFIX}"] = to_resolve.where(status.isna() | (status == "resolved"))
    _note_disagreement(created, resolved, to_resolve, context)
    out["automated_recovery"] = column(raw, "auto_resolved")

    reason = text(column(raw, "resolve_reason", "resolve_reason.type")).str.lower()
    exclude(out, reason.str.contains("merge", na=False), "merged into another incident")
    context.note_rows(
        pd.Series(True, index=raw.index),
        lambda rows: (
            (
                f"exactly {EXPORT_CAP:,} rows: PagerDuty's CSV export stops there without warning, "
                "so this file is probably truncated; export a shorter period"
            )
            if len(rows) == EXPORT_CAP
            else None
        ),
        every_file=True,
    )
    custom_flags(raw, out, context)
    return out


def _in_row_zones(values: pd.Series, zones: pd.Series, default: str) -> pd.Series:
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    for zone in zones.fillna(default).unique():
        rows = zones.fillna(default) == zone
        try:
            parsed, _ = parse_timestamps(values[rows], str(zone))
        except Exception:  # an unknown zone name: fall back to the default zone
            parsed, _ = parse_timestamps(values[rows], default)
        out[rows] = parsed
    return out.astype(object).where(out.notna(), values)


def _note_disagreement(
    created: pd.Series, resolved: pd.Series, seconds: pd.Series, context: SourceContext
) -> None:
    start, _ = parse_timestamps(created, context.timezone)
    end, _ = parse_timestamps(resolved, context.timezone)
    from_times = (end - start).dt.total_seconds() / 60
    differ = (from_times - seconds).abs() > 1.0
    context.note_rows(
        differ,
        lambda rows: (
            f"{plural(len(rows), 'row')}: seconds_to_resolve disagrees with the "
            "timestamps by over a minute; the timestamps are used"
        ),
    )
