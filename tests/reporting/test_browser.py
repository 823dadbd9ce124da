"""Reports opened in real headless Chromium with every network lookup failing."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.notebooks]


def test_team_report_draws_its_charts_offline(tiny_review, chromium) -> None:
    dom, console = chromium(tiny_review.out_dir / "teams" / "alpha.html")
    body = re.search(r"<body[^>]*>", dom).group(0)
    # recovery trend, volume, and maturity (alpha answered the questionnaire)
    assert 'data-charts-drawn="3"' in body and 'data-charts-failed="0"' in body
    assert dom.count("<svg") >= 3 and 'class="chart-fallback"' not in dom
    assert "Level the data supports" in dom
    assert console == [], console  # no error, no failed network request, no warning
    # the incident title with markup is shown as text
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; co" in dom


def test_a_team_without_answers_says_so(tiny_review, chromium) -> None:
    dom, console = chromium(tiny_review.out_dir / "teams" / "beta.html")
    assert 'data-charts-drawn="2"' in dom and console == []
    assert "No questionnaire answers for Beta in 2026-Q3" in dom


def test_portfolio_draws_its_charts_offline(tiny_review, chromium) -> None:
    dom, console = chromium(tiny_review.out_dir / "portfolio.html")
    # maturity by team, the organisation's recovery trend, its incident volume
    assert 'data-charts-drawn="3"' in dom and 'data-charts-failed="0"' in dom
    assert console == [], console
    assert "Where to invest" in dom and "Alpha Team" in dom


def test_index_opens_offline(tiny_review, chromium) -> None:
    dom, console = chromium(tiny_review.out_dir / "index.html")
    assert "Tiny Org: recovery maturity review" in dom
    assert console == [], console
