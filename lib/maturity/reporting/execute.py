"""Running a report notebook: one function, used by the review, the tests and the scripts.

The notebooks live in the checkout's top-level ``notebooks/`` (where users open them) and
ship inside the package (``maturity/reporting/notebooks``, a link to that folder in a
checkout), so an installed wheel finds them through ``importlib.resources``.
``MATURITY_NOTEBOOKS`` points elsewhere, for a customised copy.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

TEAM_NOTEBOOK = "team_report.ipynb"
PORTFOLIO_NOTEBOOK = "portfolio_report.ipynb"
EXPLORE_NOTEBOOK = "explore.ipynb"
KERNEL = "python3"


def notebooks_dir() -> Path:
    """Where the report notebooks live: ``MATURITY_NOTEBOOKS``, else the package's copy."""
    configured = os.environ.get("MATURITY_NOTEBOOKS")
    if configured:
        return Path(configured)
    return Path(str(resources.files("maturity.reporting") / "notebooks"))


def execute_notebook(
    notebook: str | Path,
    output: str | Path,
    parameters: Mapping[str, Any] | None = None,
) -> Any:
    """Execute ``notebook`` (a name in ``notebooks_dir()``, or a path) with papermill into
    ``output``; returns the executed notebook. A failing cell raises
    ``papermill.PapermillExecutionError`` naming the error."""
    import papermill

    source = Path(notebook)
    if not source.is_absolute() and not source.exists():
        source = notebooks_dir() / source
    for attempt in range(KERNEL_START_ATTEMPTS):
        try:
            return _papermill(papermill, source, output, parameters)
        except RuntimeError as exc:
            # Kernels started side by side can race for a local port and die before they
            # answer: that is the machine, not the notebook, so start a fresh one.
            if (
                "Kernel died before replying" not in str(exc)
                or attempt + 1 == KERNEL_START_ATTEMPTS
            ):
                raise
    raise AssertionError("unreachable")


#: How many times a kernel that dies while starting is started again.
KERNEL_START_ATTEMPTS = 3


def _papermill(papermill: Any, source: Path, output: str | Path,
               parameters: Mapping[str, Any] | None) -> Any:  # fmt: skip
    return papermill.execute_notebook(
        str(source),
        str(output),
        parameters=dict(parameters or {}),
        kernel_name=KERNEL,
        progress_bar=False,
        # Relative paths in a notebook's defaults are relative to the notebook.
        cwd=str(source.parent),
        # ipykernel warns at every start that its local TCP socket is unencrypted, and may
        # log a stray interrupt while shutting down; a notebook's real errors still reach
        # us through papermill.
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
    )
