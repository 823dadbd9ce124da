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
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
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
#: The deck's look (the reports' colours): a dark title band on every slide, the title
#: slide dark throughout, figures on light tiles, a footer naming the review and the slide.
INK, BAND, ACCENT = (
    RGBColor(0x1D, 0x23, 0x30),
    RGBColor(0x1F, 0x3A, 0x5F),
    RGBColor(0x1F, 0x5F, 0xBF),
)
MUTED, TILE, LINE = (
    RGBColor(0x5B, 0x64, 0x75),
    RGBColor(0xF2, 0xF4, 0xF8),
    RGBColor(0xE3, 0xE6, 0xEC),
)
WHITE, PALE = RGBColor(0xFF, 0xFF, 0xFF), RGBColor(0xC9, 0xD3, 0xE3)
FONT = "Segoe UI"
BAND_HEIGHT = int(Inches(1.15))
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
    _footers(deck, data)
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
    white on the deck's dark band across the top, placed for 16:9."""
    slide = deck.slides.add_slide(deck.slide_layouts[5])  # Title Only
    band = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, WIDTH, BAND_HEIGHT)
    band.fill.solid()
    band.fill.fore_color.rgb = BAND
    band.line.fill.background()
    band.shadow.inherit = False
    band.name = "Title band"
    tree = slide.shapes._spTree
    tree.remove(band._element)
    tree.insert(2, band._element)  # behind the title (after the group's own properties)
    shape = slide.shapes.title
    _place(shape, MARGIN, int(Inches(0.12)), WIDTH - 2 * MARGIN, BAND_HEIGHT - int(Inches(0.24)))
    shape.text = title
    frame = shape.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    for paragraph in frame.paragraphs:
        paragraph.alignment = PP_ALIGN.LEFT
        _font(paragraph.font, 28 if len(title) <= 60 else 24, WHITE, bold=True)
    return slide


def _font(font: Any, size: float, colour: RGBColor, *, bold: bool = False) -> None:
    font.size, font.bold, font.name = Pt(size), bold, FONT
    font.color.rgb = colour


def _footers(deck: Any, data: ReviewQuarter) -> None:
    """The review's name and "n / N" along the bottom of every slide but the title's."""
    total = len(deck.slides)
    name = f"{data.organisation.name} · recovery review {data.quarter}"
    for number, slide in enumerate(deck.slides, start=1):
        if number == 1:
            continue
        for text, left, align in ((name, MARGIN, PP_ALIGN.LEFT),
                                  (f"{number} / {total}", WIDTH - MARGIN - int(Inches(2)),
                                   PP_ALIGN.RIGHT)):  # fmt: skip
            width = int(Inches(2)) if align == PP_ALIGN.RIGHT else int(Inches(8))
            box = slide.shapes.add_textbox(left, HEIGHT - int(Inches(0.42)), width, Inches(0.3))
            box.name = "Footer"
            paragraph = box.text_frame.paragraphs[0]
            paragraph.text, paragraph.alignment = text, align
            _font(paragraph.font, 10, MUTED)


def _tiles(slide: Any, figures: list[tuple[str, str, str]], left: int, top: int, width: int,
           *, columns: int = 2, height: int = int(Inches(1.5))) -> int:  # fmt: skip
    """Headline figures as tiles (label, value, the count or interval below), ``columns``
    to a row; returns the bottom of the last row."""
    gap = int(Inches(0.18))
    tile_width = (width - gap * (columns - 1)) // columns
    bottom = top
    for i, (label, value, detail) in enumerate(figures):
        x = left + (i % columns) * (tile_width + gap)
        y = top + (i // columns) * (height + gap)
        tile = slide.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, x, y, tile_width, height)
        tile.adjustments[0] = 0.08
        tile.fill.solid()
        tile.fill.fore_color.rgb = TILE
        tile.line.color.rgb = LINE
        tile.shadow.inherit = False
        tile.name = f"Figure: {label}"
        frame = tile.text_frame
        frame.word_wrap = True
        frame.vertical_anchor = MSO_ANCHOR.TOP
        frame.margin_left = frame.margin_right = int(Inches(0.15))
        for j, (text, size, colour, bold) in enumerate(((label.upper(), 11, MUTED, False),
                                                        (value, 26, INK, True),
                                                        (detail, 11, MUTED, False))):  # fmt: skip
            paragraph = frame.paragraphs[0] if j == 0 else frame.add_paragraph()
            paragraph.text, paragraph.alignment = text, PP_ALIGN.LEFT
            _font(paragraph.font, size, colour, bold=bold)
        bottom = y + height
    return bottom


