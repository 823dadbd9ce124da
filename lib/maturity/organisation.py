"""The organisation's settings: ``assessments/<org>/assessment.yaml``.

See DESIGN.md "Input layout". The folder's name is the organisation's key (reports go to
``<out>/<key>/<quarter>/``); ``organisation`` is its display name.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import yaml

from maturity.errors import ConfigError, InputFileError

ASSESSMENT_FILE = "assessment.yaml"
#: The folder under ``incidents/`` where ``maturity fetch`` keeps its archives.
FETCHED = "fetched"
INCIDENT_SUFFIXES = (".csv", ".xlsx")


@dataclass(frozen=True)
class Team:
    """A team of the organisation: its key (used in file names and JSON), name, services,
    and aliases: other names and ids the incident tools use for it (an escalation policy,
    a ServiceNow assignment group's sys_id)."""

    key: str
    name: str
    services: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceSettings:
    """Per-file overrides: the export's format and the time zone of its naive timestamps."""

    path: str
    format: str | None = None
    timezone: str | None = None
    columns: dict[str, str] = field(default_factory=dict)  # canonical column -> file's header
    day_first: bool | None = None  # None: decided from the file
    severity_map: dict[str, int] = field(default_factory=dict)  # cell text -> severity 1-5
    # Rows whose title plainly marks a test or drill: "exclude" (the default) or "keep".
    test_titles: str = "exclude"


@dataclass(frozen=True)
class Organisation:
    """An organisation's assessment folder, loaded and checked."""

    root: Path
    name: str  # the organisation's display name (``organisation:`` in assessment.yaml)
    timezone: str
    teams: dict[str, Team]
    sources: tuple[SourceSettings, ...] = ()
    slo_minutes: dict[int, float] = field(default_factory=dict)
    evidence_thresholds: dict[str, Any] = field(default_factory=dict)
    dora_bands: dict[str, Any] = field(default_factory=dict)  # year, elite, high, medium
    as_of: pd.Timestamp | None = None  # when the exports were taken (UTC); None: from the data
    severity_map: dict[str, int] = field(default_factory=dict)  # for every source
    test_titles: str = "exclude"  # for every source without its own setting
    warnings: tuple[str, ...] = ()  # settings ignored (unknown keys), shown by the CLI
    # ``fetch:``: per source, its variables (role -> name), base URL and filters
    fetch: dict[str, dict[str, Any]] = field(default_factory=dict)
    anonymous: bool = False  # respondents shown as "respondent 1, 2", never by name

    @property
    def key(self) -> str:
        """The organisation's key: the assessment folder's real name (``..`` names the folder
        it points at)."""
        return self.root.resolve().name

    def unknown_team(self, key: str, where: str | None = None) -> ConfigError:
        """The error for a team key not in assessment.yaml, listing the valid keys."""
        known = ", ".join(sorted(self.teams)) or "none"
        place = where or f"{self.key}/assessment.yaml"
        close = difflib.get_close_matches(str(key).lower(), sorted(self.teams), n=1, cutoff=0.75)
        guess = f"; did you mean {close[0]}?" if close else ""
        return ConfigError(f"{place}: no team {key!r} in assessment.yaml (teams: {known}){guess}")

    def team(self, key: str) -> Team:
        """The team with this key; a ConfigError listing the valid keys otherwise."""
        if key not in self.teams:
            raise self.unknown_team(key)
        return self.teams[key]

    @property
    def answers_dir(self) -> Path:
        return self.root / "answers"

    def incident_files(self) -> list[Path]:
        """The exports under ``incidents/``, sorted by name so loads are reproducible: regular
        ``.csv`` and ``.xlsx`` files, and links to such files inside the assessment folder.
        Everything else there is listed by ``skipped_incident_files`` with the reason."""
        return [path for path, why in self._incident_entries() if why is None]

    def skipped_incident_files(self) -> list[tuple[Path, str]]:
        """Entries of ``incidents/`` that are not read, each with why."""
        return [(path, why) for path, why in self._incident_entries() if why is not None]

    def _incident_entries(self) -> list[tuple[Path, str | None]]:
        folder = self.root / "incidents"
        if not folder.is_dir():
            return []
        root = self.root.resolve()
        entries: list[tuple[Path, str | None]] = []
        for path in sorted(folder.iterdir()):
            if path.name == FETCHED and path.is_dir() and not path.is_symlink():
                continue  # archives of maturity fetch: fetched_archives
            if _not_utf8(path.name):
                # The name travels into the ledger, the cache and the reports, all UTF-8.
                entries.append((path, "its name is not UTF-8 text; rename the file"))
                continue
            if path.name.startswith(".") or path.suffix.lower() not in INCIDENT_SUFFIXES:
                if not path.name.startswith("."):
                    entries.append((path, "not a .csv or .xlsx export"))
                continue
            if path.is_symlink():
                target = path.resolve()
                if not target.exists():
                    entries.append((path, "a link to a file that does not exist"))
                    continue
                if not target.is_relative_to(root):
                    entries.append((path, "a link to a file outside the assessment folder"))
                    continue
            if path.is_dir():
                entries.append((path, "a folder, not a file"))
            elif not path.is_file():
                entries.append((path, "not a regular file (a pipe or device?)"))
            else:
                entries.append((path, None))
        return entries

    @property
    def fetched_dir(self) -> Path:
        return self.root / "incidents" / FETCHED

    def fetched_archives(self) -> list[Path]:
        """The archives ``maturity fetch`` wrote: ``incidents/fetched/<source>/`` folders
        holding a manifest, sorted by source."""
        if not self.fetched_dir.is_dir():
            return []
        return sorted(
            p for p in self.fetched_dir.iterdir()
            if p.is_dir() and not p.is_symlink() and (p / "manifest.json").is_file()
        )  # fmt: skip

    def source_settings(self, path: Path) -> SourceSettings:
        """The ``sources:`` entry for ``path``, or defaults when it has none."""
        for source in self.sources:
            if (self.root / source.path).resolve() == path.resolve():
                return replace(
                    source,
                    severity_map={**self.severity_map, **source.severity_map},
                    test_titles=source.test_titles or self.test_titles,
                )
        return SourceSettings(
            path=self.relative(path),
            severity_map=dict(self.severity_map),
            test_titles=self.test_titles,
        )

    def relative(self, path: Path) -> str:
        """``path`` relative to the assessment folder where it lies inside it (for messages)."""
        # The path as found (a link keeps its own name), else where it really is.
        for candidate, root in ((path, self.root), (path.resolve(), self.root.resolve())):
            try:
                return candidate.relative_to(root).as_posix()
            except ValueError:
                continue
        return str(path)

    def quarters_with_answers(self) -> list[str]:
        """Quarters that have an ``answers/<YYYY-Qn>/`` folder with at least one file, sorted."""
        if not self.answers_dir.is_dir():
            return []
        suffixes = (".yaml", ".yml", ".xlsx")

        def answered(folder: Path) -> bool:  # a file, or a team folder of respondents' files
            return any(
                f.suffix.lower() in suffixes
                or (f.is_dir() and any(g.suffix.lower() in suffixes for g in f.iterdir()))
                for f in folder.iterdir()
            )

        return sorted(d.name for d in self.answers_dir.iterdir() if d.is_dir() and answered(d))


def check_timezone(name: Any, where: str) -> str:
    """``name`` if it is an IANA time zone, else a ConfigError naming ``where``."""
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"{where}: unknown time zone {name!r} (use an IANA name such as Europe/London)"
        ) from exc
    return str(name)


