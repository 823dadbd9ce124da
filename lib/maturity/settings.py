"""The schema of ``assessment.yaml`` (DESIGN.md "Input layout"), checked with pydantic.

Every problem in the file is reported at once, each with its key path
(``teams.payments.aliases.2: ...``), in one ``ConfigError`` line. Types are checked as a
person writes YAML: a single name where a list is expected is a list of one; numbers used as
names (``aliases: [12345]``) are names. Keys the schema does not know are not an error (a
settings file may carry notes of its own) but are returned as ``warnings``, which the
command line prints, so a misspelled key (``slo_minute``) never goes unnoticed.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from maturity.errors import ConfigError

#: At most this many aliases or services per team, and characters per name.
MAX_NAMES = 1000
MAX_NAME_LENGTH = 200
STATEMENT_ID = re.compile(r"^(people|process|technology|measurement)\.[1-5][a-z]$")


def _names(value: Any) -> Any:
    """One name, or a list of names; numbers are names too."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
                for v in value]  # fmt: skip
    return value


def _text(value: Any) -> Any:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _mapping_keys_as_text(value: Any) -> Any:
    if isinstance(value, dict):
        return {_text(k): v for k, v in value.items()}
    return value


def _teams(value: Any) -> Any:
    """Team keys as text; a team given by its key alone (``payments:``) has no settings."""
    if isinstance(value, dict):
        return {_text(k): {} if v is None else v for k, v in value.items()}
    return value


Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH)]
Names = Annotated[list[Name], BeforeValidator(_names), Field(max_length=MAX_NAMES)]
Text = Annotated[str, BeforeValidator(_text)]
Severity = Annotated[int, Field(ge=1, le=5, strict=True)]
SeverityMap = Annotated[dict[Text, Severity], BeforeValidator(_mapping_keys_as_text)]
Minutes = Annotated[float, Field(gt=0, allow_inf_nan=False)]
#: What to do with rows whose title plainly marks a test or drill ("[TEST] ...").
TestTitles = Literal["exclude", "keep"]


def _finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    def unknown_keys(self, prefix: str = "") -> list[str]:
        """Keys given in the file that this part of the schema does not define."""
        found = [f"{prefix}{key}" for key in sorted(self.model_extra or {})]
        for name, value in self:
            children = value.items() if isinstance(value, dict) else enumerate(value) \
                if isinstance(value, list | tuple) else [(None, value)]  # fmt: skip
            for key, child in children:
                if isinstance(child, _Spec):
                    where = f"{prefix}{name}." + ("" if key is None else f"{key}.")
                    found.extend(child.unknown_keys(where))
        return found


class TeamSpec(_Spec):
    name: Annotated[str | None, BeforeValidator(_text)] = None
    services: Names = []
    aliases: Names = []


class SourceSpec(_Spec):
    path: Annotated[str, Field(min_length=1)]
    format: str | None = None
    timezone: str | None = None
    columns: dict[str, str] = {}  # canonical column -> header; names checked on reading
    day_first: Annotated[bool | None, Field(strict=False)] = None
    severity_map: SeverityMap = {}
    test_titles: TestTitles | None = None  # None: the organisation's setting

    @field_validator("day_first", mode="before")
    @classmethod
    def _yes_or_no(cls, value: Any) -> Any:
        if value is None or isinstance(value, bool):
            return value
        raise ValueError("must be true or false")


#: The tools ``maturity fetch`` reads (``fetch:`` keys).
FETCH_SOURCES = ("pagerduty", "opsgenie", "jira", "servicenow", "incidentio")
#: Keys of ``fetch: <source>:`` that would hold a secret itself: refused, never stored.
SECRET_KEYS = frozenset({"token", "password", "secret", "key", "api_key", "apikey", "api_token"})
VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class FetchSpec(_Spec):
    """One source under ``fetch:``: its base URL, filters, and ``<role>_env`` keys naming the
    environment variables that hold its credentials (``token_env: PD_READ_TOKEN``)."""

    base_url: str | None = None
    services: Names = []
    teams: Names = []
    projects: Names = []
    assignment_groups: Names = []
    query: Annotated[str | None, BeforeValidator(_text)] = None
    jql: Annotated[str | None, BeforeValidator(_text)] = None
    team_field: str | None = None
    service_field: str | None = None
    acknowledged_statuses: Names = []
    mitigated_statuses: Names = []

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        problems = []
        for key, given in value.items():
            name = str(key).lower()
            if name in SECRET_KEYS:
                problems.append(
                    f"{key}: never put a secret in assessment.yaml; keep it in an environment "
                    f"variable and name that variable with {name}_env"
                )
            elif name.endswith("_env") and not (
                isinstance(given, str) and VARIABLE_NAME.match(given)
            ):
                problems.append(f"{key}: must name an environment variable (got {_short(given)})")
        if problems:
            raise ValueError("; ".join(problems))
        return value

    def variables(self) -> dict[str, str]:
        """Role -> environment variable, from the ``<role>_env`` keys."""
        return {k.removesuffix("_env"): str(v) for k, v in (self.model_extra or {}).items()
                if k.endswith("_env")}  # fmt: skip

    def unknown_keys(self, prefix: str = "") -> list[str]:
        return [k for k in super().unknown_keys(prefix) if not k.endswith("_env")]


