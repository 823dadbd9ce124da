from __future__ import annotations

from pathlib import Path

import pytest

from maturity.config import load_assessment
from maturity.errors import ConfigError, InputFileError


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "assessment.yaml").write_text(text)
    return tmp_path


def test_loads_teams_sources_and_slos(tmp_path: Path) -> None:
    assessment = load_assessment(
        write(
            tmp_path,
            "organisation: Acme\ntimezone: America/New_York\n"
            "teams:\n  web: {name: Web, services: [site]}\n  ops:\n"
            "sources:\n  - {path: incidents/pd.csv, format: PagerDuty, timezone: UTC}\n"
            "slo_minutes: {1: 60, 2: 240}\n",
        )
    )
    assert assessment.organisation == "Acme" and assessment.key == tmp_path.name
    assert assessment.teams["web"].services == ("site",)
    assert assessment.teams["ops"].name == "ops"
    assert assessment.sources[0].format == "pagerduty"
    assert assessment.slo_minutes == {1: 60.0, 2: 240.0}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("teams: [a, b\n", "line 2"),
        ("timezone: Mars/Olympus\nteams: {a: {}}\n", "unknown time zone 'Mars/Olympus'"),
        ("organisation: X\n", "'teams' must map"),
        ("- just\n- a list\n", "expected a mapping"),
        ("teams: {a: {}}\nslo_minutes: {1: soon}\n", "slo_minutes"),
    ],
)
def test_bad_settings_name_the_file_and_problem(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        load_assessment(write(tmp_path, text))
    assert "assessment.yaml" in str(error.value)


def test_not_an_assessment_folder(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="not an assessment folder"):
        load_assessment(tmp_path)


def test_dora_bands_are_configurable(tmp_path: Path) -> None:
    from maturity.measures import MeasureSettings

    assessment = load_assessment(
        write(
            tmp_path,
            "teams: {a: {}}\ndora_bands: {year: 2024, elite: 30, high: 720, medium: 4320}\n",
        )
    )
    bands = MeasureSettings.from_assessment(assessment).dora
    assert (bands.year, bands.elite, bands.high, bands.medium) == (2024, 30.0, 720.0, 4320.0)
    assert bands.band([45.0]).tolist() == ["high"]
    with pytest.raises(ConfigError, match="must rise"):
        load_assessment(
            write(tmp_path, "teams: {a: {}}\ndora_bands: {elite: 60, high: 30, medium: 90}\n")
        )


def test_a_broken_rubric_is_refused() -> None:
    from maturity.rubric import parse_rubric

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
