"""The archives of ``maturity fetch`` as one more export format.

Each ``incidents/fetched/<source>/`` archive is read page by page as its manifest lists
them (``maturity.fetch.archive``); the source's module turns the pages into rows of
canonical columns (``table``), which then go through the same parsing, ledger and team
attribution as any exported file (``incidents.normalise_table``). Every archived incident
copy is a row of the ledger, named by its page and item (``incidents/fetched/pagerduty/
pages/...-incidents-00003.json.gz`` row 17): used, excluded (an earlier copy fetched again
later, a merged or cancelled incident, a test) or rejected with its reason. A page whose
bytes no longer match the manifest's SHA-256 is read, and its items rejected for that.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from maturity.fetch import SOURCES, settings_for
from maturity.fetch.archive import read_manifest, read_pages
from maturity.ingest.formats import FORMATS
from maturity.ingest.spreadsheets import ROW
from maturity.organisation import Organisation

ALTERED = "page altered since it was fetched (its SHA-256 differs from the manifest's)"


def format_name(source: str) -> str:
    """How incidents of a fetched source are labelled (``source_format``): ``PagerDuty API``."""
    return f"{SOURCES[source].TITLE} API"


def carried_timestamps(format_names: set[str]) -> set[str]:
    """The canonical timestamps the given formats can carry, exports' and APIs' alike."""
    by_name = {name: module.TIMESTAMPS for name, module in FORMATS.items()}
    by_name.update({format_name(name): module.TIMESTAMPS for name, module in SOURCES.items()})
    return {c for name in format_names if name in by_name for c in by_name[name]}


@dataclass(frozen=True)
class ArchiveTable:
    """An archive's incident copies as a raw table (canonical columns, ``kind``, ``status``
    and ``_row``, read as the ``generic`` format), and what the ledger needs beyond it."""

    label: str  # the archive folder, relative to the assessment folder
    source: str
    raw: pd.DataFrame
    provenance: pd.DataFrame  # _file, _item, _exclude, _altered, row by row
    notes: list[dict[str, str]]

    def annotate(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The normalised rows named by page and item, with the archive's own exclusions
        (an earlier copy, merged, cancelled) and rejections (an altered page)."""
        meta = self.provenance
        rows["source_file"] = [f"{self.label}/{name}" for name in meta["_file"]]
        rows["source_row"] = meta["_item"].astype(int).to_numpy()
        rows["source_format"] = format_name(self.source)
        rows["source_tool"] = self.source  # the same tool as its CSV exports: one set of ids
        reason = meta["_exclude"].astype("string")
        give = rows["exclude"].isna() & rows["reject"].isna() & reason.notna()
        rows.loc[give, "exclude"] = reason[give]
        altered = meta["_altered"].fillna(False).astype(bool).to_numpy()
        rows.loc[altered, "reject"] = ALTERED
        rows.loc[altered, "exclude"] = pd.NA
        return rows


def read_archive(folder: Path, organisation: Organisation) -> ArchiveTable:
    """An archive's pages as a table to normalise (an empty one, with a note, when its
    source is unknown)."""
    label = organisation.relative(folder)
    manifest = read_manifest(folder) or {"pages": []}
    source = str(manifest.get("source") or folder.name)
    if source not in SOURCES:
        note = {"file": label, "format": "fetched",
                "note": f"not read: an archive of unknown source {source!r}"}  # fmt: skip
        return ArchiveTable(label, source, pd.DataFrame(), pd.DataFrame(), [note])
    pages, problems = read_pages(folder, manifest)
    notes = [{"file": label, "format": format_name(source), "note": p} for p in problems]
    table = SOURCES[source].table(pages, settings_for(organisation.fetch, source))
    meta = ["_file", "_item", "_exclude", "_altered"]
    raw = table.drop(columns=meta).astype(object)
    raw = raw.where(raw.notna(), None)
    raw[ROW] = range(1, len(raw) + 1)
    return ArchiveTable(label, source, raw, table[meta], notes)
