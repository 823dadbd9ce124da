"""FireHydrant incident exports.

Milestones in order: ``started, detected, acknowledged, investigating, identified,
mitigated, resolved, postmortem_started, postmortem_completed, closed`` (as ``<name>_at``
columns, or titled ``Started At`` ...); current exports name the review milestones
``retrospective_started_at`` / ``retrospective_completed_at`` and carry ``created_at``
(detection, when no ``detected_at``). Severity ``SEV1..SEV5``; ``services``, ``teams``;
runbooks are first-class: a non-empty ``runbooks`` cell means one was attached and run.
A practice column the export lacks leaves the practice unknown (never "no"). Game days
(``tags``, ``tag_list`` or ``incident_type``) are excluded.
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
    contains_word,
    exclude,
    has_any,
    status_is,
    text,
)

NAME = "firehydrant"
REQUIRED = {
    "incident_id": ("number", "Number"),
    "detected_at": ("detected_at", "Detected At", "created_at", "Created At", "started_at",
                    "Started At"),
}  # fmt: skip
#: The columns that record the post-incident review, older name first.
REVIEW_COLUMNS = ("postmortem_completed_at", "Postmortem Completed At",
                  "retrospective_completed_at", "Retrospective Completed At")  # fmt: skip
RUNBOOK_COLUMNS = ("runbooks", "Runbooks", "attached_runbooks", "Attached Runbooks")
RESOLUTION = ("resolved_at", "Resolved At", "resolved", "Resolved")
#: The lifecycle timestamps this layout can carry (a custom ``columns:`` mapping may add more).
TIMESTAMPS = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")
TEAM_COLUMNS = ("teams", "Teams")
SEVERITY_COLUMNS = ("severity", "Severity")
#: Milestones reached only after resolution.
RESOLVED_MILESTONES = ("resolved", "postmortem_started", "postmortem_completed", "closed")


#: The columns each practice flag is read from (a custom-field column may add one); with none
#: of them in a file, the practice is unknown for its rows, never "no".
FLAG_SOURCES = {"runbook_used": RUNBOOK_COLUMNS, "review_done": REVIEW_COLUMNS}


def _at(raw: pd.DataFrame, milestone: str) -> pd.Series:
    title = milestone.replace("_", " ").title()
    return column(raw, f"{milestone}_at", f"{title} At", milestone, title)


def matches(columns: Sequence[str]) -> bool:
    return has_any(columns, *REVIEW_COLUMNS) and has_any(columns, "number", "Number")


def to_canonical(raw: pd.DataFrame, context: SourceContext) -> pd.DataFrame:
    out = canonical_frame(raw.index)
    out["incident_id"] = column(raw, "number", "Number")
    out["title"] = column(raw, "name", "Name")
    out["team"] = column(raw, *TEAM_COLUMNS)
    milestone = text(column(raw, "current_milestone", "Current Milestone", "milestone"))
    out[STATUS_RESOLVED] = status_is(milestone.str.replace(" ", "_"), RESOLVED_MILESTONES)
    out["service"] = column(raw, "services", "Services")
    out["severity"] = column(raw, *SEVERITY_COLUMNS)
    for canonical, milestone in (
        ("started_at", "started"),
        ("acknowledged_at", "acknowledged"),
        ("mitigated_at", "mitigated"),
        ("resolved_at", "resolved"),
    ):
        out[canonical] = _at(raw, milestone)
    detected = _at(raw, "detected")
    for fallback in (_at(raw, "created"), _at(raw, "started")):
        detected = detected.where(text(detected).fillna("") != "", fallback)
    out["detected_at"] = detected
    resolved = text(out["resolved_at"]).fillna("") != ""
    if has_any(raw.columns, *RUNBOOK_COLUMNS):
        runbooks = text(column(raw, *RUNBOOK_COLUMNS))
        out["runbook_used"] = (
            (runbooks.fillna("") != "").map({True: "yes", False: "no"}).where(resolved)
        )
    else:
        context.column_note("no runbooks column: runbook usage is unknown for this export, not 0%")
    if has_any(raw.columns, *REVIEW_COLUMNS):
        reviewed = text(column(raw, *REVIEW_COLUMNS)).fillna("") != ""
        out["review_done"] = reviewed.map({True: "yes", False: "no"}).where(resolved)
    # Tags (``tags``, ``tag_list``) are read for every format by the ingest (DRILL_TAGS).
    kind = text(column(raw, "incident_type", "Incident Type"))
    exclude(out, contains_word(kind, ["gameday", "game day", "game-day", "drill", "test"]),
            NOT_AN_INCIDENT)  # fmt: skip
    return out
