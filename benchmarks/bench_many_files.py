"""Benchmark: ``maturity validate`` on an organisation of many tiny exports (issue 26, 13).

Writes ``--files`` CSV exports of one incident each (the generic layout, as a script or a
hand-kept log per incident would) into a fresh assessment folder and times ``maturity
validate`` on it with the cache off (cold), as a user runs it: the whole command, from a
new process. Also times the one-by-one path (every file read alone, as before issue 26)
on the first ``--alone`` files, for the ratio.

Measured on the 2-core machine (2026-12-03): 1,000 files 4.9 s (one by one: 136 s);
100,000 files 2 min 7 s, with a progress line every 10 s on stderr (before: > 590 s and
no word).

    .venv/bin/python benchmarks/bench_many_files.py [--files 100000] [--alone 1000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = (
    "incident_id,title,team,service,severity,started_at,detected_at,acknowledged_at,"
    "mitigated_at,resolved_at,notified_at,runbook_used,automated_recovery,review_done\n"
)
SETTINGS = """organisation: Many Files Ltd
timezone: Europe/London
teams:
  identity: {name: Identity, services: [auth-service]}
"""


def build(root: Path, files: int) -> None:
    (root / "incidents").mkdir(parents=True)
    (root / "assessment.yaml").write_text(SETTINGS)
    for i in range(files):
        day = f"2026-{1 + i % 9:02d}-{1 + i % 28:02d}"
        row = (
            f"IDE-{i},auth-service down,Identity,auth-service,SEV{1 + i % 4},{day}T10:00:00Z,"
            f"{day}T10:05:00Z,{day}T10:09:00Z,{day}T10:40:00Z,{day}T11:{i % 60:02d}:00Z,"
            f"{day}T10:20:00Z,yes,no,yes\n"
        )
        (root / "incidents" / f"incident-{i:06d}.csv").write_text(HEADER + row)


def validate(root: Path, one_by_one: bool = False) -> tuple[float, str]:
    env = {**os.environ, "MATURITY_CACHE_DIR": "off"}
    code = "import sys; from maturity.cli import main; sys.exit(main(sys.argv[1:]))"
    if one_by_one:  # the path every file took before: each normalised alone
        code = "import maturity.ingest.incidents as i; i.SMALL_EXPORT_BYTES = -1; " + code
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", code, "validate", str(root)], env=env,
                         capture_output=True, text=True, check=False)  # fmt: skip
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        raise SystemExit(f"validate failed ({run.returncode}): {run.stderr[-500:]}")
    return seconds, run.stdout.splitlines()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--alone", type=int, default=1_000,
                        help="files for the one-by-one comparison (0: skip it)")  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        many = Path(folder) / "many"
        build(many, args.files)
        seconds, summary = validate(many)
        print(f"{args.files:,} files: {seconds:,.1f} s ({summary})")
        if args.alone:
            few = Path(folder) / "few"
            build(few, args.alone)
            together, _ = validate(few)
            alone, summary = validate(few, one_by_one=True)
            print(f"{args.alone:,} files: {together:,.1f} s together, {alone:,.1f} s one by one "
                  f"({alone / together:,.0f}x; {summary})")  # fmt: skip


if __name__ == "__main__":
    main()
