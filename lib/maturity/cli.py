"""The ``maturity`` command. See ``maturity --help`` and DESIGN.md "Command line".

A user's mistake (a missing file, an unknown format, bad YAML, a wrong quarter) prints one
line naming the problem and exits 2; ``validate`` exits 1 when files load but no row is
usable; ``review`` exits 1 when any team's report failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import maturity
from maturity.errors import ConfigError, MaturityError, NoUsableDataError
from maturity.wording import plural

#: Exit code of an unexpected error (a bug): distinct from a user's mistake (2).
INTERNAL_ERROR = 3
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


_UNDECODED = re.compile("[\udc80-\udcff]")


def safe_text(text: str) -> str:
    """``text`` with control characters shown as ``\\x1b`` escapes: cell values quoted in
    messages must not drive the terminal (an ANSI escape in an export's title)."""
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    # A file name's bytes that are not UTF-8 (kept by Python as lone surrogates) as \xe9.
    return _UNDECODED.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", text)


def _print_json(payload: dict[str, Any]) -> None:
    # allow_nan=False: strict JSON parsers reject NaN and Infinity, so none may be written.
    print(json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False))


def cmd_validate(args: argparse.Namespace) -> int:
    from maturity.ingest.incidents import REJECTED, load_incidents

    errors: list[str] = []
    with reading_progress() as reading:
        loaded = load_incidents(args.paths, file_errors=errors, progress=reading)
    quality = loaded.quality()
    if args.json:
        quality["errors"] = [{"file": e.split(": ", 1)[0], "error": e} for e in errors]
        _print_json({"quality": quality})
    elif loaded.rows_read or loaded.notes or not errors:
        print(safe_text(_ledger_summary(loaded)))
    if errors:  # every file that could not be read, one line each, then the usual exit 2
        for error in errors:
            print(safe_text(f"maturity: {error}"), file=sys.stderr)
        return ConfigError.exit_code
    if quality["rows_used"] == 0:
        if not args.json:
            rejected = loaded.count(REJECTED)
            print(
                f"no usable incident: {plural(quality['rows_read'], 'row')} read, "
                f"{rejected} rejected"
            )
        return NoUsableDataError.exit_code
    return 0


def _ledger_summary(loaded: Any, examples: int = 3) -> str:
    import pandas as pd

    from maturity.ingest.incidents import reason_kinds

    ledger = loaded.ledger
    lines = [
        f"{plural(len(ledger), 'row')} read: {loaded.count('used')} used, "
        f"{loaded.count('excluded')} excluded, {loaded.count('rejected')} rejected"
    ]
    # One table of counts, not a pass per file (an organisation may hold 100,000 files).
    counts = pd.crosstab(ledger["file"], ledger["action"]).sort_index()
    for action in ("used", "excluded", "rejected"):
        if action not in counts:
            counts[action] = 0
    for file, used, excluded, rejected in zip(counts.index, counts["used"], counts["excluded"],
                                              counts["rejected"], strict=True):  # fmt: skip
        rows = int(used + excluded + rejected)
        lines.append(
            f"  {file}: {plural(rows, 'row')}, {int(used)} used, {int(excluded)} excluded, "
            f"{int(rejected)} rejected"
        )
    for note in loaded.notes:
        lines.append(f"  note: {note['file']} ({note['format']}): {note['note']}")
    problems = ledger[ledger["action"] != "used"]
    if len(problems):
        kinds = problems.assign(kind=reason_kinds(problems["reason"]))
        for (action, kind), rows in kinds.groupby(["action", "kind"], sort=True):
            lines.append(f"{action}: {kind} ({plural(len(rows), 'row')})")
            for r in rows.head(examples).itertuples(index=False):
                ident = f" {r.incident_id}" if isinstance(r.incident_id, str) else ""
                lines.append(f"    {r.file} row {r.row}{ident}: {r.reason}")
            if len(rows) > examples:
                lines.append(f"    ... and {len(rows) - examples} more (--json lists all)")
    return "\n".join(lines)


