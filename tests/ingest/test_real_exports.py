"""A real organisation's exports as a newcomer meets them (issue 24): ids shared across tools,
flag columns an export does not have, tests and drills marked only by a title or a tag.

Each finding is tested as a class: every pair of formats, every column of every format,
every tag or label column each vendor has."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pandas as pd
import pytest

from maturity.ingest.formats import FORMATS, get_format
from maturity.ingest.formats.common import FLAG_WORDS, _names_flag
from maturity.ingest.incidents import load_incidents, normalise_table
from maturity.ingest.record import FLAG_COLUMNS
from maturity.ingest.spreadsheets import ROW, read_table
from maturity.organisation import SourceSettings

EXPORTS = Path(__file__).parents[1] / "fixtures" / "exports"

#: One fixture per layout (PagerDuty has two), in each vendor's real layout.
FIXTURES = {
    "pagerduty-legacy.csv": "pagerduty",
    "pagerduty-analytics.csv": "pagerduty",
    "opsgenie.csv": "opsgenie",
    "jira.csv": "jira",
    "servicenow-eventlog.csv": "servicenow",
    "incidentio.csv": "incidentio",
    "rootly.csv": "rootly",
    "firehydrant.csv": "firehydrant",
    "firehydrant-current.csv": "firehydrant",
    "generic-long-history.csv": "generic",
}


def raw_table(name: str) -> pd.DataFrame:
    return read_table(EXPORTS / name, name)


def normalise(raw: pd.DataFrame, fmt: str, **settings) -> pd.DataFrame:
    notes: list[dict] = []
    return normalise_table(raw, get_format(fmt, "x"), "x.csv",
                           SourceSettings("x.csv", **settings), "UTC", notes)  # fmt: skip


def id_column(raw: pd.DataFrame, fmt: str) -> str:
    headers = {h.lower() for h in FORMATS[fmt].REQUIRED["incident_id"]}
    return next(c for c in raw.columns if c.lower() in headers)


def write_with_ids(raw: pd.DataFrame, fmt: str, path: Path) -> int:
    """``raw`` written as CSV with its ids replaced by 1, 2, 3... (as a second tool numbers
    its own incidents); returns how many rows."""
    table = raw.drop(columns=ROW).copy()
    table[id_column(raw, fmt)] = [str(i + 1) for i in range(len(table))]
    table.to_csv(path, index=False)
    return len(table)


# -- 1. ids are unique within a tool, never across tools ------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        pair
        for pair in itertools.combinations(FIXTURES, 2)
        if FIXTURES[pair[0]] != FIXTURES[pair[1]] or FIXTURES[pair[0]] == "generic"
    ],
)
def test_the_same_number_in_two_tools_is_two_incidents(first: str, second: str,
                                                      tmp_path: Path) -> None:  # fmt: skip
    paths, alone = [], 0
    for name in (first, second):
        path = tmp_path / f"{Path(name).stem}.csv"
        write_with_ids(raw_table(name), FIXTURES[name], path)
        paths.append(path)
        alone += load_incidents(path).count("used")
    together = load_incidents(paths)
    # (Rootly's own "duplicate of incident 32" is the tool's word, kept within its file.)
    merged = together.ledger[together.ledger["reason"].str.match(r"duplicate of .*\.csv row")]
    assert merged.empty, merged.to_dict("records")
    assert together.count("used") == alone


def test_two_hand_kept_sheets_numbered_alike_are_not_merged(tmp_path: Path) -> None:
    for team, day in (("alpha", 1), ("beta", 2)):
        pd.DataFrame({
            "incident_id": ["1", "2"], "title": [f"{team} one", f"{team} two"],
            "team": [team, team],
            "detected_at": [f"2026-07-0{day}T10:00:00Z", f"2026-07-0{day}T12:00:00Z"],
            "resolved_at": [f"2026-07-0{day}T11:00:00Z", f"2026-07-0{day}T13:00:00Z"],
        }).to_csv(tmp_path / f"{team}.csv", index=False)  # fmt: skip
    loaded = load_incidents(sorted(tmp_path.glob("*.csv")))
    assert loaded.count("used") == 4


def test_re_exports_of_one_tool_are_still_one_incident(tmp_path: Path) -> None:
    for name in FIXTURES:
        raw = raw_table(name).drop(columns=ROW)
        raw.to_csv(tmp_path / "a.csv", index=False)
        raw.to_csv(tmp_path / "b.csv", index=False)  # an overlapping re-export
        alone = load_incidents(tmp_path / "a.csv")
        both = load_incidents([tmp_path / "a.csv", tmp_path / "b.csv"])
        assert both.count("used") == alone.count("used"), name
        assert both.count("excluded") == 2 * alone.count("excluded") + alone.count("used"), name


# -- 2. a flag column the export does not have is unknown, never false -----------------------


def _flags(raw: pd.DataFrame, fmt: str) -> pd.DataFrame:
    try:
        rows = normalise(raw, fmt)
    except Exception:  # a column the format needs: that drop is not what this test is about
        return pd.DataFrame()
    return rows[list(FLAG_COLUMNS)].astype("boolean")


def _flag_columns(raw: pd.DataFrame, fmt: str, flag: str) -> list[str]:
    """The columns of ``raw`` a flag may be read from: the format's declared ones
    (``FLAG_SOURCES``) and any custom-field column named for the practice."""
    declared = {h.strip().lower() for h in FORMATS[fmt].FLAG_SOURCES.get(flag, ())}
    return [c for c in raw.columns if c != ROW and (c.strip().lower() in declared
            or _names_flag(c, FLAG_WORDS[flag]))]  # fmt: skip


@pytest.mark.parametrize("name", FIXTURES)
def test_a_practice_the_export_does_not_record_is_unknown(name: str) -> None:
    """Without every column a flag is read from, the flag is unknown on every row (a
    FireHydrant export with no runbooks column is not 0% runbook usage). And the declared
    columns are all there is: dropping any other column never turns a known yes into a no
    or an unknown into a known value."""
    fmt = FIXTURES[name]
    raw = raw_table(name)
    full = _flags(raw, fmt)
    for flag in FLAG_COLUMNS:
        sources = _flag_columns(raw, fmt, flag)
        without = _flags(raw.drop(columns=sources), fmt)
        known = without[flag].notna()
        assert not known.any(), (
            f"{name}: {flag} is {without.loc[known, flag].tolist()} without its columns "
            f"({sources or 'none in this export'})"
        )
    # Everything else dropped at once (but what the format needs to read a row at all): the
    # flags keep their values, so no other column feeds them.
    module = FORMATS[fmt]
    needed = {h.lower() for headers in module.REQUIRED.values() for h in headers}
    needed |= {h.lower() for h in getattr(module, "RESOLUTION", ())}
    sources = {c for flag in FLAG_COLUMNS for c in _flag_columns(raw, fmt, flag)}
    others = [c for c in raw.columns if c != ROW and c not in sources
              and c.strip().lower() not in needed]  # fmt: skip
    alone = _flags(raw.drop(columns=others), fmt)
    assert not alone.empty, name
    for flag in FLAG_COLUMNS:
        before, after = full[flag], alone[flag]
        changed = after.notna() & (before.isna() | (before != after))
        assert not changed.any(), f"{name}: {flag} changed without the other columns"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_declares_where_its_flags_come_from(fmt: str) -> None:
    assert set(FORMATS[fmt].FLAG_SOURCES) <= set(FLAG_COLUMNS)


def test_firehydrant_current_export_reads_its_current_names() -> None:
    loaded = load_incidents(EXPORTS / "firehydrant-current.csv")
    assert set(loaded.incidents["source_format"]) == {"firehydrant"}
    rows = loaded.incidents.set_index("incident_id")
    # retrospective_completed_at is the post-incident review
    assert rows.loc["301", "review_done"] is True or bool(rows.loc["301", "review_done"])
    assert not bool(rows.loc["302", "review_done"])
    # no runbooks column: runbook usage is unknown, not 0 %
    assert rows["runbook_used"].isna().all()
    notes = " ".join(n["note"] for n in loaded.notes)
    assert "runbook" in notes and "unknown" in notes
    reasons = loaded.ledger.set_index("incident_id")["reason"]
    assert reasons["304"] == "test, drill or game day"  # tagged in tag_list


# -- 3. tests and drills marked by a title or by any tag or label column ---------------------

TEST_TITLES = [
    "[TEST] PagerDuty integration test",
    "TEST - please ignore",
    "Heartbeat test alert - ignore",
    "Game day: region failover drill",
    "test: new escalation policy",
    "(Drill) database restore",
]
REAL_TITLES = [
    "Load test environment down",  # a real incident about a test environment
    "Contest page 500s",
    "Testing framework outage blocks deploys",
    "Checkout latency above SLO",
]


def _title_column(raw: pd.DataFrame, fmt: str) -> str | None:
    """The column the format reads titles from: each column's first cell is given its own
    marker at once, and the title read back names the column."""
    first = raw.index[0]
    columns = [c for c in raw.columns if c != ROW]
    marked = raw.copy()
    for i, column in enumerate(columns):
        marked[column] = marked[column].astype(object)
        marked.loc[first, column] = f"zz{i}zz"
    title = normalise(marked, fmt).loc[first, "title"]
    found = re.fullmatch(r"zz(\d+)zz", str(title))
    return columns[int(found[1])] if found else None


@pytest.mark.parametrize("name", FIXTURES)
def test_a_title_that_marks_a_test_is_excluded_with_its_own_reason(name: str) -> None:
    fmt = FIXTURES[name]
    raw = raw_table(name)
    title = _title_column(raw, fmt)
    if title is None:
        pytest.skip(f"{name} has no title column")
    usable = normalise(raw, fmt)
    usable = usable[usable["exclude"].isna() & usable["reject"].isna()].index
    assert len(usable) >= 1
    # One row per title (copies of a usable row), read at once with each setting.
    texts = [*TEST_TITLES, *REAL_TITLES]
    changed = pd.concat([raw.loc[[usable[0]]]] * len(texts), ignore_index=True)
    changed[title] = pd.Series(texts, dtype=object)
    excluded = normalise(changed, fmt)["exclude"]
    kept = normalise(changed, fmt, test_titles="keep")["exclude"]
    for k, text in enumerate(texts):
        if text in TEST_TITLES:
            assert excluded[k] == "test or drill by its title", (name, text, excluded[k])
        else:
            assert pd.isna(excluded[k]), (name, text, excluded[k])
        assert pd.isna(kept[k]), (name, text)  # the documented setting keeps them


TAG_COLUMNS = ["tags", "Tags", "tag_list", "labels", "Labels", "label_list", "Tag List"]


@pytest.mark.parametrize("name", FIXTURES)
@pytest.mark.parametrize("tag_column", TAG_COLUMNS)
def test_a_drill_tag_in_any_tag_column_excludes_the_row(name: str, tag_column: str) -> None:
    fmt = FIXTURES[name]
    raw = raw_table(name)
    usable = normalise(raw, fmt)
    usable = usable[usable["exclude"].isna() & usable["reject"].isna()].index
    changed = raw.copy()
    existing = [c for c in changed.columns if c.lower() == tag_column.lower()]
    column = existing[0] if existing else tag_column
    if not existing:
        changed[column] = ""
    changed[column] = changed[column].astype(object)
    changed.loc[usable[0], column] = "customer-facing, drill"
    changed.loc[usable[-1], column] = "load-testing-cluster"  # a tag that is not a test
    rows = normalise(changed, fmt)
    assert rows.loc[usable[0], "exclude"] == "test, drill or game day", (name, column)
    if usable[-1] != usable[0]:
        assert pd.isna(rows.loc[usable[-1], "exclude"]), (name, column)
