"""The archive ``maturity fetch`` keeps: ``incidents/fetched/<source>/``.

::

    manifest.json             what was fetched, when, with which query; every page listed
    pages/<run>-<kind>-<n>.json.gz   each API response body exactly as received, gzipped

The manifest (``MANIFEST``) holds the source, the client's version, the query (filters, never
a secret), the window covered, the high-water mark the next run starts from, one entry per
run, and one entry per page: its file, kind (``incidents``, ``log_entries``...), request
(method, path, parameters), when it was fetched, its item count, size and SHA-256. A
reviewer can check every page against it (``verify``), and the ingest does: a page that
changed since it was fetched is read, but its items are rejected with that reason.

A run writes its pages into a hidden ``.partial-<run>/`` folder and only at the end moves
them into ``pages/`` and replaces the manifest (write, flush, ``os.replace``): a fetch
stopped midway leaves the previous archive exactly as it was, and the next run sweeps the
partial folder away. One fetch at a time per archive (a lock file).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

import maturity
from maturity.errors import InputFileError

MANIFEST = "manifest.json"
PAGES = "pages"
FORMAT = 1


def now_utc() -> datetime:
    return datetime.now(UTC)


def iso(stamp: datetime) -> str:
    return stamp.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Page:
    """One archived response: where it is, what it answered, and its body parsed."""

    file: str  # relative to the archive folder: pages/...
    kind: str
    request: dict[str, Any]
    items: int
    sha256: str
    fetched_at: str
    run: str
    body: Any = None  # the parsed JSON, when read back
    altered: bool = False  # its bytes no longer match the manifest's SHA-256


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The archive's manifest, or None when there is none yet; a one-line error when it
    cannot be read."""
    path = folder / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputFileError(f"{path}: not a readable manifest ({exc})") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("pages"), list):
        raise InputFileError(f"{path}: not a maturity fetch manifest (no list of pages)")
    return manifest


@dataclass
class Writer:
    """Collects one run's pages and publishes them with the new manifest at the end."""

    folder: Path
    source: str
    run: str = field(default_factory=lambda: now_utc().strftime("%Y%m%dT%H%M%S%fZ"))
    pages: list[Page] = field(default_factory=list)
    items: int = 0

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(self.folder / ".lock"))
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise InputFileError(
                f"{self.folder}: another fetch is writing this archive; wait for it to finish"
            ) from None
        for stale in self.folder.glob(".partial-*"):
            shutil.rmtree(stale, ignore_errors=True)  # a run that was stopped midway
        self.partial = self.folder / f".partial-{self.run}"
        self.partial.mkdir()
        self._counts: dict[str, int] = {}

    def add(self, kind: str, request: Mapping[str, Any], body: bytes, items: int) -> Page:
        """Archive one response body exactly as received."""
        number = self._counts.get(kind, 0) + 1
        self._counts[kind] = number
        name = f"{self.run}-{kind}-{number:05d}.json.gz"
        # mtime=0: the same body gives the same bytes, so the SHA-256 is of the content.
        with gzip.GzipFile(self.partial / name, "wb", mtime=0) as handle:
            handle.write(body)
        page = Page(
            file=f"{PAGES}/{name}",
            kind=kind,
            request=dict(request),
            items=items,
            sha256=hashlib.sha256(body).hexdigest(),
            fetched_at=iso(now_utc()),
            run=self.run,
        )
        self.pages.append(page)
        self.items += items
        return page

    def publish(self, manifest: dict[str, Any], run_entry: dict[str, Any]) -> dict[str, Any]:
        """Move the run's pages into ``pages/`` and replace the manifest, which lists them
        after every earlier page: the archive's new state, atomically."""
        pages_dir = self.folder / PAGES
        pages_dir.mkdir(exist_ok=True)
        for page in self.pages:
            os.replace(self.partial / Path(page.file).name, self.folder / page.file)
        manifest = dict(manifest)
        manifest["pages"] = [*manifest.get("pages", []), *(_page_entry(p) for p in self.pages)]
        manifest["runs"] = [*manifest.get("runs", []), run_entry]
        manifest["page_count"] = len(manifest["pages"])
        manifest["item_count"] = sum(int(p.get("items", 0)) for p in manifest["pages"])
        manifest["fetched_at"] = run_entry["finished_at"]
        manifest["client"] = f"maturity {maturity.__version__}"
        manifest["format"] = FORMAT
        text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        temporary = self.folder / f".{MANIFEST}.{self.run}.tmp"
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.folder / MANIFEST)
        self._sweep(manifest)
        return manifest

    def close(self) -> None:
        """Drop what a run did not publish and let the next fetch in."""
        shutil.rmtree(self.partial, ignore_errors=True)
        self._lock.release()

    def _sweep(self, manifest: dict[str, Any]) -> None:
        """Page files the manifest does not list (left by a run stopped between moving its
        pages and writing the manifest) are removed: the manifest is the archive."""
        listed = {p["file"] for p in manifest["pages"]}
        for path in (self.folder / PAGES).glob("*.json.gz"):
            if f"{PAGES}/{path.name}" not in listed:
                path.unlink(missing_ok=True)


def _page_entry(page: Page) -> dict[str, Any]:
    return {
        "file": page.file,
        "kind": page.kind,
        "request": page.request,
        "items": page.items,
        "sha256": page.sha256,
        "fetched_at": page.fetched_at,
        "run": page.run,
    }


def read_pages(folder: Path, manifest: Mapping[str, Any]) -> tuple[list[Page], list[str]]:
    """Every page the manifest lists, in order, its body parsed; and notes for pages that
    are missing or unreadable. A page whose bytes changed since it was fetched is still
    read, marked ``altered``."""
    pages, notes = [], []
    for entry in manifest.get("pages", []):
        name = str(entry.get("file", ""))
        path = folder / name
        if not name.startswith(f"{PAGES}/") or ".." in Path(name).parts:
            notes.append(f"{name}: not a page of this archive; not read")
            continue
        try:
            body = gzip.decompress(path.read_bytes())
        except FileNotFoundError:
            notes.append(f"{name}: listed in the manifest but missing; its items are not read")
            continue
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            notes.append(f"{name}: cannot be read ({exc}); its items are not read")
            continue
        altered = hashlib.sha256(body).hexdigest() != entry.get("sha256")
        try:
            parsed = json.loads(body)
        except ValueError:
            notes.append(f"{name}: not JSON; its items are not read")
            continue
        pages.append(
            Page(
                file=name,
                kind=str(entry.get("kind", "")),
                request=dict(entry.get("request") or {}),
                items=int(entry.get("items", 0)),
                sha256=str(entry.get("sha256", "")),
                fetched_at=str(entry.get("fetched_at", "")),
                run=str(entry.get("run", "")),
                body=parsed,
                altered=altered,
            )
        )
    return pages, notes


def verify(folder: Path) -> Iterator[tuple[str, bool]]:
    """Each page of the archive with whether its bytes still match the manifest."""
    manifest = read_manifest(folder) or {"pages": []}
    for entry in manifest["pages"]:
        path = folder / entry["file"]
        try:
            body = gzip.decompress(path.read_bytes())
        except (OSError, EOFError):
            yield entry["file"], False
            continue
        yield entry["file"], hashlib.sha256(body).hexdigest() == entry["sha256"]
