"""``maturity fetch``: incidents straight from the tools' APIs into archives a reviewer can
audit (``incidents/fetched/<source>/``, see ``archive``), which the ingest reads as one
more export format (``maturity.ingest.fetched``): through the same ledger and team
attribution as a CSV file.

A first fetch asks for the window (``--since`` / ``--until``; by default the two years up to
now, the review's eight quarters); every later one asks only for what changed since the
last run's high-water mark (the time it started, less ``base.OVERLAP``) and the archive
keeps every page, the newest copy of an incident replacing older ones by id.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from maturity.errors import ConfigError
from maturity.fetch import archive, incidentio, jira, opsgenie, pagerduty, servicenow
from maturity.fetch.base import OVERLAP, FetchSettings, Session, Window, iso_z

SOURCES: dict[str, ModuleType] = {
    module.NAME: module for module in (pagerduty, opsgenie, jira, servicenow, incidentio)
}
#: The first fetch's window, by default: the review's eight quarters.
DEFAULT_HISTORY = timedelta(days=2 * 366)


def source_module(name: str) -> ModuleType:
    try:
        return SOURCES[name.lower()]
    except KeyError:
        raise ConfigError(
            f"unknown source {name!r}; maturity fetch reads {', '.join(SOURCES)}"
        ) from None


def settings_for(fetch: Mapping[str, Mapping[str, Any]], name: str) -> FetchSettings:
    """A source's ``fetch:`` settings (``Organisation.fetch``), or the defaults."""
    given = fetch.get(name) or {}
    return FetchSettings(
        variables=dict(given.get("variables") or {}),
        base_url=given.get("base_url"),
        filters=dict(given.get("filters") or {}),
    )


@dataclass(frozen=True)
class FetchResult:
    source: str
    folder: Path
    mode: str  # "full" or "incremental"
    window: Window
    pages: int
    items: int
    by_kind: dict[str, int]
    waits: int
    waited: float
    seconds: float
    manifest: dict[str, Any]


def _moment(value: str | datetime | None, what: str) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise ConfigError(
            f"--{what}: not a date or time ({value!r}); use e.g. 2026-01-01"
        ) from None
    if pd.isna(stamp):
        raise ConfigError(f"--{what}: not a date or time ({value!r})")
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.to_pydatetime()


def run_fetch(
    source: str,
    organisation: Any,
    *,
    since: str | datetime | None = None,
    until: str | datetime | None = None,
    base_url: str | None = None,
    environment: Mapping[str, str] | None = None,
    progress: bool = True,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchResult:
    """Fetch ``source``'s incidents for ``organisation`` (an ``Organisation``) into its
    archive. ``since``/``until``: the window (a later run without ``since`` is
    incremental); ``environment``: where credentials are read (default ``os.environ``)."""
    from maturity.fetch.client import Client

    module = source_module(source)
    settings = settings_for(organisation.fetch, module.NAME)
    environment = os.environ if environment is None else environment
    parts = module.connect(settings, environment, base_url)
    folder = organisation.fetched_dir / module.NAME
    started = archive.now_utc()
    end = _moment(until, "until") or started
    begin = _moment(since, "since")
    if begin is not None and begin >= end:
        raise ConfigError(f"--since {iso_z(begin)} is not before --until {iso_z(end)}")
    previous = archive.read_manifest(folder) or {}
    high_water = previous.get("high_water_mark")
    changed_since = None
    if begin is None and high_water:
        changed_since = pd.Timestamp(high_water).to_pydatetime() - OVERLAP
    window = Window(begin or changed_since or end - DEFAULT_HISTORY, end)
    bar = _progress(module.TITLE, enabled=progress)
    writer = archive.Writer(folder, module.NAME)
    clock = time.perf_counter()
    try:
        with Client(
            source=module.TITLE, base_url=parts["base_url"], credentials=parts["credentials"],
            secrets=parts["secrets"], headers=parts["headers"], auth=parts["auth"],
            sleep=sleep, on_wait=bar.waiting,
        ) as client:  # fmt: skip
            session = Session(client, writer, bar.update)
            module.collect(session, window, changed_since, settings)
            finished = archive.now_utc()
            run_entry = {
                "run": writer.run,
                "mode": "incremental" if changed_since else "full",
                "started_at": archive.iso(started),
                "finished_at": archive.iso(finished),
                "window": {"since": iso_z(window.since), "until": iso_z(window.until)},
                "changed_since": iso_z(changed_since) if changed_since else None,
                "pages": session.pages,
                "items": session.items,
                "items_by_kind": dict(sorted(session.seen.items())),
                "requests": client.stats.requests,
                "retries": client.stats.retries,
                "rate_limit_waits": client.stats.rate_limit_waits,
                "waited_seconds": round(client.stats.waited_seconds, 1),
            }
            covered = previous.get("window") or {}
            manifest = {
                **previous,
                "source": module.NAME,
                "base_url": parts["base_url"],
                "query": {
                    "filters": dict(settings.filters),
                    "variables": list(parts["credentials"]),
                },
                "window": {
                    "since": min(filter(None, [covered.get("since"), iso_z(window.since)])),
                    "until": max(filter(None, [covered.get("until"), iso_z(window.until)])),
                },
                # The next run asks for what changed since this one began.
                "high_water_mark": archive.iso(started),
            }
            manifest = writer.publish(manifest, run_entry)
            stats = client.stats
    finally:
        writer.close()
        bar.close()
    return FetchResult(
        source=module.NAME, folder=folder, mode=str(run_entry["mode"]), window=window,
        pages=session.pages, items=session.items, by_kind=dict(session.seen),
        waits=stats.rate_limit_waits, waited=stats.waited_seconds,
        seconds=time.perf_counter() - clock, manifest=manifest,
    )  # fmt: skip


class _progress:
    """A progress line on stderr (tqdm): pages, items, rate-limit waits."""

    def __init__(self, title: str, *, enabled: bool) -> None:
        self.waits = 0
        self.bar = None
        if enabled:
            from tqdm import tqdm  # type: ignore[import-untyped]

            self.bar = tqdm(desc=f"{title}: pages", unit=" pages", file=sys.stderr,
                            dynamic_ncols=True, leave=False)  # fmt: skip

    def update(self, pages: int, items: int) -> None:
        if self.bar is not None:
            self.bar.update(pages - self.bar.n)
            self.bar.set_postfix_str(f"{items} items, {self.waits} waits", refresh=False)

    def waiting(self, seconds: float, why: str) -> None:
        self.waits += 1
        if self.bar is not None:
            self.bar.set_postfix_str(f"waiting {seconds:.0f} s: {why}", refresh=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
