"""Reports opened in real headless Chromium with every network lookup failing."""

from __future__ import annotations

import re

import pytest

from test_review import tiny_review  # noqa: F401  (the session's review, shared)

pytestmark = [pytest.mark.browser, pytest.mark.notebooks]


def test_team_report_draws_its_charts_offline(tiny_review, chromium) -> None:  # noqa: F811
    dom, console = chromium(tiny_review.out_dir / "teams" / "alpha.html")
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert 'data-charts-drawn="2"' in body and 'data-charts-failed="0"' in body
    charts = re.findall(r'<div class="maturity-chart".*?</div>\s*</div>', dom, re.S)
    assert len(charts) == 2
    assert dom.count("<svg") >= 2 and 'class="chart-fallback"' not in dom
    assert console == [], console  # no error, no failed network request, no warning
    # the incident title with markup is shown as text
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; co" in dom


def test_index_opens_offline(tiny_review, chromium) -> None:  # noqa: F811
    dom, console = chromium(tiny_review.out_dir / "index.html")
    assert "Tiny Org: recovery maturity review" in dom
    assert console == [], console
