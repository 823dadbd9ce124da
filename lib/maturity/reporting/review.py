"""The quarterly review: every team's report, an index page and ``summary.json``.

Report notebooks run through papermill's Python API in worker processes (``jobs`` at a
time; each notebook starts its own kernel), are rendered to offline HTML and, optionally,
PDF. One team's failure never stops the others: it is recorded in ``summary.json`` and
the index, and the review as a whole reports failure.

Output: ``<out>/<org>/<YYYY-Qn>/`` with ``index.html``, ``summary.json``,
``teams/<team>.html|pdf`` and ``notebooks/<team>.ipynb`` (executed, for audit).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import filelock
import jinja2

import maturity
from maturity import files
from maturity.assessment.answers import AnswerProblem
from maturity.assessment.maturity import assess_quarter
from maturity.errors import InputFileError, PeriodError
from maturity.files import OutputError, inside, replacing
from maturity.ingest.incidents import (
    REJECTED,
    USED,
    IncidentSet,
    load_incidents,
    reason_kinds,
)
from maturity.organisation import Organisation, load_organisation
from maturity.periods import parse_quarter
from maturity.reporting.board_pack import Section, write_board_pack, write_site
from maturity.reporting.execute import (
    PORTFOLIO_NOTEBOOK,
    TEAM_NOTEBOOK,
    execute_notebook,
    notebooks_dir,
)
from maturity.reporting.formatting import format_minutes, unit_of
from maturity.reporting.notebook_record import read_record
from maturity.reporting.render import TEMPLATES

PORTFOLIO = "portfolio"


@dataclass(frozen=True)
class ReportJob:
    """Everything a worker needs to produce one report (a team's, or the portfolio)."""

    key: str  # team key, or PORTFOLIO
    name: str
    notebook: str
    parameters: tuple[tuple[str, str], ...]
    stem: str  # the output path without suffix, relative to the review folder
    title: str
    footer: str
    out_dir: str
    pdf: bool


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


@dataclass
class ReviewResult:
    organisation: str
    quarter: str
    out_dir: Path
    teams: list[TeamResult]
    portfolio: TeamResult | None = None
    problems: list[str] = field(default_factory=list)  # the organisation's, not one team's
    board_pack: str | None = None  # "review.pdf" once printed

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
        else f"no usable incident: {incidents.rows_read} rows read, "
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
) -> ReviewResult:
    """Run the quarterly review of an assessment folder; see the module docstring."""
    assessment = load_organisation(assessment_path)
    incidents = load_incidents(assessment)  # a user's mistake in the exports stops here, once
    quarter = quarter or default_quarter(assessment, incidents)
    check_quarter(quarter, assessment, incidents)
    answer_problems: list[AnswerProblem] = []
    if quarter in assessment.quarters_with_answers():
        # A broken answers file is its team's failure (its report says why), not the review's.
        assess_quarter(assessment, quarter, incidents=incidents, problems=answer_problems)
    problems = [p.message for p in answer_problems if p.team is None]
    if incidents.count(USED) == 0:
        problems.append(
            f"no usable incident in any export ({incidents.rows_read} rows read, "
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
        review = _run_reports(
            assessment, incidents, quarter, out_dir, jobs, pdf, progress, answer_problems
        )
        review.problems.extend(problems)
        if pdf:
            _write_board_pack(review, assessment)
        write_index(review, assessment, incidents)
    write_site(out_dir.parent, assessment.name)
    return review


def _write_board_pack(review: ReviewResult, assessment: Organisation) -> None:
    """``review.pdf``: the portfolio, then every team; a failure to print it is noted, not
    fatal (every report is already written)."""
    sections = []
    for result in [review.portfolio, *review.teams]:
        if result is None:
            continue
        page = None
        if result.status == "ok" and result.html:
            page = (review.out_dir / result.html).read_text(encoding="utf-8")
        title = "Portfolio" if result.team == PORTFOLIO else result.name
        sections.append(Section(result.team, title, page, result.error))
    try:
        write_board_pack(review.out_dir / "review.pdf", assessment.name, review.quarter, sections)
        review.board_pack = "review.pdf"
    except Exception as exc:  # the pack is a convenience: its failure must not hide the reports
        review.problems.append(f"review.pdf could not be printed: {_one_line(exc)}")


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


def _run_reports(
    assessment: Organisation,
    incidents: IncidentSet,
    quarter: str,
    out_dir: Path,
    jobs: int,
    pdf: bool,
    progress: Any,
    answer_problems: list[AnswerProblem],
) -> ReviewResult:
    used_by_team = incidents.incidents["team"].value_counts()
    root, version = str(assessment.root.resolve()), maturity.__version__
    folder = str(out_dir.resolve())
    jobs_list = [
        ReportJob(
            key=PORTFOLIO,
            name="Portfolio",
            notebook=PORTFOLIO_NOTEBOOK,
            parameters=(("assessment", root), ("quarter", quarter)),
            stem=PORTFOLIO,
            title=f"{assessment.name}: recovery portfolio {quarter}",
            footer=f"{assessment.name} · portfolio · {quarter} · generated by maturity "
            f"{version}; executed notebook: notebooks/{PORTFOLIO}.ipynb",
            out_dir=folder,
            pdf=pdf,
        )
    ]
    for team in sorted(assessment.teams.values(), key=lambda t: t.key):
        jobs_list.append(
            ReportJob(
                key=team.key,
                name=team.name,
                notebook=TEAM_NOTEBOOK,
                parameters=(("assessment", root), ("team", team.key), ("quarter", quarter)),
                stem=f"teams/{team.key}",
                title=f"{team.name}: recovery maturity {quarter}",
                footer=f"{assessment.name} · {team.name} · {quarter} · generated by "
                f"maturity {version}; executed notebook: notebooks/{team.key}.ipynb",
                out_dir=folder,
                pdf=pdf,
            )
        )
    for job in jobs_list:  # every report lands inside the quarter's folder
        inside(out_dir, out_dir / f"{job.stem}.html")

    def finished(result: TeamResult) -> None:
        if result.team != PORTFOLIO:
            _flag_team(result, answer_problems, quarter, int(used_by_team.get(result.team, 0)))
        if progress:
            progress(result)

    by_key = run_jobs(jobs_list, jobs, finished)
    results = [by_key[job.key] for job in jobs_list]
    return ReviewResult(assessment.name, quarter, out_dir, results[1:], portfolio=results[0])


def run_jobs(
    jobs_list: list[ReportJob], jobs: int, finished: Callable[[TeamResult], None]
) -> dict[str, TeamResult]:
    """Run every report in worker processes, ``jobs`` at a time, calling ``finished`` as each
    completes (in completion order). A worker that dies (killed, out of memory) fails only
    the report it was running: the reports caught in the broken pool are run again one at a
    time, each in a fresh worker, so the one that kills its worker again is named."""
    results: dict[str, TeamResult] = {}

    def run(batch: list[ReportJob], workers: int) -> list[ReportJob]:
        interrupted = []
        # Spawned workers: a forked process would inherit this one's threads and open files.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=max(1, workers), mp_context=context) as pool:
            futures = {pool.submit(run_report, job): job for job in batch}
            for future in as_completed(futures):
                try:
                    result = future.result()
                except BrokenProcessPool:
                    interrupted.append(futures[future])
                    continue
                results[result.team] = result
                finished(result)
        return interrupted

    for job in run(jobs_list, jobs):
        for again in run([job], 1):
            result = TeamResult(again.key, again.name, "failed",
                                notebook=f"notebooks/{again.key}.failed.ipynb")  # fmt: skip
            result.error = (
                "the worker process running this report died (killed, or out of memory); "
                "the previous report, if any, is left as it was"
            )
            results[again.key] = result
            finished(result)
    return results


def _flag_team(result: TeamResult, problems: list[AnswerProblem], quarter: str, used: int) -> None:
    """A written team report still fails when its answers could not be read; one with no
    usable incident carries a warning."""
    if used == 0:
        result.warning = "no usable incident in the exports: nothing checked against data"
    own = [p for p in problems if p.team == result.team and p.period == quarter]
    if own and result.status == "ok":
        result.status = "failed"
        result.error = own[0].message


@contextlib.contextmanager
def _stderr_into(log: Path) -> Iterator[None]:
    """Send this process's standard error, and so its notebook kernel's, to ``log`` (kept
    only if something was written): a kernel's own messages, a traceback from one that died
    starting, are for diagnosis, not for the user's terminal."""
    log.parent.mkdir(parents=True, exist_ok=True)
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
        if log.exists() and log.stat().st_size == 0:
            log.unlink()


def run_report(job: ReportJob) -> TeamResult:
    """Execute, render and write one report; never raises.

    Each file is written whole or not at all (``maturity.files``): on failure the previous
    run's report stays, and this run's executed notebook is kept beside it as
    ``notebooks/<key>.failed.ipynb`` for diagnosis.
    """
    from maturity.reporting.render import notebook_to_html, notebook_to_pdf

    started = time.perf_counter()
    out_dir = Path(job.out_dir)
    executed = out_dir / "notebooks" / f"{job.key}.ipynb"
    failed = out_dir / "notebooks" / f"{job.key}.failed.ipynb"
    result = TeamResult(job.key, job.name, "failed", notebook=f"notebooks/{job.key}.ipynb")
    log = out_dir / "notebooks" / f"{job.key}.log"
    try:
        with _stderr_into(log), replacing(executed) as partial:
            try:
                execute_notebook(job.notebook, partial, dict(job.parameters))
            except Exception:
                if partial.exists():
                    shutil.copyfile(partial, failed)
                    result.notebook = f"notebooks/{failed.name}"
                raise
            result.headline = read_record(partial)
            page = notebook_to_html(partial, title=job.title, footer=job.footer)
            files.write_text(out_dir / f"{job.stem}.html", page)
            result.html = f"{job.stem}.html"
            if job.pdf:
                with replacing(out_dir / f"{job.stem}.pdf") as pdf_partial:
                    notebook_to_pdf(page, pdf_partial)
                result.pdf = f"{job.stem}.pdf"
        failed.unlink(missing_ok=True)
        result.status = "ok"
    except Exception as exc:  # one report's failure must not stop the others
        result.error = _one_line(exc)
    result.seconds = round(time.perf_counter() - started, 2)
    return result


def _one_line(exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return f"{exc.ename}: {exc.evalue}".strip()
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".strip()


def _public(result: TeamResult) -> dict[str, Any]:
    """A report's entry in summary.json (timings left out: same inputs, same file)."""
    return {k: v for k, v in asdict(result).items() if k != "seconds"}


#: What to do about rows no team could take, by kind of reason.
_UNATTRIBUTED_FIX = {
    "no team": "add the service to a team's services, or the team name or id the tool uses "
    "to its aliases, in assessment.yaml",
}


def _unattributed_groups(incidents: IncidentSet, examples: int = 3) -> list[dict[str, Any]]:
    """Rows given to no team, grouped by kind of reason, with a few examples and the fix."""
    rows = incidents.ledger[incidents.ledger["team"].isna()]
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
    # One unit for the table's durations, chosen from the teams' medians.
    unit = unit_of([t.headline.get("mttr_median") for t in review.teams])
    for t in review.teams:
        row = asdict(t)
        row["median"] = format_minutes(t.headline.get("mttr_median"), unit)
        row["p90"] = format_minutes(t.headline.get("mttr_p90"), unit)
        row["mean"] = format_minutes(t.headline.get("mttr"), unit)
        teams.append(row)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True, keep_trailing_newline=True
    )
    page = env.get_template("index.html.j2").render(
        organisation=review.organisation,
        quarter=review.quarter,
        timezone=assessment.timezone,
        teams=teams,
        failed=review.failed,
        problems=review.problems,
        board_pack=review.board_pack,
        portfolio=None if review.portfolio is None else asdict(review.portfolio),
        quality=quality,
        files=[assessment.relative(p) for p in assessment.incident_files()],
        reasons=reasons,
        unattributed=unattributed,
        unattributed_rows=sum(g["rows"] for g in unattributed),
        css=(TEMPLATES / "report" / "report.css").read_text(),
        version=maturity.__version__,
        assessment=assessment.key,
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
        "teams": [_public(t) for t in review.teams],
        "portfolio": None if review.portfolio is None else _public(review.portfolio),
        "quality": {k: v for k, v in quality.items() if k != "issues"},
    }
    files.write_text(
        review.out_dir / "summary.json", json.dumps(summary, indent=2, sort_keys=True) + "\n"
    )
