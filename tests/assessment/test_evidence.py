"""Facts from a team's incidents that evidence rules check claims against."""

from __future__ import annotations

from pathlib import Path

import pytest

from maturity.assessment.evidence import team_facts
from maturity.ingest.incidents import load_incidents

from conftest import tiny_files, write_assessment


def test_evidence_facts_from_incidents(tmp_path: Path) -> None:
    root = write_assessment(tmp_path / "tiny", tiny_files())
    incidents = load_incidents(root).incidents
    alpha = incidents[incidents["team"] == "alpha"]
    facts = team_facts(alpha, "2026-Q3", slo_configured=False)
    # A1 yes, A2 no, A3 yes among resolved with a known runbook flag
    assert facts["runbook_usage_rate"].value == pytest.approx(2 / 3)
    assert facts["runbook_usage_rate"].n == 3
    assert facts["recovery_time_share"].value == 0.8  # A5 is open
    assert facts["lifecycle_complete_share"].value == 0.25  # only A1 has all five
    assert facts["slo_configured"].value == 0.0
    assert facts["yoy_median_ratio"].value is None  # under 10 resolved either side
    empty = team_facts(alpha.iloc[0:0], "2026-Q3", slo_configured=True)
    assert empty["pir_rate"].value is None and empty["recovery_time_share"].value is None


def test_a_claim_the_exports_cannot_show_is_not_contradicted(tmp_path: Path) -> None:
    """Issue 12: PagerDuty carries no impact-start or mitigation time, so measurement.4a
    (all five lifecycle timestamps) cannot be checked: no_data, saying why, never
    contradicted; a generic export that could carry them but does not stays contradicted."""
    from maturity.assessment.maturity import assess_quarter
    from maturity.organisation import load_organisation

    exports = Path(__file__).parents[1] / "fixtures" / "exports"
    answers = {"2026-Q3": {"payments": "team: payments\nperiod: 2026-Q3\nanswers:\n"
                                       "  measurement.4a: yes\n"}}  # fmt: skip
    teams = {"payments": {"aliases": ["Payments On-Call", "Search Primary", "Data Platform Rota"],
                          "services": ["ledger-service"]}}  # fmt: skip
    root = write_assessment(
        tmp_path / "pd", {"pd.csv": (exports / "pagerduty-priority.csv").read_text()},
        teams=teams, answers=answers, extra={"slo_minutes": {1: 60}},
    )  # fmt: skip
    result = assess_quarter(load_organisation(root), "2026-Q3")["payments"]
    (statement,) = [s for s in result.score.statements if s.id == "measurement.4a"]
    assert statement.evidence == "no_data"
    assert "cannot be checked from these exports" in statement.reason
    assert "impact start or mitigation" in statement.reason
    # the same incidents as a generic export (which can carry every timestamp): contradicted
    generic = load_incidents(root).incidents.copy()
    generic["source_format"] = "generic"
    facts = team_facts(generic, "2026-Q3", slo_configured=True)
    assert facts["lifecycle_complete_share"].value == 0.0
