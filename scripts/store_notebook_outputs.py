"""Refresh the outputs nbval compares in the committed notebooks.

Notebooks are committed without outputs, except the cells marked ``# NBVAL_CHECK_OUTPUT``:
nbval (``make test``) checks that those still produce what is stored. Run this after a
deliberate change to the library, the notebook or the example data:

    .venv/bin/python scripts/store_notebook_outputs.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat

from maturity.reporting.execute import execute_notebook

MARKER = "# NBVAL_CHECK_OUTPUT"
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def store(path: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        executed_path = Path(tmp) / path.name
        execute_notebook(path, executed_path)
        executed = nbformat.read(executed_path, as_version=4)
    notebook = nbformat.read(path, as_version=4)
    by_id = {cell.get("id"): cell for cell in executed.cells}
    kept = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if MARKER in cell.source.splitlines():
            # nbval refuses stored outputs of a cell that never ran: keep its count too.
            cell.outputs = by_id[cell.get("id")].outputs
            cell.execution_count = by_id[cell.get("id")].execution_count
            kept += 1
        else:
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(notebook, path)
    return kept


if __name__ == "__main__":
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        print(f"{notebook.name}: stored the outputs of {store(notebook)} checked cells")
