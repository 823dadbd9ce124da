"""Writing output files whole or not at all, and only where they belong.

Every report, index and summary is written to a temporary file beside its destination and
renamed into place (a rename within one folder is atomic on POSIX and Windows): a full disk,
a killed process or a failed render leaves the previous file intact, never a truncated one.
``inside`` refuses any output path that would land outside the output folder.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from maturity.errors import MaturityError


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _umask()


class OutputError(MaturityError):
    """An output path that is not allowed, or an output folder that cannot be written."""


def inside(root: Path, path: Path) -> Path:
    """``path``, after checking it lies within ``root`` (both resolved); OutputError if not."""
    resolved, base = path.resolve(), root.resolve()
    if not resolved.is_relative_to(base):
        raise OutputError(f"{path}: outside the output folder {root}; refusing to write there")
    return path


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path to write ``path``'s new content to; renamed over ``path`` when the
    block succeeds, deleted when it fails (the old file stays as it was)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # The suffix stays last (".team.x1y2.partial.ipynb"): tools check it.
    handle, name = tempfile.mkstemp(
        prefix=f".{path.stem}.", suffix=f".partial{path.suffix}", dir=path.parent
    )
    os.close(handle)
    partial = Path(name)
    partial.chmod(0o666 & ~_UMASK)  # as an ordinary new file would be, not mkstemp's 0600
    try:
        yield partial
        os.replace(partial, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


def write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` whole, or leave ``path`` as it was."""
    with replacing(path) as partial:
        partial.write_text(text, encoding="utf-8")


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole, or leave ``path`` as it was."""
    with replacing(path) as partial:
        partial.write_bytes(data)
