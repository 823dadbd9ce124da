"""Helpers shared by the source modules: finding columns, mapping vocabularies, context."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from maturity.ingest.record import CANONICAL_COLUMNS

#: Offsets a source may give instead of a timestamp: minutes after ``detected_at``.
OFFSET_SUFFIX = "_offset_minutes"


@dataclass
class SourceContext:
    """What a source module knows about the file it maps, and where it leaves notes.

    Several small files of one layout may be mapped as one table: then ``owner`` gives each
    row's file (0, 1, 2, ...) and a note about rows (``note_rows``) is made for each file
    from that file's rows alone, so each file gets the notes it would get read alone.
    """

    label: str
    timezone: str
    notes: list[str] = field(default_factory=list)
    #: How many of ``notes`` depend on the rows of the whole table (a count, an example) and
    #: so would not hold for each of several files read together.
    row_notes: int = 0
    owner: pd.Series | None = None
    #: Notes of one file read together with others: (place among ``notes``, file, text).
    file_notes: list[tuple[int, Any, str]] = field(default_factory=list)

    def note(self, text: str) -> None:
        """A remark about the whole file that depends on its rows (prefer ``note_rows``,
        which stays right when files are read together)."""
        self.notes.append(text)
        self.row_notes += 1

    def column_note(self, text: str) -> None:
        """A remark that follows from the file's columns and settings alone (the same for
        every file of that layout, whatever its rows)."""
        self.notes.append(text)

    def note_rows(self, mask: pd.Series, text_for: Callable[[pd.Index], str | None],
                  every_file: bool = False) -> None:  # fmt: skip
        """A remark about the rows where ``mask`` is true: ``text_for(index of those rows)``
        for each file with such rows (for every file with ``every_file``, even with none);
        ``text_for`` may return None for no remark."""
        mask = mask.fillna(False).astype(bool)
        if self.owner is None:
            if every_file or mask.any():
                self._add(None, text_for(mask.index[mask]))
            return
        hits = mask.index[mask]
        by_file = pd.Series(hits, index=hits).groupby(self.owner[hits].to_numpy(), sort=True)
        rows = {file: pd.Index(group.to_numpy()) for file, group in by_file}
        files = self.owner.unique() if every_file else list(rows)
        for file in sorted(files):
            self._add(file, text_for(rows.get(file, pd.Index([], dtype=hits.dtype))))

    def _add(self, file: Any, text: str | None) -> None:
        if text is None:
            return
        if file is None:
            self.notes.append(text)
        else:
            self.file_notes.append((len(self.notes), file, text))

    def notes_by_file(self, files: Iterable[Any]) -> dict[Any, list[str]]:
        """The notes of each of several files read together, in the order each would get
        them read alone."""
        own: dict[Any, list[tuple[int, str]]] = {}
        for place, file, text in self.file_notes:
            own.setdefault(file, []).append((place, text))
        out: dict[Any, list[str]] = {}
        for file in files:
            if file not in own:
                out[file] = list(self.notes)
                continue
            merged: list[str] = []
            pending = own[file]
            for place in range(len(self.notes) + 1):
                merged.extend(text for at, text in pending if at == place)
                if place < len(self.notes):
                    merged.append(self.notes[place])
            out[file] = merged
        return out


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

#: Tags or labels that mark an exercise, not an incident (whole words: "load-testing" is not).
DRILL_TAGS = ("test", "drill", "gameday", "game day", "game-day", "tutorial")

#: Columns holding an incident's tags or labels, in any vendor's export: FireHydrant's
#: ``tags`` and ``tag_list``, Opsgenie's ``tags``, Jira's repeated ``Labels``, Rootly's
#: ``labels``, a hand-kept sheet's ``Tags`` (names compared case- and space-insensitively,
#: with ``_`` read as a space; repeats such as ``Labels.1`` included).
TAG_COLUMN_NAMES = ("tags", "tag", "tag list", "labels", "label", "label list")


def tag_columns(columns: Iterable[str]) -> list[str]:
    """The columns among ``columns`` that hold tags or labels (``TAG_COLUMN_NAMES``)."""
    wanted = set(TAG_COLUMN_NAMES)
    return [
        c for c in columns
        if re.sub(r"\.\d+$", "", normalise_name(str(c)).replace("_", " ")) in wanted
    ]  # fmt: skip


def tags_of(raw: pd.DataFrame) -> pd.Series:
    """Every tag and label cell of a row, joined with ``, `` (empty where it has none)."""
    joined = pd.Series("", index=raw.index, dtype="string")
    for name in tag_columns(raw.columns):
        joined = joined + ", " + text(raw[name]).fillna("")
    return joined


#: A title that plainly marks a test or a drill: ``[TEST] PagerDuty integration test``,
#: ``TEST - please ignore``, ``Heartbeat test alert - ignore``, ``Game day: region failover
#: drill``, ``(Drill) database restore``. A title that merely mentions testing ("Load test
#: environment down", "Testing framework outage") is an incident.
TEST_TITLE = re.compile(
    r"""(?ix)
    ^\s*[\[(]\s*(?:test|testing|drill|game\s*-?\s*day|exercise)\s*[\])]  # [TEST] ... / (Drill)
    | ^\s*(?:test|testing)\s*(?::|-\s|–|—)                  # TEST - ... / test: ...
    | \bplease\s+ignore\b | \bignore\s+this\b | -\s*ignore\s*$
    | \b(?:test|heartbeat)\s+(?:alert|incident|page|notification)\b
    | \bintegration\s+test\b
    | \bgame\s*-?\s*day\b | \bdrill\b
    """
)
#: The ledger's reason for a row excluded by its title (``test_titles: keep`` counts them).
TEST_BY_TITLE = "test or drill by its title"


def marks_a_test(titles: pd.Series) -> pd.Series:
    """True where a title plainly marks a test or drill (``TEST_TITLE``)."""
    return text(titles).str.contains(TEST_TITLE, na=False)


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
        "postmortem",
        "post-mortem",
        "post mortem",
        "retrospective",
        "pir",
        "review done",
        "review_done",
    ),
}
#: Words that make a column a flag only as a whole word ("pir" is not "expired").
_WHOLE_WORDS = frozenset({"pir"})


def _names_flag(name: str, words: Iterable[str]) -> bool:
    lowered = normalise_name(name)
    if "url" in lowered.split() or lowered.endswith(" url") or lowered.endswith("_url"):
        return False  # a vendor's own link field is read by its format, not guessed at
    return any(
        re.search(rf"\b{re.escape(w)}\b", lowered) if w in _WHOLE_WORDS else w in lowered
        for w in words
    )


def custom_flags(raw: pd.DataFrame, out: pd.DataFrame,
                 context: SourceContext | None = None) -> None:  # fmt: skip
    """Fill practice flags the source has no field for from custom-field columns
    ("Custom field (Runbook used)", "Custom field (Postmortem)", "u_automated_recovery").

    A column of links (most of its cells URLs: a postmortem document, a runbook page) counts
    a link as yes and, on a resolved incident, an empty cell as no; a yes/no column keeps an
    empty cell unknown. Which column fed which practice is noted for the file."""
    resolved = text(out["resolved_at"]).notna()
    offset = f"resolved_at{OFFSET_SUFFIX}"
    if offset in out:
        resolved |= pd.to_numeric(out[offset], errors="coerce").notna()
    for flag, words in FLAG_WORDS.items():
        if out[flag].notna().any():
            continue
        for name in raw.columns:
            if not _names_flag(str(name), words):
                continue
            cells = text(raw[name])
            links = cells.str.match(r"(?i)https?://", na=False)
            filled = int(cells.notna().sum())
            as_links = filled > 0 and int(links.sum()) * 2 > filled
            if as_links:
                out[flag] = links.map({True: "yes", False: "no"}).where(links | resolved)
            else:
                out[flag] = raw[name]
            if context is not None:
                how = ("a link counts as done, an empty cell on a resolved incident as not"
                       if as_links else "yes/no cells; empty ones unknown")  # fmt: skip
                context.note(f"{flag} read from the column '{name}' ({how})")
            break


def flag_columns(columns: Iterable[str]) -> list[str]:
    """The columns ``custom_flags`` would consider for some practice flag."""
    return [str(c) for c in columns if any(_names_flag(str(c), w) for w in FLAG_WORDS.values())]
