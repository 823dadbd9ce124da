"""The coach's exploration helpers (issue 12): choosing incidents, the slowest incidents phase
by phase, answers beside evidence, and the interactive explorer's selections."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from maturity.reporting import charts, explore

from conftest import ALPHA_ANSWERS, tiny_files, write_assessment


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write_assessment(tmp_path / "tiny", tiny_files(), answers={"2026-Q3": ALPHA_ANSWERS})


def test_choose_services_and_severities(tiny: Path) -> None:
    incidents = explore.team_incidents(tiny, "alpha")
    assert len(explore.choose(incidents)) == 5
    assert set(explore.choose(incidents, severities=[2])["incident_id"]) == {"A2", "A5"}
    assert list(explore.choose(incidents, services=["alpha-api"])["incident_id"]) == ["A2"]


def test_the_slowest_incidents_phase_by_phase(tiny: Path) -> None:
    incidents = explore.team_incidents(tiny, "alpha")
    phases = explore.slowest(incidents, count=2)
    # A4 (100 min, no acknowledgement or mitigation) then A3 (30 min, acknowledged at 6)
    assert list(dict.fromkeys(phases["incident_id"])) == ["A4", "A3"]
    a3 = phases[phases["incident_id"] == "A3"]
    assert list(a3["phase"]) == ["to acknowledge", "to resolve"]
    assert a3["minutes"].tolist() == pytest.approx([6.0, 24.0])
    # the bars add up to the time to recover
    totals = phases.groupby("incident_id")["minutes"].sum()
    recovery = incidents.set_index("incident_id")["recovery_minutes"]
    assert totals.to_dict() == pytest.approx(recovery[totals.index].to_dict())
    spec = charts.phase_timeline(phases, title="slowest").to_dict()
    assert spec["encoding"]["x2"]["field"] == "end" and "2 incidents" in spec["description"]


def test_answers_beside_the_evidence(tiny: Path) -> None:
    table = explore.answers_and_evidence(tiny, "alpha", "2026-Q3")
    rows = table.set_index("statement")
    assert rows.loc["process.3a", "answer"] == "yes"
    assert rows.loc["process.3a", "evidence"] in ("supported", "contradicted", "no data")
    assert rows.loc["process.3a", "why"]
    assert explore.answers_and_evidence(tiny, "beta", "2026-Q3").empty  # no answers


def test_the_explorer_brushes_time_and_filters_by_legend(tiny: Path) -> None:
    incidents = explore.team_incidents(tiny, "alpha")
    spec = charts.incident_explorer(incidents, title="alpha").to_dict()
    scatter, _strip = spec["vconcat"]
    params = {p["name"]: p for p in spec["params"]}  # Altair lifts them to the top
    assert params["period"]["select"]["type"] == "interval"
    assert params["severity"]["bind"] == "legend"
    assert scatter["encoding"]["x"]["scale"]["domain"] == {"param": "period"}
    fields = {t["field"] for t in scatter["encoding"]["tooltip"]}
    assert {"incident_id", "title", "minutes", "escalate_minutes"} <= fields
    data = next(iter(spec["datasets"].values()))
    assert len(data) == 4 and isinstance(pd.Timestamp(data[0]["detected"]), pd.Timestamp)


@pytest.mark.browser
@pytest.mark.notebooks
def test_live_charts_draw_offline_from_their_own_module(tiny: Path, chromium, tmp_path) -> None:
    """The widget module JupyterLab would run draws the explorer, selections included, in
    Chromium with every host lookup failing: no CDN behind it (unlike Altair's JupyterChart)."""
    import base64
    import json
    import re

    from maturity.reporting import live

    module = live.widget_module()
    assert not re.search(r"""\bimport\s*(?:[\w{}*,\s]+from\s*)?["']""", module)  # no imports
    spec = charts.incident_explorer(explore.team_incidents(tiny, "alpha"), title="alpha")
    # The module exactly as the widget ships it, imported from a blob URL (its text kept
    # base64 in the page, so no HTML parsing rule can touch it).
    encoded = base64.b64encode(module.encode()).decode()
    page = tmp_path / "live.html"
    page.write_text(
        "<!DOCTYPE html><html><body><div id='chart'></div>"
        f"<div id='module' data-code='{encoded}'></div><script type='module'>"
        "const code = new TextDecoder().decode(Uint8Array.from(atob("
        "document.getElementById('module').dataset.code), c => c.charCodeAt(0)));"
        "const url = URL.createObjectURL(new Blob([code], {type: 'text/javascript'}));"
        "const widget = (await import(url)).default;"
        "const state = {listen: ['period', 'severity'], selection: {}, spec: "
        + json.dumps(spec.to_dict()).replace("</", "<\\/")
        + "};"
        "const model = {get: k => state[k], set: (k, v) => { state[k] = v; },"
        " save_changes() {}, on() {}, off() {}};"
        "await widget.render({model, el: document.getElementById('chart')});"
        "document.body.dataset.drawn = document.querySelectorAll('#chart svg').length;"
        "</script></body></html>"
    )
    dom, console = chromium(page)
    assert re.search(r'data-drawn="[1-9]', dom), dom[-500:]
    assert console == [], console


def test_live_chart_widgets_carry_the_reports_html(tiny: Path) -> None:
    from maturity.reporting import live

    spec = charts.incident_explorer(explore.team_incidents(tiny, "alpha"), title="alpha")
    bundle = live._renderer(spec.to_dict())
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert 'class="maturity-chart-spec"' in bundle["text/html"]
    assert not live.available()  # a test process is no live kernel: reports' renderer stays


@pytest.mark.notebooks
def test_the_explorer_titles_its_charts_with_the_teams_name(tmp_path: Path) -> None:
    """Chart titles say "Search & Discovery", not the key "search" (issue 24)."""
    import json

    import papermill

    from conftest import EXAMPLE, ROOT

    out = tmp_path / "explore.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "explore.ipynb"), str(out), kernel_name="python3",
        parameters={"assessment": str(EXAMPLE), "team": "search"}, progress_bar=False,
        cwd=str(ROOT / "notebooks"),
    )  # fmt: skip
    text = json.dumps(json.loads(out.read_text())["cells"])
    assert "Search & Discovery: time to recover" in text.replace("&amp;", "&")
    assert "search: time to recover" not in text


