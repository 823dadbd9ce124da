"""The questionnaire workbook: written by ``maturity template``, read back as answers.

Sheets: ``Cover`` (team, quarter, assessors, date, targets, instructions) and
``Questionnaire`` (one row per statement, grouped by category and level: id, category,
level, the standard's wording, an answer dropdown, evidence and note). Statement cells are
locked (the sheets are protected without a password: it prevents slips, not edits);
answer, evidence, note and the cover's inputs are open.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Any

from maturity.assessment.rubric import Rubric
from maturity.errors import ConfigError, InputFileError
from maturity.periods import parse_quarter

COVER, QUESTIONS = "Cover", "Questionnaire"
HEADER = ("ID", "Category", "Level", "Statement", "Answer", "Evidence (link)", "Note")
COVER_FIELDS = ("Team", "Quarter", "Respondent", "Assessors", "Assessed on", "Rubric version")
#: Cover fields read back, by the answers file's key.
COVER_KEYS = {"Team": "team", "Quarter": "period", "Respondent": "respondent",
              "Assessors": "assessors", "Assessed on": "assessed_on",
              "Rubric version": "rubric_version"}  # fmt: skip
OPEN_FIELDS = ("Respondent", "Assessors", "Assessed on")
INSTRUCTIONS = (
    "How to fill this in",
    "1. On the Questionnaire sheet, pick an answer for every statement: yes, partly, no or n/a.",
    "   yes = true for the whole team today; partly = true sometimes or for some services;",
    "   n/a = does not apply to this team (it is left out of the score, not counted as no).",
    "   An unanswered statement counts as no.",
    '   Level 2 statements describe a starting point ("Alerting tools may be in place but',
    '   are inconsistently used"): answer yes when the team is at least there, that is when',
    "   it is true or the team has gone beyond it; no only when not even that holds.",
    "2. Give evidence where you can: a link to a runbook, a dashboard, a review.",
    "3. Fill in the assessors and the date in the yellow cells above; optionally a target",
    "   level per category.",
    "4. Save as <team>.xlsx under answers/<quarter>/ of the assessment folder; with several",
    "   respondents, each their own: answers/<quarter>/<team>/<respondent>.xlsx.",
    "Claims are checked against your incident data: a claim the data contradicts counts",
    "at most as 'partly', and the report says why.",
)


def write_template(
    rubric: Rubric,
    team: str,
    quarter: str,
    path: Path,
    *,
    team_name: str | None = None,
    respondent: str = "",
    prefill: Any = None,
    prefilled_from: str = "",
) -> Path:
    """Write the questionnaire workbook for ``team`` (its key) and ``quarter`` to ``path``
    (whole or not at all: a failure leaves what was there); ``team_name``, when known, is
    shown on the cover, ``respondent`` too. ``prefill``: an ``AnswerSheet`` whose answers,
    evidence and notes fill the answer cells (last quarter's, ``prefilled_from``), for the
    respondent to confirm or change. The rubric's version is on the cover and is read back
    with the answers. Text from users is written as text, never as a formula (a team
    called ``=HYPERLINK(...)`` stays those characters)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    from maturity.organisation import check_name

    parse_quarter(quarter)
    if not team.strip():
        raise ConfigError("--team must name a team")
    # No control character or noncharacter (they broke the workbook writer), at most 200
    # characters; anything else, a formula included, is written as text.
    check_name(team, "team", "--team")
    if respondent:
        respondent = check_name(respondent, "respondent", "--respondent")
    if team_name:
        team_name = check_name(team_name, "team name", "--team")
    workbook = Workbook()
    cover = workbook.active
    cover.title = COVER
    bold, grey = Font(bold=True), PatternFill("solid", fgColor="EEEEEE")
    cover["A1"] = rubric.title
    cover["A1"].font = Font(bold=True, size=14)
    subtitle = "Recovery maturity self-assessment"
    _text(cover["A2"], f"{subtitle}: {team_name}" if team_name else subtitle)
    values = {"Team": team, "Quarter": quarter, "Respondent": respondent, "Assessors": "",
              "Assessed on": "", "Rubric version": rubric.version}  # fmt: skip
    for row, name in enumerate(COVER_FIELDS, start=4):
        cover.cell(row, 1, name).font = bold
        cell = _text(cover.cell(row, 2), values[name])
        if name in OPEN_FIELDS:
            cell.protection = Protection(locked=False)
            cell.fill = PatternFill("solid", fgColor="FFF8DC")
    cover.cell(4 + len(COVER_FIELDS) + 1, 1, "Target level (optional)").font = bold
    targets = DataValidation(type="list", formula1='"' + ",".join(map(str, rubric.levels)) + '"',
                             allow_blank=True)  # fmt: skip
    cover.add_data_validation(targets)
    first_target = 4 + len(COVER_FIELDS) + 2
    for offset, (key, name) in enumerate(rubric.categories.items()):
        cover.cell(first_target + offset, 1, f"{name} ({key})")
        cell = cover.cell(first_target + offset, 2)
        cell.protection = Protection(locked=False)
        cell.fill = PatternFill("solid", fgColor="FFF8DC")
        targets.add(cell)
    lines = list(INSTRUCTIONS)
    if prefill is not None:
        lines += ["", f"Pre-filled with the answers given for {prefilled_from}: confirm or "
                  "change each one; an answer left as it is counts as given again."]  # fmt: skip
    for offset, line in enumerate(lines, start=first_target + len(rubric.categories) + 1):
        cover.cell(offset, 1, line).font = (
            bold if offset == first_target + len(rubric.categories) + 1 else Font()
        )
    if prefill is not None:
        for offset, category in enumerate(rubric.categories):
            if category in prefill.targets:
                cover.cell(first_target + offset, 2, prefill.targets[category])
    cover.column_dimensions["A"].width = 40
    cover.column_dimensions["B"].width = 40
    cover.protection.sheet = True

    sheet = workbook.create_sheet(QUESTIONS)
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = grey
    answers = DataValidation(
        type="list",
        formula1='"' + ",".join(rubric.answers) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Answer",
        error="Choose " + ", ".join(rubric.answers),
    )
    sheet.add_data_validation(answers)
    categories = list(rubric.categories)
    ordered = sorted(rubric.statements, key=lambda s: (categories.index(s.category), s.level, s.id))
    for statement in ordered:
        level = f"{statement.level} - {rubric.levels[statement.level]}"
        marker = "" if statement.scored else "informational (not scored)"
        category = rubric.categories[statement.category]
        sheet.append([statement.id, category, level, statement.text, marker, "", ""])
        row = sheet.max_row
        given = prefill.answers.get(statement.id) if prefill is not None else None
        if given is not None and statement.scored:
            sheet.cell(row, 5, given.answer)
            _text(sheet.cell(row, 6), given.evidence)
            _text(sheet.cell(row, 7), given.note)
        sheet.cell(row, 4).alignment = Alignment(wrap_text=True, vertical="top")
        if statement.scored:
            answers.add(sheet.cell(row, 5))
            for column in (5, 6, 7):
                sheet.cell(row, column).protection = Protection(locked=False)
                sheet.cell(row, column).fill = PatternFill("solid", fgColor="FFF8DC")
        else:
            for column in range(1, 8):
                sheet.cell(row, column).font = Font(italic=True, color="777777")
    for letter, width in zip("ABCDEFG", (16, 24, 26, 70, 14, 36, 36), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    sheet.protection.sheet = True
    workbook.active = 1
    path.parent.mkdir(parents=True, exist_ok=True)
    # Saved beside the target and renamed into place: a failure never leaves a broken zip
    # where a good workbook was.
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        workbook.save(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def _text(cell: Any, value: str) -> Any:
    """Put ``value`` in ``cell`` as a string cell, even when it starts with ``=``."""
    cell.value = value
    if isinstance(value, str) and value:
        cell.data_type = "s"
    return cell


def read_workbook(path: Path, label: str) -> dict[str, Any]:
    """A filled workbook's content in the shape of an answers YAML file."""
    from maturity.ingest.spreadsheets import check_workbook, read_sheets_safely

    check_workbook(path, label, every_sheet=True)
    cover, rows = read_sheets_safely(path, label, [COVER, QUESTIONS])
    if cover is None or rows is None:
        raise InputFileError(
            f"{label}: not a questionnaire workbook (needs sheets {COVER} and {QUESTIONS}; "
            "make one with 'maturity template')"
        )
    data: dict[str, Any] = {"answers": {}, "targets": {}}
    for row in cover:
        if len(row) < 2 or not isinstance(row[0], str):
            continue
        key, value = row[0].strip(), row[1]
        if key in COVER_KEYS and value not in (None, ""):
            if isinstance(value, datetime.datetime | datetime.date):
                value = value.isoformat()[:10]
            data[COVER_KEYS[key]] = str(value) if key == "Rubric version" else value
        elif key.endswith(")") and "(" in key and value not in (None, ""):
            category = key.rsplit("(", 1)[1].rstrip(")")
            try:
                data["targets"][category] = int(float(str(value)))
            except (ValueError, OverflowError):
                data["targets"][category] = value  # the answers check names it
    header = [str(v).strip() for v in rows[0]] if rows else []
    if header[: len(HEADER)] != list(HEADER):
        raise InputFileError(f"{label}: the {QUESTIONS} sheet's header was changed")
    for row in rows[1:]:
        statement, answer = row[0], row[4]
        if not statement or answer in (None, "") or str(answer).startswith("informational"):
            continue
        data["answers"][str(statement)] = {
            "answer": answer,
            "evidence": row[5] or "",
            "note": row[6] or "",
        }
    if not data["targets"]:
        del data["targets"]
    return data
