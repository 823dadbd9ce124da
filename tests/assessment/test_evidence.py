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
