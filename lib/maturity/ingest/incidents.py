"""The canonical incident record and the row ledger.

Every export is read (``maturity.ingest.spreadsheets``), mapped by its source format
(``maturity.ingest.formats``) and normalised here into the canonical record of DESIGN.md: one row
per incident, timestamps in UTC, severity 1 (worst) to 5, flags true/false/unknown.

Nothing is lost silently. Every row read ends in the ledger as ``used``, ``excluded`` (a
test or drill, a duplicate of another row) or ``rejected`` (unusable: no detection time,
an unparseable date, resolved before detected, no team), with a reason naming file and row:
``used + excluded + rejected = read``, always.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from maturity.errors import ConfigError, InputFileError
from maturity.ingest import cache, sheet_reader
from maturity.ingest.cells import (
    day_first_order,
    day_first_orders,
    missing_mask,
    parse_flags,
    parse_severity,
    parse_timestamps,
)
from maturity.ingest.fetched import format_name, read_archive
from maturity.ingest.formats import check_required, detect_format, get_format, reads_rows_alone
from maturity.ingest.formats import generic as generic_format
from maturity.ingest.formats.common import (
    DRILL_TAGS,
    NOT_AN_INCIDENT,
    OFFSET_SUFFIX,
    STATUS_RESOLVED,
    TEST_BY_TITLE,
    SourceContext,
    contains_word,
    exclude,
    has_any,
    marks_a_test,
    tags_of,
)
from maturity.ingest.record import CANONICAL_COLUMNS, FLAG_COLUMNS, TEXT_COLUMNS, TIMESTAMP_COLUMNS
from maturity.ingest.spreadsheets import ROW, check_readable, read_table
from maturity.organisation import (
    NOT_TEXT,
    Organisation,
    SourceSettings,
    is_organisation_folder,
    load_organisation,
    name_skeleton,
)
from maturity.periods import quarter_of
from maturity.wording import plural, verb

#: Columns the loaded incidents carry beyond the canonical record.
PROVENANCE_COLUMNS = ("quarter", "source_file", "source_row", "source_format")

_SUMMARY = re.compile(r"(?i)^(grand total|totals?|summary|sum|count|average)\b")
_LINE_BREAKS = r"[\t\n\r\v\f\u2028\u2029]+"
#: Never meaningful in an export's text: controls and noncharacters. (Lone surrogates
#: cannot reach here: a file's text is decoded strictly or as Windows-1252.)
_CONTROL = f"[{NOT_TEXT}]"
#: The longest text kept from a cell (characters): a title is a line, not a document (a
#: 10 MB title made the PDF review take over ten minutes). Longer text is cut, with a note.
MAX_TEXT_CHARACTERS = {"incident_id": 200, "title": 1_000, "team": 200, "service": 200}
MAX_OFFSET_MINUTES = 10 * 366 * 24 * 60
LEDGER_COLUMNS = ("file", "row", "incident_id", "action", "reason")
USED, EXCLUDED, REJECTED = "used", "excluded", "rejected"


def reason_kinds(reasons: pd.Series) -> pd.Series:
    """Each ledger reason without its particulars ("no team for service 'x'" becomes
    "no team"), for counting rows by kind of problem."""
    return reasons.str.replace(r" (of|for) .*", "", regex=True)


@dataclass(frozen=True)
class IncidentSet:
    """Loaded incidents and the ledger that accounts for every row read.

    ``incidents``: the used rows in canonical form, plus ``quarter`` (of ``detected_at`` in
    the organisation's time zone), ``source_file``, ``source_row`` and ``source_format``,
    sorted by ``detected_at`` then ``incident_id``.
    ``ledger``: one row per row read: ``file``, ``row``, ``incident_id``, ``action``
    (used / excluded / rejected) and ``reason`` (empty for used rows).
    """

    incidents: pd.DataFrame
    ledger: pd.DataFrame
    timezone: str
    notes: tuple[dict[str, str], ...] = ()

    @property
    def rows_read(self) -> int:
        return len(self.ledger)

    def count(self, action: str) -> int:
        return int((self.ledger["action"] == action).sum())

    def quality(self) -> dict[str, Any]:
        """The ``quality`` object of DESIGN.md: counts and every row not used, with why."""
        issues = self.ledger[self.ledger["action"] != USED]
        return {
            "rows_read": self.rows_read,
            "rows_used": self.count(USED),
            "rows_excluded": self.count(EXCLUDED),
            "rows_rejected": self.count(REJECTED),
            "issues": [
                {
                    "file": r.file,
                    "row": int(r.row),
                    "incident_id": None if pd.isna(r.incident_id) else str(r.incident_id),
                    "action": r.action,
                    "reason": r.reason,
                }
                for r in issues.itertuples(index=False)
            ],
            "notes": list(self.notes),
        }

    def rejected_without_team(self) -> pd.DataFrame:
        """The ledger rows rejected for want of a team (an excluded row, a test or a totals
        line, has no team either, but is not one: the ledger counts it as excluded)."""
        ledger = self.ledger
        return ledger[ledger["team"].isna() & (ledger["action"] == REJECTED)]

    def for_team(self, team: str) -> IncidentSet:
        """The incidents and ledger rows of one team (rows with no team are left out)."""
        ledger = self.ledger[self.ledger["team"] == team] if "team" in self.ledger else self.ledger
        return IncidentSet(
            self.incidents[self.incidents["team"] == team], ledger, self.timezone, self.notes
        )


def load_incidents(
    paths: Organisation | str | Path | Sequence[str | Path],
    *,
    file_errors: list[str] | None = None,
    progress: Progress | None = None,
) -> IncidentSet:
    """Load incidents from an assessment folder, an ``Organisation``, or export files.

    Files given alone (outside an assessment folder) are read in UTC without team
    attribution: the ``team`` column keeps what the file says.

    A file that cannot be read as an export (unknown layout, a required column missing,
    unreadable) raises its one-line error, unless ``file_errors`` is given: then each such
    file's message is added there and the other files still load (``maturity validate``
    reports every file at once).
    """
    if isinstance(paths, Organisation):
        return _load(paths.incident_files(), paths, file_errors, progress)
    files = [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]
    folders = [p for p in files if is_organisation_folder(p)]
    if folders:
        if len(files) > 1:
            raise InputFileError("give one assessment folder, or export files, not both")
        assessment = load_organisation(folders[0])
        if not assessment.incident_files() and not assessment.fetched_archives():
            raise InputFileError(
                f"{folders[0]}: no .csv or .xlsx exports under incidents/, and nothing fetched "
                "(maturity fetch SOURCE PATH)"
            )
        return _load(assessment.incident_files(), assessment, file_errors, progress)
    for p in files:
        if p.is_dir():
            raise InputFileError(f"{p}: a folder without assessment.yaml; give export files")
    return _load(files, None, file_errors, progress)


def _load(files: Iterable[Path], assessment: Organisation | None,
          file_errors: list[str] | None = None, progress: Progress | None = None,
          ) -> IncidentSet:  # fmt: skip
    timezone = assessment.timezone if assessment else "UTC"
    reading = _Reading(timezone)
    paths = list(files)
    for order, path in enumerate(paths):
        label = assessment.relative(path) if assessment else str(path)
        settings = assessment.source_settings(path) if assessment else SourceSettings(str(path))
        reading.read(order, path, label, settings)
        if progress is not None:
            progress(order + 1, len(paths))
    frames, notes, errors = reading.finish()
    sheet_reader.close()  # the helper reading workbooks stops with the reading
    if errors and file_errors is None:
        raise errors[0]
    if file_errors is not None:
        file_errors.extend(str(error) for error in errors)
    for folder in assessment.fetched_archives() if assessment is not None else []:
        assert assessment is not None
        archive = read_archive(folder, assessment)
        notes.extend(archive.notes)
        if archive.raw.empty and archive.provenance.empty:
            continue
        settings = SourceSettings(
            path=archive.label,
            severity_map=dict(assessment.severity_map),
            test_titles=assessment.test_titles,
        )
        archive_notes: list[dict[str, str]] = []
        rows = normalise_table(archive.raw, generic_format, archive.label, settings, timezone,
                               archive_notes, assessment.severity_map)  # fmt: skip
        frames.append(archive.annotate(rows).assign(**{_ORDER: len(paths)}))
        name = format_name(archive.source)
        notes.extend({**n, "format": name if n["format"] == "generic" else n["format"]}
                     for n in archive_notes)  # fmt: skip
    rows = (
        pd.concat(frames, ignore_index=True)
        .sort_values(_ORDER, kind="stable")  # files in the order given, rows as read
        .drop(columns=_ORDER)
        .reset_index(drop=True)
        if frames
        else empty_rows()
    )
    if assessment is not None:
        notes.extend(
            {"file": "assessment.yaml", "format": "settings", "note": warning}
            for warning in assessment.warnings
        )
        notes.extend(
            {"file": f"incidents/{path.name}", "format": "skipped", "note": f"not read: {why}"}
            for path, why in assessment.skipped_incident_files()
        )

    if assessment is not None:
        unknown_teams = _attribute_teams(rows, assessment)
        if unknown_teams:
            notes.append({"file": "assessment.yaml", "format": "teams", "note": unknown_teams})
    _drop_duplicates(rows)

    rows["action"] = USED
    rows.loc[rows["reject"].notna(), "action"] = REJECTED
    rows.loc[rows["exclude"].notna(), "action"] = EXCLUDED
    rows["reason"] = rows["exclude"].fillna(rows["reject"]).fillna("")

    ledger = pd.DataFrame(
        {
            "file": rows["source_file"],
            "row": rows["source_row"].astype(int),
            "incident_id": rows["incident_id"],
            "action": rows["action"],
            "reason": rows["reason"],
            "team": rows["team"],
        }
    )
    used = rows[rows["action"] == USED].copy()
    used["quarter"] = quarter_of(used["detected_at"], timezone)
    incidents = (
        used[[*CANONICAL_COLUMNS, *PROVENANCE_COLUMNS]]
        .sort_values(["detected_at", "incident_id"], kind="stable")
        .reset_index(drop=True)
    )
    return IncidentSet(
        incidents=incidents,
        ledger=ledger.reset_index(drop=True),
        timezone=timezone,
        notes=tuple(notes),
    )


def _listed_rows(rows: pd.Series, most: int = 5) -> str:
    """``3, 7, 12`` or ``3, 7, 12, 15, 20 and 4 more``: the spreadsheet rows of a note."""
    numbers = [str(int(n)) for n in rows.head(most)]
    more = len(rows) - len(numbers)
    return ", ".join(numbers) + (f" and {more} more" if more > 0 else "")


def empty_rows() -> pd.DataFrame:
    """No rows, with every column a normalised export's rows have (timestamps typed as
    theirs are, so the steps after reading run on no rows as on some)."""
    columns = [
        *CANONICAL_COLUMNS,
        "source_file",
        "source_row",
        "source_format",
        "source_tool",
        "service_from",
        "exclude",
        "reject",
    ]
    return pd.DataFrame({
        c: pd.Series(dtype="datetime64[ns, UTC]" if c in TIMESTAMP_COLUMNS else object)
        for c in columns
    })  # fmt: skip


#: Called as each export is read: ``progress(files_read, files)``.
Progress = Callable[[int, int], None]
#: Exports up to this size (bytes) are normalised together with the others of their layout:
#: alone, a file of a few rows costs a whole pandas pass (about 0.1 s); together, a few
#: microseconds a row. Larger files are read one by one, through the cache.
SMALL_EXPORT_BYTES = 256 * 1024
#: The most rows normalised in one pass (memory stays that of one mid-sized export).
BATCH_ROWS = 50_000
_ORDER = "_file_order"


@dataclass
class _Small:
    """A small export read and waiting to be normalised with others of its layout."""

    order: int  # its place among the files given
    label: str
    raw: pd.DataFrame


@dataclass
class _Layout:
    """Small exports of one layout: one format, the same header, the same settings."""

    source: Any
    settings: SourceSettings
    files: list[_Small]
    rows: int = 0


class _Reading:
    """The exports of one load, read in the order given.

    Large files are normalised one by one (through the cache). Small files whose format
    maps each row on its own (``reads_rows_alone``) are kept by layout and normalised
    together, which gives exactly what reading each alone gives: every decision taken
    from a file's cells (its date order) is taken for each file from its own rows, and a
    part whose reading left any note that depends on its rows (a count, an example) is
    split until each part's notes hold for every file in it, down to a file alone.
    Rows keep the files' order (``_ORDER``); each file's notes, errors likewise.
    """

    def __init__(self, timezone: str) -> None:
        self.timezone = timezone
        self.frames: list[pd.DataFrame] = []
        self.notes: dict[int, list[dict[str, str]]] = {}
        self.errors: dict[int, InputFileError | ConfigError] = {}
        self.layouts: dict[str, _Layout] = {}
        self.header_only: dict[str, tuple[pd.DataFrame, list[str]]] = {}

    def read(self, order: int, path: Path, label: str, settings: SourceSettings) -> None:
        try:
            self._read(order, path, label, settings)
        except (InputFileError, ConfigError) as exc:
            self.errors[order] = exc

    def finish(self) -> tuple[list[pd.DataFrame], list[dict[str, str]], list[Exception]]:
        for layout in list(self.layouts):
            self._flush(layout)
        notes = [note for order in sorted(self.notes) for note in self.notes[order]]
        return self.frames, notes, [self.errors[order] for order in sorted(self.errors)]

    def _read(self, order: int, path: Path, label: str, settings: SourceSettings) -> None:
        check_readable(path, label)  # a missing, odd or unreadable path: one line
        if path.stat().st_size > SMALL_EXPORT_BYTES:
            self._keep(order, *_read_file(path, label, settings, self.timezone))
            return
        raw, source = _read_raw(path, label, settings)
        columns = [c for c in raw.columns if c != ROW]
        if raw.attrs.get("notes") or not reads_rows_alone(source, columns):
            self._keep(order, *_read_file(path, label, settings, self.timezone, (raw, source)))
            return
        layout = json.dumps(
            [source.NAME, [str(c) for c in raw.columns], bool(raw.attrs.get("date1904")),
             _how_read(settings)],
            sort_keys=True, default=str,
        )  # fmt: skip
        if raw.empty:
            self._header_only(order, layout, raw, source, label, settings)
            return
        group = self.layouts.setdefault(layout, _Layout(source, settings, []))
        group.files.append(_Small(order, label, raw))
        group.rows += len(raw)
        if group.rows >= BATCH_ROWS:
            self._flush(layout)

    def _keep(self, order: int, rows: pd.DataFrame, notes: list[dict[str, str]]) -> None:
        self.frames.append(rows.assign(**{_ORDER: order}))
        self.notes[order] = notes

    def _header_only(self, order: int, layout: str, raw: pd.DataFrame, source: Any,
                     label: str, settings: SourceSettings) -> None:  # fmt: skip
        """A header-only file reads as every header-only file of its layout does."""
        if layout not in self.header_only:
            rows, context = _normalise(raw, source, label, settings, self.timezone,
                                       settings.severity_map)  # fmt: skip
            self.header_only[layout] = (rows, context.notes)
            self.frames.append(rows.assign(**{_ORDER: order}))
        self.notes[order] = _file_notes(label, source, self.header_only[layout][1])

    def _flush(self, layout: str) -> None:
        group = self.layouts.pop(layout)
        files = group.files
        raw = pd.concat([f.raw for f in files], ignore_index=True)
        raw.attrs = {"notes": [], "date1904": files[0].raw.attrs.get("date1904", False)}
        owner = pd.Series(np.repeat(np.arange(len(files)), [len(f.raw) for f in files]),
                          index=raw.index)  # fmt: skip
        settings = group.settings
        orders: dict[Any, tuple[bool, bool]] = {}
        if settings.day_first is None:
            try:
                context = SourceContext(files[0].label, settings.timezone or self.timezone)
                mapped = _mapped(raw, group.source, files[0].label, settings, context)
            except (InputFileError, ConfigError):
                for i in range(len(files)):
                    self._alone(group, files[i])
                return
            orders = day_first_orders(
                [mapped[c] for c in TIMESTAMP_COLUMNS], owner, context.timezone
            )
        by_order: dict[tuple[bool, bool], list[int]] = {}
        for i in range(len(files)):
            by_order.setdefault(orders.get(i, (True, False)), []).append(i)
        for date_order, members in by_order.items():
            self._part(group, raw, owner, members, date_order)

    def _part(self, group: _Layout, raw: pd.DataFrame, owner: pd.Series, members: list[int],
              date_order: tuple[bool, bool]) -> None:  # fmt: skip
        files = group.files
        if len(members) == 1:
            self._alone(group, files[members[0]])
            return
        part = raw if len(members) == len(files) else raw[owner.isin(members)]
        try:
            rows, context = _normalise(part, group.source, files[members[0]].label,
                                       group.settings, self.timezone,
                                       group.settings.severity_map, date_order,
                                       owner[part.index])  # fmt: skip
        except (InputFileError, ConfigError):  # each file's own error, read alone
            context = None
        if context is None or context.row_notes:
            half = len(members) // 2
            self._part(group, raw, owner, members[:half], date_order)
            self._part(group, raw, owner, members[half:], date_order)
            return
        owners = owner[part.index].to_numpy()
        labels = np.array([f.label for f in files], dtype=object)[owners]
        # The column's type as a file read alone has it, whatever the labels.
        rows["source_file"] = pd.Series(labels, index=rows.index, dtype=rows["source_file"].dtype)
        rows[_ORDER] = np.array([f.order for f in files])[owners]
        self.frames.append(rows)
        for i, texts in context.notes_by_file(members).items():
            self.notes[files[i].order] = _file_notes(files[i].label, group.source, texts)

    def _alone(self, group: _Layout, small: _Small) -> None:
        try:
            rows, context = _normalise(small.raw, group.source, small.label, group.settings,
                                       self.timezone, group.settings.severity_map)  # fmt: skip
        except (InputFileError, ConfigError) as exc:
            self.errors[small.order] = exc
            return
        self._keep(small.order, rows, _file_notes(small.label, group.source, context.notes))


def _read_file(
    path: Path,
    label: str,
    settings: SourceSettings,
    org_timezone: str,
    read: tuple[pd.DataFrame, Any] | None = None,
) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """One export's normalised rows and notes, from the cache when the file is unchanged
    (``read``: its raw table and format, when already read)."""
    key = cache.file_key(
        path, {"label": label, "org_timezone": org_timezone, **_how_read(settings)}
    )
    cached = cache.load(key)
    if cached is not None:
        return cached
    notes: list[dict[str, str]] = []
    raw, source = read or _read_raw(path, label, settings)
    rows = normalise_table(raw, source, label, settings, org_timezone, notes, settings.severity_map)
    cache.store(key, rows, notes)
    return rows, notes


def _how_read(settings: SourceSettings) -> dict[str, Any]:
    """The settings that change how an export reads (all of ``SourceSettings`` but its
    path): part of its cache key, and of the layout small files are read together by."""
    return {"format": settings.format, "timezone": settings.timezone,
            "columns": settings.columns, "day_first": settings.day_first,
            "severity_map": settings.severity_map, "test_titles": settings.test_titles}  # fmt: skip


def _file_notes(label: str, source: Any, texts: Iterable[str]) -> list[dict[str, str]]:
    """Notes about one file, as the ledger lists them."""
    return [{"file": label, "format": source.NAME, "note": text} for text in texts]


def _read_raw(path: Path, label: str, settings: SourceSettings) -> tuple[pd.DataFrame, Any]:
    """An export's raw table and its format (named in its settings, or recognised)."""
    raw = read_table(path, label)
    columns = [c for c in raw.columns if c != ROW]
    if settings.format:
        source = get_format(settings.format, label)
        check_required(source, columns, label, supplied=list(settings.columns))
    else:
        source = detect_format(columns, label)
    return raw, source


