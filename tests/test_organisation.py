"""The organisation's settings: assessment.yaml loaded and checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from maturity.errors import ConfigError, InputFileError
from maturity.organisation import load_organisation


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "assessment.yaml").write_text(text)
    return tmp_path


def test_loads_teams_sources_and_slos(tmp_path: Path) -> None:
    assessment = load_organisation(
        write(
            tmp_path,
            "organisation: Acme\ntimezone: America/New_York\n"
            "teams:\n  web: {name: Web, services: [site]}\n  ops:\n"
            "sources:\n  - {path: incidents/pd.csv, format: PagerDuty, timezone: UTC}\n"
            "slo_minutes: {1: 60, 2: 240}\n",
        )
    )
    assert assessment.name == "Acme" and assessment.key == tmp_path.name
    assert assessment.teams["web"].services == ("site",)
    assert assessment.teams["ops"].name == "ops"
    assert assessment.sources[0].format == "pagerduty"
    assert assessment.slo_minutes == {1: 60.0, 2: 240.0}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("teams: [a, b\n", "line 2"),
        ("timezone: Mars/Olympus\nteams: {a: {}}\n", "unknown time zone 'Mars/Olympus'"),
        ("organisation: X\n", "teams: Field required"),
        ("- just\n- a list\n", "expected a mapping"),
        ("teams: {a: {}}\nslo_minutes: {1: soon}\n", "slo_minutes"),
    ],
)
def test_bad_settings_name_the_file_and_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        load_organisation(write(tmp_path, text))
    assert "assessment.yaml" in str(error.value)


def test_not_an_assessment_folder(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="not an assessment folder"):
        load_organisation(tmp_path)


def test_dora_bands_are_configurable(tmp_path: Path) -> None:
    from maturity.measures.engine import MeasureSettings

    assessment = load_organisation(
        write(
            tmp_path,
            "teams: {a: {}}\ndora_bands: {year: 2024, elite: 30, high: 720, medium: 4320}\n",
        )
    )
    bands = MeasureSettings.from_organisation(assessment).dora
    assert (bands.year, bands.elite, bands.high, bands.medium) == (2024, 30.0, 720.0, 4320.0)
    assert bands.band([45.0]).tolist() == ["high"]
    with pytest.raises(ConfigError, match="must rise"):
        load_organisation(
            write(tmp_path, "teams: {a: {}}\ndora_bands: {elite: 60, high: 30, medium: 90}\n")
        )


def test_unknown_team_lists_the_valid_keys(tiny_assessment: Path) -> None:
    organisation = load_organisation(tiny_assessment)
    assert organisation.team("alpha").name == "Alpha Team"
    with pytest.raises(ConfigError, match=r"no team 'gamma' .*\(teams: alpha, beta\)"):
        organisation.team("gamma")
