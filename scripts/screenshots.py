"""Refresh the README's screenshots from a review of the example organisation.

    .venv/bin/maturity review assessments/example --out /tmp/review --no-pdf
    .venv/bin/python scripts/screenshots.py /tmp/review/example/2026-Q3

Headless Chromium (the Debian ``chromium`` package) draws each page offline after its
charts; the images go to ``docs/screenshots/``, 825 pixels wide.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: page (relative to the quarter's folder), image name, window height in CSS pixels
SHOTS = [
    ("index.html", "index.png", 900),
    ("portfolio.html", "portfolio.png", 2000),
    ("teams/payments.html", "team-report.png", 2300),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("quarter_folder", type=Path, help="reports/<org>/<YYYY-Qn>")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    out = ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    for page, name, height in SHOTS:
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run(
                [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                 f"--user-data-dir={profile}", "--virtual-time-budget=15000",
                 "--force-device-scale-factor=0.75", f"--window-size=1100,{height}",
                 f"--screenshot={out / name}", (args.quarter_folder / page).resolve().as_uri()],
                check=True, capture_output=True, timeout=120,
            )  # fmt: skip
        print(f"wrote {out / name}")


if __name__ == "__main__":
    main()
