"""What every source of ``maturity fetch`` shares: the run's session (client, archive,
progress), the window it asks for, its settings, and how archived items become rows.

A source module (``pagerduty``, ``opsgenie``, ``jira``, ``servicenow``, ``incidentio``) has:

``NAME``, ``TITLE``
    its name on the command line, and as people write it;
``VARIABLES``
    role -> the environment variable holding it by default (``{"token": "PAGERDUTY_TOKEN"}``);
    ``fetch: <source>: <role>_env:`` in assessment.yaml names another;
``TIMESTAMPS``
    the canonical timestamps its archive fills (the README's table says from where);
``FILTERS``
    the settings it accepts under ``fetch: <source>:`` (services, teams, projects, queries);
``connect(settings, environment, base_url)``
    the client's base URL, headers, auth, and the secrets to redact;
``collect(session, window, changed_since, settings)``
    the requests of one run: every page archived through ``session.page``;
``table(pages)``
    the archived pages as rows of canonical columns (``ROW_COLUMNS``), one per incident
    copy, with where each came from (``_file``, ``_item``) and why a copy is not used.

Nothing here touches the network; ``client`` does, and is imported only by a fetch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import pandas as pd

from maturity.errors import ConfigError
from maturity.ingest.record import CANONICAL_COLUMNS

if TYPE_CHECKING:
    from maturity.fetch.archive import Page, Writer
    from maturity.fetch.client import Client

#: The columns ``table`` gives: the canonical record, ``kind`` (test, drill...),
#: ``status`` (resolved words), and where each row came from and what became of it.
ROW_COLUMNS = (*CANONICAL_COLUMNS, "kind", "status", "_file", "_item", "_exclude", "_altered")
#: A fetch asks again for a little before the last one's high-water mark: a change made
#: while the last run was under way is not missed (copies are deduplicated by id anyway).
OVERLAP = timedelta(minutes=10)


@dataclass(frozen=True)
class Window:
    """The span of time a run asks about, in UTC."""

    since: datetime
    until: datetime


@dataclass(frozen=True)
class FetchSettings:
    """A source's settings from ``fetch:`` in assessment.yaml: which environment variables
    hold its credentials, its base URL, and its filters. Never a secret."""

    variables: Mapping[str, str] = field(default_factory=dict)  # role -> variable name
    base_url: str | None = None
    filters: Mapping[str, Any] = field(default_factory=dict)

    def variable(self, role: str, default: str) -> str:
        return str(self.variables.get(role) or default)

    def names(self, key: str) -> list[str]:
        value = self.filters.get(key)
        if value is None:
            return []
        return [str(v) for v in (value if isinstance(value, list) else [value])]

    def text(self, key: str, default: str = "") -> str:
        value = self.filters.get(key)
        return default if value is None else str(value)


def credentials(
    source: str, variables: Mapping[str, str], environment: Mapping[str, str]
) -> dict[str, str]:
    """Each role's secret from the environment; a one-line error naming every variable that
    is not set."""
    missing = [name for name in variables.values() if not environment.get(name)]
    if missing:
        raise ConfigError(
            f"{source}: set {' and '.join(missing)} in the environment (credentials are read "
            "from environment variables only; 'fetch:' in assessment.yaml may name others)"
        )
    return {role: str(environment[name]) for role, name in variables.items()}


@dataclass
class Session:
    """One fetch run: every GET goes through ``page``, which archives the body exactly as
    received and counts items for the progress line."""

    client: Client
    writer: Writer
    progress: Callable[[int, int], None] = lambda pages, items: None
    pages: int = 0
    items: int = 0
    seen: dict[str, int] = field(default_factory=dict)

    def page(
        self,
        kind: str,
        path: str,
        params: Mapping[str, Any] | None,
        count: Callable[[Any], int],
    ) -> Any:
        """``GET path``, archived as a page of ``kind``; its parsed JSON."""
        response = self.client.get(path, params)
        try:
            body = response.json()
        except ValueError:
            from maturity.fetch.client import FetchError

            raise FetchError(
                f"{self.client.source}: {path} did not answer JSON; is the base URL right?"
            ) from None
        items = count(body)
        self.writer.add(kind, describe(path, params), response.content, items)
        self.pages += 1
        self.items += items
        self.seen[kind] = self.seen.get(kind, 0) + items
        self.progress(self.pages, self.items)
        return body


def describe(path: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """A request as the manifest records it: method, path and parameters (those of a full
    next-page URL included). Credentials never travel in either."""
    parts = urlsplit(path)
    query: dict[str, Any] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        query.setdefault(key, value)
    for key, value in (params or {}).items():
        query[key] = [str(v) for v in value] if isinstance(value, list | tuple) else str(value)
    return {"method": "GET", "path": parts.path or path, "params": dict(sorted(query.items()))}


def iso_z(stamp: datetime) -> str:
    """``2026-07-01T10:00:00Z``."""
    return pd.Timestamp(stamp).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def chunks(window: Window, days: float) -> list[Window]:
    """The window cut into spans of at most ``days`` (an API's longest range, or what keeps
    a span's results under an offset cap)."""
    spans, start = [], window.since
    step = timedelta(days=days)
    while start < window.until:
        end = min(start + step, window.until)
        spans.append(Window(start, end))
        start = end
    return spans


@dataclass
class Rows:
    """Rows of ``table``, one per archived incident copy, kept in archive order; the last
    copy of an incident (the latest fetched) is the one used, earlier copies are excluded
    naming it."""

    records: list[dict[str, Any]] = field(default_factory=list)

    def add(self, page: Page, item: int, values: Mapping[str, Any]) -> None:
        record = {name: values.get(name) for name in ROW_COLUMNS if not name.startswith("_")}
        record.update(_file=page.file, _item=item, _exclude=values.get("_exclude"),
                      _altered=page.altered)  # fmt: skip
        self.records.append(record)

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.records, columns=list(ROW_COLUMNS))
        if frame.empty:
            return frame
        ids = frame["incident_id"].astype("string")
        last = ~ids.duplicated(keep="last") | ids.isna()
        where = frame["_file"] + " item " + frame["_item"].astype(str)
        latest = pd.Series(where[last].to_numpy(), index=ids[last]).to_dict()
        earlier = ~last
        frame.loc[earlier, "_exclude"] = (
            "an earlier copy: fetched again later (" + ids[earlier].map(latest) + ")"
        )
        return frame.reset_index(drop=True)


