"""Benchmark: the quarterly review at 6, 40 and 300 teams against the loop a user would
write by hand (issue 13).

For each size, a seeded organisation (``tests/generated.py``: 8 quarters, about 60
incidents per team and quarter, answers from all but three teams) is written to a temporary
folder and its parse cache warmed. Then, on this machine:

* the review: ``maturity review --jobs 2`` (``--no-pdf``, then with PDFs), in a process of
  its own; seconds per report = its wall time / reports (teams and the portfolio);
* the hand-written loop, on a sample of teams: for each, the papermill CLI, then
  ``jupyter nbconvert --to html --no-input`` (and, for PDFs, the ``weasyprint`` CLI on that
  HTML), one after another; seconds per report = its wall time / sampled reports.

``--incremental [TEAMS]`` measures instead the re-run after one team's answers change (issue
23): at 300 teams with PDFs, it must take at most 10% of the full review, keep exactly the
299 unchanged team reports, and those must be byte-identical to a full rebuild's.

Printed: seconds per report and the ratio (targets: at least 4x without PDFs, 3x with), how
seconds per report change from 40 to 300 teams (target: within 1.2x), where the review's
time went (load, measures, scoring, bundles, execute, export, pdf, board pack: worker
stages summed over reports), and the review's peak memory: its whole process tree (the
command, its workers and their kernels), sampled every second, as the sum of resident sets
(RSS: every shared library page counted once per process, so an upper bound; target: under
2 GB, 2 * 10^9 bytes, at 300 teams) beside the sum of proportional set sizes (PSS: shared
pages divided among the processes sharing them, what the machine actually holds).

    .venv/bin/python benchmarks/bench_review.py [--sizes 6,40,300] [--sample 4] [--jobs 2]
    .venv/bin/python benchmarks/bench_review.py --incremental [300] [--no-pdf]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from generated import generate_organisation  # noqa: E402

BIN = Path(sys.executable).parent
QUARTER = "2026-Q3"
INCIDENTS_PER_QUARTER = 60  # 40 teams: about 19,000 incidents, as in issue 13

# The import under the main guard, as in the ``maturity`` command: the review's spawned
# workers import this script again, and must not import the whole review with it.
REVIEW = """
import json, sys
if __name__ == "__main__":
    from maturity.reporting.review import run_review

    review = run_review(sys.argv[1], quarter=sys.argv[2], out=sys.argv[3], jobs=int(sys.argv[4]),
                        pdf=sys.argv[5] == "pdf", force=sys.argv[6] == "force")
    print(json.dumps({"timings": review.timings, "reports": len(review.teams) + 1,
                      "failed": len(review.failed), "kept": review.kept}))
"""


class PeakMemory:
    """The peak memory of a process and all its descendants, sampled every second: the sum
    of their proportional set sizes (PSS: each shared page divided among the processes
    sharing it, so the libraries every worker and kernel maps count once, which is what
    the machine holds), and, for comparison, the sum of their resident sets (RSS, which
    counts every shared page once per process)."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = self.peak_rss = 0
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while self.running:
            try:
                tree = [self.process, *self.process.children(recursive=True)]
            except psutil.Error:
                return
            pss = rss = 0
            for p in tree:
                with contextlib.suppress(psutil.Error):  # a process that just ended
                    info = p.memory_full_info()
                    pss += getattr(info, "pss", info.rss)
                    rss += info.rss
            self.peak, self.peak_rss = max(self.peak, pss), max(self.peak_rss, rss)
            time.sleep(1.0)  # reading smaps costs: once a second

    def stop(self) -> tuple[int, int]:
        self.running = False
        self.thread.join()
        return self.peak, self.peak_rss


def run_review(org: Path, out: Path, jobs: int, pdf: bool, force: bool = False) -> dict:
    script = out.parent / "run_review.py"
    script.write_text(REVIEW)
    clock = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(script), str(org), QUARTER, str(out), str(jobs),
         "pdf" if pdf else "nopdf", "force" if force else "keep"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    memory = PeakMemory(process.pid)
    stdout, _ = process.communicate()
    seconds = time.perf_counter() - clock
    peak, peak_rss = memory.stop()
    if process.returncode not in (0, 1):
        raise SystemExit(f"the review failed (exit {process.returncode})")
    result = json.loads(stdout.strip().splitlines()[-1])
    result.update(seconds=seconds, peak=peak, peak_rss=peak_rss,
                  per_report=seconds / result["reports"])  # fmt: skip
    return result


