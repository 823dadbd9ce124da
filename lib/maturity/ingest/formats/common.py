"""Helpers shared by the source modules: finding columns, mapping vocabularies, context."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from maturity.ingest.record import CANONICAL_COLUMNS

#: Offsets a source may give instead of a timestamp: minutes after ``detected_at``.
OFFSET_SUFFIX = "_offset_minutes"


@dataclass
class SourceContext:
    """What a source module knows about the file it maps, and where it leaves notes."""

    label: str
    timezone: str
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        """A remark about the whole file, shown by ``maturity validate`` and in reports."""
        self.notes.append(text)


def normalise_name(name: str) -> str:
    return re.sub(r"\s+", " ", str(name)).strip().lower()


def names(columns: Sequence[str]) -> set[str]:
    return {normalise_name(c) for c in columns}


def has_all(columns: Sequence[str], *wanted: str) -> bool:
    present = names(columns)
    return all(normalise_name(w) in present for w in wanted)


def has_any(columns: Sequence[str], *wanted: str) -> bool:
    present = names(columns)
    return any(normalise_name(w) in present for w in wanted)


def column(raw: pd.DataFrame, *candidates: str) -> pd.Series:
    """The first of ``candidates`` present in ``raw`` (names compared case- and
    space-insensitively), else an all-missing column."""
    by_name: dict[str, str] = {}
    for name in raw.columns:
        by_name.setdefault(normalise_name(name), name)
    for candidate in candidates:
        found = by_name.get(normalise_name(candidate))
        if found is not None:
            return raw[found]
    return pd.Series(pd.NA, index=raw.index, dtype=object)


def repeated(raw: pd.DataFrame, base: str) -> pd.Series:
    """Every column named ``base`` (Jira repeats ``Labels``: ``Labels``, ``Labels.1``, ...),
    joined with ``, `` into one text column."""
    pattern = re.compile(rf"^{re.escape(normalise_name(base))}(\.\d+)?$")
    found = [c for c in raw.columns if pattern.match(normalise_name(c))]
    if not found:
        return pd.Series(pd.NA, index=raw.index, dtype=object)
    parts = raw[found].astype("string").apply(lambda col: col.str.strip())
    joined = parts.apply(lambda row: ", ".join(v for v in row if isinstance(v, str) and v), axis=1)
    return joined.where(joined != "", pd.NA)


def text(values: pd.Series) -> pd.Series:
    """Cells as stripped text; empty cells are missing (NA), as in a spreadsheet."""
    stripped = values.astype("string").str.strip()
    return stripped.mask(stripped == "")


_REFERENCE = re.compile(r"'(?:display_value|value)':\s*'([^']*)'")


def reference_value(values: pd.Series) -> pd.Series:
    """ServiceNow REST reference cells (``{'link': ..., 'value': 'abc'}``) as their value."""
    cells = text(values)
    extracted = cells.str.extract(_REFERENCE, expand=False)
    return extracted.where(cells.str.startswith("{", na=False), cells)


def contains_word(values: pd.Series, words: Iterable[str]) -> pd.Series:
    pattern = r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b"
    return text(values).str.lower().str.contains(pattern, regex=True, na=False)


#: The one reason every format gives for a test, drill, game day or tutorial incident.
NOT_AN_INCIDENT = "test, drill or game day"


def canonical_frame(index: pd.Index) -> pd.DataFrame:
    """An empty canonical frame (all missing) for a module to fill."""
    frame = pd.DataFrame(
        {name: pd.Series(pd.NA, index=index, dtype=object) for name in CANONICAL_COLUMNS}
    )
    frame["exclude_reason"] = pd.Series(pd.NA, index=index, dtype="string")
    frame[STATUS_RESOLVED] = pd.Series(pd.NA, index=index, dtype="boolean")
    return frame


#: A column a module may fill: True where the source's own status says the incident is
#: resolved or closed. Such a row without a resolution time is rejected, never read as open.
STATUS_RESOLVED = "status_resolved"


def status_is(values: pd.Series, words: Iterable[str]) -> pd.Series:
    """True where a status cell is one of ``words`` (case-insensitive), NA where empty."""
    status = text(values).str.lower()
    return status.isin({w.lower() for w in words}).astype("boolean").mask(status.isna())


def missing_required(
    module: object, columns: Sequence[str], supplied: Iterable[str] = ()
) -> list[str]:
    """The canonical columns a format needs (``module.REQUIRED``) that ``columns`` lacks,
    each shown with the header names the format would read it from: ``"created_on (or
    created_at)"``. ``supplied``: canonical columns given by a ``columns:`` override."""
    supplied = set(supplied)
    lacking = []
    for canonical, headers in getattr(module, "REQUIRED", {}).items():
        if canonical not in supplied and not has_any(columns, *headers):
            alternatives = f" (or {', '.join(headers[1:])})" if len(headers) > 1 else ""
            lacking.append(f"{headers[0]}{alternatives}")
    return lacking


def exclude(frame: pd.DataFrame, mask: pd.Series, reason: str | pd.Series) -> None:
    """Mark rows excluded (the first reason given to a row stands)."""
    mask = mask.fillna(False).astype(bool) & frame["exclude_reason"].isna()
    if isinstance(reason, pd.Series):
        frame.loc[mask, "exclude_reason"] = reason[mask]
    else:
        frame.loc[mask, "exclude_reason"] = reason


#: Words that mark a team's own custom-field column for a practice flag
#: ("Custom field (Runbook used)", "u_automated_recovery", "Custom Field: PIR held").
FLAG_WORDS = {
    "runbook_used": ("runbook", "playbook"),
    "automated_recovery": (
        "automated recovery",
        "automated_recovery",
        "auto-remediat",
        "auto remediat",
        "self-heal",
        "automation used",
    ),
    "review_done": (
        "post-incident review",
        "post incident review",
        "postmortem done",
        "pir held",
        "pir done",
        "review done",
        "review_done",
    ),
}


def custom_flags(raw: pd.DataFrame, out: pd.DataFrame) -> None:
    """Fill practice flags the source has no field for from custom-field columns."""
    for flag, words in FLAG_WORDS.items():
        if out[flag].notna().any():
            continue
        for name in raw.columns:
            lowered = normalise_name(name)
            if any(word in lowered for word in words) and "url" not in lowered:
                out[flag] = raw[name]
                break
