"""The review at scale (issue 13): reports from bundles computed once, warm kernels, charts
drawn only for PDFs, progress as reports finish, and the same reports on a Dask cluster."""

from __future__ import annotations

import json
import subprocess
import sys
from multiprocessing.connection import wait as ready
from pathlib import Path

import nbformat
import pytest

from maturity.reporting import review as review_module
from maturity.reporting.execute import (
    TEAM_NOTEBOOK,
    WarmKernel,
    execute_notebook,
)
from maturity.reporting.quarter import ReviewQuarter, TeamQuarter, read_bundle, write_bundle
from maturity.reporting.render import notebook_to_html
from maturity.reporting.worker import KERNEL_IMPORTS

from conftest import ALPHA_ANSWERS, notebooks_with_cell, run_maturity, tiny_files, write_assessment

pytestmark = pytest.mark.notebooks

REPORTS = ("portfolio.html", "portfolio.pdf", "teams/alpha.html", "teams/alpha.pdf",
           "teams/beta.html", "teams/beta.pdf")  # fmt: skip


def test_a_team_bundle_holds_only_that_team(tmp_path: Path) -> None:
    root = write_assessment(tmp_path / "tiny", tiny_files(), answers={"2026-Q3": ALPHA_ANSWERS})
    whole = ReviewQuarter.load(root, "2026-Q3")
    alpha = whole.for_team("alpha")
    assert set(alpha.incidents.incidents["team"]) == {"alpha"}
    assert set(alpha.measures["team"]) == {"alpha", "ALL"}
    assert set(alpha.maturity) == {"alpha"}
    # the organisation's unattributed rows travel along (the report counts them)
    unattributed = whole.incidents.ledger["team"].isna().sum()
    assert alpha.incidents.ledger["team"].isna().sum() == unattributed
    # the team's view is the same from the bundle as from the folder
    bundle = tmp_path / "alpha.bundle"
    write_bundle(bundle, alpha, "alpha")
    from_bundle = TeamQuarter.load("/nowhere", "alpha", "2026-Q3", bundle)
    from_folder = TeamQuarter.load(root, "alpha", "2026-Q3")
    assert from_bundle.current == from_folder.current
    assert from_bundle.maturity.score.to_json() == from_folder.maturity.score.to_json()
    assert len(from_bundle.team_incidents().ledger) == len(from_folder.team_incidents().ledger)


@pytest.mark.parametrize(
    ("team", "quarter", "message"),
    [("beta", "2026-Q3", "a bundle for alpha 2026-Q3, not beta 2026-Q3"),
     ("alpha", "2026-Q2", "a bundle for alpha 2026-Q3, not alpha 2026-Q2"),
     (None, "2026-Q3", "not the portfolio 2026-Q3")],
)  # fmt: skip
def test_a_bundle_for_another_report_is_refused(tmp_path: Path, team, quarter, message) -> None:
    from maturity.errors import InputFileError

    root = write_assessment(tmp_path / "tiny", tiny_files())
    bundle = tmp_path / "alpha.bundle"
    ReviewQuarter.load(root, "2026-Q3").save_bundle(bundle, "alpha")
    with pytest.raises(InputFileError, match=message):
        read_bundle(bundle, team=team, quarter=quarter)
    (tmp_path / "junk.bundle").write_bytes(b"not a pickle at all")
    with pytest.raises(InputFileError, match="not a maturity report bundle"):
        read_bundle(tmp_path / "junk.bundle", team="alpha", quarter="2026-Q3")


def test_a_warm_kernel_renders_each_report_as_a_new_one_would(tmp_path: Path) -> None:
    """Reports run one after another in one kernel: each page is byte-identical to the page
    from a kernel of its own, and nothing a notebook defined survives into the next."""
    root = write_assessment(tmp_path / "tiny", tiny_files(), answers={"2026-Q3": ALPHA_ANSWERS})
    data = ReviewQuarter.load(root, "2026-Q3")
    for team in ("alpha", "beta"):
        data.save_bundle(tmp_path / f"{team}.bundle", team)
    leak = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("leaked = 42")])
    nbformat.write(leak, tmp_path / "leak.ipynb")
    probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('leaked' in dir())")])
    nbformat.write(probe, tmp_path / "probe.ipynb")

    def page(team: str, name: str, kernel: WarmKernel | None) -> str:
        parameters = {"assessment": str(root), "team": team, "quarter": "2026-Q3",
                      "bundle": str(tmp_path / f"{team}.bundle")}  # fmt: skip
        out = tmp_path / name
        execute_notebook(TEAM_NOTEBOOK, out, parameters, kernel=kernel)
        return notebook_to_html(nbformat.read(out, as_version=4), title=team)

    kernel = WarmKernel()
    try:
        execute_notebook(tmp_path / "leak.ipynb", tmp_path / "leak.out.ipynb", kernel=kernel)
        warm = {team: page(team, f"{team}.warm.ipynb", kernel) for team in ("alpha", "beta")}
        warm["alpha-again"] = page("alpha", "alpha.again.ipynb", kernel)
        execute_notebook(tmp_path / "probe.ipynb", tmp_path / "probe.out.ipynb", kernel=kernel)
        assert kernel.started == 1  # one kernel served every notebook
    finally:
        kernel.shutdown()
    printed = nbformat.read(tmp_path / "probe.out.ipynb", as_version=4).cells[0].outputs[0].text
    assert printed.strip() == "False"
    for team in ("alpha", "beta"):
        assert warm[team] == page(team, f"{team}.cold.ipynb", None), team
    assert warm["alpha-again"] == warm["alpha"]


