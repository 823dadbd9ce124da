"""Benchmark: every measure and statistic for 1,000,000 incidents, 300 teams, 12 quarters.

Prints our time next to a single pandas ``groupby(["team", "quarter"]).median()`` over the
same frame (its timestamp and numeric columns), and the ratio. Target (issue 4): within 5x.
Best of ``--repeat`` runs each, after one warm-up run.

    .venv/bin/python benchmarks/bench_measures.py [--incidents 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from maturity.measures.engine import MeasureSettings, measures_by_team_quarter
from maturity.periods import quarter_of, quarter_range

TIMESTAMPS = ["started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at",
              "notified_at"]  # fmt: skip


def make_incidents(count: int, teams: int, seed: int = 7) -> pd.DataFrame:
    """Canonical incidents over 12 quarters (2023-Q4 to 2026-Q3), log-normal recoveries."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2023-10-01", tz="UTC")
    span = (pd.Timestamp("2026-10-01", tz="UTC") - start).total_seconds()
    detected = start + pd.to_timedelta(np.sort(rng.uniform(0, span, count)), unit="s")

    def minutes(values: np.ndarray) -> pd.TimedeltaIndex:
        return pd.to_timedelta(values, unit="min")

    recovery = minutes(rng.lognormal(4.3, 1.25, count))
    ack = minutes(np.minimum(rng.exponential(6, count), recovery.total_seconds() / 60 * 0.3))
    flags = {
        name: pd.array(np.where(rng.random(count) < 0.1, None, rng.random(count) < share),
                       dtype="boolean")
        for name, share in (("runbook_used", 0.5), ("automated_recovery", 0.3),
                            ("review_done", 0.7))
    }  # fmt: skip
    frame = pd.DataFrame(
        {
            "incident_id": np.char.add("INC-", np.arange(count).astype(str)),
            "title": "incident",
            "team": pd.array(np.char.add("team-", rng.integers(0, teams, count).astype(str)),
                             dtype="string"),
            "service": "svc",
            "severity": pd.array(rng.integers(1, 6, count), dtype="Int64"),
            "started_at": detected - minutes(rng.exponential(10, count)),
            "detected_at": detected,
            "acknowledged_at": detected + ack,
            "mitigated_at": detected + ack + (recovery - ack) * 0.8,
            "resolved_at": (detected + recovery).where(rng.random(count) > 0.01),
            "notified_at": detected + minutes(rng.exponential(20, count)),
            **flags,
        }
    )  # fmt: skip
    frame["quarter"] = quarter_of(frame["detected_at"], "UTC")
    return frame


def best(function, repeat: int) -> float:
    function()  # warm-up: imports, caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--teams", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    frame = make_incidents(args.incidents, args.teams)
    teams = sorted(frame["team"].unique())
    quarters = quarter_range("2023-Q4", "2026-Q3")
    settings = MeasureSettings(slo_minutes={1: 60, 2: 240, 3: 1440})
    columns = ["severity", *TIMESTAMPS]

    def baseline() -> None:
        frame.groupby(["team", "quarter"])[columns].median()

    def ours() -> None:
        measures_by_team_quarter(frame, teams=teams, quarters=quarters, settings=settings)

    table = measures_by_team_quarter(frame, teams=teams, quarters=quarters, settings=settings)
    base, mine = best(baseline, args.repeat), best(ours, args.repeat)
    print(f"incidents {len(frame):,}, teams {len(teams)}, quarters {len(quarters)}, "
          f"rows out {len(table):,} x {table.shape[1]} columns")  # fmt: skip
    print(f"pandas groupby(['team','quarter']).median(): {base:.3f} s")
    print(f"all measures and statistics:                 {mine:.3f} s")
    print(f"ratio: {mine / base:.2f}x (target: within 5x)")


if __name__ == "__main__":
    main()
