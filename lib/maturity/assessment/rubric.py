"""A maturity rubric loaded from data (``rubrics/<id>.yaml``) and checked against a schema.

A rubric has answer values, levels, categories, statements (``<category>.<level><letter>``
ids, the standard's wording, scored or informational) and evidence rules that compare
facts about a team's incident data with thresholds. Nothing here is specific to MTTR.

A rubric has a ``version``. A new version that rewords, adds or removes statements ships
the mapping from each earlier one (``earlier:``): statements ``renamed`` (old id: new id),
``removed`` and ``added``. Answers given to an earlier version are scored through it
(``translate``), the statements it did not ask counting as unanswered and said so, so
maturity stays comparable from year to year::

    version: "2.0"
    earlier:
      "1.0":
        renamed: {process.3a: process.3b}
        removed: [people.4b]
        added: [technology.3b]
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from maturity.errors import ConfigError

RUBRICS = Path(__file__).parent / "rubrics"
DEFAULT_RUBRIC = "mttr"
_ID = re.compile(r"^([a-z_]+)\.([1-9])([a-z])$")
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    "==": lambda a, b: abs(a - b) < 1e-12,
    ">=": operator.ge,
    ">": operator.gt,
}


@dataclass(frozen=True)
class Statement:
    id: str
    category: str
    level: int
    text: str
    scored: bool = True


@dataclass(frozen=True)
class Condition:
    fact: str
    op: str
    threshold: float
    describe: str | None = None

    def holds(self, value: float) -> bool:
        return OPERATORS[self.op](value, self.threshold)


@dataclass(frozen=True)
class EvidenceRule:
    statement: str
    when: tuple[Condition, ...]
    claim: str
    describe: str
    format: str = "percent"  # how {value} and {threshold} read: percent, ratio or number
    # How a consistent fact reads, where the value alone does not say it ({detail}: what
    # backs the fact, as the test behind ``yoy_slower``); default: value and threshold.
    supports: str = ""


@dataclass(frozen=True)
class Mapping:
    """How the statements of an earlier version of a rubric map onto this one: ``renamed``
    old id -> new id (reworded or moved), ``removed`` ids no longer asked, ``added`` ids new
    since (answers to the earlier version leave them unanswered)."""

    version: str
    renamed: dict[str, str] = field(default_factory=dict)
    removed: tuple[str, ...] = ()
    added: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rubric:
    id: str
    title: str
    answers: dict[str, float | None]
    levels: dict[int, str]
    categories: dict[str, str]
    statements: tuple[Statement, ...]
    evidence: dict[str, EvidenceRule] = field(default_factory=dict)
    version: str = "1.0"
    earlier: dict[str, Mapping] = field(default_factory=dict)  # version -> its mapping

    def statement_ids(self, version: str | None = None) -> set[str]:
        """The ids a questionnaire of ``version`` (default: this one) asked."""
        current = {s.id for s in self.statements}
        if version is None or version == self.version:
            return current
        mapping = self.earlier[version]
        kept = current - set(mapping.added) - set(mapping.renamed.values())
        return kept | set(mapping.renamed) | set(mapping.removed)

    def translate(self, version: str, statement: str) -> str | None:
        """The current id of ``statement`` as asked in ``version``; None when this version
        no longer asks it."""
        if version == self.version:
            return statement
        mapping = self.earlier[version]
        if statement in mapping.removed:
            return None
        return mapping.renamed.get(statement, statement)

    def new_since(self, version: str) -> tuple[str, ...]:
        """Statements of this version that ``version``'s questionnaire did not ask."""
        return () if version == self.version else self.earlier[version].added

    @property
    def by_id(self) -> dict[str, Statement]:
        return {s.id: s for s in self.statements}

    @property
    def scored(self) -> tuple[Statement, ...]:
        return tuple(s for s in self.statements if s.scored)

    @property
    def top_level(self) -> int:
        return max(self.levels)

    def scored_at(self, category: str, level: int) -> list[Statement]:
        return [s for s in self.scored if s.category == category and s.level == level]


