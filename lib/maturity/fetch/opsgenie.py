"""Opsgenie's Incident API (``/v1/incidents``): Atlassian ends Opsgenie in April 2027, after
which its incidents survive only as what was fetched, so this archive is the record.

* ``GET /v1/incidents?query=...&limit=100&sort=createdAt&order=asc``; each response's
  ``paging.next`` is the next page's full URL (a cursor), followed until there is none;
* the query is the window's ``createdAt`` range (epoch milliseconds), or for a later run
  ``updatedAt`` since the last run's high-water mark, and any ``query:`` of the settings.

Canonical record: ``incident_id`` the tiny id, message as title, team the owner team (an
id: give it as an alias), service the first impacted service, severity the priority
(P1-P5), ``detected_at`` created, ``started_at`` the impact's start and ``resolved_at`` its
end where Opsgenie records them. Tags or details marking a test or drill exclude it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from maturity.fetch.archive import Page
from maturity.fetch.base import FetchSettings, Rows, Session, Window, credentials, dig

NAME = "opsgenie"
TITLE = "Opsgenie"
VARIABLES = {"key": "OPSGENIE_API_KEY"}
BASE_URL = "https://api.opsgenie.com"
TIMESTAMPS = ("started_at", "detected_at", "resolved_at")
FILTERS = ("query", "teams")
LIMIT = 100
TEST_TAGS = frozenset({"test", "drill", "game day", "gameday", "game_day", "exercise"})


def connect(settings: FetchSettings, environment: Mapping[str, str],
            base_url: str | None) -> dict[str, Any]:  # fmt: skip
    variable = settings.variable("key", VARIABLES["key"])
    key = credentials(TITLE, {"key": variable}, environment)["key"]
    return {
        "base_url": base_url or settings.base_url or BASE_URL,
        "headers": {"Authorization": f"GenieKey {key}"},
        "auth": None,
        "secrets": (key,),
        "credentials": (variable,),
    }


def _millis(stamp: datetime) -> int:
    return int(pd.Timestamp(stamp).tz_convert("UTC").value // 1_000_000)


def collect(session: Session, window: Window, changed_since: datetime | None,
            settings: FetchSettings) -> None:  # fmt: skip
    if changed_since is None:
        terms = [f"createdAt>={_millis(window.since)}", f"createdAt<{_millis(window.until)}"]
    else:
        terms = [f"updatedAt>={_millis(changed_since)}"]
    if settings.text("query"):
        terms.append(f"({settings.text('query')})")
    teams = settings.names("teams")
    if teams:
        terms.append("(" + " OR ".join(f"ownerTeam:{t}" for t in teams) + ")")
    params: dict[str, Any] | None = {
        "query": " AND ".join(terms), "limit": LIMIT, "offset": 0, "sort": "createdAt",
        "order": "asc",
    }  # fmt: skip
    path = "/v1/incidents"
    while True:
        body = session.page("incidents", path, params, lambda b: len(b.get("data") or []))
        following = dig(body, "paging", "next")
        if not following or not body.get("data"):
            return
        path, params = str(following), None  # the API's own next-page URL


def table(pages: list[Page], settings: FetchSettings | None = None) -> pd.DataFrame:
    rows = Rows()
    for page in pages:
        if page.kind != "incidents":
            continue
        for number, incident in enumerate(page.body.get("data") or [], start=1):
            tags = {str(t).strip().lower() for t in incident.get("tags") or []}
            kind = "test" if tags & TEST_TAGS else None
            rows.add(page, number, {
                "incident_id": incident.get("tinyId") or incident.get("id"),
                "title": incident.get("message"),
                "team": incident.get("ownerTeam") or dig(incident, "responders", 0, "id"),
                "service": dig(incident, "impactedServices", 0),
                "severity": incident.get("priority"),
                "started_at": incident.get("impactStartDate"),
                "detected_at": incident.get("createdAt"),
                "resolved_at": incident.get("impactEndDate"),
                "status": incident.get("status"),
                "kind": kind,
            })  # fmt: skip
    return rows.frame()