def test_review_pages_draw_charts_in_the_browser_and_pdfs_carry_images(tiny_review) -> None:
    """A review's pages carry no PNGs (the page draws each chart from its spec); its PDFs
    have them, drawn by the PDF step."""
    out = tiny_review.out_dir
    page = (out / "teams" / "alpha.html").read_text()
    assert page.count('class="maturity-chart-spec"') >= 3
    assert 'class="chart-fallback"' not in page
    from maturity.reporting.render import with_chart_images

    printable = with_chart_images(page)
    assert printable.count('class="chart-fallback"') == page.count('class="maturity-chart-spec"')
    assert with_chart_images(printable) == printable  # drawn once


def test_progress_lines_come_as_reports_finish_and_quiet_prints_nothing(tmp_path: Path) -> None:
    slow = "import time\nif team == 'alpha':\n    time.sleep(4)"
    custom = notebooks_with_cell(tmp_path / "notebooks", slow)
    root = write_assessment(tmp_path / "tiny", tiny_files())
    env = {"MATURITY_NOTEBOOKS": str(custom), "PATH": "/usr/bin:/bin"}
    run = run_maturity("review", str(root), "--quarter", "2026-Q3", "--out",
                       str(tmp_path / "out"), "--no-pdf", env=env)  # fmt: skip
    assert run.returncode == 0, run.stderr
    lines = [line.split()[0] for line in run.stdout.splitlines() if line.startswith("  ")]
    assert sorted(lines) == ["alpha", "beta", "portfolio"]
    assert lines.index("beta") < lines.index("alpha")  # beta finished first: said first
    quiet = run_maturity("review", str(root), "--quarter", "2026-Q3", "--out",
                         str(tmp_path / "out"), "--no-pdf", "--quiet", env=env)  # fmt: skip
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == "", quiet


@pytest.fixture(scope="module")
def cluster():  # type: ignore[no-untyped-def]
    """A real Dask cluster on this machine: a scheduler and two worker processes."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=50) as local:  # fmt: skip
        yield local


def test_a_review_on_a_dask_cluster_writes_the_same_reports(
    tiny_review, cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13: the reports as tasks on a real LocalCluster of two worker processes are
    byte-identical to the local run's, and the workers never read the assessment folder
    (it is moved away while they run: what a report needs travels with its task)."""
    root = write_assessment(tmp_path / "tiny", tiny_files(), answers={"2026-Q3": ALPHA_ANSWERS})
    hidden = tmp_path / "hidden"
    real_run = review_module.ClusterRunner.run

    def run_elsewhere(self, jobs_list, finished, prepare):  # type: ignore[no-untyped-def]
        root.rename(hidden)
        try:
            real_run(self, jobs_list, finished, prepare)
        finally:
            hidden.rename(root)

    monkeypatch.setattr(review_module.ClusterRunner, "run", run_elsewhere)
    review = review_module.run_review(root, quarter="2026-Q3", out=tmp_path / "reports", pdf=True,
                                      scheduler=cluster.scheduler_address)  # fmt: skip
    assert review.ok, [(t.team, t.error) for t in review.failed]
    for name in REPORTS:
        local = (tiny_review.out_dir / name).read_bytes()
        assert (review.out_dir / name).read_bytes() == local, name
    summary = json.loads((review.out_dir / "summary.json").read_text())
    local_summary = json.loads((tiny_review.out_dir / "summary.json").read_text())
    assert summary == local_summary