@functools.cache
def load_rubric(name: str = DEFAULT_RUBRIC) -> Rubric:
    """The rubric ``name`` (a file under ``rubrics/``, or a path to one), schema-checked."""
    path = Path(name) if name.endswith((".yaml", ".yml")) else RUBRICS / f"{name}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the rubric ({exc})") from exc
    return parse_rubric(data, str(path))


def parse_rubric(data: Any, where: str) -> Rubric:
    """Build a Rubric from its YAML data, raising a ConfigError for any schema problem."""

    def need(condition: bool, problem: str) -> None:
        if not condition:
            raise ConfigError(f"{where}: {problem}")

    need(isinstance(data, dict), "a rubric is a mapping")
    for key in ("id", "title", "answers", "levels", "categories", "statements"):
        need(key in data, f"missing '{key}'")
    answers = {str(k): (None if v is None else float(v)) for k, v in data["answers"].items()}
    levels = {int(k): str(v) for k, v in data["levels"].items()}
    need(sorted(levels) == list(range(1, len(levels) + 1)), "levels must be 1, 2, 3, ...")
    categories = {str(k): str(v) for k, v in data["categories"].items()}
    statements = []
    for item in data["statements"]:
        need(isinstance(item, dict) and {"id", "level", "text"} <= set(item),
             f"statement {item!r} needs id, level and text")  # fmt: skip
        match = _ID.match(str(item["id"]))
        if match is None:
            raise ConfigError(f"{where}: statement id {item['id']!r} is not "
                              "<category>.<level><letter>")  # fmt: skip
        category, level = match[1], int(match[2])
        need(category in categories, f"statement {item['id']}: unknown category {category!r}")
        need(level == int(item["level"]), f"statement {item['id']}: level {item['level']} "
             "does not match its id")  # fmt: skip
        need(level in levels, f"statement {item['id']}: unknown level {level}")
        statements.append(
            Statement(
                item["id"], category, level, str(item["text"]), bool(item.get("scored", True))
            )
        )
    ids = [s.id for s in statements]
    need(len(ids) == len(set(ids)), "statement ids repeat")
    evidence = {}
    for statement, rule in (data.get("evidence") or {}).items():
        need(statement in ids, f"evidence for unknown statement {statement!r}")
        conditions = []
        for c in rule.get("when") or []:
            need(
                c.get("op") in OPERATORS,
                f"evidence {statement}: unknown comparison {c.get('op')!r}",
            )
            conditions.append(
                Condition(str(c["fact"]), c["op"], float(c["threshold"]), c.get("describe"))
            )
        need(bool(conditions), f"evidence {statement}: no 'when' conditions")
        evidence[statement] = EvidenceRule(
            statement, tuple(conditions), str(rule.get("claim", statement)),
            str(rule.get("describe", "{value}")), str(rule.get("format", "number")),
            str(rule.get("supports", "")),
        )  # fmt: skip
    version = str(data.get("version", "1.0"))
    earlier = {}
    for old, spec in (data.get("earlier") or {}).items():
        need(isinstance(spec, dict), f"earlier.{old}: a mapping of renamed, removed, added")
        renamed = {str(k): str(v) for k, v in (spec.get("renamed") or {}).items()}
        added = tuple(str(x) for x in spec.get("added") or ())
        for new in [*renamed.values(), *added]:
            need(new in ids, f"earlier.{old}: {new} is not a statement of version {version}")
        removed = tuple(str(x) for x in spec.get("removed") or ())
        earlier[str(old)] = Mapping(str(old), renamed, removed, added)
    need(version not in earlier, f"version {version} maps from itself")
    return Rubric(
        id=str(data["id"]),
        title=str(data["title"]),
        answers=answers,
        levels=levels,
        categories=categories,
        statements=tuple(statements),
        evidence=evidence,
        version=version,
        earlier=earlier,
    )