def cmd_measures(args: argparse.Namespace) -> int:
    from maturity.ingest.incidents import load_incidents
    from maturity.measures.engine import (
        MeasureSettings,
        effective_as_of,
        measures_by_team_quarter,
    )
    from maturity.measures.records import describe, to_records
    from maturity.organisation import is_organisation_folder, load_organisation

    teams, settings = None, MeasureSettings()
    if is_organisation_folder(Path(args.path)):
        assessment = load_organisation(args.path)
        teams, settings = sorted(assessment.teams), MeasureSettings.from_organisation(assessment)
    loaded = load_incidents(args.path)
    if loaded.count("used") == 0:
        raise NoUsableDataError(
            f"{args.path}: no usable incident ({plural(loaded.rows_read, 'row')} read)"
        )
    table = measures_by_team_quarter(loaded.incidents, teams=teams, by=args.by, settings=settings)
    shown_from = _first_quarter_shown(table, args, default_all=args.json)
    if shown_from:
        table = table[table["period"] >= shown_from]
    if args.json:
        _print_json(
            {"measures": to_records(table), "quality": loaded.quality(),
             "statistics": describe(settings, effective_as_of(loaded.incidents, settings))}
        )  # fmt: skip
        return 0
    from maturity.reporting.formatting import review_unit

    # The unit a review of the latest quarter shown writes: the same figure reads the same.
    unit = review_unit(table, str(table["period"].max())) if len(table) else "min"
    print(safe_text(_measures_table(to_records(table), [args.by] if args.by else [], unit)))
    quarters = sorted(loaded.incidents["quarter"].dropna().unique())
    if shown_from and quarters and quarters[0] < shown_from:
        print(f"(quarters from {shown_from}; data from {quarters[0]}: --all shows every quarter, "
              "--since YYYY-Qn from a chosen one)")  # fmt: skip
    return 0


#: Quarters ``maturity measures`` prints by default: the latest with data and those before.
DEFAULT_QUARTERS = 8


def _first_quarter_shown(table: Any, args: argparse.Namespace, *, default_all: bool) -> str | None:
    """The first quarter to show: ``--since``, none with ``--all`` (or by default for JSON,
    which scripts read whole), else the last ``DEFAULT_QUARTERS`` ending with the latest."""
    from maturity.periods import parse_quarter, shift_quarter

    if args.since:
        parse_quarter(args.since)
        return str(args.since)
    if args.all or default_all or table.empty:
        return None
    with_data = table.loc[table["incidents"] > 0, "period"]
    latest = with_data.max() if len(with_data) else table["period"].max()
    return shift_quarter(str(latest), 1 - DEFAULT_QUARTERS)


def _measures_table(records: list[dict[str, Any]], by: list[str], unit: str) -> str:
    """The measures as aligned text, each column as wide as its longest cell; recovery
    figures in ``unit`` (``formatting.review_unit``)."""
    from maturity.reporting.formatting import format_minutes

    header = ["team", *by, "period", "incidents", "open", "median", "90% CI", "p90", "mean",
              "change vs last quarter"]  # fmt: skip
    rows = []
    for r in records:
        ci = r["mttr_median_ci"]
        rows.append([
            str(r["team"]), *(str(r[b]) for b in by), r["period"], str(r["incidents"]),
            str(r["open"]), format_minutes(r["mttr_median"], unit),
            f"{format_minutes(ci[0], unit)}-{format_minutes(ci[1], unit)}" if ci else "—",
            format_minutes(r["mttr_p90"], unit), format_minutes(r["mttr"], unit),
            r["change_qoq"]["verdict"].replace("_", " "),
        ])  # fmt: skip
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    left = {0, *range(1, 2 + len(by)), len(header) - 1}  # text columns; numbers align right
    lines = []
    for row in [header, *rows]:
        cells = [c.ljust(w) if i in left else c.rjust(w)
                 for i, (c, w) in enumerate(zip(row, widths, strict=True))]  # fmt: skip
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def cmd_review(args: argparse.Namespace) -> int:
    from maturity.reporting.review import run_review

    bar = None if args.quiet else ReviewProgress()

    def progress(result: Any, done: int, total: int) -> None:
        if bar is not None:
            bar.finished(result, done, total)

    if not args.quiet:
        print(f"reviewing {args.path} ...", flush=True)
    try:
        with reading_progress(quiet=args.quiet) as reading:
            review = run_review(
                args.path, quarter=args.quarter, out=args.out, jobs=args.jobs, pdf=args.pdf,
                progress=progress, scheduler=args.scheduler, force=args.force, reading=reading,
            )  # fmt: skip
    finally:
        if bar is not None:
            bar.close()
    if not args.quiet:
        if review.kept:
            kept = plural(len(review.kept), "team report")
            print(f"  kept {kept} whose inputs are unchanged since the last review "
                  "(--force rebuilds them)")  # fmt: skip
        if review.running_note:
            print(safe_text(f"  note: {review.running_note}"))
        print(safe_text(f"{review.organisation} {review.quarter}: {review.out_dir / 'index.html'}"))
    for problem in review.problems:
        print(safe_text(f"maturity: {problem}"), file=sys.stderr)
    if review.failed:
        total = len(review.teams) + 1  # and the portfolio
        print(f"{len(review.failed)} of {plural(total, 'report')} failed", file=sys.stderr)
    return 0 if review.ok else 1