def test_one_failing_report_on_a_cluster_fails_alone(
    cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    boom = 'if team == "beta":\n    raise RuntimeError("boom for beta")'
    custom = notebooks_with_cell(tmp_path / "notebooks", boom)
    monkeypatch.setenv("MATURITY_NOTEBOOKS", str(custom))  # read here; the text travels
    root = write_assessment(tmp_path / "tiny", tiny_files())
    review = review_module.run_review(root, quarter="2026-Q3", out=tmp_path / "reports",
                                      pdf=False, scheduler=cluster.scheduler_address)  # fmt: skip
    status = {t.team: (t.status, t.error) for t in review.teams}
    assert status == {"alpha": ("ok", None), "beta": ("failed", "RuntimeError: boom for beta")}
    assert (review.out_dir / "notebooks" / "beta.failed.ipynb").exists()
    assert review.portfolio is not None and review.portfolio.status == "ok"


def test_an_unreachable_scheduler_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("distributed")
    from maturity import cli

    monkeypatch.setattr(review_module, "CONNECT_SECONDS", 2)
    root = write_assessment(tmp_path / "tiny", tiny_files())
    code = cli.main(["review", str(root), "--scheduler", "tcp://127.0.0.1:9",
                     "--out", str(tmp_path / "out"), "--quiet"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "no Dask scheduler answers there" in lines[0], err
    assert "Traceback" not in err


@pytest.mark.parametrize("most", [1, 2, 3, 7, 60, 120])
def test_rounds_are_few_even_and_in_order(most: int) -> None:
    for count in range(0, 400, 7):
        jobs = list(range(count))
        batches = review_module.rounds(jobs, most)  # type: ignore[arg-type]
        assert [j for b in batches for j in b] == jobs  # every job once, in order
        assert len(batches) == max(1, -(-count // most))  # as few rounds as fit
        sizes = [len(b) for b in batches]
        assert max(sizes) <= most and max(sizes) - min(sizes) <= 1  # no short tail


def test_a_review_in_several_rounds_of_workers_writes_the_same_reports(
    tiny_review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long review replaces its workers every REPORTS_PER_WORKER reports (their memory
    grows): with one report per worker, the tiny review's three reports take two rounds,
    each in a pool of its own, and the reports are byte-identical to the one-round run's."""
    monkeypatch.setattr(review_module, "REPORTS_PER_WORKER", 1)
    pools: list[int] = []
    workers_before: list = []
    make_pool = review_module.LocalRunner._pool

    def counted(self, workers):  # type: ignore[no-untyped-def]
        # A new round starts only once the last round's workers have exited (a worker's
        # sentinel is ready once it has; ``is_alive`` can lag while the pool's own thread
        # reaps it).
        assert not [p for p in workers_before if not ready([p.sentinel], 0)]
        pools.append(workers)
        pool = make_pool(self, workers)
        workers_before[:] = list(pool._processes.values())
        return pool

    monkeypatch.setattr(review_module.LocalRunner, "_pool", counted)
    root = write_assessment(tmp_path / "tiny", tiny_files(), answers={"2026-Q3": ALPHA_ANSWERS})
    review = review_module.run_review(root, quarter="2026-Q3", out=tmp_path / "reports", jobs=2,
                                      pdf=True)  # fmt: skip
    assert review.ok, [(t.team, t.error) for t in review.failed]
    assert pools == [2, 2]  # the first round's pool, then the second's; no retries
    for name in REPORTS:
        assert (review.out_dir / name).read_bytes() == (tiny_review.out_dir / name).read_bytes()


def test_a_worker_and_a_report_kernel_start_without_the_statistics() -> None:
    """What keeps a review's fixed cost small: a worker process imports no pandas, scipy or
    Altair (nothing it runs needs them), and a report kernel no scipy.stats (reports read
    measures the review computed once). Seconds and megabytes per worker and kernel."""
    worker = (
        "import sys, papermill, maturity.reporting.worker, maturity.reporting.render\n"
        "maturity.reporting.render.vega_lite_version()\n"
        "print(sorted(m for m in ('pandas', 'scipy', 'altair') if m in sys.modules))"
    )
    kernel = f"import sys\n{KERNEL_IMPORTS}\nprint('scipy.stats' in sys.modules)"
    for code, expected in ((worker, "[]"), (kernel, "False")):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == expected


def test_a_worker_hands_freed_memory_back() -> None:
    """glibc keeps what a process frees; a worker trims it after each report (on Linux)."""
    import platform

    from maturity.reporting.worker import return_freed_memory

    assert return_freed_memory() is (platform.libc_ver()[0] == "glibc")
