"""Issue 21: the sentences on change read every value the statistics can give (a null
ratio, a zero median, no interval, no detectable change at all, tiny q-values) without a
crash, and say "beyond noise" only where the verdict, which follows q, says so."""

from __future__ import annotations

import itertools

import pytest
from markupsafe import Markup

from maturity.reporting.formatting import format_change, format_change_range
from maturity.reporting.team_report import change_sentence

VERDICTS = ("improved", "worsened", "no_detectable_change", "insufficient_data")


def changes():
    for verdict, ratio, interval, drop, rise, q in itertools.product(
        VERDICTS,
        (None, 1e-6, 0.5, 1.0, 1.004, 1.5, 3.0, 7200.0),
        (None, [0.4, 0.9], [0.9, 1.2], [1.1, 1.6], [2.5, 9000.0]),
        (None, 0.4),
        (None, 1.7, 2.5),
        (None, 0.0004, 0.05, 0.6),
    ):
        yield {"verdict": verdict, "ratio": ratio, "ratio_ci": interval, "min_detectable": drop,
               "min_detectable_rise": rise, "q_value": q, "p_value": q}  # fmt: skip


def test_every_value_reads_without_a_crash() -> None:
    for change, (before, now) in itertools.product(
        changes(), ((None, None), (0.0, 0.0), (60.0, None), (0.0, 42.0), (1e5, 3.0))
    ):
        sentence = change_sentence(change, "2026-Q2", before, now)
        assert isinstance(sentence, Markup)
        text = str(sentence)
        for word in ("None", "nan", "inf", "Infinity"):
            assert word not in text, (change, text)
        noise = "beyond noise" in text
        assert noise == (change["verdict"] in ("improved", "worsened")), text
        assert "p = " not in text  # the q-value, never the raw p, backs the words


@pytest.mark.parametrize(
    ("ratio", "words"),
    [(0.65, "35% shorter"), (1.2, "20% longer"), (2.5, "2.5 times as long"),
     (1.003, "about the same"), (None, "—")],
)  # fmt: skip
def test_changes_in_words(ratio, words) -> None:
    assert format_change(ratio) == words


def test_intervals_in_words() -> None:
    assert format_change_range([0.48, 0.88]) == "12% to 52% shorter"
    assert format_change_range([1.1, 1.5]) == "10% to 50% longer"
    assert format_change_range([0.9, 1.2]) == "from 10% shorter to 20% longer"
    assert format_change_range(None) == ""