class AssessmentSpec(_Spec):
    """``assessment.yaml``, as DESIGN.md describes it."""

    organisation: Annotated[str | None, BeforeValidator(_text)] = None
    timezone: str = "UTC"
    teams: Annotated[
        dict[Text, TeamSpec],
        BeforeValidator(_teams),
        Field(min_length=1, max_length=10_000),
    ]
    sources: list[SourceSpec] = []
    as_of: Any = None
    slo_minutes: dict[Annotated[int, Field(ge=1, le=5)], Minutes] = {}
    evidence_thresholds: dict[str, Any] = {}  # statement id -> number, or {fact: number}
    dora_bands: dict[str, Any] | None = None
    severity_map: SeverityMap = {}
    test_titles: TestTitles = "exclude"
    fetch: dict[str, FetchSpec] = {}
    # Several respondents per team: show them as "respondent 1, 2" rather than by name.
    anonymous: Annotated[bool, Field(strict=True)] = False

    @field_validator("fetch")
    @classmethod
    def _fetch_sources(cls, fetch: dict[str, FetchSpec]) -> dict[str, FetchSpec]:
        unknown = [key for key in fetch if key not in FETCH_SOURCES]
        if unknown:
            raise ValueError(
                f"unknown source {unknown[0]!r}; maturity fetch reads {', '.join(FETCH_SOURCES)}"
            )
        return fetch

    @field_validator("evidence_thresholds")
    @classmethod
    def _thresholds(cls, thresholds: dict[str, Any]) -> dict[str, Any]:
        problems = []
        for key, value in thresholds.items():
            if not STATEMENT_ID.match(str(key)):
                problems.append(f"{key}: not a statement id such as process.3a")
                continue
            numbers = value.values() if isinstance(value, dict) else [value]
            if not all(_finite_number(v) for v in numbers):
                problems.append(f"{key}: must be a number, or a mapping of fact to number")
        if problems:
            raise ValueError("; ".join(problems))
        return thresholds

    @property
    def warnings(self) -> list[str]:
        return [f"unknown setting {key!r} ignored" for key in self.unknown_keys()]


def parse_assessment(data: Any, file: object) -> AssessmentSpec:
    """``data`` (the YAML document) checked against the schema; one ConfigError listing
    every problem with its key path otherwise."""
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: expected a mapping with organisation, timezone and teams")
    try:
        return AssessmentSpec.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{file}: {describe_errors(exc)}") from None


def describe_errors(exc: ValidationError, limit: int = 8) -> str:
    """Pydantic's errors as ``key.path: problem (got value)``, joined on one line."""
    problems = []
    for error in exc.errors(include_url=False):
        path = ".".join(str(part) for part in error["loc"] if not _is_type_tag(part))
        message = error["msg"].removeprefix("Value error, ")
        given = error.get("input")
        shown = "" if isinstance(given, dict | list) else f" (got {_short(given)})"
        problems.append(f"{path or 'file'}: {message}{shown}")
    problems = list(dict.fromkeys(problems))
    more = f"; and {len(problems) - limit} more" if len(problems) > limit else ""
    count = f"{len(problems)} problems: " if len(problems) > 1 else ""
    return count + "; ".join(problems[:limit]) + more


def _is_type_tag(part: object) -> bool:
    # Unions add the member's type to the path ("int", "function-before[...]"): not a key.
    return isinstance(part, str) and ("[" in part or part in {"int", "float", "str", "bool"})


def _short(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
