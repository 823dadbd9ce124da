"""Rootly incident exports.

Timestamps ``started_at, detected_at, acknowledged_at, mitigated_at, resolved_at,
cancelled_at, created_at`` (offsets other than UTC occur); ``detected_at`` and
``acknowledged_at`` are often empty, so detection falls back to ``created_at``.
``severity`` critical/high/medium/low, ``kind`` (normal / test / ...), ``services``,
``groups`` (teams), ``retrospective_progress_status`` (completed = reviewed),
``parent_incident_id``, ``duplicate_incident_id``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from maturity.ingest.formats.common import (
    NOT_AN_INCIDENT,
    STATUS_RESOLVED,
    SourceContext,
    canonical_frame,
    column,
    exclude,
    has_all,
    has_any,
    status_is,
    text,
)

NAME = "rootly"
REQUIRED = {
    "incident_id": ("sequential_id", "id", "slug"),
    "detected_at": ("detected_at", "created_at"),
}
RESOLUTION = ("resolved_at",)
#: The lifecycle timestamps this layout can carry (a custom ``columns:`` mapping may add more).
TIMESTAMPS = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")
TEAM_COLUMNS = ("groups", "teams")
SEVERITY_COLUMNS = ("severity",)


#: The columns each practice flag is read from (a custom-field column may add one); with none
#: of them in a file, the practice is unknown for its rows, never "no".
FLAG_SOURCES = {"review_done": ("retrospective_progress_status",)}


def matches(columns: Sequence[str]) -> bool:
    return has_all(columns, "mitigated_at", "created_at") and has_any(
        columns, "in_triage_at", "retrospective_progress_status", "kind", "groups"
    )


def to_canonical(raw: pd.DataFrame, context: SourceContext) -> pd.DataFrame:
    out = canonical_frame(raw.index)
    out["incident_id"] = column(raw, "sequential_id", "id", "slug")
    out["title"] = column(raw, "title")
    out["team"] = column(raw, *TEAM_COLUMNS)
    out[STATUS_RESOLVED] = status_is(column(raw, "status"), ["resolved", "closed"])
    out["service"] = column(raw, "services")
    out["severity"] = column(raw, "severity")
    out["started_at"] = column(raw, "started_at")
    detected = column(raw, "detected_at")
    out["detected_at"] = detected.where(text(detected).fillna("") != "", column(raw, "created_at"))
    out["acknowledged_at"] = column(raw, "acknowledged_at")
    out["mitigated_at"] = column(raw, "mitigated_at")
    out["resolved_at"] = column(raw, "resolved_at")
    retro = text(column(raw, "retrospective_progress_status")).str.lower()
    out["review_done"] = retro.map({"completed": "yes", "not_started": "no", "active": "no",
                                    "skipped": "no"})  # fmt: skip
    kind = text(column(raw, "kind")).str.lower()
    exclude(out, kind.isin(["test", "test_sub", "example", "tutorial", "drill"]), NOT_AN_INCIDENT)
    exclude(
        out, kind.notna() & ~kind.isin(["normal", "", "backfilled"]), kind.fillna("") + " incident"
    )
    cancelled = text(column(raw, "cancelled_at"))
    exclude(out, cancelled.notna() & (cancelled != ""), "cancelled incident")
    duplicate = text(column(raw, "duplicate_incident_id"))
    exclude(
        out, duplicate.notna() & (duplicate != ""), "duplicate of incident " + duplicate.fillna("")
    )
    parent = text(column(raw, "parent_incident_id"))
    exclude(
        out,
        parent.notna() & (parent != ""),
        "child incident: " + parent.fillna("") + " carries the impact",
    )
    return out