def normalise_table(
    raw: pd.DataFrame,
    source: Any,
    label: str,
    settings: SourceSettings,
    org_timezone: str,
    notes: list[dict],
    severity_map: dict[str, int] | None = None,
) -> pd.DataFrame:
    """A raw table (cells as read, and ``_row``) read as ``source``'s format: the canonical
    columns parsed, and each row's ``exclude`` / ``reject`` reason (the ledger's), with the
    file's notes added to ``notes``."""
    rows, context = _normalise(raw, source, label, settings, org_timezone, severity_map)
    notes.extend(_file_notes(label, source, context.notes))
    return rows


def _mapped(raw: pd.DataFrame, source: Any, label: str, settings: SourceSettings,
            context: SourceContext) -> pd.DataFrame:  # fmt: skip
    """``source``'s canonical columns of ``raw``, unparsed, with the ``columns:`` overrides."""
    mapped = source.to_canonical(raw, context)
    for canonical, header in settings.columns.items():
        if canonical not in CANONICAL_COLUMNS:
            raise ConfigError(
                f"{label}: columns override names {canonical!r}, not a canonical column"
            )
        if header not in raw.columns:
            raise InputFileError(f"{label}: columns override {canonical}: no column {header!r}")
        mapped[canonical] = raw[header]
    return mapped


