"""The coach's exploration helpers (issue 12): choosing incidents, the slowest incidents phase
by phase, answers beside evidence, and the interactive explorer's selections."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from maturity.reporting import charts, explore

from conftest import ALPHA_ANSWERS, tiny_files, write_assessment


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write_assessment(tmp_path / "tiny", tiny_files(), answers={"2026-Q3": ALPHA_ANSWERS})


def test_choose_services_and_severities(tiny: Path) -> None:
    incidents = explore.team_incidents(tiny, "alpha")
    assert len(explore.choose(incidents)) == 5
    assert set(explore.choose(incidents, severities=[2])["incident_id"]) == {"A2", "A5"}
    assert list(explore.choose(incidents, services=["alpha-api"])["incident_id"]) == ["A2"]


def test_the_slowest_incidents_phase_by_phase(tiny: Path) -> None:
    incidents = explore.team_incidents(tiny, "alpha")
    phases = explore.slowest(incidents, count=2)
    # A4 (100 min, no acknowledgement or mitigation) then A3 (30 min, acknowledged at 6)
    assert list(dict.fromkeys(phases["incident_id"])) == ["A4", "A3"]
    a3 = phases[phases["incident_id"] == "A3"]
    assert list(a3["phase"]) == ["to acknowledge", "to resolve"]
    assert a3["minutes"].tolist() == pytest.approx([6.0, 24.0])
    # the bars add up to the time to recover
    totals = phases.groupby("incident_id")["minutes"].sum()
    recovery = incidents.set_index("incident_id")["recovery_minutes"]
    assert totals.to_dict() == pytest.approx(recovery[totals.index].to_dict())
    spec = charts.phase_timeline(phases, title="slowest").to_dict()
    assert spec["encoding"]["x2"]["field"] == "end" and "2 incidents" in spec["description"]


def test_answers_beside_the_evidence(tiny: Path) -> None:
    table = explore.answers_and_evidence(tiny, "alpha", "2026-Q3")
    rows = table.set_index("statement")
    assert rows.loc["process.3a", "answer"] == "yes"
    assert rows.loc["process.3a", "evidence"] in ("supported", "contradicted", "no data")
    assert rows.loc["process.3a", "why"]
    assert explore.answers_and_evidence(tiny, "beta", "2026-Q3").empty  # no answers


def test_the_explorer_brushes_time_and_filters_by_legend(tiny: Path) -> None:
    incidents = explore.team_incidents(tiny, "alpha")
    spec = charts.incident_explorer(incidents, title="alpha").to_dict()
    scatter, _strip = spec["vconcat"]
    params = {p["name"]: p for p in spec["params"]}  # Altair lifts them to the top
    assert params["period"]["select"]["type"] == "interval"
    assert params["severity"]["bind"] == "legend"
    assert scatter["encoding"]["x"]["scale"]["domain"] == {"param": "period"}
    fields = {t["field"] for t in scatter["encoding"]["tooltip"]}
    assert {"incident_id", "title", "minutes", "escalate_minutes"} <= fields
    data = next(iter(spec["datasets"].values()))
    assert len(data) == 4 and isinstance(pd.Timestamp(data[0]["detected"]), pd.Timestamp)
