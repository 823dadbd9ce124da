"""Jira Cloud (Jira Service Management): issues by JQL, with their changelogs.

* ``GET /rest/api/3/search/jql``: the enhanced search, paged by ``nextPageToken`` with no
  total (``isLast`` ends it), ``expand=changelog`` so each issue's status transitions come
  with it; an issue whose changelog holds more than came inline is completed from
  ``GET /rest/api/3/issue/{id}/changelog`` (offset pages);
* JQL: ``projects`` and any ``jql`` of the settings, and the window's ``created`` range, or
  for a later run ``updated`` since the last run's high-water mark (minutes, in UTC as
  the query gives them; the overlap covers Jira reading them in the user's zone).

Canonical record: ``incident_id`` the issue key, summary as title, team the ``team_field``
of the settings (a custom field id) else the project's name, service the first component,
severity the priority, ``detected_at`` created, ``resolved_at`` the resolution date, and
from the changelog: ``acknowledged_at`` the first move to an ``acknowledged_statuses``
status (default In Progress, Investigating, Acknowledged, Work in progress) and
``mitigated_at`` the first move to a ``mitigated_statuses`` one (Mitigated, Monitoring,
Fixed). Labels marking a test or drill exclude it.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from maturity.fetch.archive import Page
from maturity.fetch.base import FetchSettings, Rows, Session, Window, credentials, dig

NAME = "jira"
TITLE = "Jira"
VARIABLES = {"email": "JIRA_EMAIL", "token": "JIRA_API_TOKEN", "url": "JIRA_URL"}
BASE_URL = None  # the site: JIRA_URL
TIMESTAMPS = ("detected_at", "acknowledged_at", "mitigated_at", "resolved_at")
FILTERS = ("projects", "jql", "team_field", "acknowledged_statuses", "mitigated_statuses")
LIMIT = 100
ACKNOWLEDGED = ("in progress", "investigating", "acknowledged", "work in progress")
MITIGATED = ("mitigated", "monitoring", "fixed")
TEST_LABELS = frozenset({"test", "drill", "game-day", "gameday", "game_day", "exercise"})
FIELDS = "summary,created,updated,resolutiondate,priority,status,components,labels,project"


def connect(settings: FetchSettings, environment: Mapping[str, str],
            base_url: str | None) -> dict[str, Any]:  # fmt: skip
    names = {role: settings.variable(role, default) for role, default in VARIABLES.items()}
    if base_url or settings.base_url:
        names.pop("url")
    secrets = credentials(TITLE, names, environment)
    pair = f"{secrets['email']}:{secrets['token']}".encode()
    return {
        "base_url": (base_url or settings.base_url or secrets["url"]).rstrip("/"),
        "headers": {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")},
        "auth": None,
        "secrets": (secrets["token"], base64.b64encode(pair).decode("ascii")),
        "credentials": tuple(v for k, v in names.items() if k != "url"),
    }


def _minutes(stamp: datetime) -> str:
    return pd.Timestamp(stamp).tz_convert("UTC").strftime("%Y-%m-%d %H:%M")


def query(window: Window, changed_since: datetime | None, settings: FetchSettings) -> str:
    terms = []
    projects = settings.names("projects")
    if projects:
        terms.append("project in (" + ", ".join(f'"{p}"' for p in projects) + ")")
    if settings.text("jql"):
        terms.append(f"({settings.text('jql')})")
    if changed_since is None:
        terms.append(f'created >= "{_minutes(window.since)}"')
        terms.append(f'created < "{_minutes(window.until)}"')
    else:
        terms.append(f'updated >= "{_minutes(changed_since)}"')
    return " AND ".join(terms) + " ORDER BY created ASC"


def collect(session: Session, window: Window, changed_since: datetime | None,
            settings: FetchSettings) -> None:  # fmt: skip
    fields = FIELDS + (f",{settings.text('team_field')}" if settings.text("team_field") else "")
    params: dict[str, Any] = {"jql": query(window, changed_since, settings), "maxResults": LIMIT,
                              "fields": fields, "expand": "changelog"}  # fmt: skip
    while True:
        body = session.page("issues", "/rest/api/3/search/jql", params,
                            lambda b: len(b.get("issues") or []))  # fmt: skip
        for issue in body.get("issues") or []:
            changelog = issue.get("changelog") or {}
            shown = len(changelog.get("histories") or [])
            if int(changelog.get("total") or 0) > shown:
                _changelog(session, str(issue.get("id")))
        token = body.get("nextPageToken")
        if body.get("isLast", not token) or not token:
            return
        params = {**params, "nextPageToken": token}


def _changelog(session: Session, issue: str) -> None:
    start = 0
    while True:
        body = session.page("changelog", f"/rest/api/3/issue/{issue}/changelog",
                            {"startAt": start, "maxResults": LIMIT},
                            lambda b: len(b.get("values") or []))  # fmt: skip
        values = body.get("values") or []
        start += len(values)
        if body.get("isLast", True) or not values:
            return


def table(pages: list[Page], settings: FetchSettings | None = None) -> pd.DataFrame:
    settings = settings or FetchSettings()
    acknowledged = {s.lower() for s in settings.names("acknowledged_statuses")} or set(ACKNOWLEDGED)
    mitigated = {s.lower() for s in settings.names("mitigated_statuses")} or set(MITIGATED)
    extra: dict[str, list[dict[str, Any]]] = {}
    for page in pages:  # changelog pages fetched apart, by issue id
        if page.kind == "changelog" and not page.altered:
            issue = page.request.get("path", "").split("/")[-2]
            extra.setdefault(issue, []).extend(page.body.get("values") or [])
    team_field = settings.text("team_field")
    rows = Rows()
    for page in pages:
        if page.kind != "issues":
            continue
        for number, issue in enumerate(page.body.get("issues") or [], start=1):
            fields = issue.get("fields") or {}
            histories = {str(h.get("id")): h for h in dig(issue, "changelog", "histories") or []}
            for history in extra.get(str(issue.get("id")), []):
                histories.setdefault(str(history.get("id")), history)
            labels = {str(label).strip().lower() for label in fields.get("labels") or []}
            rows.add(page, number, {
                "incident_id": issue.get("key"),
                "title": fields.get("summary"),
                "team": _value(fields.get(team_field)) if team_field
                else dig(fields, "project", "name"),
                "service": dig(fields, "components", 0, "name"),
                "severity": dig(fields, "priority", "name"),
                "detected_at": fields.get("created"),
                "acknowledged_at": _moved(histories.values(), acknowledged),
                "mitigated_at": _moved(histories.values(), mitigated),
                "resolved_at": fields.get("resolutiondate"),
                "status": "resolved"
                if dig(fields, "status", "statusCategory", "key") == "done"
                else None,
                "kind": "test" if labels & TEST_LABELS else None,
            })  # fmt: skip
    return rows.frame()


def _moved(histories: Any, statuses: set[str]) -> str | None:
    """When the issue first moved to one of ``statuses``."""
    times = []
    for history in histories:
        for item in history.get("items") or []:
            if item.get("field") == "status" and str(item.get("toString", "")).lower() in statuses:
                times.append(pd.Timestamp(history.get("created")))
    return min(times).isoformat() if times else None


def _value(cell: Any) -> str | None:
    """A custom field's value as text: an option (``value``), a team (``name``), a list's
    first, or plain text."""
    if isinstance(cell, list):
        return _value(cell[0]) if cell else None
    if isinstance(cell, Mapping):
        for key in ("value", "name", "title", "displayName"):
            if cell.get(key):
                return str(cell[key])
        return None
    return None if cell is None else str(cell)
