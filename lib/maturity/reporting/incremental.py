"""Incremental reviews: a re-run rebuilds only the team reports whose inputs changed.

A team report is a function of what it is made from: its data (the team's slice of the
``ReviewQuarter``: its incidents and ledger rows, its and the organisation's measures, its
assessment, its answers' problems, the organisation's settings), its job (the notebook's
text, parameters, title, footer, PDF or not) and the code that renders it (this library's
files and version, and the versions of the packages that draw and print). ``report_digests``
gives a SHA-256 over all of it, computed from the values themselves (``pandas`` row hashes,
exact ``repr`` of the assessment), not from the pickled bundle, whose bytes differ from one
process to another for the same data.

The review keeps, in ``<quarter folder>/.review-state.json``, each written report's digest,
the SHA-256, size and modification time of each file it wrote, its headline and, for the
deck, its trend picture (in ``.review-cache/``). A re-run keeps a report when its digest is
unchanged and its files are still as written (same size and time, or same SHA-256);
anything else (new inputs, a new library version or notebook, a file edited or deleted, a
report that failed last time) rebuilds it. The portfolio, index, board pack, deck and
summary always rebuild: they read every team. ``--force`` rebuilds all.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import maturity
from maturity import files
from maturity.measures.definitions import ALL_TEAMS

if TYPE_CHECKING:
    from maturity.reporting.quarter import ReviewQuarter
    from maturity.reporting.worker import ReportJob

STATE_FILE = ".review-state.json"
#: The deck's pictures of the reports, kept for re-runs that do not rebuild them.
PICTURES = ".review-cache"
STATE_FORMAT = 2

#: Packages whose versions change what a report looks like: a new one rebuilds every report.
RENDERING_PACKAGES = (
    "altair", "vl-convert-python", "vega-datasets", "nbconvert", "nbformat", "papermill",
    "ipykernel", "jinja2", "markupsafe", "weasyprint", "pydyf", "pypdf", "pandas", "numpy",
    "scipy", "pyarrow",
)  # fmt: skip


@functools.cache
def library_fingerprint(root: Path | None = None) -> str:
    """SHA-256 over this library's files (code, templates, rubric, styles: every file of the
    package but compiled bytecode), its version, Python's and the rendering packages'
    versions. ``root``: another copy of the package (for tests)."""
    package = root or Path(maturity.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    digest.update(f"maturity {maturity.__version__}; python {sys.version}".encode())
    for name in RENDERING_PACKAGES:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{name} {version}\0".encode())
    return digest.hexdigest()


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row of its values (pandas' fixed-key hash: the same in every
    process), index ignored."""
    if not len(frame) or not len(frame.columns):
        return np.zeros(len(frame), dtype=np.uint64)
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _schema(frame: pd.DataFrame) -> bytes:
    return repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode()


NONE = np.array([], dtype=np.int64)


def report_digests(data: ReviewQuarter, jobs: Iterable[ReportJob]) -> dict[str, str]:
    """The digest of each team job's report (see the module docstring), by team key.

    A team's report is made from its slice of ``data`` (``ReviewQuarter.team_slicer``): its
    incident and ledger rows, the ledger rows no team took, its and the organisation's
    measure rows, its assessment and its answers' problems, and what every slice shares
    (the organisation, the quarter, the time zone, the export notes). Every row of the three
    tables is hashed once, and each team's digest reads its rows' hashes: digests for 300
    teams cost little more than for one.
    """
    incidents, ledger, measures = data.incidents.incidents, data.incidents.ledger, data.measures
    hashes = {"incidents": _row_hashes(incidents), "ledger": _row_hashes(ledger),
              "measures": _row_hashes(measures)}  # fmt: skip
    positions = {
        "incidents": incidents.groupby("team", sort=False, observed=True).indices,
        "ledger": ledger.groupby("team", sort=False, observed=True).indices,
        "measures": measures.groupby("team", sort=False, observed=True).indices,
    }
    shared = hashlib.sha256()
    shared.update(library_fingerprint().encode())
    shared.update(repr(data.organisation).encode())
    shared.update(repr((data.quarter, data.incidents.timezone, data.incidents.notes,
                        data.recovery_unit, data.first_quarter,
                        data.data_from, data.running_note)).encode())  # fmt: skip
    for frame in (incidents, ledger, measures):
        shared.update(_schema(frame))
    shared.update(hashes["ledger"][ledger["team"].isna().to_numpy()].tobytes())
    shared.update(hashes["measures"][positions["measures"].get(ALL_TEAMS, NONE)].tobytes())
    digests = {}
    for job in jobs:
        digest = shared.copy()
        digest.update(repr((job.key, job.name, job.parameters, job.stem, job.title,
                            job.footer, job.pdf, job.picture)).encode())  # fmt: skip
        digest.update(hashlib.sha256(job.notebook.encode()).digest())
        for table in ("incidents", "ledger", "measures"):
            rows = positions[table].get(job.key, NONE)
            digest.update(len(rows).to_bytes(8, "little") + hashes[table][rows].tobytes())
        digest.update(repr(data.maturity.get(job.key)).encode())
        digest.update(repr([p for p in data.answer_problems if p.team == job.key]).encode())
        digests[job.key] = digest.hexdigest()
    return digests


