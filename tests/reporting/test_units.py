"""One unit per figure family, everywhere (issue 24): the same median reads "1.2 h" in the
team report, its PDF, the portfolio, the index, the deck, the board pack, the summary and
the command line, never "73 min" in one and "1.2 h" in another.

The class: every recovery duration a person reads in any output of a review is in the
review's one unit (``ReviewQuarter.recovery_unit``), on an organisation whose teams recover
in minutes and in days alike (so a per-figure choice would show three units)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from maturity.reporting.formatting import format_minutes, recovery_unit
from maturity.reporting.quarter import ReviewQuarter

sys.path.insert(0, str(Path(__file__).parents[1]))
from generated import generate_organisation
from test_wording import deck_text, pdf_text, visible_text

from conftest import run_maturity

QUARTER = "2026-Q3"
#: A duration as the reports write one: "42 min", "1,234 min", "3.5 h", "0.25 h", "2.1 d".
DURATION = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?) (min|h|d)\b(?!\w)")


@pytest.fixture(scope="module")
def review(tmp_path_factory: pytest.TempPathFactory):
    from maturity.reporting.review import run_review

    root = tmp_path_factory.mktemp("units")
    org = generate_organisation(root / "org", teams=6, seed=11, unanswered=1)
    result = run_review(org, quarter=QUARTER, out=root / "reports", jobs=2, pdf=True)
    assert result.ok, [t.error for t in result.failed]
    return org, result


def _texts(org: Path, result) -> dict[str, str]:
    out = result.out_dir
    texts = {
        "summary.md": (out / "summary.md").read_text(encoding="utf-8"),
        "review.pptx": deck_text(out / "review.pptx"),
        "review.pdf": pdf_text(out / "review.pdf"),
        "maturity measures": run_maturity("measures", str(org)).stdout,
    }
    for page in sorted(out.rglob("*.html")):
        texts[str(page.relative_to(out))] = visible_text(page)
    for pdf in sorted(out.rglob("teams/*.pdf")):
        texts[str(pdf.relative_to(out))] = pdf_text(pdf)
    return texts


def test_the_organisation_spans_units(review) -> None:
    org, result = review
    data = ReviewQuarter.load(org, QUARTER)
    medians = [data.row(key)["mttr_median"] for key in data.organisation.teams]
    # per figure, these would read in minutes, hours and days: the test has teeth
    assert {format_minutes(m)[-1] for m in medians if m is not None} >= {"n", "h"}
    assert result.recovery_unit == data.recovery_unit == recovery_unit(medians)


def test_every_duration_in_every_output_is_in_the_reviews_unit(review) -> None:
    org, result = review
    unit = result.recovery_unit
    wrong = {}
    for name, text in _texts(org, result).items():
        found = [" ".join(m) for m in DURATION.findall(text) if m[1] != unit]
        if found:
            wrong[name] = sorted(set(found))[:8]
    assert not wrong, f"unit {unit}: {wrong}"


def test_a_teams_median_reads_the_same_in_every_output(review) -> None:
    org, result = review
    data = ReviewQuarter.load(org, QUARTER)
    texts = _texts(org, result)
    for key, team in data.organisation.teams.items():
        median = data.row(key)["mttr_median"]
        if median is None:
            continue
        shown = format_minutes(median, result.recovery_unit)
        for name in (f"teams/{key}.html", f"teams/{key}.pdf", "portfolio.html", "index.html",
                     "review.pptx", "maturity measures"):  # fmt: skip
            assert shown in texts[name], (team.name, shown, name)
    organisation = format_minutes(data.row("ALL")["mttr_median"], result.recovery_unit)
    for name in ("summary.md", "portfolio.html", "review.pptx", "review.pdf"):
        assert organisation in texts[name], (organisation, name)
