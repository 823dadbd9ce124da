"""The quarterly review: every team's report, an index page and ``summary.json``.

The organisation's quarter (incidents, measures, assessments) is computed once
(``ReviewQuarter``); each report's job carries its notebook and a bundle of only what that
report needs, so a report costs the same at 6 teams as at 300. Jobs run in ``jobs`` local
worker processes (``LocalRunner``), each keeping one kernel warm across its reports, or as
tasks on a Dask cluster (``ClusterRunner``); a worker executes the notebook with papermill
and renders offline HTML and, optionally, PDF, and sends the files back to be written here.
One team's failure never stops the others: it is recorded in ``summary.json`` and the
index, and the review as a whole reports failure. A re-run into the same folder keeps the
team reports whose inputs did not change (``incremental``; ``force`` rebuilds all); the
portfolio, index, board pack, deck and summary are always rebuilt. ``ReviewResult.timings``
says where the time went (load, measures, scoring, bundles, digests, execute, export, pdf,
deck, board pack).

Output: ``<out>/<org>/<YYYY-Qn>/`` with ``index.html``, ``summary.json``,
``teams/<team>.html|pdf`` and ``notebooks/<team>.ipynb`` (executed, for audit).
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import logging
import multiprocessing
import os
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, cast

import filelock

import maturity
from maturity import files
from maturity.assessment.answers import AnswerProblem
from maturity.errors import InputFileError, PeriodError
from maturity.files import OutputError, inside
from maturity.ingest import sheet_reader
from maturity.ingest.incidents import (
    REJECTED,
    USED,
    IncidentSet,
    load_incidents,
    reason_kinds,
)
from maturity.organisation import Organisation, load_organisation
from maturity.periods import parse_quarter
from maturity.reporting import portfolio_report
from maturity.reporting.board_pack import (
    Section,
    template_environment,
    write_board_pack,
    write_site,
)
from maturity.reporting.execute import (
    PORTFOLIO_NOTEBOOK,
    TEAM_NOTEBOOK,
    notebooks_dir,
)
from maturity.reporting.formatting import format_minutes
from maturity.reporting.incremental import ReviewState, report_digests
from maturity.reporting.quarter import ReviewQuarter, bundle_payload
from maturity.reporting.render import TEMPLATES
from maturity.reporting.summary import summary_markdown
from maturity.reporting.worker import (
    PORTFOLIO,
    ReportJob,
    ReportOutput,
    build_report,
    one_line,
    return_freed_memory,
    warm_up,
)
from maturity.wording import plural


@dataclass
class TeamResult:
    team: str
    name: str
    status: str  # "ok" or "failed"
    html: str | None = None
    pdf: str | None = None
    notebook: str | None = None
    error: str | None = None
    seconds: float = 0.0
    headline: dict[str, Any] = field(default_factory=dict)
    warning: str | None = None  # written, but worth a look: e.g. no usable incident
    picture: bytes | None = field(default=None, repr=False)  # for the deck only


@dataclass
class ReviewResult:
    organisation: str
    quarter: str
    out_dir: Path
    teams: list[TeamResult]
    portfolio: TeamResult | None = None
    problems: list[str] = field(default_factory=list)  # the organisation's, not one team's
    board_pack: str | None = None  # "review.pdf" once printed
    deck: str | None = None  # "review.pptx" once written
    timings: dict[str, float] = field(default_factory=dict)  # seconds by stage
    # Team reports kept from the last review, their inputs unchanged (``incremental``).
    kept: list[str] = field(default_factory=list)
    recovery_unit: str = "min"  # of every recovery figure in the review (ReviewQuarter's)
    running_note: str | None = None  # the quarter had not ended by the data's as-of time

    @property
    def failed(self) -> list[TeamResult]:
        reports = [*self.teams, *([self.portfolio] if self.portfolio else [])]
        return [t for t in reports if t.status != "ok"]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.problems


def default_quarter(assessment: Organisation, incidents: IncidentSet) -> str:
    """The latest quarter with answers; without answers, the latest with incidents."""
    answered = assessment.quarters_with_answers()
    if answered:
        return answered[-1]
    quarters = incidents.incidents["quarter"].dropna()
    if quarters.empty:
        raise PeriodError(f"{assessment.key}: no usable incidents and no answers to review")
    return str(quarters.max())


def check_quarter(quarter: str, assessment: Organisation, incidents: IncidentSet) -> None:
    """A clear error for a quarter with neither incidents nor answers."""
    parse_quarter(quarter)
    quarters = incidents.incidents["quarter"].dropna()
    if quarter in set(quarters) or quarter in assessment.quarters_with_answers():
        return
    span = (
        f"incidents cover {quarters.min()} to {quarters.max()}"
        if len(quarters)
        else f"no usable incident: {plural(incidents.rows_read, 'row')} read, "
        f"{incidents.count(REJECTED)} rejected; maturity validate lists why"
    )
    raise PeriodError(f"{assessment.key}: no incidents or answers in {quarter} ({span})")


def run_review(
    assessment_path: str | Path,
    *,
    quarter: str | None = None,
    out: str | Path = "reports",
    jobs: int = 2,
    pdf: bool = True,
    progress: Any = None,
    scheduler: str | None = None,
    force: bool = False,
    reading: Any = None,
) -> ReviewResult:
    """Run the quarterly review of an assessment folder; see the module docstring.

    ``progress(result, done, total)`` is called as each report finishes, in the order they
    finish (``total``: the reports rebuilt). ``scheduler``: the address of a Dask
    distributed scheduler to run the reports on (``tcp://host:8786``), instead of ``jobs``
    local worker processes. A team report whose inputs are unchanged since the last review
    into the same folder is kept (``maturity.reporting.incremental``); ``force`` rebuilds
    every report. ``reading(files_read, files)`` is called as each export is read.
    """
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    assessment = load_organisation(assessment_path)
    # A user's mistake in the exports stops here, once.
    incidents = load_incidents(assessment, progress=reading)
    timings["load"] = time.perf_counter() - clock
    quarter = quarter or default_quarter(assessment, incidents)
    check_quarter(quarter, assessment, incidents)
    # Workers start (and warm their kernels) while the measures and assessments compute.
    runner = ClusterRunner(scheduler) if scheduler else LocalRunner(jobs, pdf)
    try:
        data = ReviewQuarter.load(assessment, quarter, incidents=incidents, timings=timings)
        sheet_reader.close()  # every workbook is read: its helper stops before the reports
        review = _review_in(assessment, data, out, pdf, progress, runner, timings, force)
    except BaseException:  # Ctrl-C, SIGTERM (as an interrupt), a failure: stop them now
        runner.stop()
        raise
    finally:
        runner.close()
    write_site(review.out_dir.parent, assessment.name)
    timings["total"] = time.perf_counter() - clock
    review.timings = {k: round(v, 3) for k, v in timings.items()}
    return review


def _review_in(
    assessment: Organisation,
    data: ReviewQuarter,
    out: str | Path,
    pdf: bool,
    progress: Any,
    runner: Runner,
    timings: dict[str, float],
    force: bool = False,
) -> ReviewResult:
    quarter, incidents = data.quarter, data.incidents
    problems = [p.message for p in data.answer_problems if p.team is None]
    if incidents.count(USED) == 0:
        problems.append(
            f"no usable incident in any export ({plural(incidents.rows_read, 'row')} read, "
            f"{incidents.count(REJECTED)} rejected): every report is empty; see the data quality "
            "section of the index, or run maturity validate"
        )
    notebook = notebooks_dir() / TEAM_NOTEBOOK
    if not notebook.is_file():
        raise InputFileError(f"{notebook}: report notebook not found (set MATURITY_NOTEBOOKS)")

    out_dir = inside(Path(out), Path(out) / assessment.key / quarter)
    try:
        for sub in ("teams", "notebooks"):
            (out_dir / sub).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot write reports there ({exc.strerror or exc})") from exc
    with _review_lock(out_dir):
        printer = _Printer() if pdf else None
        try:
            review = _run_reports(assessment, data, out_dir, pdf, progress, runner, timings,
                                  force)  # fmt: skip
            review.problems.extend(problems)
            clock = time.perf_counter()
            if printer is not None:
                # The board pack and the deck are made at once, each in its own process.
                pack = printer.start(review, assessment, data)
                printer.write_deck(review, data)
                timings["deck"] = time.perf_counter() - clock
                printer.finish(review, pack)
                timings["board_pack"] = time.perf_counter() - clock
        finally:
            if printer is not None:
                printer.close()
        write_index(review, assessment, incidents)
        files.write_text(out_dir / "summary.md", summary_markdown(data, "index.html"))
    return review


def _pack_sections(review: ReviewResult) -> list[Section]:
    sections = []
    for result in [review.portfolio, *review.teams]:
        if result is None:
            continue
        pdf = review.out_dir / result.pdf if result.status == "ok" and result.pdf else None
        title = "Portfolio" if result.team == PORTFOLIO else result.name
        sections.append(Section(result.team, title, pdf, result.error))
    return sections


def _make_deck(path: Path, data: ReviewQuarter, pictures: dict[str, bytes | None],
               failed: dict[str, str], heatmap: bytes | None) -> None:  # fmt: skip
    """The deck's process: write ``review.pptx``."""
    from maturity.reporting.deck import write_deck

    write_deck(path, data, pictures, failed, heatmap=heatmap)


def _warm_deck() -> None:
    """The deck's process: python-pptx and the chart renderer loaded while the reports run."""
    with contextlib.suppress(Exception):  # the deck says what fails, if anything
        import maturity.reporting.deck  # noqa: F401


#: What a review says when a process making the board pack or the deck stops without an
#: answer (a native library aborting, the process killed): the reports are all written.
_STOPPED = "the process making it stopped without an answer (a native library crashed?)"


def _warm_printer() -> None:
    """The board pack's process: its libraries loaded while the reports run."""
    with contextlib.suppress(Exception):  # the board pack says what fails, if anything
        import pypdf  # noqa: F401
        from weasyprint import HTML as WeasyHTML

        WeasyHTML(string="<p>maturity</p>").write_pdf()


class _Printer:
    """Prints ``review.pdf`` (the board pack) and writes ``review.pptx`` (the deck), each in
    a process of its own, started (and warmed) as the reports begin: both are a few
    seconds of pure Python at 300 teams and run at once, and both draw charts through
    native libraries (WeasyPrint's, the chart engine's) from the organisation's own text,
    so a native crash there (a Rust panic aborting, as a name with an escape once did)
    ends that process alone: the review goes on to its index and summary and says which
    file could not be made. Neither failure is fatal (every report is already written)."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.pool = ProcessPoolExecutor(max_workers=1, mp_context=context,
                                        initializer=_warm_printer)  # fmt: skip
        self.deck_pool = ProcessPoolExecutor(max_workers=1, mp_context=context,
                                             initializer=_warm_deck)  # fmt: skip
        self.pool.submit(int)  # start them now
        self.deck_pool.submit(int)

    def start(self, review: ReviewResult, assessment: Organisation,
              data: ReviewQuarter) -> Future[None]:  # fmt: skip
        target, sections = review.out_dir / "review.pdf", _pack_sections(review)
        return self.pool.submit(write_board_pack, target, assessment.name, review.quarter,
                                sections, portfolio_report.cover_figures(data),
                                data.running_note)  # fmt: skip

    @staticmethod
    def finish(review: ReviewResult, pack: Future[None]) -> None:
        try:
            pack.result()
            review.board_pack = "review.pdf"
        except BrokenProcessPool:
            review.problems.append(f"review.pdf could not be printed: {_STOPPED}")
        except Exception as exc:  # its failure must not hide the reports
            review.problems.append(f"review.pdf could not be printed: {one_line(exc)}")

    def write_deck(self, review: ReviewResult, data: ReviewQuarter) -> None:
        """``review.pptx``, in the deck's process; a failure is noted, not fatal."""
        pictures = {t.team: t.picture for t in review.teams}
        failed = {t.team: t.error or "failed" for t in review.teams if t.status != "ok"}
        heatmap = review.portfolio.picture if review.portfolio is not None else None
        try:
            self.deck_pool.submit(_make_deck, review.out_dir / "review.pptx", data, pictures,
                                  failed, heatmap).result()  # fmt: skip
            review.deck = "review.pptx"
        except BrokenProcessPool:
            review.problems.append(f"review.pptx could not be written: {_STOPPED}")
        except Exception as exc:
            review.problems.append(f"review.pptx could not be written: {one_line(exc)}")

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.deck_pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def _review_lock(out_dir: Path) -> Iterator[None]:
    """Hold the quarter folder for this review: two reviews writing one folder would leave
    a mix of both runs' reports."""
    lock = filelock.FileLock(out_dir / ".review.lock", timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise OutputError(
            f"{out_dir}: another review is writing this folder; wait for it to finish, or "
            "give another --out"
        ) from None
    try:
        yield
    finally:
        lock.release()


def _bundle_bytes(data: ReviewQuarter, team: str | None) -> bytes:
    """The report's data for its job, unsigned: the worker signs it with its own key."""
    return bundle_payload(data, team)


def _run_reports(
    assessment: Organisation,
    data: ReviewQuarter,
    out_dir: Path,
    pdf: bool,
    progress: Any,
    runner: Runner,
    timings: dict[str, float],
    force: bool = False,
) -> ReviewResult:
    clock = time.perf_counter()
    quarter = data.quarter
    used_by_team = data.incidents.incidents["team"].value_counts()
    root, version = str(assessment.root.resolve()), maturity.__version__
    sources = {name: (notebooks_dir() / name).read_text(encoding="utf-8")
               for name in (TEAM_NOTEBOOK, PORTFOLIO_NOTEBOOK)}  # fmt: skip
    jobs_list = [
        ReportJob(
            key=PORTFOLIO,
            name="Portfolio",
            notebook=sources[PORTFOLIO_NOTEBOOK],
            parameters=(("assessment", root), ("quarter", quarter)),
            stem=PORTFOLIO,
            title=f"{assessment.name}: recovery portfolio {quarter}",
            footer=f"{assessment.name} · portfolio · {quarter} · generated by maturity "
            f"{version}; executed notebook: notebooks/{PORTFOLIO}.ipynb",
            pdf=pdf,
            picture=portfolio_report.HEATMAP_TITLE if pdf else "",
        )
    ]
    for team in sorted(assessment.teams.values(), key=lambda t: t.key):
        jobs_list.append(
            ReportJob(
                key=team.key,
                name=team.name,
                notebook=sources[TEAM_NOTEBOOK],
                parameters=(("assessment", root), ("team", team.key), ("quarter", quarter)),
                stem=f"teams/{team.key}",
                title=f"{team.name}: recovery maturity {quarter}",
                footer=f"{assessment.name} · {team.name} · {quarter} · generated by "
                f"maturity {version}; executed notebook: notebooks/{team.key}.ipynb",
                pdf=pdf,
                # The deck is made with the PDFs, from the trend chart the PDF draws.
                picture=f"{team.name}: time to recover by quarter" if pdf else "",
            )
        )
    for job in jobs_list:  # every report lands inside the quarter's folder
        inside(out_dir, out_dir / f"{job.stem}.html")
    slice_for = data.team_slicer()
    timings["bundles"] = time.perf_counter() - clock

    # The team reports whose inputs are unchanged since the last review here are kept.
    clock = time.perf_counter()
    state = ReviewState(out_dir) if force else ReviewState.load(out_dir)
    state.keep_only(job.key for job in jobs_list[1:])
    digests = report_digests(data, jobs_list[1:])
    by_key: dict[str, TeamResult] = {}
    if state.reports:  # a first or forced review has nothing to keep
        for job in jobs_list[1:]:
            reusable = state.reusable(job.key, digests[job.key])
            if reusable is not None:
                kept, picture = reusable
                result = _kept_result(kept.result, picture)
                if result is None:
                    continue
                _flag_team(result, list(data.answer_problems), quarter,
                           int(used_by_team.get(job.key, 0)))  # fmt: skip
                by_key[job.key] = result
    timings["digests"] = time.perf_counter() - clock
    to_build = [job for job in jobs_list if job.key not in by_key]

    def prepare(job: ReportJob) -> ReportJob:
        """The job with its bundle, made as it is handed to a worker (never all at once)."""
        started = time.perf_counter()
        part = data if job.key == PORTFOLIO else slice_for(job.key)
        bundle = _bundle_bytes(part, None if job.key == PORTFOLIO else job.key)
        timings["bundles"] += time.perf_counter() - started
        return dataclasses.replace(job, bundle=bundle)

    jobs_by_key = {job.key: job for job in jobs_list}
    built = 0

    def finished(output: ReportOutput) -> None:
        nonlocal built
        started = time.perf_counter()
        result = store_report(output, jobs_by_key[output.key], out_dir)
        for stage, seconds in output.stages.items():
            timings[stage] = timings.get(stage, 0.0) + seconds
        if result.team != PORTFOLIO:
            _flag_team(result, list(data.answer_problems), quarter,
                       int(used_by_team.get(result.team, 0)))  # fmt: skip
            _remember(state, result, digests[result.team])
        timings["write"] = timings.get("write", 0.0) + time.perf_counter() - started
        by_key[result.team] = result
        built += 1
        if progress:
            progress(result, built, len(to_build))
        return_freed_memory()  # the earlier reports' files, written and let go

    clock = time.perf_counter()
    try:
        runner.run(to_build, finished, prepare)
    finally:
        with contextlib.suppress(OSError):  # the state only saves work: never fatal
            state.save()
    timings["reports"] = time.perf_counter() - clock
    results = [by_key[job.key] for job in jobs_list]
    kept_keys = sorted(set(by_key) - {job.key for job in to_build})
    return ReviewResult(assessment.name, quarter, out_dir, results[1:], portfolio=results[0],
                        kept=kept_keys, recovery_unit=data.recovery_unit,
                        running_note=data.running_note)  # fmt: skip


def _kept_result(fields: dict[str, Any], picture: bytes | None) -> TeamResult | None:
    """A kept report's result from its remembered fields; None (rebuild it) when they do
    not fit this version's ``TeamResult``."""
    try:
        return TeamResult(**fields, picture=picture)
    except TypeError:
        return None


def _remember(state: ReviewState, result: TeamResult, digest: str) -> None:
    """Record a team report just stored, or forget it when it failed."""
    if result.status != "ok":
        state.forget(result.team)
        return
    written = [name for name in (result.html, result.pdf, result.notebook) if name]
    fields = {k: v for k, v in asdict(result).items() if k != "picture"}
    state.remember(result.team, digest, written, fields, result.picture)


def store_report(output: ReportOutput, job: ReportJob, out_dir: Path) -> TeamResult:
    """Write what a worker sent back, each file whole or not at all (``maturity.files``).
    A failed report leaves the previous run's files as they were, and its executed notebook
    beside them as ``notebooks/<key>.failed.ipynb`` for diagnosis."""
    result = TeamResult(output.key, output.name, output.status, error=output.error,
                        notebook=f"notebooks/{job.key}.ipynb", headline=output.headline,
                        seconds=round(sum(output.stages.values()), 2),
                        picture=output.picture)  # fmt: skip
    notebooks = out_dir / "notebooks"
    failed = notebooks / f"{job.key}.failed.ipynb"
    log = notebooks / f"{job.key}.log"
    try:
        if output.log.strip():
            files.write_text(log, output.log)
        else:
            log.unlink(missing_ok=True)
        if output.status != "ok":
            if output.notebook is not None:
                files.write_bytes(failed, output.notebook)
                result.notebook = f"notebooks/{failed.name}"
            return result
        assert output.notebook is not None and output.html is not None
        files.write_bytes(notebooks / f"{job.key}.ipynb", output.notebook)
        files.write_text(out_dir / f"{job.stem}.html", output.html)
        result.html = f"{job.stem}.html"
        if output.pdf is not None:
            files.write_bytes(out_dir / f"{job.stem}.pdf", output.pdf)
            result.pdf = f"{job.stem}.pdf"
        failed.unlink(missing_ok=True)
    except OSError as exc:
        result.status, result.error = "failed", one_line(exc)
    return result


class Runner:
    """Runs report jobs somewhere, handing each ``ReportOutput`` to ``finished`` as it
    arrives (in completion order). ``prepare`` completes a job (its bundle) just before it
    is handed out: only a few jobs' data are in flight at once, whatever the number of
    teams."""

    def run(self, jobs_list: list[ReportJob], finished: Callable[[ReportOutput], None],
            prepare: Callable[[ReportJob], ReportJob] = lambda job: job) -> None:  # fmt: skip
        raise NotImplementedError

    def close(self) -> None:
        """Release the workers."""

    def stop(self) -> None:
        """The review is stopping early (interrupted, or failed): stop the reports running
        now instead of waiting for them. ``close`` still follows."""


#: Reports a local worker builds before it is replaced by a fresh one. A worker printing
#: PDFs grows by about 0.7 MB a report (measured over a 300-team review: ~360 MB after the
#: first reports, ~470 MB after 150; the chart engine's JavaScript heap and WeasyPrint's
#: caches, which nothing hands back), its kernel by less. A 300-team review on two workers
#: runs in three rounds; 40 teams in one. A new round costs a few seconds of warm-up.
REPORTS_PER_WORKER = 60


def rounds(jobs_list: list[ReportJob], most: int) -> list[list[ReportJob]]:
    """``jobs_list`` in order, cut into the fewest rounds of at most ``most`` jobs, as even
    as they can be (301 jobs, at most 120: 101, 100, 100), so no round is a short tail."""
    count = max(1, -(-len(jobs_list) // max(1, most)))
    size, extra = divmod(len(jobs_list), count)
    cuts = [0]
    for number in range(count):
        cuts.append(cuts[-1] + size + (number < extra))
    return [jobs_list[a:b] for a, b in itertools.pairwise(cuts)]


class LocalRunner(Runner):
    """``jobs`` worker processes on this machine, each keeping one kernel warm. A worker
    that dies (killed, out of memory) fails only the report it was running: the reports
    caught in the broken pool are run again one at a time, each in a fresh worker, so the
    one that kills its worker again is named."""

    def __init__(self, jobs: int, pdf: bool = False) -> None:
        # Each worker holds a kernel and renders on a CPU of its own: more workers than
        # CPUs only share them and multiply the memory (``--jobs 64`` on two cores).
        self.jobs = max(1, min(jobs, os.cpu_count() or 1))
        self.pdf = pdf  # the workers warm up what printing PDFs needs too
        # Every pool made and not yet waited for, with its worker processes.
        self.pools: dict[ProcessPoolExecutor, list[BaseProcess]] = {}
        self.pool: ProcessPoolExecutor | None = self._pool(self.jobs)

    def _pool(self, workers: int) -> ProcessPoolExecutor:
        # Spawned workers: a forked process would inherit this one's threads and open files.
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=warm_up,
                                   initargs=(self.pdf,))  # fmt: skip
        # Start one worker now, warming while the organisation's measures compute; the
        # others start with the first reports. Two warming at once, on two cores, slowed
        # the measures and scoring (which every report waits for) from 7.6 s to 8.7 s at
        # 300 teams, and a re-run that rebuilds one team pays that in full.
        pool.submit(int)
        # The workers, kept to wait on: a pool shut down without waiting (as ``_batch`` does,
        # so the review goes on to its board pack) forgets them, and a later shutdown that
        # asks to wait then returns at once.
        self.pools[pool] = []
        self._track(pool)
        return pool

    def _track(self, pool: ProcessPoolExecutor) -> None:
        """Remember ``pool``'s worker processes (so far) to wait on."""
        known = self.pools.setdefault(pool, [])
        for process in (getattr(pool, "_processes", None) or {}).values():
            if process not in known:
                known.append(process)

    def run(self, jobs_list: list[ReportJob], finished: Callable[[ReportOutput], None],
            prepare: Callable[[ReportJob], ReportJob] = lambda job: job) -> None:  # fmt: skip
        """Build the reports in rounds of at most ``REPORTS_PER_WORKER`` per worker, each
        round in a fresh pool: the workers of a long review grow (see REPORTS_PER_WORKER),
        and one round's workers and kernels stop before the next round's start, so the
        review's memory stays near what its first reports needed."""
        batches = rounds(jobs_list, REPORTS_PER_WORKER * self.jobs)
        for number, batch in enumerate(batches, start=1):
            pool, self.pool = self.pool or self._pool(self.jobs), None
            for job in self._batch(pool, self.jobs, batch, finished, prepare):
                for again in self._batch(self._pool(1), 1, [job], finished, prepare):
                    finished(ReportOutput(again.key, again.name, "failed", error=WORKER_DIED))
            if number < len(batches):
                self._wait(pool)  # gone before the next round's workers start

    def _batch(self, pool: ProcessPoolExecutor, workers: int, batch: list[ReportJob],
               finished: Callable[[ReportOutput], None],
               prepare: Callable[[ReportJob], ReportJob]) -> list[ReportJob]:  # fmt: skip
        """Run ``batch``, at most two jobs per worker handed out at a time; the jobs a
        broken pool interrupted (or could no longer take) are returned."""
        interrupted: list[ReportJob] = []
        waiting = iter(batch)
        futures: dict[Future[ReportOutput], ReportJob] = {}

        def hand_out() -> None:
            for job in waiting:
                try:
                    futures[pool.submit(build_report, prepare(job))] = job
                except BrokenProcessPool:
                    interrupted.append(job)
                    continue
                return

        try:
            for _ in range(2 * workers):
                hand_out()
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for future in done:
                    job = futures.pop(future)
                    try:
                        output = future.result()
                    except BrokenProcessPool:
                        interrupted.append(job)
                    else:
                        finished(output)
                    hand_out()
        finally:
            # Not waiting for the workers (and their kernels) to exit: they stop while the
            # review writes its board pack, deck and index (``close`` waits). The workers
            # started with the first reports are added to the ones to wait for.
            self._track(pool)
            pool.shutdown(wait=False, cancel_futures=True)
        return interrupted

    def close(self) -> None:
        """Wait for every pool's workers to stop (by now they have, or are warming up for
        a review that stopped early). A pool left running at exit can make Python 3.11
        print a traceback (its exit hook races the pool's own shutdown), and a worker
        killed instead would leave its kernel running."""
        self.pool = None
        for pool in list(self.pools):
            self._wait(pool)
        _forget_stopped_pools()

    def stop(self) -> None:
        """Tell every worker to stop (SIGTERM: each stops its kernel, then exits)."""
        for pool in list(self.pools):
            self._track(pool)
            for worker in self.pools[pool]:
                with contextlib.suppress(OSError, ValueError, AttributeError):
                    if worker.is_alive():
                        worker.terminate()

    def _wait(self, pool: ProcessPoolExecutor) -> None:
        """Shut ``pool`` down and wait, up to ``STOP_SECONDS`` a worker, for its workers
        (and so their kernels) to stop."""
        pool.shutdown(wait=True, cancel_futures=True)
        for worker in self.pools.pop(pool, []):
            worker.join(STOP_SECONDS)  # returns once it has exited, whoever reaps it


def _forget_stopped_pools() -> None:
    """Drop the exit hook's handle on pools whose manager thread has stopped. Python 3.11's
    hook wakes every pool it knows at exit, and one whose workers were stopped by a signal
    can have its wake-up pipe closed under it: "Exception ignored ... Bad file descriptor"
    after "maturity: interrupted". A stopped pool needs no waking."""
    from concurrent.futures import process as futures_process

    wakeups: Any = getattr(futures_process, "_threads_wakeups", None)
    if wakeups is None:
        return
    with contextlib.suppress(Exception):
        for thread in list(wakeups):
            if not thread.is_alive():
                wakeups.pop(thread, None)


#: How long to wait for a worker to stop (it shuts its kernel down first).
STOP_SECONDS = 60

WORKER_DIED = (
    "the worker process running this report died (killed, or out of memory); the previous "
    "report, if any, is left as it was"
)


class ClusterRunner(Runner):
    """The reports as tasks on an existing Dask distributed cluster (``pip install
    'maturity[cluster]'``). Each task carries its notebook and data and returns the
    report's files: workers need not share a filesystem with this machine. A task whose
    worker dies is retried by the scheduler on another worker; one that kills workers
    repeatedly fails alone (``KilledWorker``)."""

    def __init__(self, address: str) -> None:
        address = check_scheduler_address(address)
        try:
            from distributed import Client
        except ImportError:
            raise InputFileError(
                "--scheduler needs dask.distributed: pip install 'maturity[cluster]'"
            ) from None
        self.address = address
        _quiet_abandoned_clients()
        # The client's own log (reconnection attempts, each with a traceback, when the
        # scheduler goes away) is for the cluster's operators; the review reports each
        # report's failure in one line instead.
        _quiet_cluster_log()
        self.client = _bounded(
            lambda: Client(address, timeout=connect_seconds(), set_as_default=False),
            connect_seconds() + 5,
            f"--scheduler {address}: no Dask scheduler answers there",
        )
        try:
            workers = self.client.scheduler_info().get("workers", {})
            if not workers:
                self.client.wait_for_workers(1, timeout=connect_seconds())
        except BaseException as exc:
            self.close()
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise InputFileError(
                f"--scheduler {address}: the scheduler has no workers (waited "
                f"{connect_seconds():g} s); start some with 'dask worker {address}'"
            ) from None

    def run(self, jobs_list: list[ReportJob], finished: Callable[[ReportOutput], None],
            prepare: Callable[[ReportJob], ReportJob] = lambda job: job) -> None:  # fmt: skip
        """Hand the jobs out, a few per worker thread at a time. Every wait is bounded: a
        report that takes longer than ``report_seconds()`` fails alone, and a scheduler
        that goes away fails the reports not yet back (the review still writes its index
        and summary, naming them)."""
        run_id = uuid.uuid4().hex[:8]
        waiting = iter(jobs_list)
        futures: dict[Any, ReportJob] = {}
        started: dict[Any, float] = {}
        threads = sum(w.get("nthreads", 1) for w in
                      self.client.scheduler_info().get("workers", {}).values())  # fmt: skip

        def hand_out() -> bool:
            job = next(waiting, None)
            if job is None:
                return False
            try:
                future = self.client.submit(build_report, prepare(job), pure=False,
                                            key=f"maturity-{job.key}-{run_id}")  # fmt: skip
            except Exception as exc:  # the scheduler is gone: this report, and the rest
                finished(ReportOutput(job.key, job.name, "failed", error=_lost(exc)))
                return True
            futures[future] = job
            started[future] = time.monotonic()
            return True

        for _ in range(2 * max(threads, 1)):
            hand_out()
        while futures or hand_out():
            if not futures:
                continue
            # Polled, not distributed.wait: that looks for a default client, and this one
            # is not (set_as_default=False), so it waited for ever.
            deadline = time.monotonic() + POLL_SECONDS
            while time.monotonic() < deadline and not any(f.done() for f in futures):
                time.sleep(0.05)
            ready = [f for f in futures if f.done()]
            lost = self.client.status not in ("running", "connecting")
            now = time.monotonic()
            for future in list(futures):
                job = futures[future]
                if future in ready:
                    output = self._output(future, job)
                elif lost:
                    output = ReportOutput(job.key, job.name, "failed", error=(
                        f"the Dask scheduler at {self.address} went away before this report "
                        "came back"))  # fmt: skip
                elif now - started[future] > report_seconds():
                    future.cancel()
                    output = ReportOutput(job.key, job.name, "failed", error=(
                        f"no result from the cluster after {report_seconds():g} s; the "
                        "report was cancelled"))  # fmt: skip
                else:
                    continue
                del futures[future], started[future]
                finished(output)
                if not lost:
                    hand_out()
            if lost:
                for job in waiting:
                    finished(ReportOutput(job.key, job.name, "failed", error=(
                        f"the Dask scheduler at {self.address} went away before this "
                        "report was sent")))  # fmt: skip
                return

    def _output(self, future: Any, job: ReportJob) -> ReportOutput:
        try:
            return cast(ReportOutput, future.result(timeout=POLL_SECONDS))
        except Exception as exc:  # KilledWorker, a lost connection: this report only
            kind = type(exc).__name__
            if kind == "KilledWorker":
                error = WORKER_DIED
            elif "connection-lost" in str(exc) or kind == "CommClosedError":
                error = (f"the Dask scheduler at {self.address} went away before this report "
                         "came back")  # fmt: skip
            else:
                error = one_line(exc)
            return ReportOutput(job.key, job.name, "failed", error=error)

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            with contextlib.suppress(Exception):
                _bounded(lambda: client.close(timeout=CLOSE_SECONDS), CLOSE_SECONDS + 5, "")


#: How long to wait for a Dask scheduler to answer, and for it to have a worker (seconds;
#: ``MATURITY_SCHEDULER_TIMEOUT`` changes it).
CONNECT_SECONDS = 20
#: How long one report may take on a cluster before it is cancelled and failed (seconds;
#: ``MATURITY_REPORT_TIMEOUT`` changes it).
REPORT_SECONDS = 1800
#: How often a review checks on its cluster while it waits (seconds).
POLL_SECONDS = 2
CLOSE_SECONDS = 10

_SCHEDULER_ADDRESS = re.compile(
    r"^(?:(?P<scheme>tcp|tls|ws|wss)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]"
    r"{0,252})):(?P<port>\d{1,5})$"
)


def check_scheduler_address(address: str) -> str:
    """``address`` if it is a Dask scheduler address with its port (``tcp://host:8786``,
    ``tls://...``, ``host:8786``, ``[::1]:8786``); a one-line InputFileError otherwise,
    before anything tries to connect."""
    match = _SCHEDULER_ADDRESS.match(address.strip())
    if not match or not 0 < int(match["port"]) < 65536:
        raise InputFileError(
            f"--scheduler {address[:80]!r}: not a scheduler address; give one such as "
            "tcp://scheduler.example:8786 (or tls://... for a cluster with TLS)"
        )
    return address.strip()


def _seconds(variable: str, default: float) -> float:
    try:
        value = float(os.environ.get(variable, default))
    except ValueError:
        return default
    return value if value > 0 else default


def connect_seconds() -> float:
    return _seconds("MATURITY_SCHEDULER_TIMEOUT", CONNECT_SECONDS)


def report_seconds() -> float:
    return _seconds("MATURITY_REPORT_TIMEOUT", REPORT_SECONDS)


def _quiet_cluster_log() -> None:
    """Distributed's loggers (each with a level of its own, from Dask's configuration) and
    the handler it writes them with: errors and below are not printed."""
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] == "distributed"]
    for name in ["distributed", *names]:
        logger = logging.getLogger(name)
        logger.setLevel(logging.CRITICAL)
        for handler in logger.handlers:
            handler.setLevel(logging.CRITICAL)


def _quiet_abandoned_clients() -> None:
    """A Dask ``Client`` that failed to connect tries to close again when it is collected,
    and prints a traceback when that times out too: the failure was already reported in
    one line, so that echo is dropped (every other unraisable error still prints)."""
    previous = sys.unraisablehook
    if getattr(previous, "_maturity", False):
        return

    def hook(unraisable: Any) -> None:
        if "Client.__del__" in getattr(unraisable.object, "__qualname__", ""):
            return
        previous(unraisable)

    hook._maturity = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook


def _lost(exc: BaseException) -> str:
    return f"the Dask cluster did not take this report ({one_line(exc)})"


def _bounded(call: Callable[[], Any], seconds: float, message: str) -> Any:
    """``call()`` in a thread of its own, waited for at most ``seconds``: a peer that never
    speaks (or speaks garbage) cannot hang the review or crash it. Its failure, or the
    wait running out, is ``message`` as a one-line InputFileError."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # MemoryError from a garbage frame length included
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True, name="maturity-bounded")
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise InputFileError(f"{message} (no answer in {seconds:g} s)")
    if "error" in outcome:
        error = outcome["error"]
        if isinstance(error, KeyboardInterrupt):
            raise error
        raise InputFileError(f"{message} ({one_line(error)})") from None
    return outcome.get("value")


def _flag_team(result: TeamResult, problems: list[AnswerProblem], quarter: str, used: int) -> None:
    """A written team report still fails when its answers could not be read; one with no
    usable incident carries a warning."""
    if used == 0:
        result.warning = "no usable incident in the exports: nothing checked against data"
    own = [p for p in problems if p.team == result.team and p.period == quarter]
    if own and result.status == "ok":
        result.status = "failed"
        result.error = own[0].message


def _public(result: TeamResult) -> dict[str, Any]:
    """A report's entry in summary.json (timings left out: same inputs, same file)."""
    return {k: v for k, v in asdict(result).items() if k not in ("seconds", "picture")}


#: What to do about rows no team could take, by kind of reason.
_UNATTRIBUTED_FIX = {
    "no team": "add the service to a team's services, or the team name or id the tool uses "
    "to its aliases, in assessment.yaml",
}


def _unattributed_groups(incidents: IncidentSet, examples: int = 3) -> list[dict[str, Any]]:
    """Rows rejected for want of a team, grouped by kind of reason, with a few examples and
    the fix (an excluded row, a totals line or a test, is not one: the ledger counts it)."""
    rows = incidents.rejected_without_team()
    groups = []
    kinds = rows.assign(kind=reason_kinds(rows["reason"]))
    for kind, group in kinds.groupby("kind", sort=True):
        shown = [
            f"{r.file} row {r.row}"
            + (f" {r.incident_id}" if isinstance(r.incident_id, str) else "")
            + (f": {r.reason}" if r.reason != kind else "")
            for r in group.head(examples).itertuples(index=False)
        ]
        fix = _UNATTRIBUTED_FIX.get(str(kind), "see maturity validate for each row")
        groups.append({"reason": kind, "rows": len(group), "examples": shown, "fix": fix})
    return sorted(groups, key=lambda g: -g["rows"])


def write_index(review: ReviewResult, assessment: Organisation, incidents: IncidentSet) -> None:
    """Write ``index.html`` and ``summary.json`` for a finished review."""
    quality = incidents.quality()
    problems = incidents.ledger[incidents.ledger["action"] != USED]
    reasons = (
        problems.assign(reason=reason_kinds(problems["reason"]))
        .groupby(["action", "reason"])
        .size()
        .reset_index(name="rows")
        .to_dict(orient="records")
    )
    unattributed = _unattributed_groups(incidents)
    teams = []
    unit = review.recovery_unit  # the review's one unit for recovery figures
    for t in review.teams:
        row = asdict(t)
        row["median"] = format_minutes(t.headline.get("mttr_median"), unit)
        row["p90"] = format_minutes(t.headline.get("mttr_p90"), unit)
        row["mean"] = format_minutes(t.headline.get("mttr"), unit)
        teams.append(row)
    page = (
        template_environment()
        .get_template("index.html.j2")
        .render(
            organisation=review.organisation,
            quarter=review.quarter,
            running_note=review.running_note,
            timezone=assessment.timezone,
            teams=teams,
            failed=review.failed,
            problems=review.problems,
            board_pack=review.board_pack,
            deck=review.deck,
            portfolio=None if review.portfolio is None else asdict(review.portfolio),
            quality=quality,
            files=[assessment.relative(p) for p in assessment.incident_files()],
            archives=[assessment.relative(p) for p in assessment.fetched_archives()],
            reasons=reasons,
            unattributed=unattributed,
            unattributed_rows=sum(g["rows"] for g in unattributed),
            css=(TEMPLATES / "report" / "report.css").read_text(),
            version=maturity.__version__,
            assessment=assessment.key,
        )
    )
    files.write_text(review.out_dir / "index.html", page)
    summary = {
        "organisation": review.organisation,
        "assessment": assessment.key,
        "quarter": review.quarter,
        "maturity_version": maturity.__version__,
        "status": "ok" if review.ok else "failed",
        "problems": review.problems,
        "board_pack": review.board_pack,
        "deck": review.deck,
        "summary": "summary.md",
        "teams": [_public(t) for t in review.teams],
        "portfolio": None if review.portfolio is None else _public(review.portfolio),
        "quality": {k: v for k, v in quality.items() if k != "issues"},
    }
    files.write_text(
        review.out_dir / "summary.json", json.dumps(summary, indent=2, sort_keys=True) + "\n"
    )
