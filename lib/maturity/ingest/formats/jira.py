"""Jira Cloud / Jira Service Management CSV exports, English or localised.

A real export has 150+ columns, repeats some (``Labels``, ``Component/s``, ``Watchers``),
starts with a UTF-8 BOM and may use ``;`` (localised exports). Dates are in the exporting
user's format and zone (``25/Feb/26 10:17 PM``). Mapped: ``Issue key``, ``Summary``,
``Custom field (Team)``, ``Custom field (Affected services)`` or ``Component/s``,
``Custom field (Severity)`` or ``Priority``, ``Created``, ``Resolved``, ``Custom field
(Time to first response)``. Issues resolved as duplicates or won't-do, and issues labelled
test or drill, are excluded.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from maturity.ingest.cells import parse_durations
from maturity.ingest.formats.common import (
    NOT_AN_INCIDENT,
    OFFSET_SUFFIX,
    STATUS_RESOLVED,
    SourceContext,
    canonical_frame,
    column,
    custom_flags,
    exclude,
    has_any,
    repeated,
    status_is,
    text,
)

NAME = "jira"

#: Column names by meaning, English first, then localised exports seen in the field.
HEADERS = {
    "key": ("Issue key", "Clave de incidencia", "Clave", "Vorgangsschlüssel", "Clé", "Sleutel"),
    "summary": ("Summary", "Resumen", "Zusammenfassung", "Résumé", "Samenvatting"),
    "created": ("Created", "Creada", "Erstellt", "Création", "Aangemaakt"),
    "resolved": ("Resolved", "Resuelta", "Erledigt", "Résolue", "Opgelost"),
    "priority": ("Priority", "Prioridad", "Priorität", "Priorité", "Prioriteit"),
    "status": ("Status", "Estado", "Statut"),
    "resolution": ("Resolution", "Resolución", "Lösung", "Résolution", "Oplossing"),
    "issue_type": ("Issue Type", "Tipo de incidencia", "Vorgangstyp", "Type de ticket"),
}
REQUIRED = {"incident_id": HEADERS["key"], "detected_at": HEADERS["created"]}
RESOLUTION = HEADERS["resolved"]
#: The lifecycle timestamps this layout can carry (a custom ``columns:`` mapping may add more).
TIMESTAMPS = ("detected_at", "acknowledged_at", "resolved_at")
TEAM_COLUMNS = ("Custom field (Team)", "Team", "Custom field (Responders)")
SEVERITY_COLUMNS = ("Custom field (Severity)", "Severity", *HEADERS["priority"])
#: Statuses of a finished issue (English and the localised exports above).
DONE_STATUSES = (
    "resolved",
    "done",
    "closed",
    "resuelta",
    "cerrada",
    "listo",
    "erledigt",
    "geschlossen",
    "fertig",
    "résolu",
    "fermé",
    "terminé",
    "opgelost",
    "gesloten",
)

#: Site-customised priorities: Highest..Lowest, "Prioriteit 1" (the number is caught as is).
PRIORITIES = {"highest": "1", "high": "2", "medium": "3", "low": "4", "lowest": "5"}


#: The columns each practice flag is read from (a custom-field column may add one); with none
#: of them in a file, the practice is unknown for its rows, never "no".
FLAG_SOURCES: dict[str, tuple[str, ...]] = {}


def matches(columns: Sequence[str]) -> bool:
    return has_any(columns, *HEADERS["key"]) and has_any(columns, *HEADERS["created"])


def to_canonical(raw: pd.DataFrame, context: SourceContext) -> pd.DataFrame:
    out = canonical_frame(raw.index)
    out["incident_id"] = column(raw, *HEADERS["key"])
    out["title"] = column(raw, *HEADERS["summary"])
    out["team"] = column(raw, *TEAM_COLUMNS)
    affected = text(column(raw, "Custom field (Affected services)", "Affected services"))
    out["service"] = affected.fillna(repeated(raw, "Component/s"))
    severity = text(column(raw, "Custom field (Severity)", "Severity"))
    priority = text(column(raw, *HEADERS["priority"]))
    priority = priority.str.lower().map(PRIORITIES).fillna(priority)
    out["severity"] = severity.where(severity.notna() & (severity != ""), priority)
    out["detected_at"] = column(raw, *HEADERS["created"])
    out["resolved_at"] = column(raw, *HEADERS["resolved"])
    first_response, _ = parse_durations(
        column(raw, "Custom field (Time to first response)"), "minutes"
    )
    out[f"acknowledged_at{OFFSET_SUFFIX}"] = first_response

    # Labels (every repeated ``Labels`` column) are read for every format by the ingest.
    resolution = text(column(raw, *HEADERS["resolution"])).str.lower()
    status = text(column(raw, *HEADERS["status"]))
    out[STATUS_RESOLVED] = status_is(status, DONE_STATUSES)
    issue_type = text(column(raw, *HEADERS["issue_type"])).str.lower()
    exclude(out, issue_type.isin(["test"]), NOT_AN_INCIDENT)
    exclude(
        out, resolution.str.contains("duplicate", na=False), "duplicate (resolved as such in Jira)"
    )
    exclude(
        out,
        resolution.str.contains(r"won.?t do|cancel", na=False, regex=True),
        "cancelled incident",
    )
    custom_flags(raw, out, context)
    return out
