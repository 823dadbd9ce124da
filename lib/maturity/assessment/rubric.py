"""A maturity rubric loaded from data (``rubrics/<id>.yaml``) and checked against a schema.

A rubric has answer values, levels, categories, statements (``<category>.<level><letter>``
ids, the standard's wording, scored or informational) and evidence rules that compare
facts about a team's incident data with thresholds. Nothing here is specific to MTTR.
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
class Rubric:
    id: str
    title: str
    answers: dict[str, float | None]
    levels: dict[int, str]
    categories: dict[str, str]
    statements: tuple[Statement, ...]
    evidence: dict[str, EvidenceRule] = field(default_factory=dict)

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
    return Rubric(
        id=str(data["id"]),
        title=str(data["title"]),
        answers=answers,
        levels=levels,
        categories=categories,
        statements=tuple(statements),
        evidence=evidence,
    )
