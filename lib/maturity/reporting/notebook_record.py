"""The record protocol: a report notebook stores its headline numbers beside the report.

A notebook displays ``{RECORD_MIMETYPE: payload}`` with ``display(..., raw=True)``; HTML and
PDF exports ignore that mimetype, so the numbers travel in the executed notebook without
showing. The review and the tests read them back with ``read_record``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat

RECORD_MIMETYPE = "application/vnd.maturity.record+json"


def make_record(payload: dict[str, Any]) -> dict[str, Any]:
    """The raw display bundle holding ``payload``."""
    return {RECORD_MIMETYPE: payload}


def read_record(notebook: nbformat.NotebookNode | str | Path) -> dict[str, Any]:
    """The record an executed report notebook stored (``nbformat`` node or path)."""
    node = (
        notebook
        if isinstance(notebook, nbformat.NotebookNode)
        else nbformat.read(str(notebook), as_version=4)
    )
    for cell in node.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if RECORD_MIMETYPE in data:
                return dict(data[RECORD_MIMETYPE])
    raise KeyError("the notebook holds no maturity record")
