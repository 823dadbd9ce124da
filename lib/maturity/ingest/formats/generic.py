"""The ``generic`` format: the canonical record's own column names.

Columns are matched case-insensitively. ``incident_id`` and ``detected_at`` are required;
every other canonical column is optional. An optional ``kind`` column marks rows that are
not real incidents: ``test``, ``drill``, ``game_day``, ``tutorial`` rows are excluded from
the measures (and counted in the ledger).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from maturity.ingest.formats.common import NOT_AN_INCIDENT, STATUS_RESOLVED, status_is
from maturity.ingest.record import CANONICAL_COLUMNS, FLAG_COLUMNS, TIMESTAMP_COLUMNS

NAME = "generic"

#: The canonical columns, as a generic export names them.
COLUMNS = CANONICAL_COLUMNS
REQUIRED = {"incident_id": ("incident_id",), "detected_at": ("detected_at",)}
RESOLUTION = ("resolved_at",)
#: The lifecycle timestamps this layout can carry (a custom ``columns:`` mapping may add more).
TIMESTAMPS = TIMESTAMP_COLUMNS
TEAM_COLUMNS = ("team",)
SEVERITY_COLUMNS = ("severity",)
#: An optional ``status`` column: these words say the incident is over.
RESOLVED_STATUSES = ("resolved", "closed", "done")
NOT_INCIDENTS = frozenset({"test", "drill", "game_day", "gameday", "tutorial", "exercise"})


#: The columns each practice flag is read from (a custom-field column may add one); with none
#: of them in a file, the practice is unknown for its rows, never "no".
FLAG_SOURCES = {flag: (flag,) for flag in FLAG_COLUMNS}


def matches(columns: Sequence[str]) -> bool:
    names = {c.strip().lower() for c in columns}
    return all(name in names for name in REQUIRED)


def to_canonical(raw: pd.DataFrame, context: object = None) -> pd.DataFrame:
    by_lower: dict[str, str] = {}
    for column in raw.columns:
        by_lower.setdefault(column.strip().lower(), column)
    out = pd.DataFrame(index=raw.index)
    for name in COLUMNS:
        out[name] = raw[by_lower[name]] if name in by_lower else pd.NA
    out["exclude_reason"] = pd.Series(pd.NA, index=raw.index, dtype="string")
    status = raw[by_lower["status"]] if "status" in by_lower else pd.Series(pd.NA, index=raw.index)
    out[STATUS_RESOLVED] = status_is(status, RESOLVED_STATUSES)
    if "kind" in by_lower:
        kind = raw[by_lower["kind"]].astype("string").str.strip().str.lower()
        not_incident = kind.isin(NOT_INCIDENTS)
        out.loc[not_incident, "exclude_reason"] = kind[not_incident].map(lambda k: NOT_AN_INCIDENT)
    return out
