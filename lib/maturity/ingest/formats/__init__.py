"""Source formats: one small module per incident tool's export layout.

Each module offers:

``NAME``
    the format's name, as written in ``assessment.yaml`` (``format: pagerduty``);
``matches(columns) -> bool``
    whether a header (names stripped, case kept) is this format's;
``to_canonical(raw, context) -> DataFrame``
    the raw table's cells under canonical column names (see ``maturity.ingest.record``), still
    unparsed, plus ``exclude_reason`` (text, NA for rows to use) for rows that are not real
    incidents (tests, drills, merged, cancelled, earlier states of an event log). Cells may
    be text, numbers or datetimes: parsing is shared. A timestamp the source only gives as
    a duration after detection goes in ``<column>_offset_minutes``; remarks about the whole
    file go to ``context.note``.

Formats are tried in the order of ``FORMATS``; the first that matches wins, so the most
specific layouts come first and ``generic`` last.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from types import ModuleType

from maturity.errors import InputFileError
from maturity.ingest.formats import (
    firehydrant,
    generic,
    incidentio,
    jira,
    opsgenie,
    pagerduty,
    rootly,
    servicenow,
)
from maturity.ingest.formats.common import flag_columns, has_any, missing_required

FORMATS: dict[str, ModuleType] = {
    module.NAME: module
    for module in (servicenow, pagerduty, opsgenie, jira, incidentio, rootly, firehydrant, generic)
}


def get_format(name: str, label: str) -> ModuleType:
    """The source module called ``name``; a clear error listing the supported ones otherwise."""
    try:
        return FORMATS[name.lower()]
    except KeyError:
        raise InputFileError(
            f"{label}: unknown format {name!r}; supported formats: {', '.join(FORMATS)}"
        ) from None


def reads_rows_alone(module: ModuleType, columns: Sequence[str]) -> bool:
    """Whether ``module`` maps each row of a file with these columns on its own (no decision
    taken from the other rows), so files of that layout can be normalised together.

    Not so when a column makes rows depend on each other (``CROSS_ROW_COLUMNS``: an event
    log, a zone column) or a custom-field column may feed a practice flag (whether it holds
    links or yes/no is decided from all its cells)."""
    return _rows_alone(module, tuple(columns))


@functools.lru_cache(maxsize=1024)
def _rows_alone(module: ModuleType, columns: tuple[str, ...]) -> bool:
    if has_any(columns, *getattr(module, "CROSS_ROW_COLUMNS", ())):
        return False
    return module is generic or not flag_columns(columns)


def check_required(module: ModuleType, columns: Sequence[str], label: str,
                   supplied: Sequence[str] = ()) -> None:  # fmt: skip
    """A clear error when a file read as ``module``'s format lacks a column it needs."""
    lacking = missing_required(module, columns, supplied)
    if lacking:
        raise InputFileError(
            f"{label}: a {module.NAME} export needs {' and '.join(lacking)}; the file has "
            f"{_shown(columns)} (map a column with 'columns:' under sources in assessment.yaml)"
        )


def detect_format(columns: Sequence[str], label: str) -> ModuleType:
    """The first source module whose layout matches ``columns``; otherwise an error naming
    the nearest format and the columns it lacks."""
    module = _matching(tuple(columns))
    if module is not None:
        return module
    hint = ""
    nearest = _nearest(columns)
    if nearest is not None:
        lacking = missing_required(nearest, columns)
        hint = f"; nearest: {nearest.NAME}, which needs {' and '.join(lacking)}" if lacking else ""
    raise InputFileError(
        f"{label}: unknown layout (columns {_shown(columns)}){hint}; supported formats: "
        f"{', '.join(FORMATS)}; name one with 'format:' under sources in assessment.yaml"
    )


@functools.lru_cache(maxsize=1024)  # many files share a header
def _matching(columns: tuple[str, ...]) -> ModuleType | None:
    for module in FORMATS.values():
        if module.matches(columns):
            return module
    return None


def _nearest(columns: Sequence[str]) -> ModuleType | None:
    """The format sharing the most of its required columns with ``columns`` (at least one)."""
    best, best_found = None, 0
    for module in FORMATS.values():
        found = sum(has_any(columns, *headers) for headers in module.REQUIRED.values())
        if found > best_found:
            best, best_found = module, found
    return best


def _shown(columns: Sequence[str]) -> str:
    shown = ", ".join(repr(c) for c in list(columns)[:8])
    return shown + (f" and {len(columns) - 8} more" if len(columns) > 8 else "")
