"""The explorer in a real JupyterLab, driven by Playwright through the Debian chromium with
every request off 127.0.0.1 refused (issue 25): open the notebook, run all, pick another
team and every quarter in the widgets, brush the time strip, click a point and a table row
and see each incident's record, save, shut the kernel down, reopen: every chart drawn from
the saved widget state, no "model not found"."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import EXAMPLE, ROOT, find_chromium

TOKEN = "explorer-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A JupyterLab on 127.0.0.1 serving a copy of explore.ipynb pointed at the example,
    with settings of its own (widget state saved with the notebook, as ``make lab`` sets)."""
    pytest.importorskip("jupyterlab")
    root = tmp_path / "work"
    root.mkdir()
    notebook = json.loads((ROOT / "notebooks" / "explore.ipynb").read_text())
    for cell in notebook["cells"]:
        if "parameters" in cell["metadata"].get("tags", []):
            source = "".join(cell["source"])
            cell["source"] = source.replace('"../assessments/example"', json.dumps(str(EXAMPLE)))
    (root / "explore.ipynb").write_text(json.dumps(notebook))
    from maturity.lab import write_lab_settings

    app_settings = write_lab_settings(tmp_path / "app-settings").parent  # as ``make lab`` does
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "user-settings"),  # never the user's own
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
    }
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
         f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
         f"--LabApp.app_settings_dir={app_settings}",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=log, stderr=log,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", root
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


STATUS_SAYS = (
    "text => [...document.querySelectorAll('.widget-html')].some(e => e.innerText.includes(text))"
)

#: The centre of a drawn point inside the scatter's plot area (points brushed out of the
#: domain are drawn outside it, clipped).
A_POINT = """el => {
  const svg = el.querySelector('svg').getBoundingClientRect();
  for (const p of el.querySelectorAll('g.mark-symbol path')) {
    const r = p.getBoundingClientRect(), x = r.x + r.width / 2, y = r.y + r.height / 2;
    if (x > svg.x + 80 && x < svg.right - 40 && y > svg.y + 40 && y < svg.y + 300
        && y > 0 && y < innerHeight) return {x, y};
  }
  return null;
}"""

#: The time strip's bars: the rect group with the most marks.
THE_STRIP = """el => {
  const groups = [...el.querySelectorAll('g.mark-rect')];
  const bars = groups.reduce((a, b) => b.children.length > a.children.length ? b : a);
  const r = bars.getBoundingClientRect();
  return {x: r.x, y: r.y, width: r.width, height: r.height};
}"""


@pytest.mark.browser
@pytest.mark.slow
def test_a_coach_explores_saves_and_reopens_in_jupyterlab(lab: tuple[str, Path]) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    binary = find_chromium()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it")
        pytest.skip("chromium is not installed")
    url, root = lab
    refused: list[str] = []

    def only_local(route) -> None:
        if route.request.url.startswith(url):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=binary, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(90_000)
            page.route("**/*", only_local)
            page.goto(f"{url}/lab/tree/explore.ipynb?token={TOKEN}", wait_until="domcontentloaded")
            page.wait_for_selector(".jp-Notebook .jp-Cell")
            page.wait_for_function(
                "() => { const w = window.jupyterapp.shell.currentWidget;"
                " const k = w && w.sessionContext.session && w.sessionContext.session.kernel;"
                " return k && k.status === 'idle'; }"
            )
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            page.wait_for_selector(".widget-dropdown select")
            page.wait_for_function("document.querySelectorAll('[data-drawn]').length >= 3")
            assert page.evaluate(STATUS_SAYS, "Search & Discovery: 384 incidents loaded")

            # another team, every quarter: picked, not typed
            dropdowns = page.locator(".widget-dropdown select")
            dropdowns.nth(0).select_option(label="Payments")
            page.wait_for_function(STATUS_SAYS, arg="Payments: 483 incidents loaded")
            dropdowns.nth(1).select_option(label="All quarters")
            page.wait_for_function(STATUS_SAYS, arg="listed (every quarter)")
            page.wait_for_timeout(1000)  # the charts redraw for the new team

            # brush a stretch of the time strip: the table keeps that range
            chart = page.locator(".jp-OutputArea [data-drawn]").first
            chart.scroll_into_view_if_needed()
            strip = chart.evaluate(THE_STRIP)
            y = strip["y"] + strip["height"] * 0.7
            page.mouse.move(strip["x"] + strip["width"] * 0.45, y)
            page.mouse.down()
            page.mouse.move(strip["x"] + strip["width"] * 0.6, y, steps=8)
            page.mouse.up()
            page.wait_for_function(STATUS_SAYS, arg="every quarter, brushed range")

            # click a point: its whole record
            chart.scroll_into_view_if_needed()
            point = chart.evaluate(A_POINT)
            assert point, "no point drawn inside the brushed scatter"
            page.mouse.click(point["x"], point["y"])
            record = page.locator(".maturity-record")
            record.wait_for()
            text = record.inner_text()
            for label in ["Detected", "Resolved", "Phase: Escalate", "Runbook used", "Source"]:
                assert label in text
            assert "Payments" in text
            clicked = record.get_attribute("data-key")

            # a row of the incident table: that row's record
            grid = page.locator(".lm-DataGrid, .p-DataGrid").first
            grid.scroll_into_view_if_needed()
            box = grid.bounding_box()
            assert box is not None
            page.mouse.click(box["x"] + 200, box["y"] + 20 + 20 * 3.5)
            page.wait_for_function(
                f"document.querySelector('.maturity-record').dataset.key !== {json.dumps(clicked)}"
            )
            assert "incidents/" in (record.get_attribute("data-key") or "")

            # save, shut the kernel down, reopen: drawn from the saved widget state
            page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
            deadline = time.monotonic() + 30
            state: dict = {}
            while time.monotonic() < deadline and not state:
                time.sleep(0.5)
                saved = json.loads((root / "explore.ipynb").read_text())
                widgets = saved["metadata"].get("widgets", {})
                state = widgets.get("application/vnd.jupyter.widget-state+json", {})
            assert state.get("state"), "no widget state saved with the notebook"
            page.evaluate("window.jupyterapp.serviceManager.sessions.shutdownAll()")
            page.wait_for_timeout(1000)
            page.goto(f"{url}/lab/tree/explore.ipynb?token={TOKEN}", wait_until="domcontentloaded")
            page.wait_for_selector(".jp-Notebook .jp-Cell")
            page.wait_for_function("document.querySelectorAll('[data-drawn]').length >= 4")
            assert page.get_by_text("model not found").count() == 0
            assert page.evaluate(STATUS_SAYS, "Payments: 483 incidents loaded")
        finally:
            browser.close()
    # nothing the explorer draws came from elsewhere (a widget manager from a CDN, say)
    assert not [u for u in refused if "unpkg" in u or "jsdelivr" in u or "vega" in u], refused


