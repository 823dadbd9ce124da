"""``review.pptx``: the quarter as a slide deck, to present rather than read.

A title slide; the organisation's headline (median time to recover with its 90% interval
and count, the verdicts against last quarter and a year before, the levels the data
supports); what changed beyond noise and the claims the data contradicts; where to invest;
the maturity heatmap; then one slide per team: its headline, its trend chart, its levels
claimed and supported, and its top recommendation. Charts are pictures at slide resolution
(drawn by vl-convert; a team's by the worker that ran its report, so the deck's cost per
team does not grow with the organisation). Each slide's speaker notes carry the method
caveats a presenter may be asked about. Made with python-pptx; standard Office Open XML,
so PowerPoint, Keynote, LibreOffice and Google Slides open it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
from pptx import Presentation
from pptx.util import Emu, Inches, Pt

import maturity
from maturity import files
from maturity.assessment.rubric import load_rubric
from maturity.measures.definitions import ALL_TEAMS
from maturity.periods import shift_quarter
from maturity.reporting import charts, portfolio_report, theme
from maturity.reporting.formatting import (
    format_change,
    format_interval,
    format_minutes,
    format_q,
)
from maturity.reporting.method import method_note
from maturity.reporting.quarter import ReviewQuarter
from maturity.reporting.summary import change_lines, listed
from maturity.wording import plural

WIDTH, HEIGHT = int(Inches(13.333)), int(Inches(7.5))  # 16:9
MARGIN = int(Inches(0.5))
#: Pixels per inch of a chart picture: sharp on a projector, small in the file.
PICTURE_DPI = 150

#: Speaker notes on how to read the figures: the reports' method note, and how maturity is
#: counted.
MATURITY_NOTE = (
    "Maturity levels are ordinal: teams are counted per level, never averaged; a claim the "
    "incident data contradicts counts at most as 'partly'."
)


def chart_png(chart: alt.TopLevelMixin, width_inches: float) -> bytes:
    """A chart as a PNG about ``width_inches`` wide at ``PICTURE_DPI``."""
    import vl_convert

    from maturity.reporting.render import vega_lite_version

    with alt.theme.enable(theme.NAME):
        spec = chart.to_dict()
    width = spec.get("width")
    natural = float(width) if isinstance(width, int | float) else 600.0
    scale = max(1.0, width_inches * PICTURE_DPI / (natural + 120))
    return bytes(vl_convert.vegalite_to_png(spec, scale=scale, vl_version=vega_lite_version()))


def team_picture(review: ReviewQuarter, team: str) -> bytes | None:
    """The team slide's chart: its time-to-recover trend (None: nothing recovered)."""
    history = review.history(team)
    if not history["resolved"].any():
        return None
    name = review.organisation.teams[team].name
    chart = charts.recovery_trend(history, title=f"{name}: time to recover by quarter",
                                  unit=review.recovery_unit)  # fmt: skip
    return chart_png(chart.properties(width=560, height=300), 7.6)


def write_deck(path: Path, data: ReviewQuarter, pictures: Mapping[str, bytes | None],
               failed: Mapping[str, str] | None = None, *,
               heatmap: bytes | None = None) -> None:  # fmt: skip
    """Write the deck to ``path`` (whole or not at all). ``pictures``: each team's trend
    chart (as its PDF drew it, or ``team_picture``); ``failed``: team -> why its report
    failed (its slide says so); ``heatmap``: the portfolio's heatmap as its PDF drew it
    (else drawn here)."""
    deck = Presentation()
    _add_only_partnames(deck.part.package)
    deck.slide_width, deck.slide_height = Emu(WIDTH), Emu(HEIGHT)
    _title_slide(deck, data)
    _headline_slide(deck, data)
    _changes_slide(deck, data)
    _invest_slide(deck, data)
    _heatmap_slide(deck, data, heatmap)
    for key in sorted(data.organisation.teams, key=lambda k: data.organisation.teams[k].name):
        _team_slide(deck, data, key, pictures.get(key), (failed or {}).get(key))
    _set_properties(deck, data)
    buffer = io.BytesIO()
    deck.save(buffer)
    files.write_bytes(path, stable_zip(buffer.getvalue()))


