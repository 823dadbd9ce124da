"""Reports opened in real headless Chromium with every network lookup failing."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.notebooks]


def test_team_report_draws_its_charts_offline(tiny_review, chromium) -> None:
    dom, console = chromium(tiny_review.out_dir / "teams" / "alpha.html")
    body = re.search(r"<body[^>]*>", dom).group(0)
    # recovery trend and spread, volume, and maturity (alpha answered the questionnaire)
    assert 'data-charts-drawn="4"' in body and 'data-charts-failed="0"' in body
    assert dom.count("<svg") >= 4 and 'class="chart-fallback"' not in dom
    assert "Level the data supports" in dom
    assert console == [], console  # no error, no failed network request, no warning
    # the incident title with markup is shown as text
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; co" in dom


def test_a_team_without_answers_says_so(tiny_review, chromium) -> None:
    dom, console = chromium(tiny_review.out_dir / "teams" / "beta.html")
    assert 'data-charts-drawn="3"' in dom and console == []  # trend, spread, volume
    assert "No questionnaire answers for Beta in 2026-Q3" in dom


def test_portfolio_draws_its_charts_offline(tiny_review, chromium) -> None:
    dom, console = chromium(tiny_review.out_dir / "portfolio.html")
    # maturity by team, the team x category heatmap, the recovery trend, the incident volume
    assert 'data-charts-drawn="4"' in dom and 'data-charts-failed="0"' in dom
    assert console == [], console
    assert "Where to invest" in dom and "Alpha Team" in dom


def test_index_opens_offline(tiny_review, chromium) -> None:
    dom, console = chromium(tiny_review.out_dir / "index.html")
    assert "Tiny Org: recovery maturity review" in dom
    assert console == [], console


# --- accessibility: axe-core in headless Chromium (issue 12) --------------------------------

#: Impacts that fail the check; "minor" and "moderate" findings are reported, not failed.
SERIOUS = {"serious", "critical"}


def axe_violations(chromium, page: Path, tmp_path: Path) -> list[dict]:
    """Run axe-core (WCAG 2 A and AA rules) on a copy of ``page`` in Chromium, after the
    charts are drawn; returns its violations (id, impact, nodes)."""
    from importlib import resources

    axe = (resources.files("axe_core_python") / "axe.min.js").read_text(encoding="utf-8")
    runner = """
    <script>AXE_SOURCE</script>
    <script>
    function audit() {
      if (document.body.dataset.chartsDrawn === undefined && document.querySelector(
          "script.maturity-chart-spec")) { return setTimeout(audit, 100); }
      axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa"]}})
        .then(r => { const out = document.createElement("pre"); out.id = "axe-result";
          out.textContent = JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact,
            nodes: v.nodes.slice(0, 3).map(n => n.html)}))); document.body.appendChild(out); });
    }
    window.addEventListener("load", audit);
    </script>
    """.replace("AXE_SOURCE", axe.replace("</script", "<\\/script"))
    copy = tmp_path / page.name
    text = page.read_text(encoding="utf-8")
    end = text.rfind("</body>")  # the last: the chart bundle's code mentions the tag too
    copy.write_text(text[:end] + runner + text[end:])
    dom, _console = chromium(copy)
    found = re.search(r'<pre id="axe-result">(.*?)</pre>', dom, re.S)
    assert found, "axe-core did not report"
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.parametrize("page", ["index.html", "portfolio.html", "teams/alpha.html"])
def test_no_serious_accessibility_violations(page: str, tiny_review, chromium, tmp_path) -> None:
    violations = axe_violations(chromium, tiny_review.out_dir / page, tmp_path)
    serious = [v for v in violations if v["impact"] in SERIOUS]
    assert serious == [], serious


def test_every_chart_has_a_text_alternative(tiny_review) -> None:
    for page in ("portfolio.html", "teams/alpha.html"):
        text = (tiny_review.out_dir / page).read_text()
        charts = re.findall(r'<figure[^>]*class="maturity-chart"[^>]*>.*?</figure>', text, re.S)
        assert charts
        for chart in charts:
            assert 'aria-label="' in chart
            summary = re.search(r'<figcaption class="chart-summary">(.+?)</figcaption>', chart)
            assert summary and len(summary.group(1)) > 40, chart[:200]
