"""incident.io exports.

``reference`` (INC-123), ``name``, ``severity`` (Minor/Major/Critical by default),
``incident_status``, ``mode`` (standard / retrospective / test / tutorial),
``postmortem_document_url`` and the named timestamps ``Reported at, Accepted at, Impact
started at, Fixed at, Resolved at, Reviewed at, Closed at`` (RFC 3339 UTC with variable
fractional digits). Team and service come from custom-field columns whose names mention
them. Test, tutorial and retrospective incidents, and declined, merged or cancelled ones,
are excluded.
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
    custom_flags,
    exclude,
    has_any,
    normalise_name,
    status_is,
    text,
)

NAME = "incidentio"
REQUIRED = {
    "incident_id": ("reference", "Reference"),
    "detected_at": ("Reported at", "reported_at", "created_at", "Created at"),
}
RESOLUTION = ("Resolved at", "resolved_at", "Closed at", "closed_at")
#: The lifecycle timestamps this layout can carry (a custom ``columns:`` mapping may add more).
TIMESTAMPS = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")
TEAM_COLUMNS = ("any custom field whose name mentions team",)
SEVERITY_COLUMNS = ("severity", "Severity", "severity.name")
#: The columns that record a post-incident review: its document, or when it was reviewed.
REVIEW_COLUMNS = ("postmortem_document_url", "Postmortem document URL", "Reviewed at",
                  "reviewed_at")  # fmt: skip
#: Statuses after resolution: Documenting and Reviewing are post-incident stages.
RESOLVED_STATUSES = ("resolved", "documenting", "reviewing", "closed")


#: The columns each practice flag is read from (a custom-field column may add one); with none
#: of them in a file, the practice is unknown for its rows, never "no".
FLAG_SOURCES = {"review_done": REVIEW_COLUMNS}


def matches(columns: Sequence[str]) -> bool:
    return has_any(columns, "reference", "Reference") and has_any(
        columns, "Reported at", "reported_at", "incident_status", "Accepted at"
    )


def _custom(raw: pd.DataFrame, word: str) -> pd.Series:
    found = [c for c in raw.columns if word in normalise_name(c)]
    return column(raw, *found) if found else column(raw, f"__none_{word}")


def to_canonical(raw: pd.DataFrame, context: SourceContext) -> pd.DataFrame:
    out = canonical_frame(raw.index)
    out["incident_id"] = column(raw, "reference", "Reference")
    out["title"] = column(raw, "name", "Name")
    out["team"] = _custom(raw, "team")
    out["service"] = _custom(raw, "service")
    out["severity"] = column(raw, *SEVERITY_COLUMNS)
    started = column(raw, "Impact started at", "impact_started_at")
    out["started_at"] = started
    reported = column(raw, "Reported at", "reported_at")
    out["detected_at"] = reported.where(reported.notna(), column(raw, "created_at", "Created at"))
    out["acknowledged_at"] = column(raw, "Accepted at", "accepted_at")
    out["mitigated_at"] = column(raw, "Fixed at", "fixed_at")
    resolved = column(raw, "Resolved at", "resolved_at")
    out["resolved_at"] = resolved.where(resolved.notna(), column(raw, "Closed at", "closed_at"))
    if has_any(raw.columns, *REVIEW_COLUMNS):  # without them the review is unknown, not "no"
        review = text(column(raw, "postmortem_document_url", "Postmortem document URL"))
        reviewed = text(column(raw, "Reviewed at", "reviewed_at"))
        has_review = (review.notna() & (review != "")) | (reviewed.notna() & (reviewed != ""))
        is_resolved = text(out["resolved_at"]).notna() & (text(out["resolved_at"]) != "")
        out["review_done"] = has_review.map({True: "yes", False: "no"}).where(
            has_review | is_resolved
        )

    mode = text(column(raw, "mode", "Mode")).str.lower()
    status = text(column(raw, "incident_status", "Status", "status")).str.lower()
    out[STATUS_RESOLVED] = status_is(status, RESOLVED_STATUSES)
    exclude(out, mode.isin(["test", "tutorial"]), NOT_AN_INCIDENT)
    exclude(out, mode == "retrospective", "retrospective incident")
    for kind in ("declined", "merged", "canceled", "cancelled"):
        exclude(out, status == kind, f"{kind} incident")
    custom_flags(raw, out, context)
    return out
