"""FireHydrant incident exports.

Milestones in order: ``started, detected, acknowledged, investigating, identified,
mitigated, resolved, postmortem_started, postmortem_completed, closed`` (as ``<name>_at``
columns, or titled ``Started At`` ...); severity ``SEV1..SEV5``; ``services``, ``teams``;
runbooks are first-class: a non-empty ``runbooks`` cell means one was attached and run.
Game days (``tags`` or ``incident_type``) are excluded.
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
    "detected_at": ("detected_at", "Detected At", "started_at", "Started At"),
}
RESOLUTION = ("resolved_at", "Resolved At", "resolved", "Resolved")
#: The lifecycle timestamps this layout can carry (a custom ``columns:`` mapping may add more).
TIMESTAMPS = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")
TEAM_COLUMNS = ("teams", "Teams")
SEVERITY_COLUMNS = ("severity", "Severity")
#: Milestones reached only after resolution.
RESOLVED_MILESTONES = ("resolved", "postmortem_started", "postmortem_completed", "closed")


def _at(raw: pd.DataFrame, milestone: str) -> pd.Series:
    title = milestone.replace("_", " ").title()
    return column(raw, f"{milestone}_at", f"{title} At", milestone, title)


def matches(columns: Sequence[str]) -> bool:
    return has_any(columns, "postmortem_completed_at", "Postmortem Completed At") and has_any(
        columns, "number", "Number"
    )


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
    out["detected_at"] = detected.where(text(detected).fillna("") != "", _at(raw, "started"))
    runbooks = text(column(raw, "runbooks", "Runbooks"))
    resolved = text(out["resolved_at"]).fillna("") != ""
    out["runbook_used"] = (
        (runbooks.fillna("") != "").map({True: "yes", False: "no"}).where(resolved)
    )
    reviewed = text(_at(raw, "postmortem_completed")).fillna("") != ""
    out["review_done"] = reviewed.map({True: "yes", False: "no"}).where(resolved)
    tags = (
        text(column(raw, "tags", "Tags")).fillna("")
        + " "
        + text(column(raw, "incident_type", "Incident Type")).fillna("")
    )
    exclude(out, contains_word(tags, ["gameday", "game day", "game-day", "drill", "test"]),
            NOT_AN_INCIDENT)  # fmt: skip
    return out