def _set_properties(deck: Any, data: ReviewQuarter) -> None:
    """The deck's own document properties, not python-pptx's template's ("Steve Canny",
    2013, no title): title, subject, author and dates from the review, so the same inputs
    give the same file (the dates are the data's as-of time, else the quarter's end)."""
    from maturity.measures.engine import effective_as_of
    from maturity.periods import quarter_bounds

    as_of = effective_as_of(data.incidents.incidents, data.settings)
    when = as_of if as_of is not None else quarter_bounds(data.quarter, "UTC")[1]
    stamp = pd.Timestamp(when).tz_convert("UTC").tz_localize(None).to_pydatetime()
    props = deck.core_properties
    props.title = f"{data.organisation.name}: recovery review {data.quarter}"
    props.subject = "How well the organisation recovers from failure (MTTR standard)"
    props.author = props.last_modified_by = f"maturity {maturity.__version__}"
    props.keywords = f"recovery maturity; MTTR; {data.quarter}"
    props.comments = ""
    props.category = "Quarterly review"
    props.created = props.modified = stamp
    props.last_printed = stamp
    props.revision = 1


#: Every zip entry's timestamp in a written deck: the zip format's earliest date, so the
#: file's bytes depend on its content only (a zip records each entry's write time).
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def stable_zip(data: bytes) -> bytes:
    """``data`` (a zip: the deck) rewritten with the same entries, in the same order, each
    dated ``ZIP_EPOCH``: two decks of the same review are the same bytes."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def _add_only_partnames(package: Any) -> None:
    """Name new parts in constant time. python-pptx finds a free part name (a slide's, its
    notes') by walking every part of the package, so a deck of 300 slides spent 2.5 s
    there; this deck only ever adds parts, so the name after the last one handed out for a
    template is free (the first is still found python-pptx's way)."""
    from pptx.opc.packuri import PackURI

    find = package.next_partname
    last: dict[str, int] = {}

    def next_partname(template: str) -> PackURI:
        if template in last:
            last[template] += 1
            return PackURI(template % last[template])
        name = find(template)
        before, after = template.split("%d")
        last[template] = int(str(name)[len(before) : len(str(name)) - len(after)])
        return name

    package.next_partname = next_partname


def _slide(deck: Any, title: str) -> Any:
    """A slide whose title is a real title placeholder (outline view, screen readers),
    placed for 16:9."""
    slide = deck.slides.add_slide(deck.slide_layouts[5])  # Title Only
    shape = slide.shapes.title
    shape.left, shape.top, shape.width, shape.height = (
        MARGIN,
        Inches(0.3),
        WIDTH - 2 * MARGIN,
        Inches(1.0),
    )
    shape.text = title
    for paragraph in shape.text_frame.paragraphs:
        paragraph.font.size = Pt(30)
    return slide


def _place(shape: Any, left: int, top: int, width: int, height: int) -> None:
    shape.left, shape.top, shape.width, shape.height = left, top, width, height


BODY_TOP = int(Inches(1.5))


def _bullets(slide: Any, lines: list[str], *, left: int = MARGIN, top: int = BODY_TOP,
             width: int | None = None, size: int = 20) -> None:  # fmt: skip
    box = slide.shapes.add_textbox(left, top, width or WIDTH - 2 * MARGIN, HEIGHT - top - MARGIN)
    frame = box.text_frame
    frame.word_wrap = True
    for i, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        heading = line.startswith("## ")
        paragraph.text = line[3:] if heading else ("• " + line if line else "")
        paragraph.font.size = Pt(size + 2 if heading else size)
        paragraph.font.bold = heading
        paragraph.space_after = Pt(6)


def _notes(slide: Any, text: str) -> None:
    slide.notes_slide.notes_text_frame.text = text


def _title_slide(deck: Any, data: ReviewQuarter) -> None:
    slide = deck.slides.add_slide(deck.slide_layouts[0])  # Title Slide
    title, subtitle = slide.shapes.title, slide.placeholders[1]
    title.left, title.top, title.width, title.height = (
        MARGIN,
        Inches(2.2),
        WIDTH - 2 * MARGIN,
        Inches(1.6),
    )
    subtitle.left, subtitle.top, subtitle.width, subtitle.height = (
        MARGIN,
        Inches(4.0),
        WIDTH - 2 * MARGIN,
        Inches(1.4),
    )
    title.text = f"{data.organisation.name}: recovery review {data.quarter}"
    subtitle.text = (
        "Services are restored quickly and safely following failure (MTTR)\n"
        f"{plural(len(data.organisation.teams), 'team')} · "
        f"generated by maturity {maturity.__version__}"
    )
    _notes(slide, "The quarterly review of how well the organisation recovers from failure, "
                  "from its own incident data and each team's answers to the standard's "
                  "maturity rubric. " + _method(data))  # fmt: skip


def _headline_slide(deck: Any, data: ReviewQuarter) -> None:
    now = data.row(ALL_TEAMS)
    unit = data.recovery_unit
    interval = format_interval(now["mttr_median_ci"], unit)
    lines = [
        f"Median time to recover {format_minutes(now['mttr_median'], unit)}"
        + (f" ({interval})" if interval else "") + f", n = {now['resolved']} resolved",
        f"90th percentile {format_minutes(now['mttr_p90'], unit)}; mean (MTTR) "
        f"{format_minutes(now['mttr'], unit)}",
        f"{plural(int(now['incidents']), 'incident')}, {now['open']} still open",
    ]  # fmt: skip
    if data.running_note:
        lines.append(data.running_note)
    lines.extend(change_lines(data))
    levels = sorted(int(m.score.overall["evidence_level"]) for m in data.maturity.values())
    if levels:
        from collections import Counter

        from maturity.reporting.board_pack import level_counts

        lines.append(f"Maturity supported by the data: {level_counts(Counter(levels))}")
    slide = _slide(deck, f"{data.quarter}: how fast the organisation recovers")
    _bullets(slide, lines)
    _notes(slide, _method(data))


def _changes_slide(deck: Any, data: ReviewQuarter) -> None:
    slide = _slide(deck, "What changed beyond noise, and claims the data contradicts")
    lines = [
        "## Changed beyond noise",
        *listed(portfolio_report.mover_entries(data), portfolio_report.NO_MOVERS, 4),
        "## Claims the data contradicts",
        *listed(portfolio_report.contradicted_entries(data), data.no_claims_text, 4),
    ]  # fmt: skip
    _bullets(slide, lines, size=16)
    _notes(slide, "A team 'changed' only when its recovery times moved by more than chance "
                  "explains, with the false-discovery rate controlled across all teams and "
                  "the organisation (q < 0.10): at most one in ten such verdicts is expected "
                  "to be a fluke. A contradicted "
                  "claim is a 'yes' or 'partly' the team's own incidents over the last four "
                  "quarters do not bear out; it counts at most as 'partly'.")  # fmt: skip


def _invest_slide(deck: Any, data: ReviewQuarter) -> None:
    slide = _slide(deck, "Where to invest")
    entries = portfolio_report.investment_entries(data, count=4)
    _bullets(slide, listed(entries, portfolio_report.NOTHING_TO_INVEST, 7), size=18)
    _notes(slide, "Teams whose claims their data does not support (largest gap between the "
                  "claimed and the evidence-checked score first), teams recovering more slowly "
                  "than a year ago beyond noise, and the practices that hold two or more teams "
                  "below their next level.")  # fmt: skip


def _heatmap_slide(deck: Any, data: ReviewQuarter, picture: bytes | None) -> None:
    slide = _slide(deck, "Maturity by team and category")
    chart = portfolio_report.maturity_heatmap(data)
    if isinstance(chart, alt.TopLevelMixin):
        picture = picture or chart_png(chart, 10.0)
        shape = slide.shapes.add_picture(io.BytesIO(picture), MARGIN, Inches(1.4))
        _fit(shape, WIDTH - 2 * MARGIN, HEIGHT - Inches(1.4) - Inches(0.3))
        shape.left = int((WIDTH - shape.width) / 2)
        summary = chart.to_dict().get("description", "")
        shape._element.nvPicPr.cNvPr.set("descr", str(summary))  # the picture's alt text
    else:
        _bullets(slide, ["No questionnaire answers this quarter: maturity not assessed."])
    _notes(slide, "Each cell: the level the team's incident data supports in that category, "
                  "darker for higher; where the team claimed more, the cell reads "
                  "claimed→supported. Levels are ordinal. " + _method(data))  # fmt: skip


def _method(data: ReviewQuarter) -> str:
    """How to read the figures (``maturity.reporting.method``) and how maturity counts."""
    return (
        "How to read these figures. "
        + method_note(len(data.organisation.teams))
        + " "
        + (MATURITY_NOTE)
    )


def _fit(shape: Any, width: int, height: int) -> None:
    ratio = min(width / shape.width, height / shape.height, 1.0)
    shape.width, shape.height = int(shape.width * ratio), int(shape.height * ratio)


def _team_slide(deck: Any, data: ReviewQuarter, key: str, picture: bytes | None,
                failure: str | None) -> None:  # fmt: skip
    team = data.organisation.teams[key]
    now = data.row(key)
    unit = data.recovery_unit
    median = format_minutes(now["mttr_median"], unit)
    title = (
        f"{team.name}: {median} median time to recover"
        if now["mttr_median"] is not None
        else f"{team.name}: no recovery this quarter"
    )
    slide = _slide(deck, title)
    lines = []
    interval = format_interval(now["mttr_median_ci"], unit)
    lines.append(f"Median {median}" + (f" ({interval})" if interval else "")
                 + f", n = {now['resolved']}; {now['open']} open")  # fmt: skip
    earlier = shift_quarter(data.quarter, -4)
    change = now["change_yoy"]
    if change["verdict"] in ("improved", "worsened"):
        typical, q_text = format_change(change["ratio"]), format_q(change["q_value"])
        lines.append(f"Against {earlier}: {change['verdict']} beyond noise (recovery times "
                     f"typically {typical}, {q_text})")  # fmt: skip
    elif change["verdict"] == "no_detectable_change":
        lines.append(f"Against {earlier}: no detectable change")
    else:
        lines.append(f"Against {earlier}: too few resolved incidents to judge")
    assessment = data.maturity.get(key)
    notes = [_method(data)]
    if assessment is not None:
        rubric = load_rubric()
        overall = assessment.score.overall
        lines.append(f"Maturity claimed → supported: level {overall['level']} → "
                     f"{overall['evidence_level']}")  # fmt: skip
        for category, result in assessment.score.categories.items():
            lines.append(f"   {rubric.categories[category]}: {result.level} → "
                         f"{result.evidence_level}")  # fmt: skip
        if assessment.recommendations:
            top = assessment.recommendations[0]
            lines.append(f"First to work on: {portfolio_report.statement_name(top['statement'])}")
            notes.insert(0, f"Why: {top['message']}")
    else:
        lines.append("No questionnaire answers this quarter: maturity not assessed")
    if failure:
        lines.append(f"Its report failed: {failure}")
    trust = now.get("data_trust") or {}
    doubtful = trust.get("doubtful", [])
    if doubtful:
        fields = ", ".join(sorted({d["field"] for d in doubtful}))
        lines.append(f"Doubtful timestamps this quarter: {fields} (see the report)")
        patterns = [
            f"{d['share']:.0%} of {plural(d['of'], 'incident')} {d['meaning']}" for d in doubtful
        ]
        notes.append("Doubtful timestamps: " + "; ".join(patterns))
    if now["resolved"] < 10:
        resolved = plural(now["resolved"], "resolved incident")
        notes.append(f"Only {resolved} this quarter: the median "
                     "alone is shown, and no change can be judged.")  # fmt: skip
    left: int = MARGIN
    if picture is not None:
        shape = slide.shapes.add_picture(io.BytesIO(picture), MARGIN, Inches(1.5))
        _fit(shape, Inches(7.4), HEIGHT - Inches(1.5) - MARGIN)
        shape._element.nvPicPr.cNvPr.set("descr", f"{team.name}: time to recover by quarter")
        left = MARGIN + int(shape.width) + int(Inches(0.3))
    _bullets(slide, lines, left=left, width=WIDTH - left - MARGIN, size=15)
    _notes(slide, "\n\n".join(notes))
