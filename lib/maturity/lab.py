"""``make lab``: JupyterLab on the coach's explorer, set up so that it works and stays tidy.

- The explorer opens from a working copy, ``lab/explore.ipynb`` (git-ignored, made from
  ``notebooks/explore.ipynb`` the first time): running it writes megabytes of outputs and
  widget state, which belong to the coach's copy, never to the tracked notebook.
- Widget state is saved with the notebook (``saveState``), so a saved explorer reopens
  with every chart drawn, even before a kernel runs; JupyterLab's news and update checks
  are off (no request leaves the machine). Both are written as ``overrides.json`` in
  ``lab/settings`` and given to JupyterLab as its application settings folder: nothing is
  written to the user's own settings or to the Python environment.
- As root (a container), JupyterLab needs ``--allow-root``; it is added. Anything in
  ``LAB_ARGS`` follows, e.g. ``make lab LAB_ARGS="--no-browser --port 8900"`` headless.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

#: JupyterLab settings the explorer relies on (plugin id -> settings).
LAB_SETTINGS: dict[str, dict[str, object]] = {
    "@jupyter-widgets/jupyterlab-manager:plugin": {"saveState": True},
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}

#: Where ``make lab`` keeps the coach's working copy (git-ignored).
WORKING_FOLDER = "lab"


def write_lab_settings(folder: Path) -> Path:
    """Write ``LAB_SETTINGS`` into ``folder/overrides.json`` (JupyterLab's application
    settings folder), keeping any other plugin's overrides already there."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "overrides.json"
    current: dict[str, object] = {}
    if path.exists():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            current = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            current = {}
    for plugin, settings in LAB_SETTINGS.items():
        merged = dict(current.get(plugin) or {})  # type: ignore[call-overload]
        merged.update(settings)
        current[plugin] = merged
    path.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def working_copy(project: Path) -> Path:
    """``lab/explore.ipynb``, copied from ``notebooks/explore.ipynb`` when it is missing.
    An existing copy (the coach's saved exploration) is kept."""
    copy = project / WORKING_FOLDER / "explore.ipynb"
    if not copy.exists():
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(project / "notebooks" / "explore.ipynb", copy)
    return copy


def lab_command(notebook: Path, settings: Path, extra: Sequence[str] = ()) -> list[str]:
    """The JupyterLab command line: its application settings from ``settings``,
    ``--allow-root`` when running as root, then ``extra``."""
    command = [sys.executable, "-m", "jupyterlab", str(notebook),
               f"--LabApp.app_settings_dir={settings}"]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    return [*command, *extra]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    project = Path.cwd()
    if not (project / "notebooks" / "explore.ipynb").exists():
        print("maturity lab: run from the project folder (notebooks/explore.ipynb is not here)",
              file=sys.stderr)  # fmt: skip
        return 2
    notebook = working_copy(project)
    settings = write_lab_settings(notebook.parent / "settings").parent
    print(f"Opening {notebook.relative_to(project)} (your working copy; "
          "notebooks/explore.ipynb stays as it is)", flush=True)  # fmt: skip
    command = lab_command(notebook.relative_to(project), settings.relative_to(project), args)
    os.execv(command[0], command)
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main())