#: Limits on a settings or answers YAML file: its size, and how far its aliases may expand
#: (a "billion laughs" document is a few lines whose aliases expand exponentially).
MAX_YAML_BYTES = 1 << 20
MAX_YAML_NODES = 200_000

#: libyaml's parser where PyYAML was built with it (ten times faster: a review reads one
#: answers file per team and quarter), else the pure-Python one; both construct safely.
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """A YAML file's content; a one-line ConfigError naming the file and line when it is
    malformed, too large, repeats a key, or holds aliases that expand beyond reason."""
    try:
        if path.is_dir():
            raise InputFileError(f"{path}: a folder, not a YAML file")
        if path.stat().st_size > MAX_YAML_BYTES:
            raise ConfigError(f"{path}: over {MAX_YAML_BYTES >> 10} KB; not a settings file")
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise InputFileError(f"{path}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text") from exc
    except OSError as exc:
        raise InputFileError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    try:
        try:
            return _parse_yaml(text, path, _SafeLoader)
        except yaml.YAMLError:
            # A malformed file is rare: the pure-Python parser names its line as users expect.
            try:
                return _parse_yaml(text, path, yaml.SafeLoader)
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f" line {mark.line + 1}" if mark is not None else ""
                problem = getattr(exc, "problem", None) or "invalid YAML"
                raise ConfigError(f"{path}:{where}: {problem}") from exc
    except RecursionError as exc:  # from either parser, or from the checks of its nodes
        raise ConfigError(f"{path}: nested too deeply to be a settings file") from exc


