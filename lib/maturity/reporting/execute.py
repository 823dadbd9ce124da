"""Running a report notebook: one function, used by the review, the tests and the scripts.

The notebooks live in the checkout's top-level ``notebooks/`` (where users open them) and
ship inside the package (``maturity/reporting/notebooks``, a link to that folder in a
checkout), so an installed wheel finds them through ``importlib.resources``.
``MATURITY_NOTEBOOKS`` points elsewhere, for a customised copy.

A notebook started by hand, or by ``execute_notebook`` alone, gets a kernel of its own. A
review runs many notebooks in each worker, so a worker keeps one kernel warm
(``WarmKernel``): started once, its imports loaded once, its namespace reset before each
notebook. A kernel that died is replaced before the next notebook.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import tempfile
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
    *,
    kernel: WarmKernel | None = None,
) -> Any:
    """Execute ``notebook`` (a name in ``notebooks_dir()``, or a path) with papermill into
    ``output``; returns the executed notebook. A failing cell raises
    ``papermill.PapermillExecutionError`` naming the error. ``kernel``: a warm kernel to
    run it in (its namespace is reset first); else a kernel is started for this notebook."""
    import papermill

    source = resolve_notebook(notebook)
    if kernel is not None:
        return _papermill(papermill, source, output, parameters, km=kernel.ready())
    for attempt in range(KERNEL_START_ATTEMPTS):
        try:
            return _papermill(papermill, source, output, parameters)
        except RuntimeError as exc:
            if not _start_race(exc) or attempt + 1 == KERNEL_START_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def resolve_notebook(notebook: str | Path) -> Path:
    source = Path(notebook)
    if not source.is_absolute() and not source.exists():
        source = notebooks_dir() / source
    return source


def _start_race(exc: BaseException) -> bool:
    # Kernels started side by side can race for a local port and die before they answer:
    # that is the machine, not the notebook, so start a fresh one.
    return "Kernel died before replying" in str(exc)


#: How many times a kernel that dies while starting is started again.
KERNEL_START_ATTEMPTS = 3

#: ipykernel warns at every start that its local TCP socket is unencrypted, and may log a
#: stray interrupt while shutting down; a notebook's real errors still reach us through
#: papermill.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]

#: Run in a warm kernel before each notebook: a fresh namespace and execution count, as if
#: the kernel were new (modules stay imported: that is the point). ``setup_notebook``
#: resets what the report modules keep between charts.
RESET_CODE = "get_ipython().reset(new_session=True, aggressive=False)"


class WarmKernel:
    """One kernel kept running across the notebooks a process executes. Its standard error
    goes to a file of its own, so each report can take what the kernel wrote meanwhile
    (``log_offset``, ``log_since``) for its log."""

    def __init__(self, setup: str = "") -> None:
        self.setup = setup  # run after each reset: how this process wants its notebooks run
        self.manager: Any = None
        self.started = 0  # kernels started: more than one means one died or was replaced
        # Kept open for the process's life (removed when it closes): not a with-block.
        self._log = tempfile.NamedTemporaryFile(prefix="maturity-kernel-", suffix=".log")  # noqa: SIM115
        atexit.register(self.close)
        # A pool's worker leaves through os._exit, where atexit hooks never run but
        # multiprocessing's finalizers do: without this its kernel and log outlived it.
        from multiprocessing import util as multiprocessing_util

        multiprocessing_util.Finalize(self, self.close, exitpriority=10)

    def ready(self) -> Any:
        """The kernel manager, its kernel alive, with a fresh namespace."""
        if self.manager is None or not self.manager.is_alive():
            self.shutdown()
            self._start()
        code = f"{RESET_CODE}\n{self.setup}"
        try:
            self._run(code)
        except Exception:
            # A kernel that cannot reset is not trusted with the next report: replace it.
            self.shutdown()
            self._start()
            self._run(code)
        return self.manager

    def warm_up(self, code: str) -> None:
        """Start the kernel and run ``code`` in it (imports a first notebook would pay for)."""
        self.ready()
        self._run(code)

    def log_offset(self) -> int:
        return os.fstat(self._log.fileno()).st_size

    def log_since(self, offset: int) -> str:
        """What the kernel wrote to standard error since ``offset``."""
        with open(self._log.name, "rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")

    def _start(self) -> None:
        from jupyter_client import KernelManager

        for attempt in range(KERNEL_START_ATTEMPTS):
            manager = KernelManager(kernel_name=KERNEL)
            # A folder of its own: with a bundle, a report reads nothing relative to it.
            manager.start_kernel(cwd=tempfile.gettempdir(), stderr=self._log,
                                 extra_arguments=list(KERNEL_ARGUMENTS))  # fmt: skip
            self.manager = manager
            try:
                self._run("pass")
                self.started += 1
                return
            except Exception:
                self.shutdown()
                if attempt + 1 == KERNEL_START_ATTEMPTS:
                    raise

    def _run(self, code: str) -> None:
        # The shell channel alone: its reply is addressed to us, so nothing is missed while
        # connecting and no broadcast output piles up (the notebook's client reads that).
        client = self.manager.client()
        client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        try:
            msg_id = client.execute(code, silent=True, store_history=False)
            while True:
                reply = client.get_shell_msg(timeout=60)
                if reply["parent_header"].get("msg_id") == msg_id:
                    break
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"kernel could not run {code!r}")
        finally:
            client.stop_channels()

    def close(self) -> None:
        """Stop the kernel and remove its log: this process is done with it."""
        self.shutdown()
        with contextlib.suppress(OSError):
            self._log.close()

    def shutdown(self) -> None:
        manager, self.manager = self.manager, None
        if manager is not None:
            with contextlib.suppress(Exception):  # already gone: nothing to stop
                manager.shutdown_kernel(now=True)


def _papermill(papermill: Any, source: Path, output: str | Path,
               parameters: Mapping[str, Any] | None, km: Any = None) -> Any:  # fmt: skip
    extra: dict[str, Any] = {} if km is None else {"km": km}
    return papermill.execute_notebook(
        str(source),
        str(output),
        parameters=dict(parameters or {}),
        kernel_name=KERNEL,
        progress_bar=False,
        # Written once at the end (with the failing cell's error, when one fails), not after
        # every cell: a report's cells take milliseconds, saving it each time took longer.
        request_save_on_cell_execute=False,
        # Relative paths in a notebook's defaults are relative to the notebook.
        cwd=str(source.parent),
        extra_arguments=list(KERNEL_ARGUMENTS),
        **extra,
    )