def _normalise(
    raw: pd.DataFrame,
    source: Any,
    label: str,
    settings: SourceSettings,
    org_timezone: str,
    severity_map: dict[str, int] | None = None,
    date_order: tuple[bool, bool] | None = None,
    owner: pd.Series | None = None,
) -> tuple[pd.DataFrame, SourceContext]:
    """``normalise_table``'s rows, and the context holding the file's notes (how many of
    them depend on the rows: ``row_notes``). ``date_order`` is the file's
    ``day_first_order`` when already known (files read together each have their own);
    ``owner``, each row's file when several are read together (``SourceContext``)."""
    columns = [c for c in raw.columns if c != ROW]
    timezone = settings.timezone or org_timezone
    context = SourceContext(label=label, timezone=timezone, owner=owner)
    for note in raw.attrs.get("notes", []):
        context.note(note)
    if raw.empty:
        context.note("header only: no incident rows in this export (a quiet period?)")
    mapped = _mapped(raw, source, label, settings, context)
    _exclude_exercises(raw, mapped, settings, context)

    rows = pd.DataFrame(index=raw.index)
    for column in TEXT_COLUMNS:
        # Control characters (an ANSI escape pasted into a title) are never meaningful and
        # could drive a terminal: line breaks become spaces, the rest are dropped.
        text = mapped[column].astype("string").str.replace(_LINE_BREAKS, " ", regex=True)
        text = text.str.replace(_CONTROL, "", regex=True).str.strip()
        longest = MAX_TEXT_CHARACTERS[column]
        too_long = (text.str.len() > longest).fillna(False).astype(bool)
        if too_long.any():
            text = text.where(~too_long, text.str.slice(0, longest - 1) + "…")

            def cut(rows: pd.Index, column: str = column, longest: int = longest) -> str:
                n = len(rows)
                return (f"{plural(n, 'row')} {verb(n, 'has', 'have')} a {column} over "
                        f"{longest:,} characters (row {_listed_rows(raw[ROW].loc[rows])}): cut to "
                        f"{longest:,}")  # fmt: skip

            context.note_rows(too_long, cut)
        rows[column] = text.mask(missing_mask(mapped[column]))
    reasons: list[pd.Series] = []

    severity, bad = parse_severity(_apply_severity_map(mapped["severity"], severity_map))
    rows["severity"] = severity

    def not_understood(rows: pd.Index) -> str:
        shown = ", ".join(sorted({str(v) for v in mapped["severity"].loc[rows]})[:5])
        n = len(rows)
        return (f"{plural(n, 'row')} {verb(n, 'has', 'have')} a severity not understood "
                f"({shown}): left blank")  # fmt: skip

    context.note_rows(bad, not_understood)
    day_first = settings.day_first
    if day_first is None:
        day_first, guessed = date_order or day_first_order(
            [mapped[c] for c in TIMESTAMP_COLUMNS], timezone
        )
        if guessed:  # the same words for every file whose dates do not show their order
            context.column_note(
                f"dates such as 5/3/2026 are ambiguous in this file; read "
                f"{'day' if day_first else 'month'}-first (set day_first under sources in "
                "assessment.yaml to change)"
            )
    date1904 = bool(raw.attrs.get("date1904", False))
    for column in TIMESTAMP_COLUMNS:
        kinds: dict[str, pd.Series] = {}
        parsed, bad = parse_timestamps(
            mapped[column], timezone, day_first=day_first, date1904=date1904, problems=kinds
        )
        rows[column] = parsed
        out_of_range, time_only = kinds["out_of_range"], kinds["time_only"]
        reasons.append(_reason(out_of_range, f"{column} outside 1970-2099", mapped[column]))
        reasons.append(_reason(time_only, f"{column} is a time with no date", mapped[column]))
        reasons.append(_reason(bad & ~out_of_range & ~time_only, f"unparseable {column}",
                               mapped[column]))  # fmt: skip
    for column in TIMESTAMP_COLUMNS:
        offset = f"{column}{OFFSET_SUFFIX}"
        if offset in mapped:
            minutes = pd.to_numeric(mapped[offset], errors="coerce")
            # A vendor duration beyond ten years (or below zero) is a broken cell, not a time.
            minutes = minutes.where(minutes.between(0, MAX_OFFSET_MINUTES))
            derived = rows["detected_at"] + pd.to_timedelta(minutes, unit="min")
            rows[column] = rows[column].fillna(derived)
    for column in FLAG_COLUMNS:
        flags, _unknown = parse_flags(mapped[column])
        rows[column] = flags

    reasons.append(_reason(rows["incident_id"].isna(), "no incident id"))
    reasons.append(_reason(rows["detected_at"].isna() & ~_any(reasons), "no detection time"))
    reasons.append(_reason(rows["resolved_at"] < rows["detected_at"], "resolved before detected"))
    said_resolved = (
        mapped[STATUS_RESOLVED].fillna(False).astype(bool)
        if STATUS_RESOLVED in mapped
        else pd.Series(False, index=raw.index)
    )
    unresolved_claim = said_resolved & rows["resolved_at"].isna()
    reasons.append(_reason(unresolved_claim, "status says resolved but no resolution time"))
    resolution_headers = getattr(source, "RESOLUTION", ())
    if (
        len(raw)
        and "resolved_at" not in settings.columns
        and not has_any(columns, *resolution_headers)
    ):

        def no_resolution(rows: pd.Index) -> str:
            lost = len(rows)
            were = verb(lost, "is", "are")
            return (
                f"no resolution column ({', '.join(resolution_headers)}): "
                + (
                    f"{plural(lost, 'row')} whose status says resolved {were} rejected; "
                    if lost
                    else ""
                )
                + "the rest count as still open; add the column to the export"
            )

        context.note_rows(unresolved_claim, no_resolution, every_file=True)

    rows["source_file"] = label
    rows["source_row"] = raw[ROW].astype(int)
    rows["source_format"] = source.NAME
    rows["source_tool"] = source.NAME  # whose ids these are: duplicates are within a tool
    # What the service cell holds (Opsgenie: tags where a row names no service), for reasons.
    rows["service_from"] = mapped.get("service_from", "service")
    rows["exclude"] = mapped["exclude_reason"].astype("string")
    # Hand-made spreadsheets end with totals: a row that names itself so and has no time.
    undated = raw.loc[rows["detected_at"].isna()].drop(columns=ROW)
    first_cells = pd.Series(pd.NA, index=undated.index, dtype="string")
    for name in undated.columns:  # the first non-empty cell of each row, column by column
        cells = undated[name].astype("string").str.strip()
        first_cells = first_cells.fillna(cells.mask(cells == ""))
    summary = first_cells.str.match(_SUMMARY, na=False).reindex(rows.index, fill_value=False)
    rows.loc[summary & rows["exclude"].isna(), "exclude"] = "total or summary row, not an incident"
    rows["reject"] = _first_reason(reasons, raw.index)
    return rows, context


