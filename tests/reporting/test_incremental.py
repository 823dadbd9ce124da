"""Incremental reviews (issue 23, part 5): a re-run rebuilds exactly the team reports whose
inputs changed, keeps the others byte for byte, and rebuilds everything after a change of
notebook, library or PDF setting, or with --force."""

from __future__ import annotations

import inspect
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from generated import generate_organisation

from maturity.reporting import incremental
from maturity.reporting.incremental import ReviewState
from maturity.reporting.quarter import ReviewQuarter
from maturity.reporting.review import run_review

from conftest import TEAMS, notebooks_with_cell, run_maturity, tiny_files, write_assessment

pytestmark = pytest.mark.notebooks

QUARTER = "2026-Q3"
THREE_TEAMS = {**TEAMS, "gamma": {"name": "Gamma", "services": ["gamma-svc"]}}


def answers(people: str) -> str:
    return (f"team: alpha\nperiod: {QUARTER}\nanswers:\n  people.2a: {people}\n"
            "  process.2a: yes\n  process.3a: yes\n")  # fmt: skip


def three_teams(tmp_path: Path) -> Path:
    """alpha answers alone; beta's two respondents disagree; gamma has no incidents."""
    root = write_assessment(tmp_path / "org", tiny_files(), teams=THREE_TEAMS,
                            answers={QUARTER: {"alpha": answers("yes")}})  # fmt: skip
    beta = root / "answers" / QUARTER / "beta"
    beta.mkdir()
    for name, word in (("ana", "yes"), ("ben", "no")):
        (beta / f"{name}.yaml").write_text(
            f"team: beta\nperiod: {QUARTER}\nanswers:\n  people.2a: {word}\n"
        )
    return root


def reports(out: Path) -> dict[str, bytes]:
    """Every team report file (HTML and PDF) of the review, by its path."""
    folder = out / "org" / QUARTER / "teams"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def of(files: dict[str, bytes], team: str) -> dict[str, bytes]:
    return {name: data for name, data in files.items() if name.split(".")[0] == team}


def test_a_rerun_rebuilds_exactly_what_changed(tmp_path: Path, monkeypatch) -> None:
    root, out = three_teams(tmp_path), tmp_path / "reports"

    def review(failing: bool = False, **options):  # type: ignore[no-untyped-def]
        options.setdefault("pdf", True)
        result = run_review(root, quarter=QUARTER, out=out, jobs=2, **options)
        assert result.ok or failing, result.failed
        return result

    first = review()
    assert first.kept == []
    before = reports(out)
    assert set(before) == {f"{t}.{x}" for t in THREE_TEAMS for x in ("html", "pdf")}

    # One team's answers change; another's page is edited by hand: those two rebuild.
    (root / "answers" / QUARTER / "alpha.yaml").write_text(answers("no"))
    gamma_page = out / "org" / QUARTER / "teams" / "gamma.html"
    gamma_page.write_bytes(gamma_page.read_bytes() + b"<!-- edited -->")
    second = review()
    assert second.kept == ["beta"]
    after = reports(out)
    assert of(after, "beta") == of(before, "beta")
    assert of(after, "gamma") == of(before, "gamma")  # rebuilt as it was
    assert after["alpha.html"] != before["alpha.html"]
    summary = json.loads((out / "org" / QUARTER / "summary.json").read_text())
    assert [t["team"] for t in summary["teams"]] == ["alpha", "beta", "gamma"]
    assert all(t["status"] == "ok" for t in summary["teams"])

    # A full rebuild writes the kept reports byte for byte as they are.
    forced = review(force=True)
    assert forced.kept == []
    assert reports(out) == after

    # Without PDFs the reports are other reports: all rebuild; then nothing changes.
    assert review(pdf=False).kept == []
    unchanged = review(pdf=False)
    assert unchanged.kept == ["alpha", "beta", "gamma"]
    assert unchanged.deck is None and (out / "org" / QUARTER / "index.html").is_file()

    # A new notebook rebuilds every report; a report that failed is never kept.
    notebooks = notebooks_with_cell(
        tmp_path / "notebooks",
        "import os\nif team == 'beta' and os.environ.get('FAIL_BETA'):\n"
        "    raise RuntimeError('beta broke')",
    )
    monkeypatch.setenv("MATURITY_NOTEBOOKS", str(notebooks))
    monkeypatch.setenv("FAIL_BETA", "1")
    broken = review(pdf=False, failing=True)
    assert broken.kept == [] and [t.team for t in broken.failed] == ["beta"]
    monkeypatch.delenv("FAIL_BETA")
    mended = review(pdf=False)
    assert mended.kept == ["alpha", "gamma"]

    # A new library version (any file of the package, or its version) rebuilds everything.
    monkeypatch.setattr(incremental, "library_fingerprint", lambda: "another version")
    assert review(pdf=False).kept == []


def test_the_command_says_what_it_kept_and_force_rebuilds(tmp_path: Path) -> None:
    root, out = three_teams(tmp_path), tmp_path / "reports"
    command = ("review", str(root), "--quarter", QUARTER, "--out", str(out), "--no-pdf")
    first = run_maturity(*command)
    assert first.returncode == 0, first.stderr
    assert "kept" not in first.stdout
    again = run_maturity(*command)
    assert "kept 3 team reports whose inputs are unchanged since the last review" in again.stdout
    rebuilt = [line.split()[0] for line in again.stdout.splitlines() if line.startswith("  ")
               and not line.startswith("  kept")]  # fmt: skip
    assert rebuilt == ["portfolio"]
    forced = run_maturity(*command, "--force")
    assert "kept" not in forced.stdout and "  alpha " in forced.stdout