BAR_FORMAT = "{l_bar}{bar}| {n}/{total} reports [{elapsed}, {remaining} left]{postfix}"


class ReadingProgress:
    """Reading many exports, on stderr: on a terminal a bar that appears once reading has
    taken a few seconds; off one (a log, CI) a line every ``every`` seconds."""

    def __init__(self, every: float = 10.0, clock: Any = None) -> None:
        import time

        self.clock = clock or time.monotonic
        self.every = every
        self.started = self.last = self.clock()
        self.bar: Any = None

    def __call__(self, files_read: int, files: int) -> None:
        if sys.stderr.isatty():
            if self.bar is None:
                from tqdm import tqdm  # type: ignore[import-untyped]

                self.bar = tqdm(total=files, unit="file", desc="reading exports", delay=2,
                                leave=False, dynamic_ncols=True, file=sys.stderr)  # fmt: skip
            self.bar.update(files_read - self.bar.n)
            return
        now = self.clock()
        if now - self.last >= self.every:
            self.last = now
            print(f"  reading exports: {files_read:,} of {files:,} files read "
                  f"({now - self.started:,.0f} s)", file=sys.stderr, flush=True)  # fmt: skip

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@contextlib.contextmanager
def reading_progress(quiet: bool = False) -> Any:
    """A ``ReadingProgress`` for ``load_incidents(progress=...)``, closed after (None when
    ``quiet``)."""
    progress = None if quiet else ReadingProgress()
    try:
        yield progress
    finally:
        if progress is not None:
            progress.close()


