"""A generated organisation of many teams (seeded), for tests of scale: the portfolio at 40
teams. Each team has its own typical recovery time; a few improve, a few worsen, a few send
no answers; practices vary, so evidence checks contradict some claims."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from maturity.assessment.rubric import load_rubric
from maturity.periods import quarter_range

QUARTERS = quarter_range("2024-Q4", "2026-Q3")


def generate_organisation(root: Path, teams: int = 40, *, seed: int = 7, unanswered: int = 3,
                          incidents_per_quarter: float = 14) -> Path:  # fmt: skip
    """Write the organisation under ``root``: 8 quarters of incidents (Poisson, mean
    ``incidents_per_quarter`` per team), settings, and answers for the last two quarters
    from all but ``unanswered`` teams."""
    rng = np.random.default_rng(seed)
    keys = [f"team-{i:03d}" for i in range(teams)]
    rows = []
    for t, key in enumerate(keys):
        median = float(rng.choice([25, 45, 70, 120, 240, 600]))
        trend = 0.3 if t % 10 == 0 else 3.0 if t % 10 == 1 else 1.0  # improving / worsening
        runbooks = rng.uniform(0.1, 0.95)
        for q, quarter in enumerate(QUARTERS):
            year, number = int(quarter[:4]), int(quarter[-1])
            start = pd.Timestamp(year=year, month=3 * number - 2, day=1, tz="UTC")
            factor = trend if q >= 4 else 1.0
            for i in range(int(rng.poisson(incidents_per_quarter))):
                detected = start + pd.Timedelta(minutes=float(rng.uniform(0, 88 * 1440)))
                minutes = float(rng.lognormal(np.log(median * factor), 0.8))
                open_now = q == len(QUARTERS) - 1 and rng.uniform() < 0.03
                rows.append({
                    "incident_id": f"{key}-{q}-{i}", "title": f"incident {i}", "team": key,
                    "service": f"svc-{t}", "severity": int(rng.integers(1, 5)),
                    "detected_at": detected.isoformat(),
                    "resolved_at": "" if open_now else
                    (detected + pd.Timedelta(minutes=minutes)).isoformat(),
                    "runbook_used": "yes" if rng.uniform() < runbooks else "no",
                    "review_done": "yes" if rng.uniform() < 0.7 else "no",
                    "automated_recovery": "yes" if rng.uniform() < 0.3 else "no",
                })  # fmt: skip
    (root / "incidents").mkdir(parents=True)
    pd.DataFrame(rows).to_csv(root / "incidents" / "incidents.csv", index=False)
    settings = {
        "organisation": f"Generated Org ({teams} teams)",
        "timezone": "UTC",
        "teams": {
            k: {"name": f"Team {i:03d}", "services": [f"svc-{i}"]} for i, k in enumerate(keys)
        },
        "slo_minutes": {1: 60, 2: 240, 3: 1440},
    }
    (root / "assessment.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    scored = [s.id for s in load_rubric().statements if s.scored]
    for quarter in ("2026-Q2", "2026-Q3"):
        folder = root / "answers" / quarter
        folder.mkdir(parents=True)
        for key in keys[: teams - unanswered]:
            ambition = rng.uniform(0.3, 1.0)
            answers = {
                s: ("yes" if rng.uniform() < ambition else "partly" if rng.uniform() < 0.5
                    else "no")
                for s in scored
            }  # fmt: skip
            (folder / f"{key}.yaml").write_text(
                yaml.safe_dump({"team": key, "period": quarter, "answers": answers})
            )
    return root