def _exclude_exercises(raw: pd.DataFrame, mapped: pd.DataFrame, settings: SourceSettings,
                       context: SourceContext) -> None:  # fmt: skip
    """Exclude what every format may hold beside its own markers: a row tagged or labelled
    as a test, drill or game day in any tag or label column, and (unless the source's
    ``test_titles`` is ``keep``) a row whose title plainly marks a test or drill."""
    exclude(mapped, contains_word(tags_of(raw), DRILL_TAGS), NOT_AN_INCIDENT)
    if settings.test_titles == "keep":
        return
    by_title = marks_a_test(mapped["title"]) & mapped["exclude_reason"].isna()
    exclude(mapped, by_title, TEST_BY_TITLE)

    def by_their_titles(rows: pd.Index) -> str:
        n = len(rows)
        shown = ", ".join(f"'{t}'" for t in mapped.loc[rows, "title"].astype(str)
                          .str.slice(0, 40).drop_duplicates().head(3))  # fmt: skip
        return (
            f"{plural(n, 'row')} excluded as {verb(n, 'a test or drill', 'tests or drills')} by "
            f"{verb(n, 'its title', 'their titles')} ({shown}); to count them, set test_titles: "
            "keep under sources or at the top of assessment.yaml"
        )

    context.note_rows(by_title, by_their_titles)


