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