def _parse_yaml(text: str, path: Path, loader_class: Any) -> Any:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_yaml_node(node, path)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_yaml_node(root: yaml.Node, path: Path) -> None:
    """Refuse a repeated mapping key (YAML keeps the last, silently) and aliases whose
    expansion would exceed ``MAX_YAML_NODES`` (sizes memoised: linear in the document)."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        sizes[id(node)] = 1  # a recursive alias counts once
        total = 1
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        raise ConfigError(
                            f"{path}: line {key.start_mark.line + 1}: key {key.value!r} repeats "
                            f"line {seen[key.value] + 1}; YAML would keep only the last"
                        )
                    seen[key.value] = key.start_mark.line
                total += size(key) + size(value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        if total > MAX_YAML_NODES:
            raise ConfigError(
                f"{path}: its aliases expand to over {MAX_YAML_NODES:,} values; refusing it"
            )
        sizes[id(node)] = total
        return total

    size(root)


def _not_utf8(name: str) -> bool:
    """Whether a file name as the OS gave it holds bytes that are not UTF-8 (Python keeps
    them as lone surrogates, which no UTF-8 writer accepts)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def is_organisation_folder(path: Path) -> bool:
    return path.is_dir() and (path / ASSESSMENT_FILE).is_file()


#: Team and organisation keys become file and folder names: letters, digits, ``-``, ``_``
#: and ``.`` (not first), at most 64 characters. No ``/``, no ``..``, nothing absolute.
SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def check_key(key: str, what: str, where: str) -> str:
    """``key`` if it is safe as a file name; a ConfigError naming ``where`` otherwise."""
    if not SAFE_KEY.match(key) or ".." in key:
        raise ConfigError(
            f"{where}: {what} {key[:80]!r} is not a safe key: use letters, digits, '-', '_' "
            "and '.' (not first), up to 64 characters"
        )
    return key


#: Controls and noncharacters, as the inside of a regular expression's character class:
#: no name holds them, and an export's text drops them (``ingest.incidents``).
NOT_TEXT = "\x00-\x1f\x7f-\x9f\ufdd0-\ufdef" + "".join(
    chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17)
)
#: Characters no name may hold: C0 and C1 controls and DEL (an escape sequence in a team's
#: name crashed the chart renderer and could drive a terminal), lone surrogates, and
#: Unicode's noncharacters (U+FDD0-U+FDEF and the last two code points of every plane).
_NOT_IN_NAMES = re.compile(f"[{NOT_TEXT}\ud800-\udfff]")
#: A name is a label: past this many characters it is not one (a 300 KB name made a 27 MB PDF).
MAX_NAME_CHARACTERS = 200
#: Characters that show nothing where they stand: Unicode's format characters (zero-width
#: space, word joiner, direction marks and overrides, the byte-order mark, soft hyphen, tag
#: characters) and the line and paragraph separators. A name holding one looks exactly
#: like the name without it ("Pay\u200bments" beside "Payments").
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Zl", "Zp"})
#: The joiners that do show, between two letters of a script that joins (Persian, the
#: Indic scripts) or in an emoji sequence: allowed there, never beside ASCII.
_JOINERS = "\u200c\u200d"


