"""A local stand-in for five incident tools' APIs, for the fetch tests (issue 22).

One ``ThreadingHTTPServer`` on 127.0.0.1 serves one set of incidents (``Dataset``) in each
vendor's documented response shape and pagination:

* PagerDuty: ``/incidents`` and ``/log_entries`` (offset, ``more``, ``total``, an offset cap),
  ``/incidents/{id}``; ``Authorization: Token token=...``;
* Opsgenie: ``/v1/incidents`` (a query of ``createdAt`` / ``updatedAt`` epoch milliseconds,
  ``paging.next`` full URLs); ``Authorization: GenieKey ...``;
* Jira: ``/rest/api/3/search/jql`` (``nextPageToken``, ``isLast``, no total, changelogs
  inline and cut short) and ``/rest/api/3/issue/{id}/changelog`` (offset pages); basic auth;
* ServiceNow: ``/api/now/table/incident`` and ``/api/now/table/sys_audit`` (``sysparm_offset``,
  ``sysparm_display_value=all``); basic auth;
* incident.io: ``/v2/incidents`` (``after`` cursors, ``pagination_meta``); bearer key.

Faults are queued per vendor (``Server.fault``): a 429 with ``Retry-After``, a 500, a
dropped connection, a slow answer, an expired token (401). Every request is recorded.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

SECRETS = {
    "pagerduty": "pd-secret-token-7f3a",
    "opsgenie": "og-secret-key-91bc",
    "jira": "jira-secret-token-55de",
    "servicenow": "sn-secret-password-0a1b",
    "incidentio": "iio-secret-key-c3d4",
}
JIRA_EMAIL = "coach@example.com"
SN_USER = "maturity.reader"
TEAMS = {
    "payments": ("Payments On-Call", "checkout-api"),
    "search": ("Search Primary", "search-api"),
}


@dataclass
class Incident:
    """One incident as every tool would hold it."""

    number: int
    title: str
    team: str  # payments / search
    detected: datetime
    acknowledged: datetime | None
    mitigated: datetime | None
    resolved: datetime | None
    severity: int  # 1-4
    updated: datetime
    test: bool = False
    cancelled: bool = False
    auto: bool = False

    @property
    def team_name(self) -> str:
        return TEAMS[self.team][0]

    @property
    def service(self) -> str:
        return TEAMS[self.team][1]


def iso(stamp: datetime | None, millis: bool = False) -> str | None:
    if stamp is None:
        return None
    text = stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return text + (".000Z" if millis else "Z")


def make_dataset(count: int = 60, seed: int = 7) -> list[Incident]:
    """``count`` incidents over 2026-Q2 and Q3 for two teams, some open, one test, one
    cancelled, some resolved by automation: deterministic."""
    import random

    rng = random.Random(seed)
    start = datetime(2026, 4, 2, 8, 0, tzinfo=UTC)
    incidents = []
    for n in range(1, count + 1):
        detected = start + timedelta(hours=n * 37 + rng.randint(0, 20), minutes=rng.randint(0, 59))
        ack = detected + timedelta(minutes=rng.randint(1, 15))
        mitigated = ack + timedelta(minutes=rng.randint(5, 90))
        resolved = mitigated + timedelta(minutes=rng.randint(0, 120))
        still_open = n % 17 == 0
        incidents.append(
            Incident(
                number=n,
                title=f"Incident {n}: {'checkout' if n % 2 else 'search'} errors",
                team="payments" if n % 2 else "search",
                detected=detected,
                acknowledged=ack,
                mitigated=None if still_open else mitigated,
                resolved=None if still_open else resolved,
                severity=1 + n % 4,
                updated=(detected if still_open else resolved) + timedelta(minutes=5),
                test=n == 5,
                cancelled=n == 8,
                auto=n % 3 == 0,
            )
        )
    return incidents


@dataclass
class Server:
    """The running stand-in: its base URL, the data, queued faults, the requests seen."""

    url: str
    data: list[Incident]
    faults: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, list[str]]]] = field(default_factory=list)
    pagerduty_cap: int = 10_000
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fault(self, vendor: str, kind: str, value: float = 0.0, times: int = 1) -> None:
        """Queue ``times`` faults for ``vendor``'s next requests: ``429`` (``value`` the
        Retry-After seconds), ``500``, ``drop``, ``slow`` (``value`` seconds), ``401``."""
        with self.lock:
            self.faults.setdefault(vendor, []).extend([(kind, value)] * times)

    def seen(self, vendor: str) -> list[tuple[str, dict[str, list[str]]]]:
        return [(path, query) for v, path, query in self.requests if v == vendor]

    def update(self, number: int, **changes: Any) -> Incident:
        """Change an incident as a tool would (its updated time is now)."""
        with self.lock:
            incident = next(i for i in self.data if i.number == number)
            for key, value in changes.items():
                setattr(incident, key, value)
            incident.updated = datetime.now(UTC)
            return incident

    def add(self, incident: Incident) -> None:
        with self.lock:
            self.data.append(incident)


@contextmanager
def serve(data: list[Incident] | None = None) -> Iterator[Server]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    server = Server(url=f"http://127.0.0.1:{httpd.server_address[1]}", data=data or make_dataset())
    httpd.stand_in = server  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()


def vendor_of(path: str) -> str:
    if path.startswith("/v1/incidents"):
        return "opsgenie"
    if path.startswith("/v2/incidents"):
        return "incidentio"
    if path.startswith("/rest/api/3"):
        return "jira"
    if path.startswith("/api/now"):
        return "servicenow"
    return "pagerduty"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    @property
    def server_state(self) -> Server:
        return self.server.stand_in  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        vendor = vendor_of(parts.path)
        state = self.server_state
        with state.lock:
            state.requests.append((vendor, parts.path, query))
            fault = state.faults.get(vendor, [None]).pop(0) if state.faults.get(vendor) else None
        if fault is not None:
            kind, value = fault
            if kind == "429":
                return self._send(429, {"error": "rate limited"}, {"Retry-After": f"{value:g}"})
            if kind == "500":
                return self._send(500, {"error": "boom"})
            if kind == "401":
                return self._send(401, {"error": "token expired"})
            if kind == "drop":
                self.close_connection = True
                self.connection.shutdown(2)
                return None
            if kind == "slow":
                time.sleep(value)
        if not self._authorised(vendor):
            return self._send(401, {"error": "unauthorised"})
        route = getattr(self, f"_{vendor}")
        status, body, headers = route(parts.path, query)
        return self._send(status, body, headers)

    def _authorised(self, vendor: str) -> bool:
        header = self.headers.get("Authorization", "")
        secret = SECRETS[vendor]
        if vendor == "pagerduty":
            return header == f"Token token={secret}"
        if vendor == "opsgenie":
            return header == f"GenieKey {secret}"
        if vendor == "incidentio":
            return header == f"Bearer {secret}"
        user = JIRA_EMAIL if vendor == "jira" else SN_USER
        return header == "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    # --- PagerDuty ------------------------------------------------------------------------

    def _pagerduty(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any, dict]:
        state = self.server_state
        one = re.fullmatch(r"/incidents/P(\d+)", path)
        if one:
            incident = next(i for i in state.data if i.number == int(one.group(1)))
            return 200, {"incident": _pd_incident(incident)}, {}
        since, until = _when(query["since"][0]), _when(query["until"][0])
        offset, limit = int(query.get("offset", ["0"])[0]), int(query.get("limit", ["25"])[0])
        if offset + limit > state.pagerduty_cap:
            return 400, {"error": {"message": "Offset must be less than the cap", "code": 2001}}, {}
        if path == "/incidents":
            items = [_pd_incident(i) for i in state.data if since <= i.detected < until]
            key = "incidents"
        else:
            items = [
                e for i in state.data for e in _pd_log(i) if since <= _when(e["created_at"]) < until
            ]
            items.sort(key=lambda e: e["created_at"])
            key = "log_entries"
        page = items[offset : offset + limit]
        total = len(items) if query.get("total", ["false"])[0] == "true" else None
        body = {key: page, "limit": limit, "offset": offset, "more": offset + limit < len(items),
                "total": total}  # fmt: skip
        return 200, body, {}

    # --- Opsgenie -------------------------------------------------------------------------

    def _opsgenie(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any, dict]:
        state = self.server_state
        text = query.get("query", [""])[0]
        items = []
        for incident in state.data:
            ok = True
            for field_, op, millis in re.findall(r"(createdAt|updatedAt)(>=|<)(\d+)", text):
                when = incident.detected if field_ == "createdAt" else incident.updated
                value = datetime.fromtimestamp(int(millis) / 1000, UTC)
                ok &= when >= value if op == ">=" else when < value
            if ok:
                items.append(_og_incident(incident))
        offset, limit = int(query.get("offset", ["0"])[0]), int(query.get("limit", ["20"])[0])
        page = items[offset : offset + limit]
        paging: dict[str, str] = {"first": self._self_url(path, query, 0, limit)}
        if offset + limit < len(items):
            paging["next"] = self._self_url(path, query, offset + limit, limit)
        return 200, {"data": page, "paging": paging, "took": 0.01, "requestId": "r-1"}, {}

    def _self_url(self, path: str, query: dict[str, list[str]], offset: int, limit: int) -> str:
        flat = {k: v[0] for k, v in query.items()}
        flat.update(offset=str(offset), limit=str(limit))
        return f"{self.server_state.url}{path}?{urlencode(flat)}"

    # --- Jira ------------------------------------------------------------------------------

    def _jira(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any, dict]:
        state = self.server_state
        log = re.fullmatch(r"/rest/api/3/issue/(\d+)/changelog", path)
        if log:
            incident = next(i for i in state.data if i.number == int(log.group(1)))
            histories = _jira_histories(incident)
            start, limit = (
                int(query.get("startAt", ["0"])[0]),
                int(query.get("maxResults", ["50"])[0]),
            )
            values = histories[start : start + limit]
            last = start + limit >= len(histories)
            return 200, {"values": values, "startAt": start, "maxResults": limit,
                         "total": len(histories), "isLast": last}, {}  # fmt: skip
        jql = query.get("jql", [""])[0]
        items = []
        for incident in state.data:
            ok = True
            for field_, op, text in re.findall(r'(created|updated) (>=|<) "([^"]+)"', jql):
                when = incident.detected if field_ == "created" else incident.updated
                value = datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
                ok &= when >= value if op == ">=" else when < value
            if ok:
                items.append(incident)
        items.sort(key=lambda i: i.detected)
        start = int(query.get("nextPageToken", ["0"])[0] or 0)
        limit = min(int(query.get("maxResults", ["50"])[0]), 100)
        page = items[start : start + limit]
        body: dict[str, Any] = {"issues": [_jira_issue(i) for i in page]}
        if start + limit < len(items):
            body["nextPageToken"] = str(start + limit)
            body["isLast"] = False
        else:
            body["isLast"] = True
        return 200, body, {}

    # --- ServiceNow ------------------------------------------------------------------------

    def _servicenow(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any, dict]:
        state = self.server_state
        text = query.get("sysparm_query", [""])[0]
        offset = int(query.get("sysparm_offset", ["0"])[0])
        limit = int(query.get("sysparm_limit", ["10000"])[0])
        if path.endswith("/sys_audit"):
            keys = set(re.search(r"documentkeyIN([^\^]+)", text).group(1).split(","))
            entries = [e for i in state.data if f"sys{i.number:04d}" in keys for e in _sn_audit(i)]
            entries.sort(key=lambda e: (e["sys_created_on"], e["sys_id"]))
            return (
                200,
                {"result": entries[offset : offset + limit]},
                {"X-Total-Count": str(len(entries))},
            )
        items = []
        for incident in state.data:
            ok = True
            for field_, op, day, clock in re.findall(
                r"(opened_at|sys_updated_on)(>=|<)javascript:gs\.dateGenerate\('([\d-]+)','([\d:]+)'\)",
                text,
            ):
                when = incident.detected if field_ == "opened_at" else incident.updated
                value = datetime.fromisoformat(f"{day}T{clock}+00:00")
                ok &= when >= value if op == ">=" else when < value
            if ok:
                items.append(incident)
        items.sort(key=lambda i: (i.detected, i.number))
        page = [_sn_incident(i) for i in items[offset : offset + limit]]
        return 200, {"result": page}, {"X-Total-Count": str(len(items))}

    # --- incident.io -----------------------------------------------------------------------

    def _incidentio(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any, dict]:
        state = self.server_state
        items = []
        for incident in state.data:
            ok = True
            for key, when in (("created_at", incident.detected), ("updated_at", incident.updated)):
                if f"{key}[gte]" in query:
                    ok &= when.date() >= datetime.fromisoformat(query[f"{key}[gte]"][0]).date()
                if f"{key}[lte]" in query:
                    ok &= when.date() <= datetime.fromisoformat(query[f"{key}[lte]"][0]).date()
            if ok:
                items.append(incident)
        items.sort(key=lambda i: i.number)
        after = query.get("after", [None])[0]
        if after:
            items = [i for i in items if f"01IIO{i.number:05d}" > after]
        size = int(query.get("page_size", ["25"])[0])
        page = items[:size]
        meta: dict[str, Any] = {"page_size": size, "total_record_count": len(items)}
        if len(items) > size:
            meta["after"] = f"01IIO{page[-1].number:05d}"
        return 200, {"incidents": [_iio_incident(i) for i in page], "pagination_meta": meta}, {}


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


PRIORITY = {1: "P1", 2: "P2", 3: "P3", 4: "P4"}
JIRA_PRIORITY = {1: "Highest", 2: "High", 3: "Medium", 4: "Low"}
IIO_SEVERITY = {1: "Critical", 2: "Major", 3: "Minor", 4: "Minor"}


def _pd_incident(i: Incident) -> dict[str, Any]:
    return {
        "id": f"P{i.number}", "type": "incident", "incident_number": i.number,
        "title": i.title, "summary": f"[#{i.number}] {i.title}",
        "created_at": iso(i.detected), "updated_at": iso(i.updated),
        "status": "resolved" if i.resolved else "acknowledged",
        "resolved_at": iso(i.resolved),
        "service": {"id": f"S{i.team}", "type": "service_reference", "summary": i.service},
        "teams": [{"id": f"T{i.team}", "type": "team_reference", "summary": i.team_name}],
        "escalation_policy": {"id": "E1", "type": "escalation_policy_reference",
                              "summary": f"{i.team_name} policy"},
        "priority": {"id": f"PR{i.severity}", "type": "priority", "summary": PRIORITY[i.severity]},
        "urgency": "high",
        "resolve_reason": {"type": "merge_resolve_reason"} if i.cancelled else None,
    }  # fmt: skip


def _pd_log(i: Incident) -> list[dict[str, Any]]:
    entries = [{"id": f"LT{i.number}", "type": "trigger_log_entry", "created_at": iso(i.detected),
                "incident": {"id": f"P{i.number}"}, "agent": {"type": "service_reference"},
                "channel": {"type": "api"}}]  # fmt: skip
    if i.acknowledged:
        entries.append({"id": f"LA{i.number}", "type": "acknowledge_log_entry",
                        "created_at": iso(i.acknowledged), "incident": {"id": f"P{i.number}"},
                        "agent": {"type": "user_reference"},
                        "channel": {"type": "web_ui"}})  # fmt: skip
    if i.resolved:
        agent, channel = ("service_reference", "auto") if i.auto else ("user_reference", "web_ui")
        entries.append({"id": f"LR{i.number}", "type": "resolve_log_entry",
                        "created_at": iso(i.resolved), "incident": {"id": f"P{i.number}"},
                        "agent": {"type": agent}, "channel": {"type": channel}})  # fmt: skip
    return entries


def _og_incident(i: Incident) -> dict[str, Any]:
    return {
        "id": f"og-{i.number:04d}", "tinyId": str(i.number), "message": i.title,
        "status": "resolved" if i.resolved else "open", "tags": ["test"] if i.test else ["prod"],
        "createdAt": iso(i.detected, millis=True), "updatedAt": iso(i.updated, millis=True),
        "priority": PRIORITY[i.severity], "ownerTeam": f"og-team-{i.team}",
        "responders": [{"type": "team", "id": f"og-team-{i.team}"}],
        "impactedServices": [i.service],
        "impactStartDate": iso(i.detected, millis=True),
        "impactEndDate": iso(i.resolved, millis=True),
    }  # fmt: skip


def _jira_histories(i: Incident) -> list[dict[str, Any]]:
    moves = [("Open", "In Progress", i.acknowledged), ("In Progress", "Mitigated", i.mitigated),
             ("Mitigated", "Done", i.resolved)]  # fmt: skip
    return [
        {"id": f"{i.number}{n}", "created": iso(when).replace("Z", ".000+0000"),
         "items": [{"field": "status", "fromString": a, "toString": b}]}
        for n, (a, b, when) in enumerate(moves) if when is not None
    ]  # fmt: skip


def _jira_issue(i: Incident) -> dict[str, Any]:
    histories = _jira_histories(i)
    done = i.resolved is not None
    return {
        "id": str(i.number), "key": f"OPS-{i.number}",
        "fields": {
            "summary": i.title, "created": iso(i.detected).replace("Z", ".000+0000"),
            "updated": iso(i.updated).replace("Z", ".000+0000"),
            "resolutiondate": iso(i.resolved).replace("Z", ".000+0000") if done else None,
            "priority": {"name": JIRA_PRIORITY[i.severity]},
            "status": {"name": "Done" if done else "In Progress",
                       "statusCategory": {"key": "done" if done else "indeterminate"}},
            "components": [{"name": i.service}], "labels": ["test"] if i.test else [],
            "project": {"key": i.team.upper(), "name": i.team_name},
        },
        # Only the first move inline: the rest must come from the changelog endpoint.
        "changelog": {"startAt": 0, "maxResults": 1, "total": len(histories),
                      "histories": histories[:1]},
    }  # fmt: skip


def _sn_time(stamp: datetime | None) -> dict[str, str]:
    value = stamp.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if stamp else ""
    return {"value": value, "display_value": value}


def _sn_incident(i: Incident) -> dict[str, Any]:
    state = "8" if i.cancelled else ("6" if i.resolved else "2")
    return {
        "sys_id": {"value": f"sys{i.number:04d}", "display_value": f"sys{i.number:04d}"},
        "number": {"value": f"INC{i.number:07d}", "display_value": f"INC{i.number:07d}"},
        "short_description": {"value": i.title, "display_value": i.title},
        "opened_at": _sn_time(i.detected), "resolved_at": _sn_time(i.resolved),
        "closed_at": _sn_time(None),
        "state": {"value": state, "display_value": "Resolved" if i.resolved else "In Progress"},
        "priority": {"value": str(i.severity), "display_value": f"{i.severity} - x"},
        "assignment_group": {"value": f"grp-{i.team}", "display_value": i.team_name},
        "business_service": {"value": f"svc-{i.team}", "display_value": i.service},
        "cmdb_ci": {"value": "", "display_value": ""},
        "sys_created_on": _sn_time(i.detected), "sys_updated_on": _sn_time(i.updated),
    }  # fmt: skip


def _sn_audit(i: Incident) -> list[dict[str, Any]]:
    if i.acknowledged is None:
        return []
    return [{"sys_id": f"aud{i.number:04d}", "documentkey": f"sys{i.number:04d}",
             "fieldname": "state", "oldvalue": "1", "newvalue": "2",
             "sys_created_on": i.acknowledged.strftime("%Y-%m-%d %H:%M:%S")}]  # fmt: skip


def _iio_incident(i: Incident) -> dict[str, Any]:
    stamps = [("Impact started", i.detected), ("Reported", i.detected),
              ("Accepted", i.acknowledged), ("Fixed", i.mitigated),
              ("Resolved", i.resolved)]  # fmt: skip
    return {
        "id": f"01IIO{i.number:05d}", "reference": f"INC-{i.number}", "name": i.title,
        "created_at": iso(i.detected), "updated_at": iso(i.updated),
        "mode": "test" if i.test else "standard",
        "severity": {"name": IIO_SEVERITY[i.severity], "rank": 5 - i.severity},
        "incident_status": {"category": "canceled" if i.cancelled else
                            ("closed" if i.resolved else "live"), "name": "x"},
        "incident_timestamp_values": [
            {"incident_timestamp": {"id": name, "name": name, "rank": n},
             "value": {"value": iso(when)} if when else None}
            for n, (name, when) in enumerate(stamps)
        ],
        "custom_field_entries": [
            {"custom_field": {"name": "Affected Team"},
             "values": [{"value_option": {"value": i.team_name}}]},
            {"custom_field": {"name": "Affected service"},
             "values": [{"value_catalog_entry": {"name": i.service}}]},
        ],
        "postmortem_document_url": "https://docs/pm" if i.resolved and i.number % 2 else None,
    }  # fmt: skip
