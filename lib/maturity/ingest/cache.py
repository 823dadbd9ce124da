"""A cache of normalised exports, so a second run skips parsing.

Each export's normalised rows are stored as Parquet under a key made of the file's
content hash, everything that changes how it is read (its ``sources:`` settings, the
organisation's time zone) and a fingerprint of this package's code. Change any of them
and the file is read afresh; the input files themselves are never written to.

Location: ``MATURITY_CACHE_DIR``, else ``$XDG_CACHE_HOME/maturity``, else
``~/.cache/maturity``. Set ``MATURITY_CACHE_DIR=off`` to disable it. The cache is safe to
delete at any time.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

import maturity

_CHUNK = 1 << 20


def cache_dir() -> Path | None:
    """Where cached exports live, or None when caching is off."""
    configured = os.environ.get("MATURITY_CACHE_DIR")
    if configured and configured.lower() in ("off", "0", "none", "false"):
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "maturity"


@functools.cache
def code_fingerprint() -> str:
    """A hash of this package's own source: new parsing code never reads an old entry."""
    digest = hashlib.sha256(maturity.__version__.encode())
    package = Path(maturity.__file__).parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def file_key(path: Path, settings: dict[str, Any]) -> str:
    """The cache key of ``path`` read with ``settings``: content hash + settings + code."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    context = json.dumps({"settings": settings, "code": code_fingerprint()}, sort_keys=True)
    digest.update(context.encode())
    return digest.hexdigest()


def load(key: str) -> tuple[pd.DataFrame, list[dict[str, str]]] | None:
    """The cached rows and notes for ``key``, or None (missing, disabled or unreadable)."""
    folder = cache_dir()
    if folder is None:
        return None
    rows, notes = folder / f"{key}.parquet", folder / f"{key}.json"
    if not (rows.exists() and notes.exists()):
        return None
    try:
        return pd.read_parquet(rows), json.loads(notes.read_text())
    except (OSError, ValueError):  # a damaged entry is read afresh and replaced
        return None


def store(key: str, rows: pd.DataFrame, notes: list[dict[str, str]]) -> None:
    """Save rows and notes under ``key``; a cache that cannot be written is skipped."""
    folder = cache_dir()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Notes first, rows last, each renamed into place whole: a parallel run that sees
        # the rows file sees a complete entry.
        partial = folder / f"{key}.{os.getpid()}.tmp"
        partial.write_text(json.dumps(notes))
        partial.replace(folder / f"{key}.json")
        rows.to_parquet(partial, index=False)
        partial.replace(folder / f"{key}.parquet")
    except OSError:
        return