def _picture(slide: Any, picture: bytes, left: int, top: int, width: int, height: int,
             description: str) -> Any:  # fmt: skip
    """A chart picture fitted into the box, centred in it, with its alt text."""
    shape = slide.shapes.add_picture(io.BytesIO(picture), left, top)
    _fit(shape, width, height)
    shape.left = left + (width - int(shape.width)) // 2
    shape._element.nvPicPr.cNvPr.set("descr", description)
    return shape


def _place(shape: Any, left: int, top: int, width: int, height: int) -> None:
    shape.left, shape.top, shape.width, shape.height = left, top, width, height


BODY_TOP = int(Inches(1.5))


#: The body's lowest point: above the footer line.
BODY_BOTTOM = HEIGHT - int(Inches(0.5))
#: The smallest type a bullet list shrinks to (points) before it is left to overflow.
SMALLEST_BULLETS = 11


def fitting_size(lines: list[str], width: int, height: int, size: int) -> int:
    """The largest type size up to ``size`` (points) at which ``lines`` fit a box ``width``
    by ``height`` (EMU), estimated: a character of this sans-serif is about half its size
    wide, a line 1.2 times its size high, 6 points between paragraphs. A deck has no
    renderer to measure with, and PowerPoint applies "shrink text on overflow" only once
    the text is edited, so the size is chosen here."""
    for points in range(size, SMALLEST_BULLETS - 1, -1):
        per_line = max(1, int(width / 12700 / (points * 0.5)))  # 12,700 EMU a point
        rows = sum(max(1, -(-(len(line) + 2) // per_line)) for line in lines)
        if rows * points * 1.2 + len(lines) * 6 <= height / 12700:
            return points
    return SMALLEST_BULLETS


def _bullets(slide: Any, lines: list[str], *, left: int = MARGIN, top: int = BODY_TOP,
             width: int | None = None, size: int = 20) -> None:  # fmt: skip
    """A bullet list (``## `` lines are headings), its type shrunk so it ends above the
    footer."""
    width = width or WIDTH - 2 * MARGIN
    height = BODY_BOTTOM - top
    box = slide.shapes.add_textbox(left, top, width, height)
    box.name = "Body"
    frame = box.text_frame
    frame.word_wrap = True
    inner = width - int(frame.margin_left) - int(frame.margin_right)
    size = fitting_size(lines, inner, height - int(Inches(0.1)), size)
    for i, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        heading = line.startswith("## ")
        paragraph.text = line[3:] if heading else ("• " + line if line else "")
        _font(paragraph.font, size + 2 if heading else size, ACCENT if heading else INK,
              bold=heading)  # fmt: skip
        paragraph.space_after = Pt(6)


def _notes(slide: Any, text: str) -> None:
    slide.notes_slide.notes_text_frame.text = text


def _title_slide(deck: Any, data: ReviewQuarter) -> None:
    slide = deck.slides.add_slide(deck.slide_layouts[0])  # Title Slide
    slide.background.fill.solid()
    slide.background.fill.fore_color.rgb = BAND
    title, subtitle = slide.shapes.title, slide.placeholders[1]
    _place(title, MARGIN, int(Inches(2.0)), WIDTH - 2 * MARGIN, int(Inches(1.8)))
    _place(subtitle, MARGIN, int(Inches(4.1)), WIDTH - 2 * MARGIN, int(Inches(1.6)))
    title.text = f"{data.organisation.name}: recovery review {data.quarter}"
    subtitle.text = (
        "Services are restored quickly and safely following failure (MTTR)\n"
        f"{plural(len(data.organisation.teams), 'team')} · "
        f"generated by maturity {maturity.__version__}"
    )
    for shape, size, colour, bold in ((title, 36, WHITE, True), (subtitle, 18, PALE, False)):
        shape.text_frame.word_wrap = True
        for paragraph in shape.text_frame.paragraphs:
            paragraph.alignment = PP_ALIGN.LEFT
            _font(paragraph.font, size, colour, bold=bold)
    rule = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, MARGIN, int(Inches(3.95)),
                                  int(Inches(2.5)), int(Inches(0.06)))  # fmt: skip
    rule.fill.solid()
    rule.fill.fore_color.rgb = ACCENT
    rule.line.fill.background()
    rule.name = "Accent rule"
    _notes(slide, "The quarterly review of how well the organisation recovers from failure, "
                  "from its own incident data and each team's answers to the standard's "
                  "maturity rubric. " + _method(data))  # fmt: skip


#: The body's columns on a slide with words beside a chart: text left, chart right.
TEXT_WIDTH = int(Inches(5.4))
CHART_LEFT = MARGIN + TEXT_WIDTH + int(Inches(0.3))
CHART_WIDTH = WIDTH - CHART_LEFT - MARGIN
BODY_HEIGHT = BODY_BOTTOM - BODY_TOP


def organisation_picture(data: ReviewQuarter) -> bytes | None:
    """The headline slide's chart: the organisation's time to recover by quarter (None:
    nothing recovered)."""
    history = data.history(ALL_TEAMS)
    if history.empty or not history["resolved"].any():
        return None
    chart = charts.recovery_trend(history, title="All teams: time to recover by quarter",
                                  unit=data.recovery_unit)  # fmt: skip
    return chart_png(chart.properties(width=520, height=300), CHART_WIDTH / Inches(1))


def _headline_slide(deck: Any, data: ReviewQuarter) -> None:
    figures = [*portfolio_report.headline_figures(data)[:3], portfolio_report.year_figure(data)]
    lines = []
    if data.running_note:
        lines.append(data.running_note)
    lines.extend(change_lines(data))
    levels = sorted(int(m.score.overall["evidence_level"]) for m in data.maturity.values())
    if levels:
        from collections import Counter

        from maturity.reporting.board_pack import level_counts

        lines.append(f"Maturity supported by the data: {level_counts(Counter(levels))}")
    slide = _slide(deck, f"{data.quarter}: how fast the organisation recovers")
    bottom = _tiles(slide, figures, MARGIN, BODY_TOP, TEXT_WIDTH, height=int(Inches(1.3)))
    _bullets(slide, lines, top=bottom + int(Inches(0.15)), width=TEXT_WIDTH, size=14)
    picture = organisation_picture(data)
    if picture is not None:
        _picture(slide, picture, CHART_LEFT, BODY_TOP, CHART_WIDTH, BODY_HEIGHT,
                 "All teams: time to recover by quarter (median, its 90% interval, "
                 "90th percentile and mean)")  # fmt: skip
    _notes(slide, _method(data))


#: At most this many teams in the changes slide's chart (those beyond noise first, then the
#: largest changes either way).
CHANGE_CHART_TEAMS = 12


def change_picture(data: ReviewQuarter) -> bytes | None:
    """The changes slide's chart: each team's change of recovery time against a year
    before, with its interval, coloured by the verdict (None: no team has a ratio)."""
    earlier = shift_quarter(data.quarter, -4)
    rows = []
    for key, team in data.organisation.teams.items():
        change = data.row(key)["change_yoy"]
        if change.get("ratio") is None or not change.get("ratio_ci"):
            continue
        verdict = change["verdict"]
        rows.append({"team": team.name, "ratio": change["ratio"],
                     "low": change["ratio_ci"][0], "high": change["ratio_ci"][1],
                     "verdict": verdict if verdict in ("improved", "worsened")
                     else "no change beyond noise"})  # fmt: skip
    if not rows:
        return None
    import math

    frame = pd.DataFrame(rows)
    frame["beyond"] = frame["verdict"] != "no change beyond noise"
    frame["size"] = frame["ratio"].map(lambda r: abs(math.log(r)) if r > 0 else math.inf)
    shown = frame.sort_values(["beyond", "size", "team"], ascending=[False, False, True])
    shown = shown.head(CHANGE_CHART_TEAMS)
    of = f" ({len(shown)} of {len(frame)} teams)" if len(shown) < len(frame) else ""
    title = f"Recovery time against {earlier}, by team{of}"
    chart = charts.change_by_team(shown.drop(columns=["beyond", "size"]), earlier=earlier,
                                  title=title)  # fmt: skip
    return chart_png(chart.properties(width=440), CHART_WIDTH / Inches(1))


def _changes_slide(deck: Any, data: ReviewQuarter) -> None:
    slide = _slide(deck, "What changed beyond noise, and claims the data contradicts")
    lines = [
        "## Changed beyond noise",
        *listed(portfolio_report.mover_entries(data), portfolio_report.NO_MOVERS, 3),
        "## Claims the data contradicts",
        *listed(portfolio_report.contradicted_entries(data), data.no_claims_text, 3),
    ]  # fmt: skip
    picture = change_picture(data)
    _bullets(slide, lines, width=TEXT_WIDTH if picture else None, size=16)
    if picture is not None:
        _picture(slide, picture, CHART_LEFT, BODY_TOP, CHART_WIDTH, BODY_HEIGHT,
                 f"Each team's recovery time against {shift_quarter(data.quarter, -4)}, "
                 "with its 90% interval; coloured where the change is beyond noise")  # fmt: skip
    _notes(slide, "A team 'changed' only when its recovery times moved by more than chance "
                  "explains, with the false-discovery rate controlled across all teams and "
                  "the organisation (q < 0.10): at most one in ten such verdicts is expected "
                  "to be a fluke. The chart draws each team's typical change (the median of "
                  "the now-to-then ratios) with its 90% interval; a dot left of 1 is faster. "
                  "A contradicted "
                  "claim is a 'yes' or 'partly' the team's own incidents over the last four "
                  "quarters do not bear out; it counts at most as 'partly'.")  # fmt: skip


#: At most this many teams in the invest slide's chart (the largest gaps between claimed
#: and supported first).
INVEST_CHART_TEAMS = 10


def invest_picture(data: ReviewQuarter) -> bytes | None:
    """The invest slide's chart: claimed against supported maturity score, the largest gaps
    first (None: no team answered)."""
    frame = portfolio_report.maturity_frame(data)
    if frame.empty:
        return None
    wide = frame.pivot_table(index="team", columns="kind", values="score", sort=False)
    gap = (wide["Claimed"] - wide["Supported by data"]).sort_values(ascending=False, kind="stable")
    keep = list(gap.index[:INVEST_CHART_TEAMS])
    frame = frame[frame["team"].isin(keep)]
    frame = frame.assign(order=frame["team"].map(keep.index)).sort_values(["order", "kind"])
    of = f" ({len(keep)} of {len(gap)} teams, largest gap first)" if len(keep) < len(gap) else ""
    chart = charts.maturity_levels(frame.drop(columns="order"), by="team",
                                   title=f"Maturity claimed and supported by data{of}")  # fmt: skip
    return chart_png(chart.properties(width=420), CHART_WIDTH / Inches(1))


def _invest_slide(deck: Any, data: ReviewQuarter) -> None:
    slide = _slide(deck, "Where to invest")
    entries = portfolio_report.investment_entries(data, count=4)
    picture = invest_picture(data)
    _bullets(slide, listed(entries, portfolio_report.NOTHING_TO_INVEST, 7),
             width=TEXT_WIDTH if picture else None, size=14)  # fmt: skip
    if picture is not None:
        _picture(
            slide,
            picture,
            CHART_LEFT,
            BODY_TOP,
            CHART_WIDTH,
            BODY_HEIGHT,
            "Each team's maturity score as claimed and as its incident data supports",
        )
    _notes(slide, "Teams whose claims their data does not support (largest gap between the "
                  "claimed and the evidence-checked score first), teams recovering more slowly "
                  "than a year ago beyond noise, and the practices that hold two or more teams "
                  "below their next level.")  # fmt: skip


def _heatmap_slide(deck: Any, data: ReviewQuarter, picture: bytes | None) -> None:
    slide = _slide(deck, "Maturity by team and category")
    chart = portfolio_report.maturity_heatmap(data)
    if isinstance(chart, alt.TopLevelMixin):
        picture = picture or chart_png(chart, 10.0)
        summary = str(chart.to_dict().get("description", ""))
        _picture(slide, picture, MARGIN, int(Inches(1.4)), WIDTH - 2 * MARGIN,
                 BODY_BOTTOM - int(Inches(1.4)), summary)  # fmt: skip
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
        shape = _picture(slide, picture, MARGIN, BODY_TOP, int(Inches(7.4)), BODY_HEIGHT,
                         f"{team.name}: time to recover by quarter")  # fmt: skip
        shape.left = MARGIN
        left = MARGIN + int(shape.width) + int(Inches(0.3))
    _bullets(slide, lines, left=left, width=WIDTH - left - MARGIN, size=15)
    _notes(slide, "\n\n".join(notes))