def _apply_severity_map(values: pd.Series, severity_map: dict[str, int] | None) -> pd.Series:
    """Cells named in ``severity_map`` (keys compared case-insensitively) as their severity
    number; other cells unchanged, for ``parse_severity``'s own vocabulary."""
    if not severity_map:
        return values
    lookup = {str(k).strip().lower(): str(v) for k, v in severity_map.items()}
    mapped = values.astype("string").str.strip().str.lower().map(lookup)
    return mapped.astype(object).where(mapped.notna(), values)


def _reason(mask: pd.Series, text: str, values: pd.Series | None = None) -> pd.Series:
    mask = mask.fillna(False).astype(bool)
    reason = pd.Series(pd.NA, index=mask.index, dtype="string")
    if values is not None:
        shown = values[mask].astype("string").str.slice(0, 40)
        reason[mask] = text + " '" + shown + "'"
    else:
        reason[mask] = text
    return reason


def _any(reasons: list[pd.Series]) -> pd.Series:
    found = pd.Series(False, index=reasons[0].index)
    for reason in reasons:
        found |= reason.notna()
    return found


def _first_reason(reasons: list[pd.Series], index: pd.Index) -> pd.Series:
    first = pd.Series(pd.NA, index=index, dtype="string")
    for reason in reasons:
        first = first.fillna(reason)
    return first


