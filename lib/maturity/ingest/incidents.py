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

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from maturity.errors import ConfigError, InputFileError
from maturity.ingest import cache
from maturity.ingest.cells import (
    day_first_order,
    missing_mask,
    parse_flags,
    parse_severity,
    parse_timestamps,
)
from maturity.ingest.fetched import format_name, read_archive
from maturity.ingest.formats import check_required, detect_format, get_format
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
        return _load(paths.incident_files(), paths, file_errors)
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
        return _load(assessment.incident_files(), assessment, file_errors)
    for p in files:
        if p.is_dir():
            raise InputFileError(f"{p}: a folder without assessment.yaml; give export files")
    return _load(files, None, file_errors)


def _load(files: Iterable[Path], assessment: Organisation | None,
          file_errors: list[str] | None = None) -> IncidentSet:  # fmt: skip
    timezone = assessment.timezone if assessment else "UTC"
    frames, notes = [], []
    for path in files:
        label = assessment.relative(path) if assessment else str(path)
        settings = assessment.source_settings(path) if assessment else SourceSettings(str(path))
        try:
            rows, file_notes = _read_file(path, label, settings, timezone)
        except (InputFileError, ConfigError) as exc:
            if file_errors is None:
                raise
            file_errors.append(str(exc))
            continue
        frames.append(rows)
        notes.extend(file_notes)
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
        frames.append(archive.annotate(rows))
        name = format_name(archive.source)
        notes.extend({**n, "format": name if n["format"] == "generic" else n["format"]}
                     for n in archive_notes)  # fmt: skip
    rows = pd.concat(frames, ignore_index=True) if frames else empty_rows()
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


def _read_file(
    path: Path, label: str, settings: SourceSettings, org_timezone: str
) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """One export's normalised rows and notes, from the cache when the file is unchanged."""
    check_readable(path, label)  # a missing, odd or unreadable path: one line
    key = cache.file_key(
        path,
        {"label": label, "org_timezone": org_timezone, "format": settings.format,
         "timezone": settings.timezone, "columns": settings.columns,
         "day_first": settings.day_first, "severity_map": settings.severity_map,
         "test_titles": settings.test_titles},
    )  # fmt: skip
    cached = cache.load(key)
    if cached is not None:
        return cached
    notes: list[dict[str, str]] = []
    rows = _normalise_file(path, label, settings, org_timezone, notes, settings.severity_map)
    cache.store(key, rows, notes)
    return rows, notes


def _normalise_file(
    path: Path,
    label: str,
    settings: SourceSettings,
    org_timezone: str,
    notes: list[dict],
    severity_map: dict[str, int] | None = None,
) -> pd.DataFrame:
    raw = read_table(path, label)
    columns = [c for c in raw.columns if c != ROW]
    if settings.format:
        source = get_format(settings.format, label)
        check_required(source, columns, label, supplied=list(settings.columns))
    else:
        source = detect_format(columns, label)
    return normalise_table(raw, source, label, settings, org_timezone, notes, severity_map)


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
    columns = [c for c in raw.columns if c != ROW]
    timezone = settings.timezone or org_timezone
    context = SourceContext(label=label, timezone=timezone)
    for note in raw.attrs.get("notes", []):
        context.note(note)
    if raw.empty:
        context.note("header only: no incident rows in this export (a quiet period?)")
    mapped = source.to_canonical(raw, context)
    for canonical, header in settings.columns.items():
        if canonical not in CANONICAL_COLUMNS:
            raise ConfigError(
                f"{label}: columns override names {canonical!r}, not a canonical column"
            )
        if header not in raw.columns:
            raise InputFileError(f"{label}: columns override {canonical}: no column {header!r}")
        mapped[canonical] = raw[header]
    _exclude_exercises(raw, mapped, settings, context)

    rows = pd.DataFrame(index=raw.index)
    for column in TEXT_COLUMNS:
        # Control characters (an ANSI escape pasted into a title) are never meaningful and
        # could drive a terminal: line breaks become spaces, the rest are dropped.
        text = mapped[column].astype("string").str.replace(_LINE_BREAKS, " ", regex=True)
        text = text.str.replace(_CONTROL, "", regex=True).str.strip()
        longest = MAX_TEXT_CHARACTERS[column]
        too_long = text.str.len() > longest
        if too_long.any():
            text = text.where(~too_long, text.str.slice(0, longest - 1) + "…")
            n = int(too_long.sum())
            context.note(
                f"{plural(n, 'row')} {verb(n, 'has', 'have')} a {column} over {longest:,} "
                f"characters (row {_listed_rows(raw[ROW][too_long])}): cut to {longest:,}"
            )
        rows[column] = text.mask(missing_mask(mapped[column]))
    reasons: list[pd.Series] = []

    severity, bad = parse_severity(_apply_severity_map(mapped["severity"], severity_map))
    rows["severity"] = severity
    if bad.any():
        shown = ", ".join(sorted({str(v) for v in mapped["severity"][bad]})[:5])
        n = int(bad.sum())
        context.note(
            f"{plural(n, 'row')} {verb(n, 'has', 'have')} a severity not understood ({shown}): "
            "left blank"
        )
    day_first = settings.day_first
    if day_first is None:
        day_first, guessed = day_first_order([mapped[c] for c in TIMESTAMP_COLUMNS], timezone)
        if guessed:
            context.note(
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
        lost = int(unresolved_claim.sum())
        were = verb(lost, "is", "are")
        context.note(
            f"no resolution column ({', '.join(resolution_headers)}): "
            + (
                f"{plural(lost, 'row')} whose status says resolved {were} rejected; "
                if lost
                else ""
            )
            + "the rest count as still open; add the column to the export"
        )

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
    notes.extend({"file": label, "format": source.NAME, "note": n} for n in context.notes)
    return rows


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
    if by_title.any():
        n = int(by_title.sum())
        shown = ", ".join(f"'{t}'" for t in mapped.loc[by_title, "title"].astype(str)
                          .str.slice(0, 40).drop_duplicates().head(3))  # fmt: skip
        context.note(
            f"{plural(n, 'row')} excluded as {verb(n, 'a test or drill', 'tests or drills')} by "
            f"{verb(n, 'its title', 'their titles')} ({shown}); to count them, set test_titles: "
            "keep under sources or at the top of assessment.yaml"
        )


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
            by_name[name.strip().lower()] = team.key
    by_service = {
        service.lower(): team.key for team in assessment.teams.values() for service in team.services
    }

    def service_team(services: Any) -> Any:
        if pd.isna(services):
            return pd.NA
        for service in str(services).replace(";", ",").split(","):
            key = by_service.get(service.strip().lower())
            if key:
                return key
        return pd.NA

    named = rows["team"].str.strip().str.lower().map(by_name)
    mapped = rows["service"].map(service_team)
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