# --- make lab ---------------------------------------------------------------------------


def test_lab_settings_keep_other_overrides(tmp_path: Path) -> None:
    from maturity.lab import write_lab_settings

    (tmp_path / "overrides.json").write_text(
        json.dumps({"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"},
                    "@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": False}})
    )  # fmt: skip
    written = json.loads(write_lab_settings(tmp_path).read_text())
    assert written["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}
    assert written["@jupyter-widgets/jupyterlab-manager:plugin"] == {"saveState": True}
    assert written["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


def test_the_working_copy_keeps_the_tracked_notebook_clean(tmp_path: Path) -> None:
    """Issue 25, 7: running the explorer wrote 1.5 MB of outputs into the tracked notebook.
    ``make lab`` opens ``lab/explore.ipynb`` (git-ignored), made once and then kept."""
    from maturity.lab import lab_command, working_copy

    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "explore.ipynb", tmp_path / "notebooks")
    copy = working_copy(tmp_path)
    assert copy == tmp_path / "lab" / "explore.ipynb"
    assert copy.read_bytes() == (ROOT / "notebooks" / "explore.ipynb").read_bytes()
    copy.write_text('{"saved": "by the coach"}')
    assert working_copy(tmp_path).read_text() == '{"saved": "by the coach"}'
    command = lab_command(copy, tmp_path / "lab" / "settings", ["--no-browser"])
    assert command[-1] == "--no-browser"
    assert ("--allow-root" in command) == (os.geteuid() == 0)
    ignored = subprocess.run(["git", "check-ignore", "-q", "lab/explore.ipynb"], cwd=ROOT)
    assert ignored.returncode == 0, "lab/ must be git-ignored"


def test_make_lab_starts_headless_as_root(tmp_path: Path) -> None:
    """Issue 25, 7: ``make lab`` refused to start as root and had no headless option. The
    command ``make lab`` runs, from a project folder, with ``LAB_ARGS`` headless: the
    server answers, with the widget state setting in force."""
    pytest.importorskip("jupyterlab")
    import urllib.request

    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "explore.ipynb", tmp_path / "notebooks")
    port = _free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "user-settings")}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "maturity.lab", "--no-browser", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline, answer = time.monotonic() + 60, None
        while time.monotonic() < deadline and answer is None:
            try:
                plugin = "@jupyter-widgets/jupyterlab-manager:plugin"
                request = f"http://127.0.0.1:{port}/lab/api/settings/{plugin}?token={TOKEN}"
                with urllib.request.urlopen(request, timeout=5) as response:
                    answer = json.loads(response.read())
            except OSError:
                assert server.poll() is None, server.communicate()[0]
                time.sleep(0.3)
        assert answer is not None, "JupyterLab did not answer"
        # overrides.json sets the default (JupyterLab's own is false)
        assert answer["schema"]["properties"]["saveState"]["default"] is True
        assert (tmp_path / "lab" / "explore.ipynb").exists()
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0]
    assert "Opening lab/explore.ipynb" in output
    assert "Use --allow-root" not in output