def _attribute_teams(rows: pd.DataFrame, assessment: Organisation) -> str | None:
    """Set ``team`` to a team key, or reject the row naming its service (DESIGN.md rules).

    A team cell matching a team's key, name or one of its aliases (case-insensitive) wins;
    otherwise the first of the row's services (comma- or semicolon-separated) that a team
    lists. Returns a note when rows name teams the organisation does not know, listing them
    with the valid team keys.
    """
    by_name: dict[str, str] = {}
    for team in assessment.teams.values():
        for name in (team.key, team.name, *team.aliases):
            by_name[name_skeleton(name)] = team.key
    by_service = {
        name_skeleton(service): team.key
        for team in assessment.teams.values()
        for service in team.services
    }

    def service_team(services: Any) -> Any:
        if pd.isna(services):
            return pd.NA
        for service in str(services).replace(";", ",").split(","):
            key = by_service.get(service.strip().lower())
            if key:
                return key
        return pd.NA

    # A cell is matched as it looks (``name_skeleton``: a zero-width space pasted from a
    # chat, NFD, any case), each distinct cell once.
    def as_seen(cells: pd.Series) -> pd.Series:
        text = cells.astype("string")
        return text.map({cell: name_skeleton(cell) for cell in text.dropna().unique()})

    named = as_seen(rows["team"]).map(by_name)
    mapped = as_seen(rows["service"]).map(service_team)
    team = named.fillna(mapped).astype("string")
    # An excluded row (a test, a totals row) is not counted as a row with an unknown team.
    unmapped = team.isna() & rows["reject"].isna() & rows["exclude"].isna()
    service = rows["service"].fillna("(none)")
    given = rows["team"].fillna("")
    # Opsgenie's tags stand in for a service: the reason names them as tags.
    named_as = rows["service_from"].fillna("service")
    reason = "no team for " + named_as + " '" + service.str.slice(0, 60) + "'"
    reason = reason.where(given == "", reason + " (team '" + given.str.slice(0, 40) + "' unknown)")
    rows.loc[unmapped, "reject"] = reason[unmapped]
    rows["team"] = team
    unknown = given[unmapped & (given != "")]
    if unknown.empty:
        return None
    counts = unknown.value_counts()
    shown = ", ".join(f"{name!r} ({plural(n, 'row')})" for name, n in counts.head(5).items())
    more = f" and {len(counts) - 5} more" if len(counts) > 5 else ""
    rejected = int(counts.sum())
    return (
        f"{plural(rejected, 'rejected row')} {verb(rejected, 'names a team', 'name teams')} "
        f"not in assessment.yaml: {shown}{more}; "
        f"team keys: {', '.join(sorted(assessment.teams))}; add a name or id a tool uses to "
        "a team's aliases"
    )