def _sha256(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def _written(path: Path) -> dict[str, Any] | None:
    """What the state remembers of a file it wrote: SHA-256, size, modification time."""
    try:
        status = path.stat()
    except OSError:
        return None
    sha = _sha256(path)
    return None if sha is None else {"sha256": sha, "size": status.st_size,
                                      "mtime_ns": status.st_mtime_ns}  # fmt: skip


def _unchanged(path: Path, known: dict[str, Any]) -> bool:
    """Whether ``path`` still holds what was written: the same size and modification time
    (as ``make`` and git's index judge it, at the cost of a ``stat``), else, after a copy or
    a touch, the same SHA-256."""
    try:
        status = path.stat()
    except OSError:
        return False
    if status.st_size != known.get("size"):
        return False
    if status.st_mtime_ns == known.get("mtime_ns"):
        return True
    return _sha256(path) == known.get("sha256")


@dataclass
class Kept:
    """A report the last review wrote, as the state file remembers it."""

    digest: str
    files: dict[str, dict[str, Any]]  # path in the quarter folder -> ``_written``
    result: dict[str, Any]  # the report's ``TeamResult`` fields but its picture
    picture: str | None = None  # SHA-256 of its deck picture in PICTURES, if any


@dataclass
class ReviewState:
    """``.review-state.json`` of a quarter folder: what each report was made from."""

    folder: Path
    reports: dict[str, Kept] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path) -> ReviewState:
        """The folder's state; empty when there is none or it cannot be read (then every
        report rebuilds, which is always safe)."""
        state = cls(folder)
        try:
            data = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
            if data.get("format") != STATE_FORMAT:
                return state
            for key, entry in data["reports"].items():
                written = {str(name): dict(known) for name, known in entry["files"].items()}
                picture = entry.get("picture")
                state.reports[str(key)] = Kept(
                    str(entry["digest"]), written, dict(entry["result"]),
                    None if picture is None else str(picture),
                )  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls(folder)
        return state

    def reusable(self, key: str, digest: str) -> tuple[Kept, bytes | None] | None:
        """The last review's report ``key`` and its picture, when it was made from exactly
        ``digest`` and its files are still as it wrote them; None: rebuild it."""
        kept = self.reports.get(key)
        if kept is None or kept.digest != digest or kept.result.get("status") != "ok":
            return None
        for name, known in kept.files.items():
            if not _unchanged(files.inside(self.folder, self.folder / name), known):
                return None
        picture = None
        if kept.picture is not None:
            try:
                picture = (self.folder / PICTURES / f"{key}.png").read_bytes()
            except OSError:
                return None
            if hashlib.sha256(picture).hexdigest() != kept.picture:
                return None
        return kept, picture

    def remember(self, key: str, digest: str, written: Iterable[str], result: dict[str, Any],
                 picture: bytes | None) -> None:  # fmt: skip
        """Record a report just written (its files named relative to the folder)."""
        known = {}
        for name in written:
            entry = _written(self.folder / name)
            if entry is None:
                self.forget(key)
                return
            known[name] = entry
        picture_sha = None
        if picture is not None:
            try:
                files.write_bytes(self.folder / PICTURES / f"{key}.png", picture)
            except OSError:
                self.forget(key)
                return
            picture_sha = hashlib.sha256(picture).hexdigest()
        self.reports[key] = Kept(digest, known, result, picture_sha)

    def forget(self, key: str) -> None:
        """A report that failed, or could not be recorded: the next review rebuilds it."""
        self.reports.pop(key, None)
        with contextlib.suppress(OSError):
            (self.folder / PICTURES / f"{key}.png").unlink(missing_ok=True)

    def keep_only(self, keys: Iterable[str]) -> None:
        """Drop the entries of reports this review does not have (a team removed)."""
        wanted = set(keys)
        for key in [k for k in self.reports if k not in wanted]:
            self.forget(key)

    def save(self) -> None:
        """Write the state whole (a review stopped before this leaves the previous state,
        whose file checks then rebuild whatever this run rewrote)."""
        data = {
            "format": STATE_FORMAT,
            "maturity_version": maturity.__version__,
            "reports": {
                key: {"digest": k.digest, "files": k.files, "result": k.result,
                      "picture": k.picture}
                for key, k in sorted(self.reports.items())
            },
        }  # fmt: skip
        files.write_text(self.folder / STATE_FILE, json.dumps(data, indent=1, sort_keys=True))
