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

from pathlib import Path

import pandas as pd

from maturity.fetch import SOURCES, settings_for
from maturity.fetch.archive import read_manifest, read_pages
from maturity.ingest.formats import FORMATS
from maturity.ingest.formats import generic as generic_format
from maturity.ingest.spreadsheets import ROW
from maturity.organisation import Organisation, SourceSettings

ALTERED = "page altered since it was fetched (its SHA-256 differs from the manifest's)"


def format_name(source: str) -> str:
    """How incidents of a fetched source are labelled (``source_format``): ``PagerDuty API``."""
    return f"{SOURCES[source].TITLE} API"


def carried_timestamps(format_names: set[str]) -> set[str]:
    """The canonical timestamps the given formats can carry, exports' and APIs' alike."""
    by_name = {name: module.TIMESTAMPS for name, module in FORMATS.items()}
    by_name.update({format_name(name): module.TIMESTAMPS for name, module in SOURCES.items()})
    return {c for name in format_names if name in by_name for c in by_name[name]}


def read_archive(
    folder: Path, organisation: Organisation, timezone: str
) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """One archive's rows, normalised like an export's, and its notes."""
    from maturity.ingest.incidents import normalise_table

    label = organisation.relative(folder)
    manifest = read_manifest(folder) or {"pages": []}
    source = str(manifest.get("source") or folder.name)
    notes: list[dict[str, str]] = []
    if source not in SOURCES:
        notes.append({"file": label, "format": "fetched",
                      "note": f"not read: an archive of unknown source {source!r}"})  # fmt: skip
        return _empty(), notes
    module = SOURCES[source]
    pages, problems = read_pages(folder, manifest)
    notes.extend({"file": label, "format": format_name(source), "note": p} for p in problems)
    table = module.table(pages, settings_for(organisation.fetch, source))
    raw = table.drop(columns=["_file", "_item", "_exclude", "_altered"]).astype(object)
    raw = raw.where(raw.notna(), None)
    raw[ROW] = range(1, len(raw) + 1)
    rows = normalise_table(
        raw, generic_format, label, SourceSettings(path=label, severity_map=dict(
            organisation.severity_map)), timezone, notes, organisation.severity_map,
    )  # fmt: skip
    rows["source_file"] = [f"{label}/{name}" for name in table["_file"]]
    rows["source_row"] = table["_item"].astype(int).to_numpy()
    rows["source_format"] = format_name(source)
    rows["source_tool"] = source  # the same tool as its CSV exports: one set of ids
    reason = table["_exclude"].astype("string")
    give = rows["exclude"].isna() & rows["reject"].isna() & reason.notna()
    rows.loc[give, "exclude"] = reason[give]
    altered = table["_altered"].fillna(False).astype(bool).to_numpy()
    rows.loc[altered, "reject"] = ALTERED
    rows.loc[altered, "exclude"] = pd.NA
    for note in notes:
        if note.get("file") == label and note.get("format") == "generic":
            note["format"] = format_name(source)
    return rows, notes


def _empty() -> pd.DataFrame:
    from maturity.ingest.incidents import empty_rows

    return empty_rows()
