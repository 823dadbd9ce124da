"""Opsgenie (Atlassian) incident exports.

Fields: ``tinyId, message, status, tags, createdAt, updatedAt, priority (P1..P5),
ownerTeam, impactedServices``, and the report's ``ackTime`` and ``closeTime``: milliseconds
after creation. Timestamps are ISO 8601 UTC with milliseconds.
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
    has_any,
    status_is,
    text,
)

NAME = "opsgenie"
REQUIRED = {"incident_id": ("tinyId", "Tiny Id"), "detected_at": ("createdAt", "Created At")}
RESOLUTION = ("report.closeTime", "closeTime", "Close Time", "resolvedAt", "Resolved At")
#: The lifecycle timestamps this layout can carry (a custom ``columns:`` mapping may add more).
TIMESTAMPS = ("detected_at", "acknowledged_at", "resolved_at")
TEAM_COLUMNS = ("ownerTeam", "Owner Team", "team")
SEVERITY_COLUMNS = ("priority", "Priority")


#: The columns each practice flag is read from (a custom-field column may add one); with none
#: of them in a file, the practice is unknown for its rows, never "no".
FLAG_SOURCES: dict[str, tuple[str, ...]] = {}


def matches(columns: Sequence[str]) -> bool:
    return has_any(columns, "tinyId", "Tiny Id") and has_any(columns, "createdAt", "Created At")


def to_canonical(raw: pd.DataFrame, context: SourceContext) -> pd.DataFrame:
    out = canonical_frame(raw.index)
    out["incident_id"] = column(raw, "tinyId", "Tiny Id")
    out["title"] = column(raw, "message", "Message")
    out["team"] = column(raw, *TEAM_COLUMNS)
    services = text(column(raw, "impactedServices", "Impacted Services", "service"))
    tags = text(column(raw, "tags", "Tags"))
    tag_list = tags.str.split(",").map(
        lambda parts: ", ".join(p.strip() for p in parts if p.strip()), na_action="ignore"
    )
    out["service"] = services.fillna(tag_list)
    # A row without impacted services is attributed by its tags, and its reason says so.
    out["service_from"] = pd.Series("service", index=raw.index).where(services.notna(), "tags")
    out["severity"] = column(raw, *SEVERITY_COLUMNS)
    out["detected_at"] = column(raw, "createdAt", "Created At")
    ack, _ = parse_durations(column(raw, "report.ackTime", "ackTime", "Ack Time"), "milliseconds")
    close, _ = parse_durations(
        column(raw, "report.closeTime", "closeTime", "Close Time"), "milliseconds"
    )
    out[f"acknowledged_at{OFFSET_SUFFIX}"] = ack
    status = text(column(raw, "status", "Status")).str.lower()
    closed = status.isin(["resolved", "closed"]) | status.isna()
    out[STATUS_RESOLVED] = status_is(status, ["resolved", "closed"])
    out[f"resolved_at{OFFSET_SUFFIX}"] = close.where(closed)
    out["resolved_at"] = column(raw, "resolvedAt", "Resolved At")
    # Tags marking a test or drill are read for every format by the ingest (DRILL_TAGS).
    exclude(out, status == "cancelled", "cancelled incident")
    custom_flags(raw, out, context)
    return out