class ReviewProgress:
    """The review's progress on the terminal: one line per report as it finishes (in the
    order they finish), under a bar with reports done, failed and the time left. Off a
    terminal (a log, CI) the bar is not drawn; the lines are."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.failed = 0

    def finished(self, result: Any, done: int, total: int) -> None:
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(total=total, unit="report", dynamic_ncols=True, file=sys.stderr,
                            disable=not sys.stderr.isatty(), bar_format=BAR_FORMAT)  # fmt: skip
        state = "ok" if result.status == "ok" else f"FAILED: {result.error}"
        if result.status != "ok":
            self.failed += 1
        if result.warning:
            state += f" ({result.warning})"
        line = safe_text(f"  {result.team:<16} {state} ({result.seconds:.1f} s)")
        self.bar.write(line, file=sys.stdout)
        sys.stdout.flush()
        self.bar.set_postfix_str(f"{self.failed} failed" if self.failed else "", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def cmd_score(args: argparse.Namespace) -> int:
    from maturity.assessment.maturity import assess_quarter
    from maturity.organisation import load_organisation

    assessment = load_organisation(args.path)
    quarter = args.quarter
    if quarter is None:
        answered = assessment.quarters_with_answers()
        if not answered:
            raise NoUsableDataError(f"{assessment.key}: no answers under answers/<YYYY-Qn>/")
        quarter = answered[-1]
    problems: list[Any] = []
    results = assess_quarter(assessment, quarter, problems=problems)
    missing = sorted(set(assessment.teams) - set(results))
    if args.json:
        _print_json({"scores": [r.to_json() for r in results.values()], "missing": missing,
                     "problems": [vars(p) for p in problems]})  # fmt: skip
        return ConfigError.exit_code if problems else 0
    print(safe_text(f"{assessment.name} {quarter}: level claimed/supported by the incident "
                    "data (score claimed/supported)"))  # fmt: skip
    width = max(len(t) for t in [*assessment.teams, "team"])
    columns = ("overall", "people", "process", "technology", "measurement")
    print(f"{'team':<{width}} " + " ".join(f"{c:>15}" for c in columns) + "  contradicted")
    for team, result in results.items():
        score = result.score
        o = score.overall
        cells = [f"{o['level']}/{o['evidence_level']} ({o['score']:.2f}/{o['evidence_score']:.2f})"]
        cells += [f"{c.level}/{c.evidence_level} ({c.score:.2f}/{c.evidence_score:.2f})"
                  for c in score.categories.values()]  # fmt: skip
        contradicted = [s.id for s in score.statements if s.evidence == "contradicted" and s.value]
        print(f"{team:<{width}} " + " ".join(f"{c:>15}" for c in cells) + "  "
              + ", ".join(contradicted))  # fmt: skip
    broken = {p.team for p in problems if p.period == quarter}
    for team in missing:
        if team not in broken:
            print(f"{team:<{width}} no answers for {quarter}")
    for problem in problems:
        print(safe_text(f"maturity: {problem.message}"), file=sys.stderr)
    return ConfigError.exit_code if problems else 0


def cmd_template(args: argparse.Namespace) -> int:
    from maturity.assessment.questionnaire import write_template
    from maturity.assessment.rubric import load_rubric
    from maturity.organisation import load_organisation
    from maturity.periods import parse_quarter

    parse_quarter(args.quarter)
    if args.all:
        from maturity.assessment.rounds import previous_answers, write_round

        organisation = load_organisation(args.all)
        rubric = load_rubric()
        written = write_round(organisation, rubric, args.quarter, Path(args.out))
        _, when = previous_answers(organisation, rubric, args.quarter)
        prefilled = sorted(set(when))
        print(safe_text(
            f"wrote {plural(len(written), 'workbook')} for {args.quarter} under {args.out} "
            f"(rubric {rubric.version}): {len(prefilled)} of "
            f"{plural(len(organisation.teams), 'team')} pre-filled with their last answers; "
            f"send each to its team, and save them back under {args.all}/answers/{args.quarter}/"
        ))  # fmt: skip
        return 0
    if not args.team:
        raise ConfigError("template needs --team T (one team) or --all PATH (every team)")
    name = None
    if args.assessment:
        organisation = load_organisation(args.assessment)
        name = organisation.team(args.team).name  # an unknown team lists the valid keys
    path = write_template(load_rubric(), args.team, args.quarter, Path(args.out), team_name=name,
                          respondent=args.respondent or "")  # fmt: skip
    where = f"{args.assessment}/" if args.assessment else "the assessment folder's "
    file = f"{args.team}/{args.respondent}.xlsx" if args.respondent else f"{args.team}.xlsx"
    print(safe_text(f"wrote {path}: fill in the Questionnaire sheet, save it as "
                    f"{where}answers/{args.quarter}/{file}"))  # fmt: skip
    if not args.assessment:
        print("(the team key is not checked: --assessment PATH checks it and adds the team's name)")
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    from maturity.fetch import run_fetch, source_module
    from maturity.organisation import load_organisation

    module = source_module(args.source)  # an unknown source: one line, before anything else
    organisation = load_organisation(args.path)
    result = run_fetch(module.NAME, organisation, since=args.since, until=args.until,
                       base_url=args.base_url, progress=not args.quiet)  # fmt: skip
    kinds = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(result.by_kind.items())
                      if n and not k.endswith("_count"))  # fmt: skip
    waits = (f"; {plural(result.waits, 'rate-limit wait')} ({result.waited:.0f} s)"
             if result.waits else "")  # fmt: skip
    what = (f"changes since {result.manifest['runs'][-1]['changed_since']}"
            if result.mode == "incremental"
            else f"{result.window.since:%Y-%m-%d} to {result.window.until:%Y-%m-%d}")  # fmt: skip
    print(safe_text(
        f"{module.TITLE}: {what}: {plural(result.pages, 'page')} ({kinds or 'no items'}) in "
        f"{result.seconds:.1f} s{waits}"
    ))  # fmt: skip
    manifest = result.manifest
    where = organisation.relative(result.folder)
    print(safe_text(
        f"archive {where}: {plural(manifest['page_count'], 'page')}, "
        f"{plural(manifest['item_count'], 'item')} from {plural(len(manifest['runs']), 'run')}; "
        f"next: maturity validate {args.path}"
    ))  # fmt: skip
    return 0


def cmd_answers(args: argparse.Namespace) -> int:
    from maturity.assessment.rounds import round_status
    from maturity.assessment.rubric import load_rubric
    from maturity.organisation import load_organisation

    organisation = load_organisation(args.path)
    status = round_status(organisation, load_rubric(), args.quarter)
    if args.json:
        _print_json(status.to_json())
    else:
        print(safe_text(_round_text(organisation, status)))
    return 1 if status.without_answers else 0


def _round_text(organisation: Any, status: Any) -> str:
    teams = status.teams
    answered = len(teams) - len(status.without_answers)
    lines = [f"{organisation.name} {status.quarter} (rubric {status.rubric_version}): "
             f"{answered} of {plural(len(teams), 'team')} answered"]  # fmt: skip
    width = max(len(t.team) for t in teams)
    for t in teams:
        if t.answered:
            who = ", ".join(t.respondents)
            detail = (f"{plural(len(t.respondents), 'respondent')} ({who}); "
                      f"{len(t.unanswered)} unanswered, {len(t.disputed)} disputed")  # fmt: skip
            if t.disputed:
                detail += f" ({', '.join(t.disputed)})"
            if t.not_asked:
                detail += f"; {len(t.not_asked)} not in rubric {t.rubric_version}"
        else:
            detail = "no answers: chase this team"
        lines.append(f"  {t.team:<{width}}  {t.status:<11} {detail}")
        lines.extend(f"  {'':<{width}}  problem: {p}" for p in t.problems)
    lines.extend(f"  problem: {p}" for p in status.stray)
    if status.without_answers:
        names = ", ".join(t.team for t in status.without_answers)
        lines.append(f"to chase: {names} (maturity template --all {organisation.root} "
                     f"--quarter {status.quarter} --out DIR writes their workbooks)")  # fmt: skip
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="maturity",
        description="Recovery-maturity reviews from incident exports and questionnaires.",
    )
    parser.add_argument("--version", action="version", version=f"maturity {maturity.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "validate", help="read exports or an assessment folder; print the row ledger"
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="assessment folder or export files")
    p.add_argument("--json", action="store_true", help="print the quality object as JSON")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("measures", help="key measures per team and quarter, plus team ALL")
    p.add_argument("path", metavar="PATH", help="assessment folder or an export file")
    p.add_argument("--json", action="store_true", help="print measures and quality as JSON")
    p.add_argument("--by", choices=("severity", "service"), help="also break down by this")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--since", metavar="YYYY-Qn", help="show quarters from this one on")
    shown.add_argument("--all", action="store_true",
                       help=f"show every quarter (default: the last {DEFAULT_QUARTERS} with data; "
                            "JSON: every quarter)")  # fmt: skip
    p.set_defaults(func=cmd_measures)

    p = sub.add_parser("score", help="maturity per team for a quarter, checked against data")
    p.add_argument("path", metavar="PATH", help="assessment folder")
    p.add_argument("--quarter", help="YYYY-Qn (default: the latest with answers)")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("template", help="write the questionnaire workbook for a team, or all")
    p.add_argument("--team", help="team key")
    p.add_argument("--all", metavar="PATH",
                   help="every team of this assessment folder, pre-filled with last answers; "
                        "--out is then a folder")  # fmt: skip
    p.add_argument("--respondent", metavar="NAME", help="the respondent this workbook is for")
    p.add_argument("--quarter", required=True, help="YYYY-Qn")
    p.add_argument("--out", required=True, help="the .xlsx file to write (--all: a folder)")
    p.add_argument(
        "--assessment",
        metavar="PATH",
        help="assessment folder: checks the team key and takes the team's name",
    )
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("answers", help="the questionnaire round: who answered, what to chase")
    p.add_argument("path", metavar="PATH", help="assessment folder")
    p.add_argument("--quarter", required=True, help="YYYY-Qn")
    p.add_argument("--json", action="store_true", help="print the round's status as JSON")
    p.set_defaults(func=cmd_answers)

    p = sub.add_parser(
        "fetch", help="pull incidents from a tool's API into incidents/fetched/<source>/"
    )
    p.add_argument("source", metavar="SOURCE",
                   help="pagerduty, opsgenie, jira, servicenow or incidentio")  # fmt: skip
    p.add_argument("path", metavar="PATH", help="assessment folder")
    p.add_argument("--since", metavar="DATE",
                   help="start of the window (default: two years back on the first fetch; "
                        "afterwards only what changed since the last)")  # fmt: skip
    p.add_argument("--until", metavar="DATE", help="end of the window (default: now)")
    p.add_argument(
        "--base-url",
        metavar="URL",
        help="the API's address (default: the vendor's, or the instance variable)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("review", help="the whole quarterly review: reports for every team")
    p.add_argument("path", metavar="PATH", help="assessment folder")
    p.add_argument("--quarter", help="YYYY-Qn (default: the latest with answers)")
    p.add_argument("--out", default="reports", help="output folder (default: reports/)")
    p.add_argument(
        "--jobs",
        type=int,
        default=2,
        help="reports built at once (default: 2; at most the machine's CPUs)",
    )
    p.add_argument("--pdf", action=argparse.BooleanOptionalAction, default=True,
                   help="also write PDF reports (default: yes)")  # fmt: skip
    p.add_argument("--scheduler", metavar="ADDR",
                   help="run the reports on a Dask cluster, e.g. tcp://host:8786 "
                   "(needs the cluster extra; --jobs is then the cluster's)")  # fmt: skip
    p.add_argument("--force", action="store_true",
                   help="rebuild every report (default: keep the team reports whose inputs "
                   "are unchanged since the last review into the same folder)")  # fmt: skip
    p.add_argument(
        "--quiet",
        action="store_true",
        help="no progress; print only problems (exit status says the rest)",
    )
    p.set_defaults(func=cmd_review)
    return parser


def _printable_streams() -> None:
    """A terminal that cannot show every character (``PYTHONIOENCODING=ascii``, ``LC_ALL=C``)
    gets the rest escaped (``B\\xeata``), never an error after the reports are written."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="backslashreplace")


