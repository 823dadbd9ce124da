"""XLSX sheets read by calamine in a helper process, so a native crash costs one file.

calamine (Rust) is fast and guarded (``spreadsheets.check_workbook`` refuses the workbooks
known to make it allocate without bound, and a Rust panic it raises is caught), but a crash
that aborts (a failed allocation, a panic while panicking) would end the process reading
the file: the whole review, before issue 26. Here that process is a helper,
``python -m maturity.ingest.sheet_reader``, started at the first workbook of a load and
importing nothing but python_calamine, so such a workbook is that file's one-line error and
the next file is read by a new helper. (A plain subprocess, not multiprocessing: that would
run the caller's own script again in the helper unless it had a ``__main__`` guard.)

``read_sheets`` returns ``(status, value)``: ``("ok", rows of each sheet asked for, None
for a name the workbook lacks)``, ``("error", message)`` for what
calamine refuses, ``("panic", message)`` for a Rust panic it raised, ``("crashed", "")``
when the helper died reading the file. Requests and answers are pickles over the helper's
stdin and stdout (it is this package, run by this process: nothing else writes there).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import threading
from typing import Any

_helper: subprocess.Popen[bytes] | None = None
_lock = threading.Lock()


def read_sheets(path: str, wanted: list[int | str]) -> tuple[str, Any]:
    """Read the sheets ``wanted`` (an index or a name each) of the workbook at ``path``."""
    global _helper
    with _lock:
        if _helper is None or _helper.poll() is not None:
            _helper = _start()
        helper = _helper
        assert helper.stdin is not None and helper.stdout is not None
        try:
            pickle.dump((path, wanted), helper.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            helper.stdin.flush()
            answer: tuple[str, Any] = pickle.load(helper.stdout)
        except (EOFError, OSError, pickle.UnpicklingError):  # it died reading the file
            _stop(helper)
            _helper = None
            return "crashed", ""
        return answer


def close() -> None:
    """Stop the helper (the next read starts another): a load ends with this, so no helper
    outlives the reading."""
    global _helper
    with _lock:
        helper, _helper = _helper, None
    if helper is not None:
        _stop(helper)


def _start() -> subprocess.Popen[bytes]:
    # The helper finds this package where this process does (a script may have put it on
    # sys.path itself); its own complaints go nowhere unless debugging.
    path = os.pathsep.join(p for p in sys.path if p)
    debug = bool(os.environ.get("MATURITY_DEBUG"))
    return subprocess.Popen(
        [sys.executable, "-m", "maturity.ingest.sheet_reader"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=None if debug else subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": path},
    )


def _stop(helper: subprocess.Popen[bytes]) -> None:
    for stream in (helper.stdin, helper.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    try:
        helper.wait(timeout=5)
    except subprocess.TimeoutExpired:
        helper.kill()
        helper.wait()


def _read(path: str, wanted: list[int | str]) -> tuple[str, Any]:
    """In the helper: calamine's rows of each sheet wanted."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(path)
        names = list(workbook.sheet_names)
        sheets: list[list[list[Any]] | None] = []
        for sheet in wanted:
            if isinstance(sheet, str) and sheet not in names:
                sheets.append(None)
                continue
            found = (workbook.get_sheet_by_index(sheet) if isinstance(sheet, int)
                     else workbook.get_sheet_by_name(sheet))  # fmt: skip
            sheets.append(found.to_python(skip_empty_area=False))
        return "ok", sheets
    except (CalamineError, OSError, ValueError, IndexError) as exc:
        return "error", str(exc)
    except BaseException as exc:  # pyo3's PanicException is a BaseException
        if type(exc).__name__ != "PanicException":
            return "error", f"{type(exc).__name__}: {exc}"
        return "panic", str(exc)


def _serve() -> None:
    """The helper's loop: a request in, an answer out, until its stdin closes."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the reading process's to handle
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but answers on the answers' stream
    while True:
        try:
            path, wanted = pickle.load(requests)
        except EOFError:
            return
        pickle.dump(_read(path, wanted), answers, protocol=pickle.HIGHEST_PROTOCOL)
        answers.flush()


if __name__ == "__main__":
    _serve()
