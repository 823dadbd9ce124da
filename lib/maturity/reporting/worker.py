"""What a review's worker runs: one report's job in, its files out.

A worker (a local process of the review's pool, or a Dask worker on another machine)
imports this module only: nothing here needs the organisation's data, pandas or the
statistics, so a worker starts in about a second. ``build_report`` executes the report's
notebook in the worker's warm kernel (``execute.WarmKernel``) with its bundle, renders the
offline HTML page and, for a PDF run, the PDF, and returns them as bytes; it never raises.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import io
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import nbformat

from maturity.reporting.execute import WarmKernel, execute_notebook
from maturity.reporting.notebook_record import read_record
from maturity.reporting.signing import bundle_key, sign_bundle

PORTFOLIO = "portfolio"


@dataclass(frozen=True)
class ReportJob:
    """Everything a worker needs to produce one report (a team's, or the portfolio), and
    nothing it must find on the worker's disk: the notebook's text and the report's data
    travel with the job, so a worker on another machine can run it."""

    key: str  # team key, or PORTFOLIO
    name: str
    notebook: str  # the notebook's JSON text
    parameters: tuple[tuple[str, str], ...]
    stem: str  # the output path without suffix, relative to the review folder
    title: str
    footer: str
    pdf: bool
    bundle: bytes = b""  # the report's data (``quarter.write_bundle``); its path is a parameter
    picture: str = ""  # the title of the chart whose picture the deck shows (PDF runs)


@dataclass
class ReportOutput:
    """What a worker sends back: the report's files as bytes, or why it failed."""

    key: str
    name: str
    status: str  # "ok" or "failed"
    error: str | None = None
    headline: dict[str, Any] = field(default_factory=dict)
    notebook: bytes | None = None  # the executed notebook (on failure: as far as it ran)
    html: str | None = None
    pdf: bytes | None = None
    log: str = ""  # what the worker and its kernel wrote to standard error meanwhile
    picture: bytes | None = None  # the chart the deck shows for this report (``picture``)
    stages: dict[str, float] = field(default_factory=dict)  # seconds: execute, export, pdf


#: Run in a review's kernels after each reset: charts without PNGs (the page draws them;
#: the PDF step draws the PNGs it needs).
KERNEL_SETUP = (
    "import maturity.reporting.render as _render\n_render.CHART_IMAGES = False\ndel _render"
)

#: What a report's kernel imports: loaded once per kernel, while the review loads its data.
KERNEL_IMPORTS = (
    "import maturity.reporting.team_report, maturity.reporting.portfolio_report, "
    "maturity.reporting.charts, maturity.reporting.render"
)


def warm_up(pdf: bool = False) -> None:
    """A worker's start: start the kernel and load its imports (in the kernel's own
    process, meanwhile) while this process imports what rendering needs, reads the page's
    chart script and compiles the page template, so the first report pays for none of it.
    For a review that prints PDFs, also WeasyPrint and the JavaScript engine that draws the
    chart PNGs (about a second each, once per worker)."""
    _stop_with_the_review()
    kernel = _kernel()
    kernel_ready = threading.Thread(target=kernel.warm_up, args=(KERNEL_IMPORTS,))
    kernel_ready.start()
    try:
        from maturity.reporting import render

        render.chart_script()
        render._html_exporter()  # compiles its templates
        if pdf:
            import weasyprint  # noqa: F401  (imported here for the first PDF's sake)

            render.chart_png(render.WARM_UP_CHART)
    finally:
        # The kernel is only used from this thread onwards: a failed warm-up is retried
        # by the first report (``WarmKernel.ready`` starts a kernel that is not alive).
        kernel_ready.join()


#: Every warm kernel this process started (one per thread): stopped when it is told to stop.
_started: list[WarmKernel] = []


def _stop_with_the_review() -> None:
    """A local worker's signals. Ctrl-C reaches every process of the terminal's group: the
    review stops its workers itself, so a worker ignores it (it printed a worker's
    traceback). Told to stop (SIGTERM: the pool, or the review's death below), a worker
    stops its kernel and exits. On Linux a worker is sent SIGTERM when the review process
    dies, however it dies (SIGKILL included): no worker or kernel outlives its review."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        return  # a Dask worker's thread: the cluster manages its processes
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stop)
    if sys.platform.startswith("linux"):
        import multiprocessing

        parent = multiprocessing.parent_process()
        with contextlib.suppress(OSError, AttributeError):
            _c_library().prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
        if parent is not None and os.getppid() != parent.pid:
            _stop(signal.SIGTERM, None)  # the review died before the line above


def _stop(signum: int, _frame: Any) -> None:
    for kernel in _started:
        with contextlib.suppress(Exception):
            kernel.close()
    os._exit(128 + signum)


@contextlib.contextmanager
def _stderr_into(log: Path) -> Iterator[None]:
    """Send this process's standard error to ``log`` meanwhile: a report's messages are for
    diagnosis (its ``notebooks/<key>.log``), not for the user's terminal."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with log.open("ab") as handle:
            os.dup2(handle.fileno(), 2)
            try:
                yield
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
    finally:
        os.close(saved)


_kernels = threading.local()


def _kernel() -> WarmKernel:
    """This worker thread's warm kernel (a Dask worker may run tasks in several threads)."""
    kernel = getattr(_kernels, "kernel", None)
    if kernel is None:
        bundle_key()  # in the environment before the kernel starts: it checks the bundles
        kernel = _kernels.kernel = WarmKernel(setup=KERNEL_SETUP)
        _started.append(kernel)
    return cast(WarmKernel, kernel)


def build_report(job: ReportJob) -> ReportOutput:
    """Execute and render one report in this worker; never raises. Runs in a temporary
    folder of its own: the job brings the notebook and the data, the output carries back
    the executed notebook, the HTML and the PDF."""
    from maturity.reporting.render import draw_chart_images, notebook_to_html, notebook_to_pdf

    output = ReportOutput(job.key, job.name, "failed")
    kernel = _kernel()
    with tempfile.TemporaryDirectory(prefix="maturity-report-") as folder:
        work = Path(folder)
        log = work / "report.log"
        kernel_log = kernel.log_offset()
        try:
            with _stderr_into(log):
                (work / "report.ipynb").write_text(job.notebook, encoding="utf-8")
                parameters = dict(job.parameters)
                if job.bundle:
                    (work / "report.bundle").write_bytes(sign_bundle(job.bundle))
                    parameters["bundle"] = str(work / "report.bundle")
                executed = work / "executed.ipynb"
                clock = time.perf_counter()
                try:
                    execute_notebook(work / "report.ipynb", executed, parameters, kernel=kernel)
                finally:
                    output.stages["execute"] = time.perf_counter() - clock
                    if executed.exists():
                        output.notebook = without_temporary_paths(executed.read_bytes())
                clock = time.perf_counter()
                node = nbformat.read(str(executed), as_version=4)
                output.headline = read_record(node)
                output.html = notebook_to_html(node, title=job.title, footer=job.footer)
                output.stages["export"] = time.perf_counter() - clock
                if job.pdf:
                    clock = time.perf_counter()
                    printable, drawn = draw_chart_images(output.html)
                    notebook_to_pdf(printable, work / "report.pdf")
                    output.pdf = (work / "report.pdf").read_bytes()
                    output.picture = drawn.get(job.picture) if job.picture else None
                    output.stages["pdf"] = time.perf_counter() - clock
                if job.picture and output.picture is None and job.key != PORTFOLIO:
                    # A notebook without that chart (a customised one): draw it for the deck.
                    clock = time.perf_counter()
                    output.picture = _slide_picture(job)
                    output.stages["slides"] = time.perf_counter() - clock
            output.status = "ok"
        except Exception as exc:  # one report's failure must not stop the others
            output.error = one_line(exc)
            output.html = output.pdf = None
        output.log = log.read_text(errors="replace") if log.exists() else ""
        output.log += kernel.log_since(kernel_log)
    return_freed_memory()
    return output


_BUNDLE_LINE = re.compile(r'^bundle = "[^"\n]*"', re.M)


def without_temporary_paths(notebook: bytes) -> bytes:
    """The executed notebook as saved with the report, naming none of this worker's
    temporary paths (gone once the report is built): its ``bundle`` parameter set back to
    ``""`` in the injected parameters and papermill's record of them (re-executed, it reads
    the assessment folder), papermill's input and output paths by file name only."""
    node = nbformat.reads(notebook.decode("utf-8"), as_version=4)
    for cell in node.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = _BUNDLE_LINE.sub('bundle = ""', cell.source)
    recorded = node.metadata.get("papermill", {}).get("parameters", {})
    if "bundle" in recorded:
        recorded["bundle"] = ""
    papermill = node.metadata.get("papermill", {})
    for key in ("input_path", "output_path"):
        if papermill.get(key):
            papermill[key] = Path(papermill[key]).name
    return nbformat.writes(node).encode("utf-8")


@functools.cache
def _c_library() -> Any:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")


def return_freed_memory() -> bool:
    """Hand the memory this process has freed back to the system (glibc's
    ``malloc_trim``); False where the C library has no such call (macOS, musl). Without it
    a worker kept what each report's notebook run had freed (its kernel messages, the
    executed notebook): resident memory grew by about 2.5 MB a report, 400 MB over a
    300-team review, though nothing was in use."""
    try:
        _c_library().malloc_trim(0)
    except (OSError, AttributeError):
        return False
    return True


def _slide_picture(job: ReportJob) -> bytes | None:
    """The team's chart for its slide, drawn from the report's own bundle."""
    from maturity.reporting.deck import team_picture
    from maturity.reporting.quarter import read_bundle

    data = read_bundle(  # signed here, as for the notebook: a bundle is read only signed
        io.BytesIO(sign_bundle(job.bundle)), team=job.key, quarter=dict(job.parameters)["quarter"]
    )
    return team_picture(data, job.key)


def one_line(exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return f"{exc.ename}: {exc.evalue}".strip()
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()