def invisible_at(name: str) -> int | None:
    """The position (0-based) of the first character of ``name`` that shows nothing, or
    None (see ``_INVISIBLE_CATEGORIES``; a joiner between two non-ASCII characters shows)."""
    import unicodedata

    for i, char in enumerate(name):
        if unicodedata.category(char) not in _INVISIBLE_CATEGORIES:
            continue
        if (
            char in _JOINERS
            and 0 < i < len(name) - 1
            and not (name[i - 1].isascii() or name[i + 1].isascii())
        ):
            continue
        return i
    return None


def _shown_as(name: str) -> str:
    import unicodedata

    return "".join(c for c in name if unicodedata.category(c) not in _INVISIBLE_CATEGORIES)


def name_skeleton(name: str) -> str:
    """What a name looks like, for telling names apart: composed (NFC), without characters
    that show nothing, lower case."""
    import unicodedata

    return _shown_as(unicodedata.normalize("NFC", name)).strip().lower()


def check_name(value: Any, what: str, where: str) -> str:
    """``value`` as a name: text in Unicode's composed form (NFC, so a name typed on a Mac
    and one typed on Windows are the same name), without surrounding spaces; a ConfigError
    naming ``where`` when it holds a control character, a noncharacter or a character that
    shows nothing (``invisible_at``), or is too long."""
    import unicodedata

    name = unicodedata.normalize("NFC", str(value)).strip()
    bad = _NOT_IN_NAMES.search(name)
    if bad:
        raise ConfigError(
            f"{where}: {what} {name[:60]!r} holds the character U+{ord(bad[0]):04X} at "
            f"position {bad.start() + 1} (a control character or a noncharacter); remove it"
        )
    if len(name) > MAX_NAME_CHARACTERS:
        raise ConfigError(
            f"{where}: {what} {name[:40]!r}... is {len(name):,} characters long, over the "
            f"{MAX_NAME_CHARACTERS} a name may have"
        )
    hidden = invisible_at(name)
    if hidden is not None:
        char = name[hidden]
        raise ConfigError(
            f"{where}: {what} {name[:60]!r} holds the invisible character U+{ord(char):04X} "
            f"({unicodedata.name(char, 'a format character')}) at position {hidden + 1}, so "
            f"it looks like {_shown_as(name[:60])!r} but is another name; remove it"
        )
    return name


