"""PagerDuty's REST API v2: incidents, and the log entries that say when each was
acknowledged and how it was resolved.

* ``GET /incidents``: offset pagination (``limit`` at most 100, ``more``), over a
  ``since``/``until`` range of creation of at most six months; an offset past 10,000 is
  refused, so the window is walked in spans and a span with more than ``SPAN_CAP``
  incidents (its ``total``, asked of a one-item page archived as a count) is halved until
  it fits;
* ``GET /log_entries?is_overview=true``: the same pagination, over the same spans up to
  the run's end; the first ``acknowledge_log_entry`` of an incident is its acknowledgement,
  its ``resolve_log_entry`` says whether a person or the monitoring resolved it;
* a later run asks only for what changed: the log entries since the last run's high-water
  mark name every incident touched since; those created since come from ``/incidents``,
  the older ones one by one from ``/incidents/{id}``.

Canonical record: ``incident_id`` the incident number (as the CSV exports have it), title,
service, team (its first team, else its escalation policy: both can be aliases), severity
(priority, else urgency), ``detected_at`` created, ``acknowledged_at`` first acknowledgement,
``resolved_at`` resolution, ``automated_recovery`` resolved by its service or an
integration (true) or by a person (false). Merged incidents are excluded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from maturity.fetch.archive import Page
from maturity.fetch.base import (
    FetchSettings,
    Rows,
    Session,
    Window,
    by_id,
    chunks,
    credentials,
    dig,
    first_time,
    iso_z,
)

NAME = "pagerduty"
TITLE = "PagerDuty"
VARIABLES = {"token": "PAGERDUTY_TOKEN"}
BASE_URL = "https://api.pagerduty.com"
TIMESTAMPS = ("detected_at", "acknowledged_at", "resolved_at")
FILTERS = ("services", "teams")
LIMIT = 100
#: PagerDuty refuses an offset past 10,000: a span is halved while it holds more.
OFFSET_CAP = 10_000
SPAN_CAP = OFFSET_CAP - LIMIT
#: The longest range ``/incidents`` accepts is six months; 30 days keeps spans small.
SPAN_DAYS = 30.0


def connect(settings: FetchSettings, environment: Mapping[str, str],
            base_url: str | None) -> dict[str, Any]:  # fmt: skip
    variable = settings.variable("token", VARIABLES["token"])
    token = credentials(TITLE, {"token": variable}, environment)["token"]
    return {
        "base_url": base_url or settings.base_url or BASE_URL,
        "headers": {
            "Authorization": f"Token token={token}",
            "Accept": "application/vnd.pagerduty+json;version=2",
        },
        "auth": None,
        "secrets": (token,),
        "credentials": (variable,),
    }


def _filters(settings: FetchSettings) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if settings.names("services"):
        params["service_ids[]"] = settings.names("services")
    if settings.names("teams"):
        params["team_ids[]"] = settings.names("teams")
    return params


def _listed(session: Session, kind: str, path: str, key: str, span: Window,
            params: dict[str, Any]) -> list[dict[str, Any]]:  # fmt: skip
    """Every item of one span of an offset-paged list, halving the span while the API's
    total says its offsets would pass the cap."""
    base = {**params, "since": iso_z(span.since), "until": iso_z(span.until), "limit": LIMIT,
            "time_zone": "UTC"}  # fmt: skip
    # A one-item page asking for the total tells whether the span fits under the cap; it
    # is archived as a count, not read as incidents.
    probe = session.page(f"{kind}_count", path, {**base, "limit": 1, "offset": 0,
                                                  "total": "true"}, lambda body: 0)  # fmt: skip
    total = probe.get("total")
    if isinstance(total, int) and total > SPAN_CAP and span.until - span.since > _MINIMUM_SPAN:
        middle = span.since + (span.until - span.since) / 2
        return [*_listed(session, kind, path, key, Window(span.since, middle), params),
                *_listed(session, kind, path, key, Window(middle, span.until), params)]  # fmt: skip
    if total == 0:
        return []
    items: list[dict[str, Any]] = []
    offset = 0
    while offset + LIMIT <= OFFSET_CAP:
        body = session.page(kind, path, {**base, "offset": offset},
                            lambda body: len(body.get(key) or []))  # fmt: skip
        items.extend(body.get(key) or [])
        if not body.get("more"):
            break
        offset += LIMIT
    return items


_MINIMUM_SPAN = pd.Timedelta(minutes=1).to_pytimedelta()


def collect(session: Session, window: Window, changed_since: datetime | None,
            settings: FetchSettings) -> None:  # fmt: skip
    filters = _filters(settings)
    log_params = {**filters, "is_overview": "true"}
    log_params.pop("service_ids[]", None)  # log entries filter by team only
    if changed_since is None:
        for span in chunks(window, SPAN_DAYS):
            _listed(session, "incidents", "/incidents", "incidents", span,
                    {**filters, "sort_by": "created_at:asc"})  # fmt: skip
            _listed(session, "log_entries", "/log_entries", "log_entries", span, log_params)
        return
    recent = Window(changed_since, window.until)
    created: set[str] = set()
    for span in chunks(recent, SPAN_DAYS):
        incidents = _listed(session, "incidents", "/incidents", "incidents", span,
                            {**filters, "sort_by": "created_at:asc"})  # fmt: skip
        created.update(str(i.get("id")) for i in incidents)
    touched: list[str] = []
    for span in chunks(recent, SPAN_DAYS):
        for entry in _listed(session, "log_entries", "/log_entries", "log_entries", span,
                             log_params):  # fmt: skip
            incident = str(dig(entry, "incident", "id") or "")
            if incident and incident not in created and incident not in touched:
                touched.append(incident)
    for incident in touched:  # changed since the last run, created before it
        session.page("incident", f"/incidents/{incident}", None, lambda body: 1)


def _incidents(page: Page) -> list[dict[str, Any]]:
    if page.kind == "incident":
        return [page.body.get("incident")] if isinstance(page.body.get("incident"), dict) else []
    return [i for i in page.body.get("incidents") or [] if isinstance(i, dict)]


def table(pages: list[Page], settings: FetchSettings | None = None) -> pd.DataFrame:
    logs = by_id(pages, "log_entries", lambda body: body.get("log_entries") or [],
                 lambda entry: dig(entry, "incident", "id"))  # fmt: skip
    rows = Rows()
    for page in pages:
        if page.kind not in ("incidents", "incident"):
            continue
        for number, incident in enumerate(_incidents(page), start=1):
            entries = logs.get(str(incident.get("id")), [])
            resolve = [e for e in entries if e.get("type") == "resolve_log_entry"]
            rows.add(page, number, {
                "incident_id": _text(incident.get("incident_number") or incident.get("id")),
                "title": incident.get("title") or incident.get("summary"),
                "service": dig(incident, "service", "summary"),
                "team": dig(incident, "teams", 0, "summary")
                or dig(incident, "escalation_policy", "summary"),
                "severity": dig(incident, "priority", "summary") or incident.get("urgency"),
                "detected_at": incident.get("created_at"),
                "acknowledged_at": first_time(
                    entries, "created_at", lambda e: e.get("type") == "acknowledge_log_entry"
                ),
                "resolved_at": incident.get("resolved_at")
                or first_time(resolve, "created_at", lambda e: True),
                "status": incident.get("status"),
                "automated_recovery": _automated(resolve),
                "_exclude": "merged into another incident"
                if dig(incident, "resolve_reason", "type") == "merge_resolve_reason"
                else None,
            })  # fmt: skip
    return rows.frame()


def _automated(resolve: list[dict[str, Any]]) -> bool | None:
    """Resolved by its service or an integration (the monitoring saw it recover): True; by
    a person: False; unknown without a resolve entry."""
    if not resolve:
        return None
    agent = str(dig(resolve[-1], "agent", "type") or "")
    channel = str(dig(resolve[-1], "channel", "type") or "")
    if agent.startswith("user") or channel in ("web_ui", "mobile", "email", "slack"):
        return False
    if agent.startswith(("service", "integration")) or channel in ("auto", "timeout", "api"):
        return True
    return None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
