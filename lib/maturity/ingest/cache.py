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
    context = json.dumps(
        {"settings": settings, "code": code_fingerprint(), "libraries": _library_versions()},
        sort_keys=True,
    )
    digest.update(context.encode())
    return digest.hexdigest()


@functools.cache
def _library_versions() -> dict[str, str]:
    # A new pandas or pyarrow may read or write Parquet differently: such entries are stale.
    import pyarrow

    return {"pandas": pd.__version__, "pyarrow": pyarrow.__version__}


def load(key: str) -> tuple[pd.DataFrame, list[dict[str, str]]] | None:
    """The cached rows and notes for ``key``, or None (missing, disabled, unreadable, or not
    what was stored under this key: such an entry is read afresh and replaced).

    The notes file records the key, the row count and the columns of its rows file, so an
    entry swapped, truncated or rewritten by hand is never served.
    """
    folder = cache_dir()
    if folder is None:
        return None
    rows_file, notes_file = folder / f"{key}.parquet", folder / f"{key}.json"
    if not (rows_file.exists() and notes_file.exists()):
        return None
    try:
        entry = json.loads(notes_file.read_text())
        if not _valid_entry(entry, key):
            return None
        rows = pd.read_parquet(rows_file)
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if len(rows) != entry["rows"] or list(rows.columns) != entry["columns"]:
        return None
    return rows, entry["notes"]


def _valid_entry(entry: Any, key: str) -> bool:
    if not isinstance(entry, dict) or entry.get("key") != key:
        return False
    notes, columns = entry.get("notes"), entry.get("columns")
    return (
        isinstance(entry.get("rows"), int)
        and isinstance(columns, list)
        and all(isinstance(c, str) for c in columns)
        and isinstance(notes, list)
        and all(
            isinstance(n, dict) and all(isinstance(v, str) for v in [*n, *n.values()])
            for n in notes
        )
    )


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
        entry = {"key": key, "rows": len(rows), "columns": [str(c) for c in rows.columns],
                 "notes": notes}  # fmt: skip
        partial.write_text(json.dumps(entry))
        partial.replace(folder / f"{key}.json")
        rows.to_parquet(partial, index=False)
        partial.replace(folder / f"{key}.parquet")
    except OSError:
        return