def load_organisation(path: str | Path) -> Organisation:
    """Load ``assessment.yaml`` from an assessment folder (or the file itself) and check it
    against the schema (``maturity.settings``): every problem is named with its key path."""
    from maturity.settings import parse_assessment

    path = Path(path)
    if path.is_file() and path.name == ASSESSMENT_FILE:
        path = path.parent
    if not path.exists():
        raise InputFileError(f"{path}: no such file or folder")
    if not is_organisation_folder(path):
        raise InputFileError(f"{path}: not an assessment folder (it has no {ASSESSMENT_FILE})")
    # The key is the folder's real name: "." or ".." name the folder they point at.
    key = check_key(path.resolve().name, "the assessment folder's name", str(path))
    file = path / ASSESSMENT_FILE
    spec = parse_assessment(read_yaml(file), file)
    timezone = check_timezone(spec.timezone, f"{file}: timezone")
    teams = {}
    for team_key, team in spec.teams.items():
        check_key(team_key, "team key", f"{file}: teams")
        where = f"{file}: teams.{team_key}"
        teams[team_key] = Team(
            key=team_key,
            name=check_name(team.name, "name", where) if team.name else team_key,
            services=tuple(check_name(s, "service", where) for s in team.services),
            aliases=tuple(check_name(a, "alias", where) for a in team.aliases),
        )
    _check_unique_names(teams, file)
    sources = tuple(
        SourceSettings(
            path=source.path,
            format=source.format.lower() if source.format else None,
            timezone=(
                check_timezone(source.timezone, f"{file}: sources.{i}.timezone")
                if source.timezone
                else None
            ),
            columns=dict(source.columns),
            day_first=source.day_first,
            severity_map=dict(source.severity_map),
            test_titles=source.test_titles or "",
        )
        for i, source in enumerate(spec.sources)
    )
    return Organisation(
        root=path,
        name=check_name(spec.organisation, "organisation", str(file)) if spec.organisation else key,
        timezone=timezone,
        teams=teams,
        sources=sources,
        slo_minutes=dict(spec.slo_minutes),
        evidence_thresholds=dict(spec.evidence_thresholds),
        dora_bands=_dora_bands(spec.dora_bands, file),
        as_of=_as_of(spec.as_of, file, timezone),
        severity_map=dict(spec.severity_map),
        test_titles=spec.test_titles,
        warnings=tuple(spec.warnings),
        fetch={
            name: {
                "variables": source.variables(),
                "base_url": source.base_url,
                "filters": {
                    k: v
                    for k, v in source.model_dump().items()
                    if k != "base_url" and v not in (None, [])
                },
            }
            for name, source in spec.fetch.items()
        },
        anonymous=spec.anonymous,
    )


def _check_unique_names(teams: dict[str, Team], file: Path) -> None:
    """A name, alias or service that points at two teams would attribute rows at random."""
    owners: dict[tuple[str, str], str] = {}
    for team in teams.values():
        labels = {("name", name_skeleton(n)) for n in (team.key, team.name, *team.aliases)}
        labels |= {("service", name_skeleton(s)) for s in team.services}
        for label in sorted(labels):
            other = owners.setdefault(label, team.key)
            if other != team.key:
                raise ConfigError(
                    f"{file}: {label[0]} {label[1]!r} is claimed by teams {other!r} and "
                    f"{team.key!r}; each name, alias and service belongs to one team"
                )


def _as_of(value: Any, file: Path, timezone: str) -> pd.Timestamp | None:
    """``as_of``: a date or date-time (naive ones on the organisation's clock), in UTC."""
    if value is None:
        return None
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"{file}: as_of must be a date or date-time such as 2026-10-02T09:00:00Z, got {value!r}"
        ) from exc
    if pd.isna(stamp):
        raise ConfigError(f"{file}: as_of must be a date or date-time, got {value!r}")
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(timezone, nonexistent="shift_forward", ambiguous=True)
    return stamp.tz_convert("UTC")


def _dora_bands(value: Any, file: Path) -> dict[str, Any]:
    """``dora_bands: {year: 2021, elite: 60, high: 1440, medium: 10080}`` (minutes)."""
    if not value:
        return {}
    if not isinstance(value, dict) or not {"elite", "high", "medium"} <= set(value):
        raise ConfigError(f"{file}: dora_bands needs elite, high and medium (minutes) and a year")
    try:
        bands = {k: float(value[k]) for k in ("elite", "high", "medium")}
        year = int(value.get("year", 0))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{file}: dora_bands values must be numbers of minutes") from exc
    if not bands["elite"] < bands["high"] < bands["medium"]:
        raise ConfigError(f"{file}: dora_bands must rise: elite < high < medium")
    source = str(value.get("source") or f"bands of {year}: elite < {bands['elite']:g} min, "
                 f"high < {bands['high']:g} min, medium < {bands['medium']:g} min")  # fmt: skip
    return {"year": year, **bands, "source": source}