def run_loop(org: Path, teams: list[str], out: Path, pdf: bool) -> float:
    """The hand-written loop over ``teams``: seconds per report."""
    notebook = ROOT / "notebooks" / "team_report.ipynb"
    out.mkdir(parents=True, exist_ok=True)
    clock = time.perf_counter()
    for team in teams:
        executed = out / f"{team}.ipynb"
        subprocess.run(
            [str(BIN / "papermill"), str(notebook), str(executed), "-p", "assessment", str(org),
             "-p", "team", team, "-p", "quarter", QUARTER, "--no-progress-bar", "--cwd",
             str(notebook.parent)],
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
            check=True, capture_output=True,
        )  # fmt: skip
        if pdf:
            subprocess.run(
                [str(BIN / "weasyprint"), str(out / f"{team}.html"), str(out / f"{team}.pdf")],
                check=True, capture_output=True,
            )  # fmt: skip
    return (time.perf_counter() - clock) / len(teams)


def change_one_answer(org: Path, team: str) -> str:
    """Flip one of ``team``'s answers this quarter, as a late correction would."""
    import yaml

    path = org / "answers" / QUARTER / f"{team}.yaml"
    sheet = yaml.safe_load(path.read_text())
    statement = sorted(sheet["answers"])[0]
    sheet["answers"][statement] = "no" if sheet["answers"][statement] != "no" else "yes"
    path.write_text(yaml.safe_dump(sheet, sort_keys=False))
    return statement