@pytest.mark.browser
@pytest.mark.notebooks
def test_an_explorer_exported_by_nbconvert_draws_every_chart_offline(tmp_path, chromium) -> None:
    """Issue 24: ``jupyter nbconvert --to html --execute explore.ipynb`` saved each chart as
    a widget view whose page loads its widget manager from a CDN: blank offline. A kernel
    with no widget front end gets the reports' charts, and the page their script: every
    chart drawn, interactive, with every host lookup failing."""
    import re
    import shutil
    import subprocess
    import sys

    from conftest import EXAMPLE, ROOT

    (tmp_path / "assessments").mkdir()
    (tmp_path / "assessments" / "example").symlink_to(EXAMPLE)
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "explore.ipynb", tmp_path / "notebooks")
    jupyter = Path(sys.executable).with_name("jupyter")
    command = [str(jupyter), "nbconvert", "--to", "html", "--execute", "explore.ipynb"]
    subprocess.run(command, cwd=tmp_path / "notebooks", check=True, capture_output=True,
                   timeout=300)  # fmt: skip
    page = tmp_path / "notebooks" / "explore.html"
    text = page.read_text()
    assert "application/vnd.jupyter.widget-view+json" not in text
    assert "html-manager" not in text  # no widget manager to fetch
    charts_on_page = text.count('class="maturity-chart-spec"')
    assert charts_on_page >= 4
    dom, _console = chromium(page)
    assert re.search(rf'data-charts-drawn="{charts_on_page}"', dom), re.findall(
        r'data-charts-\w+="\d+"', dom)  # fmt: skip
    assert 'data-charts-failed="0"' in dom
