"""Benchmark: loading a 100,000-row vendor export (XLSX), first and cached.

Builds a PagerDuty-style XLSX (the legacy report's 23 columns) and prints the time of
``maturity.incidents.load_incidents`` on it, first (parse and normalise) and again (from
the cache), next to ``pandas.read_excel(engine="openpyxl")`` of the same file, as ratios.
Targets (issue 3): first load at least 5x faster than that baseline, cached at least 50x.

    .venv/bin/python benchmarks/bench_ingest.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HEADER = [
    "id", "incident_number", "description", "service_id", "service_name",
    "escalation_policy_id", "escalation_policy_name", "created_on", "resolved_on",
    "seconds_to_first_ack", "seconds_to_resolve", "auto_resolved", "escalation_count",
    "auto_escalation_count", "acknowledge_count", "assignment_count",
    "acknowledged_by_user_ids", "acknowledged_by_user_names", "assigned_to_user_ids",
    "assigned_to_user_names", "resolved_by_user_id", "resolved_by_user_name", "urgency",
]  # fmt: skip


def build(path: Path, rows: int, seed: int = 11) -> None:
    """Write the export with openpyxl's streaming writer."""
    from openpyxl import Workbook

    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2025-01-01T00:00:00Z")
    created = start + pd.to_timedelta(np.sort(rng.uniform(0, 365 * 86400, rows)), unit="s")
    to_resolve = rng.lognormal(8.0, 1.2, rows).astype(int)
    resolved = created + pd.to_timedelta(to_resolve, unit="s")
    ack = rng.exponential(300, rows).astype(int)
    services = np.array(["checkout-api", "payment-gateway", "search-api", "auth-service"])
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("incidents")
    sheet.append(HEADER)
    created_text = created.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    resolved_text = resolved.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    for i in range(rows):
        open_ = i % 200 == 0
        sheet.append([
            f"Q{i:07d}", 100000 + i, f"Incident {i} on service", "PSVC1",
            services[i % 4], "PEP1", "Payments", created_text[i],
            "" if open_ else resolved_text[i], int(ack[i]), "" if open_ else int(to_resolve[i]),
            int(i % 7 == 0), 1, 0, 1, 1, "PU1", "Ana", "PU1", "Ana", "PU1", "Ana",
            "high" if i % 3 else "low",
        ])  # fmt: skip
    workbook.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MATURITY_CACHE_DIR"] = str(Path(tmp) / "cache")
        from maturity.ingest.incidents import load_incidents

        path = Path(tmp) / "pagerduty-incidents.xlsx"
        started = time.perf_counter()
        build(path, args.rows)
        size = path.stat().st_size / 2**20
        elapsed = time.perf_counter() - started
        print(f"built {path.name}: {args.rows:,} rows x {len(HEADER)} columns, {size:.1f} MB "
              f"in {elapsed:.1f} s")  # fmt: skip

        started = time.perf_counter()
        baseline = pd.read_excel(path, engine="openpyxl")
        base = time.perf_counter() - started

        started = time.perf_counter()
        first_load = load_incidents(path)
        first = time.perf_counter() - started

        started = time.perf_counter()
        cached_load = load_incidents(path)
        cached = time.perf_counter() - started

        assert len(baseline) == first_load.rows_read == cached_load.rows_read == args.rows
        print(f"pandas.read_excel(engine='openpyxl'): {base:7.2f} s")
        print(f"maturity load, first:                 {first:7.2f} s  "
              f"{base / first:6.1f}x faster (target: 5x)")  # fmt: skip
        print(f"maturity load, cached:                {cached:7.2f} s  "
              f"{base / cached:6.1f}x faster (target: 50x)")  # fmt: skip


if __name__ == "__main__":
    main()