def team_files(out: Path) -> dict[str, bytes]:
    folder = next(out.glob(f"*/{QUARTER}/teams"))
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def incremental(base: Path, teams: int, jobs: int, pdf: bool) -> bool:
    """The review, then a re-run after one team's answers change (issue 23), then a full
    rebuild (``--force``) into the same folder; prints the re-run's share of the full
    review and whether the kept reports are byte-identical to the full rebuild's."""
    org = generate_organisation(base / f"inc{teams}", teams=teams, seed=13,
                                incidents_per_quarter=INCIDENTS_PER_QUARTER)  # fmt: skip
    subprocess.run([str(BIN / "maturity"), "validate", str(org)], check=True,
                   capture_output=True)  # fmt: skip
    out = base / f"inc-out{teams}"
    label = "with PDFs" if pdf else "HTML only"
    full = run_review(org, out, jobs, pdf)
    changed = f"team-{teams // 2:03d}"
    statement = change_one_answer(org, changed)
    again = run_review(org, out, jobs, pdf)
    kept_files = team_files(out)
    forced = run_review(org, out, jobs, pdf, force=True)
    rebuilt = team_files(out)
    kept = set(again["kept"])
    expected = {f"team-{i:03d}" for i in range(teams)} - {changed}
    identical = all(kept_files[name] == rebuilt[name] for name in rebuilt
                    if name.split(".")[0] in kept)  # fmt: skip
    share = again["seconds"] / full["seconds"]
    print(f"\nIncremental review, {teams} teams, {label} (one answer of {changed} changed: "
          f"{statement})", flush=True)  # fmt: skip
    print(f"  full review {full['seconds']:.0f} s; re-run {again['seconds']:.1f} s "
          f"({share:.1%} of the full review; target at most 10%), {len(kept)} team reports "
          f"kept, {teams - len(kept)} rebuilt, plus the portfolio, index, board pack, deck "
          f"and summary; full rebuild {forced['seconds']:.0f} s", flush=True)  # fmt: skip
    stages = {k: v for k, v in again["timings"].items() if k not in ("total", "reports")}
    print("    where the re-run's time goes (s): "
          + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()), flush=True)  # fmt: skip
    print(
        f"  kept exactly the unchanged teams: {kept == expected}; kept reports byte-"
        f"identical to the full rebuild's: {identical} ({len(kept_files)} files)"
    )
    return share <= 0.10 and kept == expected and identical


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="6,40,300", help="team counts (default 6,40,300)")
    parser.add_argument("--sample", type=int, default=4, help="teams in the hand-written loop")
    parser.add_argument("--jobs", type=int, default=2, help="the review's workers (default 2)")
    parser.add_argument("--incremental", type=int, metavar="TEAMS", nargs="?", const=300,
                        help="only the incremental re-run benchmark, at TEAMS teams "
                        "(default 300)")  # fmt: skip
    parser.add_argument("--no-pdf", action="store_true", help="--incremental without PDFs")
    args = parser.parse_args()
    if args.incremental:
        with tempfile.TemporaryDirectory(prefix="bench-review-") as folder:
            os.environ["MATURITY_CACHE_DIR"] = str(Path(folder) / "cache")
            met = incremental(Path(folder), args.incremental, args.jobs, not args.no_pdf)
        print("all targets met" if met else "some targets NOT met")
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = {}
    with tempfile.TemporaryDirectory(prefix="bench-review-") as folder:
        base = Path(folder)
        os.environ["MATURITY_CACHE_DIR"] = str(base / "cache")
        for teams in sizes:
            org = generate_organisation(base / f"org{teams}", teams=teams, seed=13,
                                        incidents_per_quarter=INCIDENTS_PER_QUARTER)  # fmt: skip
            subprocess.run(
                [str(BIN / "maturity"), "validate", str(org)], check=True, capture_output=True
            )  # fmt: skip  (warms the parse cache)
            incidents = sum(1 for _ in (org / "incidents" / "incidents.csv").open()) - 1
            print(f"\n{teams} teams, {incidents:,} incidents", flush=True)
            row = {"incidents": incidents}
            step = max(1, teams // args.sample)
            sample = [f"team-{i:03d}" for i in range(0, teams, step)][: args.sample]
            for pdf in (False, True):
                label = "with PDFs" if pdf else "HTML only"
                review = run_review(org, base / f"out{teams}-{int(pdf)}", args.jobs, pdf)
                loop = run_loop(org, sample, base / f"loop{teams}-{int(pdf)}", pdf)
                row[pdf] = {"review": review, "loop": loop}
                print(f"  {label:<10} review {review['per_report']:.2f} s/report "
                      f"({review['reports']} reports in {review['seconds']:.0f} s, "
                      f"{review['failed']} failed, peak {review['peak_rss'] / 1e9:.2f} GB RSS, "
                      f"{review['peak'] / 1e9:.2f} GB PSS); "
                      f"hand loop {loop:.2f} s/report ({len(sample)} teams); "
                      f"{loop / review['per_report']:.1f}x", flush=True)  # fmt: skip
                stages = {k: v for k, v in review["timings"].items()
                          if k not in ("total", "reports")}  # fmt: skip
                print("    where the time goes (s): " + ", ".join(
                    f"{k} {v:.1f}" for k, v in stages.items()), flush=True)  # fmt: skip
            rows[teams] = row

    print("\nTargets (2 cores)")
    verdicts = []
    for teams, row in rows.items():
        for pdf, target in ((False, 4.0), (True, 3.0)):
            ratio = row[pdf]["loop"] / row[pdf]["review"]["per_report"]
            verdicts.append(ratio >= target)
            print(
                f"  {teams:>3} teams, {'PDF ' if pdf else 'HTML'}: {ratio:.1f}x the hand loop "
                f"(target {target:.0f}x) {'met' if ratio >= target else 'NOT met'}"
            )
    if 40 in rows and 300 in rows:
        for pdf in (False, True):
            growth = rows[300][pdf]["review"]["per_report"] / rows[40][pdf]["review"]["per_report"]
            verdicts.append(growth <= 1.2)
            print(
                f"  s/report 300 vs 40 teams, {'PDF ' if pdf else 'HTML'}: {growth:.2f}x "
                f"(target within 1.2x) {'met' if growth <= 1.2 else 'NOT met'}"
            )
    if 300 in rows:
        peak = max(rows[300][pdf]["review"]["peak"] for pdf in (False, True))
        peak_rss = max(rows[300][pdf]["review"]["peak_rss"] for pdf in (False, True))
        verdicts.append(peak_rss < 2e9)
        print(
            f"  peak memory at 300 teams: {peak_rss / 1e9:.2f} GB in total as the sum of RSS "
            f"(target under 2 GB) {'met' if peak_rss < 2e9 else 'NOT met'}; "
            f"{peak / 1e9:.2f} GB as the sum of PSS"
        )
    print("all targets met" if all(verdicts) else "some targets NOT met")


if __name__ == "__main__":
    main()
