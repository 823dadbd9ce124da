"""The README's "Your own organisation" walk-through, run as written (issue 10).

The shell lines and the two ``assessment.yaml`` examples are read from README.md itself, so
the README cannot drift from what works: a ServiceNow organisation (the real REST dump,
teams by assignment-group sys_id) and a PagerDuty one (escalation policies as aliases,
priority as severity), each through validate, measures, template, a filled workbook,
score and review, every command as a real process.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[1]
EXPORTS = ROOT / "tests" / "fixtures" / "exports"
README = (ROOT / "README.md").read_text(encoding="utf-8")


def walkthrough_lines() -> list[str]:
    section = README[README.index("A walk-through, from exports to reports") :]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the walk-through's sh block is missing from README.md"
    return block.group(1).splitlines()


def readme_yaml(kind: str) -> dict:
    for block in re.findall(r"```yaml\n(.*?)```", README, re.S):
        if block.startswith(f"# assessments/acme/assessment.yaml ({kind})"):
            return yaml.safe_load(block)
    raise AssertionError(f"README.md has no assessment.yaml example for {kind}")


def fill_workbook(path: Path) -> None:
    """What a team lead does: answer every statement, name the assessors and the date."""
    workbook = load_workbook(path)
    cover = workbook["Cover"]
    for row in cover.iter_rows(min_col=1, max_col=2):
        if row[0].value == "Assessors":
            row[1].value = "A. Coach, B. Lead"
        if row[0].value == "Assessed on":
            row[1].value = "2026-11-20"
    sheet = workbook["Questionnaire"]
    for row in sheet.iter_rows(min_row=2):
        statement, answer = row[0].value, row[4]
        if statement and answer.value != "informational (not scored)":
            level = int(str(row[2].value)[0])
            answer.value = "yes" if level <= 3 else "partly" if level == 4 else "no"
    workbook.save(path)


def run_walkthrough(tmp_path: Path, kind: str, team: str, quarter: str,
                    exports: list[str]) -> dict[str, subprocess.CompletedProcess]:  # fmt: skip
    """Run the README's lines in ``tmp_path``; returns each maturity command's run."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    org = tmp_path / "assessments" / "acme"
    runs: dict[str, subprocess.CompletedProcess] = {}
    shell_vars = ""
    for line in walkthrough_lines():
        command = line.split("#")[0].strip()
        if line.startswith("ORG="):
            shell_vars = f"ORG=assessments/acme TEAM={team} QUARTER={quarter}; "
            continue
        if line.startswith("# the team fills in the workbook"):
            fill_workbook(tmp_path / f"{team}.xlsx")
            continue
        if command.startswith("cp ~/Downloads"):  # the user's exports: our fixtures
            for name in exports:
                shutil.copy(EXPORTS / name, org / "incidents" / name)
            continue
        if command.startswith("$EDITOR"):  # the user's settings: the README's example
            (org / "assessment.yaml").write_text(yaml.safe_dump(readme_yaml(kind)))
            continue
        if not command:
            continue
        run = subprocess.run(["bash", "-c", shell_vars + command], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=900)  # fmt: skip
        assert "Traceback" not in run.stderr, run.stderr
        assert run.returncode == 0, f"{command}\n{run.stdout}\n{run.stderr}"
        if command.startswith("maturity "):
            runs[command.split()[1]] = run
    assert set(runs) == {"validate", "measures", "template", "score", "review"}
    return runs


@pytest.mark.slow
def test_walkthrough_servicenow(tmp_path: Path) -> None:
    runs = run_walkthrough(tmp_path, "ServiceNow", "service-desk", "2025-Q1",
                           ["servicenow-rest-dump.csv"])  # fmt: skip
    validate = runs["validate"].stdout
    assert validate.startswith("67 rows read: 30 used, 1 excluded, 36 rejected"), validate
    assert "team keys: hardware, service-desk, software" in validate
    assert "service-desk" in runs["measures"].stdout
    score = runs["score"].stdout.splitlines()
    assert any(line.startswith("service-desk") for line in score), score
    out = tmp_path / "reports" / "acme" / "2025-Q1"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "ok"
    assert {t["team"] for t in summary["teams"]} == {"service-desk", "hardware", "software"}
    page = (out / "teams" / "service-desk.html").read_text()
    assert "Service Desk" in page and "Level claimed" in page
    assert (out / "teams" / "service-desk.pdf").stat().st_size > 10_000


@pytest.mark.slow
def test_walkthrough_pagerduty(tmp_path: Path) -> None:
    runs = run_walkthrough(tmp_path, "PagerDuty", "payments", "2026-Q3",
                           ["pagerduty-legacy.csv", "pagerduty-priority.csv"])  # fmt: skip
    validate = runs["validate"].stdout
    assert validate.startswith("9 rows read: 8 used, 0 excluded, 1 rejected"), validate
    assert "'Data Platform Rota' (1 row)" in validate
    measures = runs["measures"].stdout
    assert "payments" in measures and "search" in measures
    out = tmp_path / "reports" / "acme" / "2026-Q3"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "ok"
    payments = next(t for t in summary["teams"] if t["team"] == "payments")
    assert payments["headline"]["incidents"] == 7
    assert payments["headline"]["maturity"]["level"] >= 1