def test_a_damaged_state_rebuilds_everything_quietly(tmp_path: Path) -> None:
    for text in ("{not json", '{"format": 99, "reports": {}}', '{"format": 1, "reports": []}',
                 '{"format": 1, "reports": {"alpha": {"digest": 3}}}', "[]"):  # fmt: skip
        (tmp_path / incremental.STATE_FILE).write_text(text)
        assert ReviewState.load(tmp_path).reports == {}


def test_a_kept_report_needs_its_picture_and_files(tmp_path: Path) -> None:
    (tmp_path / "teams").mkdir()
    (tmp_path / "teams" / "alpha.html").write_text("<p>alpha</p>")
    state = ReviewState(tmp_path)
    state.remember("alpha", "d1", ["teams/alpha.html"], {"status": "ok"}, b"\x89PNG picture")
    state.save()
    loaded = ReviewState.load(tmp_path)
    assert loaded.reusable("alpha", "d1") == (loaded.reports["alpha"], b"\x89PNG picture")
    assert loaded.reusable("alpha", "d2") is None  # other inputs
    assert loaded.reusable("beta", "d1") is None
    (tmp_path / incremental.PICTURES / "alpha.png").write_bytes(b"another")
    assert loaded.reusable("alpha", "d1") is None
    state.remember("alpha", "d1", ["teams/alpha.html"], {"status": "ok"}, None)
    (tmp_path / "teams" / "alpha.html").unlink()
    assert state.reusable("alpha", "d1") is None


def digests(data: ReviewQuarter) -> dict[str, str]:
    """Every team report's digest (one job per team: only the data differs)."""
    from maturity.reporting.incremental import report_digests
    from maturity.reporting.worker import ReportJob

    jobs = [ReportJob(team, "", "{}", (), "", "", "", False) for team in data.organisation.teams]
    return report_digests(data, sorted(jobs, key=lambda job: job.key))


# The same digests in a new process (a pickle's bytes would differ): ``digests`` there.
DIGESTS_SCRIPT = (
    "from __future__ import annotations\n"
    + inspect.getsource(digests)
    + """
import json, sys
from maturity.reporting.quarter import ReviewQuarter
print(json.dumps(digests(ReviewQuarter.load(sys.argv[1], "2026-Q3"))))
"""
)


def test_digests_follow_each_teams_own_inputs_at_40_teams(tmp_path: Path) -> None:
    """The class of the defect: at 40 teams, a change to one team's answers changes its
    digest alone (every team in turn would take too long: five, spread over the teams),
    a change to one incident changes every digest (the organisation's figures and the
    q-values across teams are in every report), and a new process computes the same
    digests (which a pickled bundle's bytes would not)."""
    root = generate_organisation(tmp_path / "org", teams=40, seed=3)
    base = digests(ReviewQuarter.load(root, QUARTER))
    assert len(set(base.values())) == 40
    fresh = subprocess.run([sys.executable, "-c", DIGESTS_SCRIPT, str(root)],
                           capture_output=True, text=True, check=True)  # fmt: skip
    assert json.loads(fresh.stdout) == base
    folder = root / "answers" / QUARTER
    answered = sorted(p.stem for p in folder.glob("*.yaml"))
    for team in answered[:: len(answered) // 5][:5]:
        path = folder / f"{team}.yaml"
        original = path.read_text()
        sheet = yaml.safe_load(original)
        statement = sorted(sheet["answers"])[0]
        sheet["answers"][statement] = "no" if sheet["answers"][statement] != "no" else "yes"
        path.write_text(yaml.safe_dump(sheet))
        changed = digests(ReviewQuarter.load(root, QUARTER))
        assert {t for t in base if changed[t] != base[t]} == {team}
        path.write_text(original)
    incidents = root / "incidents" / "incidents.csv"
    lines = incidents.read_text().splitlines(keepends=True)
    incidents.write_text("".join([lines[0], *lines[2:]]))  # one incident fewer
    changed = digests(ReviewQuarter.load(root, QUARTER))
    assert all(changed[t] != base[t] for t in base)


def test_the_library_fingerprint_sees_any_file_of_the_package(tmp_path: Path, monkeypatch) -> None:
    package = Path(incremental.__file__).resolve().parents[1]
    copy = tmp_path / "maturity"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    first = incremental.library_fingerprint(copy)
    assert incremental.library_fingerprint.__wrapped__(copy) == first
    for edited in ("reporting/templates/report/report.css", "assessment/rubrics/mttr.yaml",
                   "measures/stats.py"):  # fmt: skip
        path = copy / edited
        saved = path.read_bytes()
        path.write_bytes(saved + b"\n")
        assert incremental.library_fingerprint.__wrapped__(copy) != first, edited
        path.write_bytes(saved)
    (copy / "reporting" / "__pycache__").mkdir(exist_ok=True)
    (copy / "reporting" / "__pycache__" / "x.pyc").write_bytes(b"compiled")
    assert incremental.library_fingerprint.__wrapped__(copy) == first
    monkeypatch.setattr("maturity.__version__", "99.0")
    assert incremental.library_fingerprint.__wrapped__(copy) != first
