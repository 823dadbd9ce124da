"""Counts agree with their nouns everywhere a person reads them: "1 team", never "1 teams".

The class of defect: a sentence built as f"{n} teams" reads wrongly when n is 1, and a
one-team organisation, a single odd row or one open incident makes n 1. So a one-team
organisation whose export has exactly one of each oddity is validated and reviewed, and
every text a person reads (the command's output, the index, the reports, the board pack,
the deck, the summary) is searched for a 1 followed by a plural noun.
"""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pptx import Presentation

from maturity.wording import plural, verb

from conftest import ALPHA_Q3, GENERIC_HEADER, TEAMS, generic_csv, run_maturity, write_assessment

#: "1" on its own (not 0.1, 11 or 1,000) followed by a plural noun, perhaps after one word
#: ("1 resolved incidents"); not a path such as "incidents/export.csv", which a table cell
#: holding 1 can run into.
ONE_WITH_PLURAL = re.compile(
    r"(?<![\d.,])1 (?:[a-z]+ )?(?:rows|teams|incidents|reports|quarters|categories|phases"
    r"|exports|team-categories|answers|problems|claims|services|levels|files)\b(?!/)"
)


class VisibleText(HTMLParser):
    """A page's text as a reader sees it: no scripts (chart specs), no styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.hidden += tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("script", "style") and self.hidden > 0

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(page: Path) -> str:
    parser = VisibleText()
    parser.feed(page.read_text(encoding="utf-8"))
    return " ".join(" ".join(parser.parts).split())


def deck_text(deck: Path) -> str:
    """The slides' text and their speaker notes."""
    slides = Presentation(str(deck)).slides
    shapes = (s for slide in slides for s in slide.shapes)
    notes = [s.notes_slide.notes_text_frame.text for s in slides if s.has_notes_slide]
    return " ".join([*(s.text_frame.text for s in shapes if s.has_text_frame), *notes])


def pdf_text(pdf: Path) -> str:
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True)
    return " ".join(done.stdout.split())


def test_plural_and_verb_agree_with_the_count() -> None:
    assert [plural(n, "team") for n in (0, 1, 2, 300)] == ["0 teams", "1 team", "2 teams",
                                                           "300 teams"]  # fmt: skip
    assert plural(1, "category", "categories") == "1 category"
    assert plural(3, "category", "categories") == "3 categories"
    assert [verb(n, "has", "have") for n in (0, 1, 2)] == ["have", "has", "have"]


ANSWERS = "team: alpha\nperiod: 2026-Q3\nanswers:\n  people.2a: yes\n"


@pytest.fixture(scope="module")
def one_of_everything(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One team; its export has one resolved incident in the quarter (ALPHA_Q3's A1), one
    still open (A5) whose severity no one understands, and one row naming a team the
    assessment does not know."""
    resolved, still_open = dict(ALPHA_Q3[0]), {**ALPHA_Q3[4], "severity": "catastrophic-ish"}
    rows = [resolved, still_open, {**resolved, "incident_id": "G1", "team": "gamma"}]
    root = tmp_path_factory.mktemp("wording")
    return write_assessment(
        root / "solo", {"export.csv": generic_csv(rows, GENERIC_HEADER)},
        teams={"alpha": TEAMS["alpha"]},
        answers={"2026-Q3": {"alpha": ANSWERS}},
    )  # fmt: skip


def test_a_one_team_review_never_says_1_with_a_plural(one_of_everything: Path,
                                                      tmp_path: Path) -> None:  # fmt: skip
    validate = run_maturity("validate", str(one_of_everything))
    review = run_maturity("review", str(one_of_everything), "--quarter", "2026-Q3", "--out",
                          str(tmp_path), "--jobs", "1")  # fmt: skip
    assert review.returncode == 0, review.stderr
    out = next(tmp_path.glob("*/2026-Q3"))
    texts = {
        "validate": validate.stdout + validate.stderr,
        "review output": review.stdout + review.stderr,
        "summary.md": (out / "summary.md").read_text(encoding="utf-8"),
        "review.pptx": deck_text(out / "review.pptx"),
        "review.pdf": pdf_text(out / "review.pdf"),
    }
    for page in sorted(out.rglob("*.html")):
        texts[str(page.relative_to(out))] = visible_text(page)
    # the oddities were seen, so their sentences were written (and so checked)
    assert "1 row has a severity not understood" in texts["validate"]
    assert "1 rejected row names a team not in assessment.yaml" in texts["validate"]
    assert "1 team" in texts["index.html"] and "1 incident still open" in texts["review.pdf"]
    assert "over 1 resolved incident;" in texts["summary.md"]
    wrong = {name: ONE_WITH_PLURAL.findall(text) for name, text in texts.items()}
    assert not {name: found for name, found in wrong.items() if found}