def by_id(pages: Iterable[Page], kind: str, items: Callable[[Any], list[Any]],
          key: Callable[[Any], str | None]) -> dict[str, list[Any]]:  # fmt: skip
    """Every item of the pages of ``kind``, grouped by ``key`` (an incident's id), each
    item once (the same log entry fetched twice is one entry)."""
    grouped: dict[str, list[Any]] = {}
    seen: set[str] = set()
    for page in pages:
        if page.kind != kind or page.altered:
            continue
        for item in items(page.body):
            identity = str(item.get("id") or item.get("sys_id") or id(item))
            if identity in seen:
                continue
            seen.add(identity)
            owner = key(item)
            if owner:
                grouped.setdefault(owner, []).append(item)
    return grouped


def dig(value: Any, *path: str | int) -> Any:
    """``value[path[0]][path[1]]...``, or None where any step is missing."""
    for step in path:
        if isinstance(value, Mapping):
            value = value.get(step)
        elif isinstance(value, list) and isinstance(step, int) and -len(value) <= step < len(value):
            value = value[step]
        else:
            return None
    return value


def first_time(entries: Iterable[Any], time_key: str, keep: Callable[[Any], bool]) -> str | None:
    """The earliest ``time_key`` among the entries ``keep`` accepts (ISO text sorts by
    time once normalised by pandas), or None."""
    times = [pd.Timestamp(e[time_key]) for e in entries if keep(e) and e.get(time_key)]
    if not times:
        return None
    earliest = min(t if t.tzinfo else t.tz_localize("UTC") for t in times)
    return earliest.isoformat()
