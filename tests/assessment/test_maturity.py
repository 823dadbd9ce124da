"""An organisation's quarter assessed: `maturity score` on the example, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import EXAMPLE, run_maturity, tiny_files, write_assessment
from conftest import GOOD_ANSWERS as GOOD


def test_score_json_of_the_example() -> None:
    run = run_maturity("score", str(EXAMPLE), "--quarter", "2026-Q3", "--json")
    assert run.returncode == 0, run.stderr
    scores = {s["team"]: s for s in json.loads(run.stdout)["scores"]}
    assert set(scores) == {"payments", "search", "identity", "data-platform", "mobile", "platform"}
    for score in scores.values():
        assert set(score["overall"]) == {"level", "score", "evidence_level", "evidence_score"}
        assert set(score["categories"]) == {"people", "process", "technology", "measurement"}
        for statement in score["statements"]:
            assert {"id", "answer", "value", "evidence", "evidence_value", "reason"} <= set(
                statement
            )
    mobile = {s["id"]: s for s in scores["mobile"]["statements"]}
    assert mobile["process.3a"]["evidence"] == "contradicted"
    assert mobile["process.3a"]["evidence_value"] == 0.5
    assert "of resolved incidents used one, below 50%" in mobile["process.3a"]["reason"]
    assert scores["mobile"]["overall"]["evidence_level"] < scores["mobile"]["overall"]["level"]
    assert scores["identity"]["overall"]["evidence_level"] == scores["identity"]["overall"]["level"]
    assert scores["payments"]["change"]["since"] == "2026-Q2"


def test_score_errors(tmp_path: Path) -> None:
    run = run_maturity("score", str(EXAMPLE), "--quarter", "2019-Q1")
    assert run.returncode == 2 and "no answers for 2019-Q1" in run.stderr
    bad = GOOD.replace("people.2a", "bogus.2a")
    root = write_assessment(tmp_path / "org", tiny_files(), answers={"2026-Q3": {"alpha": bad}})
    run = run_maturity("score", str(root), "--quarter", "2026-Q3")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "answers/2026-Q3/alpha.yaml: bogus.2a: not a statement" in run.stderr


def test_history_and_change_since_the_previous_assessment() -> None:
    from maturity.assessment.maturity import assess_quarter
    from maturity.organisation import load_organisation

    organisation = load_organisation(EXAMPLE)
    results = assess_quarter(organisation, "2026-Q3")
    # data-platform answered only in Q3; the others in Q2 and Q3
    assert results["data-platform"].history == [] and results["data-platform"].change is None
    payments = results["payments"]
    assert [h["period"] for h in payments.history] == ["2026-Q2"]
    before, now = payments.history[0]["overall"], payments.score.overall
    change = payments.change
    assert change is not None and change["since"] == "2026-Q2"
    assert change["evidence_level"] == now["evidence_level"] - before["evidence_level"]
    assert change["score"] == pytest.approx(now["score"] - before["score"], abs=0.006)
    as_json = payments.to_json()
    assert as_json["change"] == change and set(as_json["facts"]) == set(payments.facts)
