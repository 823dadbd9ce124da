"""The rubric as data: schema checks."""

from __future__ import annotations

import pytest

from maturity.errors import ConfigError


def test_a_broken_rubric_is_refused() -> None:
    from maturity.assessment.rubric import parse_rubric

    good = {"id": "x", "title": "X", "answers": {"yes": 1, "no": 0}, "levels": {1: "a", 2: "b"},
            "categories": {"people": "People"},
            "statements": [{"id": "people.2a", "level": 2, "text": "t"}]}  # fmt: skip
    assert len(parse_rubric(good, "x.yaml").scored) == 1
    for broken, message in (
        ({**good, "statements": [{"id": "people.3a", "level": 2, "text": "t"}]}, "does not match"),
        (
            {**good, "statements": [{"id": "culture.2a", "level": 2, "text": "t"}]},
            "unknown category",
        ),
        ({**good, "evidence": {"people.9a": {"when": []}}}, "unknown statement"),
        ({k: v for k, v in good.items() if k != "levels"}, "missing 'levels'"),
    ):
        with pytest.raises(ConfigError, match=message):
            parse_rubric(broken, "x.yaml")