def _terminate_as_interrupt() -> None:
    """SIGTERM (a CI job cancelled, ``kill``) stops a command as Ctrl-C does: through its
    clean-up, so a review stops its workers and kernels and leaves the previous reports,
    instead of dying at once and leaving them running."""
    import signal

    def interrupt(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not the main thread (an embedding program)
        signal.signal(signal.SIGTERM, interrupt)


def main(argv: Sequence[str] | None = None) -> int:
    _printable_streams()
    _terminate_as_interrupt()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except MaturityError as exc:
        print(safe_text(f"maturity: {exc}"), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("maturity: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (``| head``) left: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:  # the disk, not the data: unreadable, read-only, full
        where = f"{exc.filename}: " if exc.filename else ""
        print(safe_text(f"maturity: {where}{exc.strerror or exc}"), file=sys.stderr)
        return MaturityError.exit_code
    except Exception as exc:
        # A bug, not the user's mistake: still one line, and the traceback on request.
        if os.environ.get("MATURITY_DEBUG"):
            raise
        print(safe_text(f"maturity: internal error ({type(exc).__name__}: {exc}); please "
                        "report it with the input that caused it (MATURITY_DEBUG=1 shows "
                        "the traceback)"), file=sys.stderr)  # fmt: skip
        return INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
