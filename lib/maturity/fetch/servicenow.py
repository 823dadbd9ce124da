"""ServiceNow's Table API: the ``incident`` table, and ``sys_audit`` for its state changes.

* ``GET /api/now/table/incident``: offset pagination (``sysparm_offset``, ``sysparm_limit``
  100), ordered by creation then ``sys_id`` (``ORDERBYsys_created_on^ORDERBYsys_id``), so an
  incident updated while the pages are read does not move between them; a page shorter
  than the limit is the last. ``sysparm_display_value=all`` gives every field as its raw
  value (UTC times, sys_ids) and its display value (names);
* the query: ``query`` of the settings (an encoded query), ``assignment_groups`` (sys_ids
  or names), and the window's ``opened_at`` range, or for a later run ``sys_updated_on``
  since the last run's high-water mark;
* ``GET /api/now/table/sys_audit``: the fetched incidents' ``state`` changes, 100 incidents
  a query: the first move to In Progress (state 2) is the acknowledgement.

Canonical record: ``incident_id`` the number, short description as title, team the
assignment group's name (its sys_id can be an alias), service the business service or
configuration item, severity the priority (1-5), ``detected_at`` opened, ``acknowledged_at``
first In Progress, ``resolved_at`` resolved (else closed). Cancelled incidents are excluded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from maturity.fetch.archive import Page
from maturity.fetch.base import FetchSettings, Rows, Session, Window, by_id, credentials

NAME = "servicenow"
TITLE = "ServiceNow"
VARIABLES = {"instance": "SERVICENOW_INSTANCE", "user": "SERVICENOW_USER",
             "password": "SERVICENOW_PASSWORD"}  # fmt: skip
BASE_URL = None  # the instance: SERVICENOW_INSTANCE
TIMESTAMPS = ("detected_at", "acknowledged_at", "resolved_at")
FILTERS = ("query", "assignment_groups")
LIMIT = 100
IN_PROGRESS = "2"
CANCELLED = frozenset({"8"})
FIELDS = ("sys_id,number,short_description,opened_at,resolved_at,closed_at,state,priority,"
          "assignment_group,business_service,cmdb_ci,sys_created_on,sys_updated_on")  # fmt: skip


def instance_url(instance: str) -> str:
    """``acme`` -> ``https://acme.service-now.com``; a URL is kept as given."""
    instance = instance.strip().rstrip("/")
    return instance if "://" in instance else f"https://{instance}.service-now.com"


def connect(settings: FetchSettings, environment: Mapping[str, str],
            base_url: str | None) -> dict[str, Any]:  # fmt: skip
    names = {role: settings.variable(role, default) for role, default in VARIABLES.items()}
    if base_url or settings.base_url:
        names.pop("instance")
    secrets = credentials(TITLE, names, environment)
    return {
        "base_url": base_url or settings.base_url or instance_url(secrets["instance"]),
        "headers": {},
        "auth": (secrets["user"], secrets["password"]),
        "secrets": (secrets["password"],),
        "credentials": (names["user"], names["password"]),
    }


def _time(stamp: datetime) -> str:
    text = pd.Timestamp(stamp).tz_convert("UTC").strftime("%Y-%m-%d','%H:%M:%S")
    return f"javascript:gs.dateGenerate('{text}')"


def query(window: Window, changed_since: datetime | None, settings: FetchSettings) -> str:
    terms = []
    if settings.text("query"):
        terms.append(settings.text("query"))
    groups = settings.names("assignment_groups")
    if groups:
        terms.append("assignment_groupIN" + ",".join(groups))
    if changed_since is None:
        terms.append(f"opened_at>={_time(window.since)}")
        terms.append(f"opened_at<{_time(window.until)}")
    else:
        terms.append(f"sys_updated_on>={_time(changed_since)}")
    return "^".join([*terms, "ORDERBYsys_created_on", "ORDERBYsys_id"])


def collect(session: Session, window: Window, changed_since: datetime | None,
            settings: FetchSettings) -> None:  # fmt: skip
    base = {"sysparm_query": query(window, changed_since, settings), "sysparm_limit": LIMIT,
            "sysparm_display_value": "all", "sysparm_exclude_reference_link": "true",
            "sysparm_fields": FIELDS}  # fmt: skip
    offset, ids = 0, list[str]()
    while True:
        body = session.page("incidents", "/api/now/table/incident",
                            {**base, "sysparm_offset": offset},
                            lambda b: len(b.get("result") or []))  # fmt: skip
        result = body.get("result") or []
        ids.extend(str(_raw(r.get("sys_id"))) for r in result)
        if len(result) < LIMIT:
            break
        offset += LIMIT
    for start in range(0, len(ids), LIMIT):
        batch = ",".join(ids[start : start + LIMIT])
        audit = {"sysparm_query": f"tablename=incident^fieldname=state^documentkeyIN{batch}"
                                  "^ORDERBYsys_created_on^ORDERBYsys_id",
                 "sysparm_fields": "sys_id,documentkey,fieldname,oldvalue,newvalue,sys_created_on",
                 "sysparm_limit": LIMIT}  # fmt: skip
        offset = 0
        while True:
            body = session.page("audit", "/api/now/table/sys_audit",
                                {**audit, "sysparm_offset": offset},
                                lambda b: len(b.get("result") or []))  # fmt: skip
            if len(body.get("result") or []) < LIMIT:
                break
            offset += LIMIT


def _raw(cell: Any) -> Any:
    """A field's raw value (``{"value": ..., "display_value": ...}`` or plain)."""
    return cell.get("value") if isinstance(cell, Mapping) else cell


def _shown(cell: Any) -> Any:
    return (cell.get("display_value") or cell.get("value")) if isinstance(cell, Mapping) else cell


def _utc(value: Any) -> str | None:
    """A raw ServiceNow time (``2026-07-01 10:00:00``, UTC) as ISO text; None when empty."""
    text = str(value or "").strip()
    return f"{text.replace(' ', 'T')}Z" if text else None


def table(pages: list[Page], settings: FetchSettings | None = None) -> pd.DataFrame:
    audits = by_id(pages, "audit", lambda body: body.get("result") or [],
                   lambda entry: _raw(entry.get("documentkey")))  # fmt: skip
    rows = Rows()
    for page in pages:
        if page.kind != "incidents":
            continue
        for number, incident in enumerate(page.body.get("result") or [], start=1):
            state = str(_raw(incident.get("state")) or "")
            changes = audits.get(str(_raw(incident.get("sys_id"))), [])
            started = [pd.Timestamp(_utc(_raw(c.get("sys_created_on")))) for c in changes
                       if str(_raw(c.get("newvalue"))) == IN_PROGRESS
                       and _raw(c.get("sys_created_on"))]  # fmt: skip
            rows.add(page, number, {
                "incident_id": _raw(incident.get("number")),
                "title": _raw(incident.get("short_description")),
                "team": _shown(incident.get("assignment_group")),
                "service": _shown(incident.get("business_service"))
                or _shown(incident.get("cmdb_ci")),
                "severity": _raw(incident.get("priority")),
                "detected_at": _utc(_raw(incident.get("opened_at"))),
                "acknowledged_at": min(started).isoformat() if started else None,
                "resolved_at": _utc(_raw(incident.get("resolved_at")))
                or _utc(_raw(incident.get("closed_at"))),
                "status": "resolved" if state in ("6", "7") else None,
                "_exclude": "cancelled incident" if state in CANCELLED else None,
            })  # fmt: skip
    return rows.frame()
