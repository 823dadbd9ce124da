"""The organisation's settings: ``assessments/<org>/assessment.yaml``.

See DESIGN.md "Input layout". The folder's name is the organisation's key (reports go to
``<out>/<key>/<quarter>/``); ``organisation`` is its display name.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd
import yaml

from maturity.errors import ConfigError, InputFileError

ASSESSMENT_FILE = "assessment.yaml"
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

    @property
    def key(self) -> str:
        """The organisation's key: the assessment folder's name."""
        return self.root.name

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
        """The exports under ``incidents/``, sorted by name so loads are reproducible."""
        folder = self.root / "incidents"
        if not folder.is_dir():
            return []
        return sorted(
            p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in INCIDENT_SUFFIXES
        )

    def source_settings(self, path: Path) -> SourceSettings:
        """The ``sources:`` entry for ``path``, or defaults when it has none."""
        for source in self.sources:
            if (self.root / source.path).resolve() == path.resolve():
                return replace(source, severity_map={**self.severity_map, **source.severity_map})
        return SourceSettings(path=self.relative(path), severity_map=dict(self.severity_map))

    def relative(self, path: Path) -> str:
        """``path`` relative to the assessment folder where it lies inside it (for messages)."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)

    def quarters_with_answers(self) -> list[str]:
        """Quarters that have an ``answers/<YYYY-Qn>/`` folder with at least one file, sorted."""
        if not self.answers_dir.is_dir():
            return []
        return sorted(
            d.name
            for d in self.answers_dir.iterdir()
            if d.is_dir() and any(f.suffix in (".yaml", ".yml", ".xlsx") for f in d.iterdir())
        )


def check_timezone(name: Any, where: str) -> str:
    """``name`` if it is an IANA time zone, else a ConfigError naming ``where``."""
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"{where}: unknown time zone {name!r} (use an IANA name such as Europe/London)"
        ) from exc
    return str(name)


def read_yaml(path: Path) -> Any:
    """A YAML file's content; a one-line ConfigError naming the file and line when malformed."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise InputFileError(f"{path}: no such file") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}:{where}: {problem}") from exc


def is_organisation_folder(path: Path) -> bool:
    return path.is_dir() and (path / ASSESSMENT_FILE).is_file()


def load_organisation(path: str | Path) -> Organisation:
    """Load ``assessment.yaml`` from an assessment folder (or the file itself) and check it."""
    path = Path(path)
    if path.is_file() and path.name == ASSESSMENT_FILE:
        path = path.parent
    if not path.exists():
        raise InputFileError(f"{path}: no such file or folder")
    if not is_organisation_folder(path):
        raise InputFileError(f"{path}: not an assessment folder (it has no {ASSESSMENT_FILE})")
    file = path / ASSESSMENT_FILE
    data = read_yaml(file)
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: expected a mapping with organisation, timezone and teams")

    organisation = str(data.get("organisation") or path.name)
    timezone = check_timezone(data.get("timezone", "UTC"), f"{file}: timezone")

    raw_teams = data.get("teams")
    if not isinstance(raw_teams, dict) or not raw_teams:
        raise ConfigError(f"{file}: 'teams' must map each team key to its name and services")
    teams: dict[str, Team] = {}
    for key, spec in raw_teams.items():
        spec = spec or {}
        if not isinstance(spec, dict):
            raise ConfigError(f"{file}: team {key!r} must be a mapping with name and services")
        teams[str(key)] = Team(
            key=str(key),
            name=str(spec.get("name") or key),
            services=_names(spec.get("services"), f"{file}: teams.{key}.services"),
            aliases=_names(spec.get("aliases"), f"{file}: teams.{key}.aliases"),
        )
    _check_unique_names(teams, file)

    sources = []
    for i, spec in enumerate(data.get("sources") or [], start=1):
        if not isinstance(spec, dict) or "path" not in spec:
            raise ConfigError(f"{file}: sources entry {i} needs a 'path'")
        tz = spec.get("timezone")
        sources.append(
            SourceSettings(
                path=str(spec["path"]),
                format=str(spec["format"]).lower() if spec.get("format") else None,
                timezone=check_timezone(tz, f"{file}: sources entry {i}") if tz else None,
                columns={str(k): str(v) for k, v in (spec.get("columns") or {}).items()},
                day_first=spec.get("day_first"),
                severity_map=_severity_map(
                    spec.get("severity_map"), f"{file}: sources entry {i}: severity_map"
                ),
            )
        )

    slo: dict[int, float] = {}
    for sev, minutes in (data.get("slo_minutes") or {}).items():
        try:
            slo[int(sev)] = float(minutes)
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"{file}: slo_minutes must map severity 1-5 to minutes, got {sev!r}: {minutes!r}"
            ) from exc

    return Organisation(
        root=path,
        name=organisation,
        timezone=timezone,
        teams=teams,
        sources=tuple(sources),
        slo_minutes=slo,
        evidence_thresholds=dict(data.get("evidence_thresholds") or {}),
        dora_bands=_dora_bands(data.get("dora_bands"), file),
        as_of=_as_of(data.get("as_of"), file, timezone),
        severity_map=_severity_map(data.get("severity_map"), f"{file}: severity_map"),
    )


def _names(value: Any, where: str) -> tuple[str, ...]:
    """A list of names (or one name) as stripped text."""
    if value is None:
        return ()
    if isinstance(value, str | int):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise ConfigError(f"{where}: expected a list of names")
    return tuple(str(v).strip() for v in value if str(v).strip())


def _check_unique_names(teams: dict[str, Team], file: Path) -> None:
    """A name, alias or service that points at two teams would attribute rows at random."""
    owners: dict[tuple[str, str], str] = {}
    for team in teams.values():
        labels = {("name", n.lower()) for n in (team.key, team.name, *team.aliases)}
        labels |= {("service", s.lower()) for s in team.services}
        for label in sorted(labels):
            other = owners.setdefault(label, team.key)
            if other != team.key:
                raise ConfigError(
                    f"{file}: {label[0]} {label[1]!r} is claimed by teams {other!r} and "
                    f"{team.key!r}; each name, alias and service belongs to one team"
                )


def _severity_map(value: Any, where: str) -> dict[str, int]:
    """``severity_map: {P1: 1, high: 2, Critical: 1}``: cell text -> severity 1 (worst)-5."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping such as {{P1: 1, high: 2}}")
    mapping = {}
    for key, severity in value.items():
        if isinstance(severity, bool) or not isinstance(severity, int) or not 1 <= severity <= 5:
            raise ConfigError(f"{where}: {key!r} must map to a severity 1 (worst) to 5")
        mapping[str(key).strip().lower()] = severity
    return mapping


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
