"""incident.io's API v2: ``GET /v2/incidents``.

* cursor pagination: ``page_size`` 100 and ``after`` the ``pagination_meta.after`` of the
  previous page, until a page has none;
* the window's ``created_at`` range (``created_at[gte]`` / ``[lte]``, dates), or for a later
  run ``updated_at[gte]`` since the last run's high-water mark (its date: the day's
  overlap is removed by the id de-duplication).

Canonical record: ``incident_id`` the reference (INC-123), name as title, team and service
the custom fields whose names say so (``team_field`` / ``service_field`` of the settings,
else the first field with "team" or "service" in its name), severity its name, and the
incident's timestamps by name: impact started, reported (detection; else created),
accepted (acknowledgement), fixed (mitigation), resolved; ``review_done`` when a
post-mortem document exists. Test and tutorial incidents, and declined, merged or
cancelled ones, are excluded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from maturity.fetch.archive import Page
from maturity.fetch.base import FetchSettings, Rows, Session, Window, credentials, dig

NAME = "incidentio"
TITLE = "incident.io"
VARIABLES = {"key": "INCIDENTIO_API_KEY"}
BASE_URL = "https://api.incident.io"
TIMESTAMPS = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")
FILTERS = ("team_field", "service_field")
LIMIT = 100
#: The incident's named timestamps (names compared without "at" and case), by column.
NAMED = {
    "started_at": ("impact started",),
    "detected_at": ("reported", "detected"),
    "acknowledged_at": ("accepted", "acknowledged"),
    "mitigated_at": ("fixed", "mitigated"),
    "resolved_at": ("resolved",),
}
NOT_INCIDENT_MODES = frozenset({"test", "tutorial"})
EXCLUDED_STATUSES = {
    "declined": "declined incident",
    "merged": "merged into another incident",
    "canceled": "cancelled incident",
    "cancelled": "cancelled incident",
}


def connect(settings: FetchSettings, environment: Mapping[str, str],
            base_url: str | None) -> dict[str, Any]:  # fmt: skip
    variable = settings.variable("key", VARIABLES["key"])
    key = credentials(TITLE, {"key": variable}, environment)["key"]
    return {
        "base_url": base_url or settings.base_url or BASE_URL,
        "headers": {"Authorization": f"Bearer {key}"},
        "auth": None,
        "secrets": (key,),
        "credentials": (variable,),
    }


def _date(stamp: datetime) -> str:
    return pd.Timestamp(stamp).tz_convert("UTC").strftime("%Y-%m-%d")


def collect(session: Session, window: Window, changed_since: datetime | None,
            settings: FetchSettings) -> None:  # fmt: skip
    params: dict[str, Any] = {"page_size": LIMIT}
    if changed_since is None:
        params["created_at[gte]"] = _date(window.since)
        params["created_at[lte]"] = _date(window.until)
    else:
        params["updated_at[gte]"] = _date(changed_since)
    while True:
        body = session.page("incidents", "/v2/incidents", params,
                            lambda b: len(b.get("incidents") or []))  # fmt: skip
        after = dig(body, "pagination_meta", "after")
        if not after or not body.get("incidents"):
            return
        params = {**params, "after": after}


def _name(text: Any) -> str:
    return re.sub(r"\s+at$", "", str(text or "").strip().lower())


def _custom(incident: Mapping[str, Any], wanted: str, word: str) -> str | None:
    for entry in incident.get("custom_field_entries") or []:
        name = str(dig(entry, "custom_field", "name") or "")
        if (wanted and name.lower() == wanted.lower()) or (not wanted and word in name.lower()):
            value = dig(entry, "values", 0) or {}
            for key in ("value_catalog_entry", "value_option"):
                inner = value.get(key)
                if isinstance(inner, Mapping):
                    return str(inner.get("name") or inner.get("value") or "") or None
            return value.get("value_text")
    return None


def table(pages: list[Page], settings: FetchSettings | None = None) -> pd.DataFrame:
    settings = settings or FetchSettings()
    rows = Rows()
    for page in pages:
        if page.kind != "incidents":
            continue
        for number, incident in enumerate(page.body.get("incidents") or [], start=1):
            named = {
                _name(dig(v, "incident_timestamp", "name")): dig(v, "value", "value")
                for v in incident.get("incident_timestamp_values") or []
            }
            times = {column: next((named[n] for n in names if named.get(n)), None)
                     for column, names in NAMED.items()}  # fmt: skip
            category = str(dig(incident, "incident_status", "category") or "").lower()
            mode = str(incident.get("mode") or "").lower()
            rows.add(page, number, {
                "incident_id": incident.get("reference") or incident.get("id"),
                "title": incident.get("name"),
                "team": _custom(incident, settings.text("team_field"), "team"),
                "service": _custom(incident, settings.text("service_field"), "service"),
                "severity": dig(incident, "severity", "name"),
                **times,
                "detected_at": times["detected_at"] or incident.get("created_at"),
                "review_done": True if incident.get("postmortem_document_url") else None,
                "status": "resolved" if category == "closed" else None,
                "kind": "test" if mode in NOT_INCIDENT_MODES else None,
                "_exclude": EXCLUDED_STATUSES.get(category),
            })  # fmt: skip
    return rows.frame()
