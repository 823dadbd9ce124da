"""The canonical incident record's columns (DESIGN.md "Canonical incident record")."""

from __future__ import annotations

TEXT_COLUMNS = ("incident_id", "title", "team", "service")
TIMESTAMP_COLUMNS = (
    "started_at",
    "detected_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
    "notified_at",
)
FLAG_COLUMNS = ("runbook_used", "automated_recovery", "review_done")
CANONICAL_COLUMNS = (*TEXT_COLUMNS, "severity", *TIMESTAMP_COLUMNS, *FLAG_COLUMNS)

#: What each timestamp records, in words for sentences ("no impact start or mitigation time").
TIMESTAMP_NAMES = {
    "started_at": "impact start",
    "detected_at": "detection",
    "acknowledged_at": "acknowledgement",
    "mitigated_at": "mitigation",
    "resolved_at": "resolution",
    "notified_at": "stakeholder notification",
}


def timestamp_names(columns: tuple[str, ...] | list[str]) -> str:
    """``("started_at", "mitigated_at")`` as ``"impact start or mitigation"``."""
    names = [TIMESTAMP_NAMES.get(c, c) for c in TIMESTAMP_COLUMNS if c in columns]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