def _drop_duplicates(rows: pd.DataFrame) -> None:
    """Keep one row per incident of a tool among the rows still usable.

    Ids are unique within a tool, not across tools: rows are duplicates when they share
    the tool (``source_tool``: a format's exports and its API archive are one tool) and
    the id. Generic files (hand-kept sheets, exports of tools we do not know) may each
    number from 1, so their rows are duplicates only when the team and the detection time
    agree as well. The kept row is the most complete (most timestamps and flags filled),
    then the most recently resolved, then the last read; the others are excluded naming
    the kept row.
    """
    candidates = rows[rows["reject"].isna() & rows["exclude"].isna()]
    tool = candidates["source_tool"].astype("string")
    key = tool + "\x00" + candidates["incident_id"]
    generic = tool == generic_format.NAME
    if generic.any():
        detected = candidates["detected_at"].astype("string").fillna("")
        team = candidates["team"].astype("string").str.strip().str.lower().fillna("")
        key = key.where(~generic, key + "\x00" + team + "\x00" + detected)
    duplicated = key.duplicated(keep=False)
    if not duplicated.any():
        return
    group = candidates[duplicated].copy()
    group["_key"] = key[duplicated]
    group["_filled"] = group[[*TIMESTAMP_COLUMNS, *FLAG_COLUMNS]].notna().sum(axis=1)
    group["_resolved"] = group["resolved_at"].fillna(pd.Timestamp.min.tz_localize("UTC"))
    group["_order"] = range(len(group))
    group = group.sort_values(["_key", "_filled", "_resolved", "_order"])
    kept = group.groupby("_key", sort=False).tail(1)
    kept_at = dict(
        zip(
            kept["_key"],
            kept["source_file"] + " row " + kept["source_row"].astype(str),
            strict=True,
        )
    )
    dropped = group.index.difference(kept.index)
    rows.loc[dropped, "exclude"] = "duplicate of " + group.loc[dropped, "_key"].map(kept_at)
