"""The ``maturity`` command. See ``maturity --help`` and DESIGN.md "Command line".

A user's mistake (a missing file, an unknown format, bad YAML, a wrong quarter) prints one
line naming the problem and exits 2; ``validate`` exits 1 when files load but no row is
usable; ``review`` exits 1 when any team's report failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import maturity
from maturity.errors import MaturityError, NoUsableDataError


def _print_json(payload: dict[str, Any]) -> None:
    # allow_nan=False: strict JSON parsers reject NaN and Infinity, so none may be written.
    print(json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=False))


def cmd_validate(args: argparse.Namespace) -> int:
    from maturity.ingest.incidents import REJECTED, load_incidents

    loaded = load_incidents(args.paths)
    quality = loaded.quality()
    if args.json:
        _print_json({"quality": quality})
    else:
        print(_ledger_summary(loaded))
    if quality["rows_used"] == 0:
        if not args.json:
            rejected = loaded.count(REJECTED)
            print(f"no usable incident: {quality['rows_read']} rows read, {rejected} rejected")
        return NoUsableDataError.exit_code
    return 0


def _ledger_summary(loaded: Any, examples: int = 3) -> str:
    from maturity.ingest.incidents import reason_kinds

    ledger = loaded.ledger
    lines = [
        f"{len(ledger)} rows read: {loaded.count('used')} used, {loaded.count('excluded')} "
        f"excluded, {loaded.count('rejected')} rejected"
    ]
    for file, rows in ledger.groupby("file", sort=True):
        counts = rows["action"].value_counts()
        lines.append(
            f"  {file}: {len(rows)} rows, {int(counts.get('used', 0))} used, "
            f"{int(counts.get('excluded', 0))} excluded, {int(counts.get('rejected', 0))} rejected"
        )
    for note in loaded.notes:
        lines.append(f"  note: {note['file']} ({note['format']}): {note['note']}")
    problems = ledger[ledger["action"] != "used"]
    if len(problems):
        kinds = problems.assign(kind=reason_kinds(problems["reason"]))
        for (action, kind), rows in kinds.groupby(["action", "kind"], sort=True):
            lines.append(f"{action}: {kind} ({len(rows)} rows)")
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
        raise NoUsableDataError(f"{args.path}: no usable incident ({loaded.rows_read} rows read)")
    table = measures_by_team_quarter(loaded.incidents, teams=teams, by=args.by, settings=settings)
    if args.json:
        _print_json(
            {"measures": to_records(table), "quality": loaded.quality(),
             "statistics": describe(settings, effective_as_of(loaded.incidents, settings))}
        )  # fmt: skip
        return 0
    from maturity.reporting.team_report import format_minutes

    by = [args.by] if args.by else []
    print(
        f"{'team':<16} " + "".join(f"{b:<20} " for b in by) + f"{'period':<8} {'incidents':>9} "
        f"{'open':>5} {'median':>9} {'90% CI':>17} {'p90':>9} {'mean':>9}  change vs last quarter"
    )
    for r in to_records(table):
        ci = r["mttr_median_ci"]
        interval = f"{format_minutes(ci[0])}-{format_minutes(ci[1])}" if ci else "—"
        change = r["change_qoq"]["verdict"].replace("_", " ")
        print(
            f"{r['team']:<16} "
            + "".join(f"{str(r[b])[:20]:<20} " for b in by)
            + f"{r['period']:<8} {r['incidents']:>9} {r['open']:>5} "
            f"{format_minutes(r['mttr_median']):>9} {interval:>17} "
            f"{format_minutes(r['mttr_p90']):>9} {format_minutes(r['mttr']):>9}  {change}"
        )
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from maturity.reporting.review import run_review

    def progress(result: Any) -> None:
        state = "ok" if result.status == "ok" else f"FAILED: {result.error}"
        print(f"  {result.team:<16} {state} ({result.seconds:.1f} s)", flush=True)

    print(f"reviewing {args.path} ...", flush=True)
    review = run_review(
        args.path, quarter=args.quarter, out=args.out, jobs=args.jobs, pdf=args.pdf,
        progress=progress,
    )  # fmt: skip
    print(f"{review.organisation} {review.quarter}: {review.out_dir / 'index.html'}")
    if review.failed:
        total = len(review.teams) + 1  # and the portfolio
        print(f"{len(review.failed)} of {total} reports failed", file=sys.stderr)
        return 1
    return 0


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
    results = assess_quarter(assessment, quarter)
    missing = sorted(set(assessment.teams) - set(results))
    if args.json:
        _print_json({"scores": [r.to_json() for r in results.values()], "missing": missing})
        return 0
    print(
        f"{assessment.name} {quarter}: level claimed / level the incident data "
        "supports (evidence score)"
    )
    print(f"{'team':<16} {'overall':>13} " + " ".join(f"{c:>13}" for c in ("people", "process",
          "technology", "measurement")) + "  contradicted")  # fmt: skip
    for team, result in results.items():
        score = result.score
        cells = [f"{score.overall['level']}/{score.overall['evidence_level']} "
                 f"({score.overall['score']:.2f})"]  # fmt: skip
        cells += [
            f"{c.level}/{c.evidence_level} ({c.score:.2f})" for c in score.categories.values()
        ]
        contradicted = [s.id for s in score.statements if s.evidence == "contradicted" and s.value]
        print(f"{team:<16} " + " ".join(f"{c:>13}" for c in cells) + "  " + ", ".join(contradicted))
    for team in missing:
        print(f"{team:<16} no answers for {quarter}")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from maturity.assessment.questionnaire import write_template
    from maturity.assessment.rubric import load_rubric

    path = write_template(load_rubric(), args.team, args.quarter, Path(args.out))
    print(f"wrote {path}: fill in the Questionnaire sheet, save it as "
          f"answers/{args.quarter}/{args.team}.xlsx in the assessment folder")  # fmt: skip
    return 0


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
    p.set_defaults(func=cmd_measures)

    p = sub.add_parser("score", help="maturity per team for a quarter, checked against data")
    p.add_argument("path", metavar="PATH", help="assessment folder")
    p.add_argument("--quarter", help="YYYY-Qn (default: the latest with answers)")
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("template", help="write the questionnaire workbook for a team")
    p.add_argument("--team", required=True, help="team key")
    p.add_argument("--quarter", required=True, help="YYYY-Qn")
    p.add_argument("--out", required=True, help="the .xlsx file to write")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("review", help="the whole quarterly review: reports for every team")
    p.add_argument("path", metavar="PATH", help="assessment folder")
    p.add_argument("--quarter", help="YYYY-Qn (default: the latest with answers)")
    p.add_argument("--out", default="reports", help="output folder (default: reports/)")
    p.add_argument("--jobs", type=int, default=2, help="reports built at once (default: 2)")
    p.add_argument("--pdf", action=argparse.BooleanOptionalAction, default=True,
                   help="also write PDF reports (default: yes)")  # fmt: skip
    p.set_defaults(func=cmd_review)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except MaturityError as exc:
        print(f"maturity: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("maturity: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (``| head``) left: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
