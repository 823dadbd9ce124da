"""``maturity fetch`` against a local stand-in of each tool's API (``vendors.py``, issue 22):
archives and manifests, every fetched item in the ledger, pagination as each API does it,
incremental runs, rate limits and failures, credentials, and the review of a fetched
organisation against the same incidents as CSV exports."""

from __future__ import annotations

import base64
import gzip
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml

from maturity.errors import ConfigError
from maturity.fetch import SOURCES, archive, run_fetch
from maturity.fetch.client import CredentialsError, FetchError
from maturity.ingest.fetched import ALTERED
from maturity.ingest.incidents import load_incidents
from maturity.organisation import load_organisation

from conftest import run_maturity
from vendors import JIRA_EMAIL, SECRETS, SN_USER, Incident, make_dataset, serve

ALL = tuple(SOURCES)
TEAMS = {
    "payments": {"name": "Payments", "services": ["checkout-api"],
                 "aliases": ["Payments On-Call", "og-team-payments"]},
    "search": {"name": "Search", "services": ["search-api"],
               "aliases": ["Search Primary", "og-team-search"]},
}  # fmt: skip
#: Which canonical timestamps each source fills (README "Fetch from your tools").
FILLS = {
    "pagerduty": ("detected_at", "acknowledged_at", "resolved_at"),
    "opsgenie": ("started_at", "detected_at", "resolved_at"),
    "jira": ("detected_at", "acknowledged_at", "mitigated_at", "resolved_at"),
    "servicenow": ("detected_at", "acknowledged_at", "resolved_at"),
    "incidentio": ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at"),
}
#: The source's own id of incident n.
IDS = {"pagerduty": str, "opsgenie": str, "jira": "OPS-{}".format,
       "servicenow": "INC{:07d}".format, "incidentio": "INC-{}".format}  # fmt: skip
#: Which of the stand-in's marked incidents each source can tell apart.
KNOWS_TEST = {"opsgenie", "jira", "incidentio"}
KNOWS_CANCELLED = {"pagerduty", "servicenow", "incidentio"}


def environment(url: str) -> dict[str, str]:
    return {
        "PAGERDUTY_TOKEN": SECRETS["pagerduty"],
        "OPSGENIE_API_KEY": SECRETS["opsgenie"],
        "JIRA_EMAIL": JIRA_EMAIL, "JIRA_API_TOKEN": SECRETS["jira"], "JIRA_URL": url,
        "SERVICENOW_INSTANCE": url, "SERVICENOW_USER": SN_USER,
        "SERVICENOW_PASSWORD": SECRETS["servicenow"],
        "INCIDENTIO_API_KEY": SECRETS["incidentio"],
    }  # fmt: skip


def organisation(root: Path, fetch: dict | None = None) -> Path:
    root.mkdir(parents=True)
    (root / "incidents").mkdir()
    settings = {"organisation": "Fetched Org", "timezone": "UTC", "teams": TEAMS,
                "as_of": "2026-10-01T00:00:00Z", **({"fetch": fetch} if fetch else {})}  # fmt: skip
    (root / "assessment.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    return root


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of 10, so 60 incidents take several pages of every API."""
    for module in SOURCES.values():
        monkeypatch.setattr(module, "LIMIT", 10)


def fetch(source: str, root: Path, url: str, **options):  # type: ignore[no-untyped-def]
    base = None if source in ("jira", "servicenow") else url
    waits: list[float] = []
    result = run_fetch(source, load_organisation(root), base_url=base,
                       environment=environment(url), progress=False,
                       sleep=waits.append, **options)  # fmt: skip
    return result, waits


@pytest.mark.parametrize("source", ALL)
def test_a_fetch_writes_archive_and_manifest_and_every_item_is_accounted_for(
    tmp_path: Path, small_pages: None, source: str
) -> None:
    root = organisation(tmp_path / "org")
    with serve() as server:
        result, _ = fetch(source, root, server.url, since="2026-01-01")
    folder = root / "incidents" / "fetched" / source
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["source"] == source and manifest["client"].startswith("maturity ")
    assert manifest["page_count"] == len(manifest["pages"]) == result.pages > 1
    assert manifest["window"]["since"] == "2026-01-01T00:00:00Z"
    for page in manifest["pages"]:  # each page's bytes are what the manifest says
        body = gzip.decompress((folder / page["file"]).read_bytes())
        assert archive.hashlib.sha256(body).hexdigest() == page["sha256"]
        assert page["request"]["method"] == "GET" and page["fetched_at"]
    assert all(ok for _, ok in archive.verify(folder))

    loaded = load_incidents(root)
    ledger = loaded.ledger
    fetched = ledger[ledger["file"].str.startswith(f"incidents/fetched/{source}/pages/")]
    assert len(fetched) == len(ledger) == 60  # every fetched incident is a row of the ledger
    assert (fetched["row"] >= 1).all()
    counts = ledger["action"].value_counts()
    assert counts.sum() == loaded.rows_read
    excluded = ledger[ledger["action"] == "excluded"].set_index("incident_id")["reason"]
    ident = IDS[source]
    if source in KNOWS_TEST:
        assert ident(5) in excluded.index
    if source in KNOWS_CANCELLED:
        assert ident(8) in excluded.index
    incidents = loaded.incidents.set_index("incident_id")
    data = {i.number: i for i in make_dataset()}
    for number in (1, 2, 3, 17):  # 17 is still open
        got, truth = incidents.loc[ident(number)], data[number]
        assert got["team"] == truth.team
        assert got["detected_at"] == pd.Timestamp(truth.detected)
        expected = {"acknowledged_at": truth.acknowledged, "mitigated_at": truth.mitigated,
                    "resolved_at": truth.resolved, "started_at": truth.detected}  # fmt: skip
        for column, value in expected.items():
            if column in FILLS[source] and value is not None:
                assert got[column] == pd.Timestamp(value), (source, number, column)
            elif column not in FILLS[source]:
                assert pd.isna(got[column]), (source, number, column)
        assert got["source_format"] == f"{SOURCES[source].TITLE} API"
    assert pd.isna(incidents.loc[ident(17), "resolved_at"])  # open, kept as open


def test_pagerduty_walks_spans_under_its_offset_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An offset past the cap is refused: a span holding more is halved until it fits."""
    from maturity.fetch import pagerduty

    monkeypatch.setattr(pagerduty, "LIMIT", 10)
    monkeypatch.setattr(pagerduty, "OFFSET_CAP", 30)
    monkeypatch.setattr(pagerduty, "SPAN_CAP", 20)
    monkeypatch.setattr(pagerduty, "SPAN_DAYS", 400.0)  # one span for the whole window
    root = organisation(tmp_path / "org")
    with serve() as server:
        server.pagerduty_cap = 30
        fetch("pagerduty", root, server.url, since="2026-01-01")
        offsets = [int(q["offset"][0]) for path, q in server.seen("pagerduty")]
    assert max(offsets) + 10 <= 30
    loaded = load_incidents(root)
    assert len(loaded.ledger) == 60  # every incident once: no span fetched twice
    assert len(loaded.incidents) == 59  # the merged one excluded


@pytest.mark.parametrize("source", ALL)
def test_a_second_fetch_asks_only_for_what_changed(
    tmp_path: Path, small_pages: None, source: str
) -> None:
    root = organisation(tmp_path / "org")
    now = datetime.now(UTC)
    with serve() as server:
        first, _ = fetch(source, root, server.url, since="2026-01-01")
        # Incident 17 is resolved now, and a new one arrives.
        server.update(17, mitigated=now - timedelta(minutes=2), resolved=now)
        server.add(Incident(61, "Incident 61: new", "payments", now - timedelta(minutes=30),
                            now - timedelta(minutes=25), now - timedelta(minutes=10), now, 2,
                            now))  # fmt: skip
        before = len(server.requests)
        second, _ = fetch(source, root, server.url)
        asked = server.requests[before:]
    assert second.mode == "incremental" and first.mode == "full"
    kinds = {k: n for k, n in second.by_kind.items() if k in ("incidents", "incident", "issues")}
    assert 2 <= sum(kinds.values()) < 10  # the changed ones, not the 60 again
    assert all("2026-01-01" not in json.dumps(query) for _, _, query in asked)
    loaded = load_incidents(root)
    ident = IDS[source]
    incidents = loaded.incidents.set_index("incident_id")
    assert not incidents.index.duplicated().any()  # nothing used twice
    assert incidents.loc[ident(17), "resolved_at"] == pd.Timestamp(now).floor("s")
    assert ident(61) in incidents.index
    earlier = loaded.ledger[loaded.ledger["reason"].str.startswith("an earlier copy")]
    assert ident(17) in set(earlier["incident_id"])
    manifest = json.loads((root / "incidents/fetched" / source / "manifest.json").read_text())
    assert [r["mode"] for r in manifest["runs"]] == ["full", "incremental"]


@pytest.mark.parametrize("source", ALL)
def test_a_429_storm_a_500_and_a_dropped_connection_are_waited_out(
    tmp_path: Path, small_pages: None, source: str
) -> None:
    root = organisation(tmp_path / "org")
    with serve() as server:
        server.fault(source, "429", 2, times=4)
        server.fault(source, "500")
        server.fault(source, "drop")
        server.fault(source, "slow", 1.0)
        result, waits = fetch(source, root, server.url, since="2026-01-01")
    assert waits[:4] == [2.0] * 4  # Retry-After honoured
    assert len(waits) == 6 and all(0 <= w <= 60 for w in waits[4:])  # then jittered backoff
    run = json.loads((result.folder / "manifest.json").read_text())["runs"][-1]
    assert run["rate_limit_waits"] == 4 and run["retries"] == 6
    assert len(load_incidents(root).ledger) == 60


def test_exhausted_retries_say_so_in_one_line_and_leave_the_archive(
    tmp_path: Path, small_pages: None
) -> None:
    root = organisation(tmp_path / "org")
    folder = root / "incidents/fetched/pagerduty"
    with serve() as server:
        fetch("pagerduty", root, server.url, since="2026-01-01")
        before = (folder / "manifest.json").read_bytes()
        pages_before = sorted(p.name for p in (folder / "pages").iterdir())
        # The second run gets two pages in, then the API keeps refusing.
        server.fault("pagerduty", "slow", 0.0, times=2)
        server.fault("pagerduty", "429", 1, times=20)
        with pytest.raises(FetchError) as caught:
            fetch("pagerduty", root, server.url, since="2026-02-01")
    message = str(caught.value)
    assert "\n" not in message and "rate limited" in message and "8 tries" in message
    assert "archive is unchanged" in message
    assert (folder / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in (folder / "pages").iterdir()) == pages_before
    assert not list(folder.glob(".partial-*"))


@pytest.mark.parametrize("source", ALL)
def test_an_expired_token_names_the_variable_to_set(tmp_path: Path, source: str) -> None:
    root = organisation(tmp_path / "org")
    with serve() as server:
        server.fault(source, "401")
        with pytest.raises(CredentialsError) as caught:
            fetch(source, root, server.url)
    variables = {"pagerduty": "PAGERDUTY_TOKEN", "opsgenie": "OPSGENIE_API_KEY",
                 "jira": "JIRA_API_TOKEN", "servicenow": "SERVICENOW_PASSWORD",
                 "incidentio": "INCIDENTIO_API_KEY"}  # fmt: skip
    assert variables[source] in str(caught.value) and "\n" not in str(caught.value)
    assert SECRETS[source] not in str(caught.value)
    assert not (root / "incidents/fetched" / source / "manifest.json").exists()


def test_missing_credentials_and_secrets_in_settings_are_refused(tmp_path: Path) -> None:
    root = organisation(tmp_path / "org")
    with pytest.raises(ConfigError, match="set JIRA_EMAIL and JIRA_API_TOKEN and JIRA_URL"):
        run_fetch("jira", load_organisation(root), environment={}, progress=False)
    bad = organisation(tmp_path / "bad", fetch={"pagerduty": {"token": "abc123"}})
    with pytest.raises(ConfigError, match=r"never put a secret in assessment\.yaml"):
        load_organisation(bad)
    named = organisation(tmp_path / "named", fetch={"pagerduty": {"token_env": "PD_READ"}})
    with pytest.raises(ConfigError, match="set PD_READ"):
        run_fetch("pagerduty", load_organisation(named), environment={}, progress=False)


def test_an_altered_or_missing_page_is_not_trusted(tmp_path: Path, small_pages: None) -> None:
    root = organisation(tmp_path / "org")
    with serve() as server:
        fetch("incidentio", root, server.url, since="2026-01-01")
    folder = root / "incidents/fetched/incidentio"
    manifest = json.loads((folder / "manifest.json").read_text())
    first, second = manifest["pages"][0]["file"], manifest["pages"][1]["file"]
    body = json.loads(gzip.decompress((folder / first).read_bytes()))
    body["incidents"][0]["name"] = "tampered"
    (folder / first).write_bytes(gzip.compress(json.dumps(body).encode()))
    (folder / second).unlink()
    loaded = load_incidents(root)
    rejected = loaded.ledger[loaded.ledger["reason"] == ALTERED]
    assert (
        len(rejected) == 10 and (rejected["file"] == f"incidents/fetched/incidentio/{first}").all()
    )
    assert any("missing" in n["note"] and second in n["note"] for n in loaded.notes)


def test_the_command_line_fetches_and_no_secret_lands_anywhere(tmp_path: Path) -> None:
    """Through ``maturity fetch`` as a user runs it: every source into one organisation,
    then validate and a review; no secret in any file written, nor in any output."""
    root = organisation(tmp_path / "org")
    outputs = []
    with serve() as server:
        env = {**os.environ, **environment(server.url)}
        for source in ALL:
            base = [] if source in ("jira", "servicenow") else ["--base-url", server.url]
            run = run_maturity("fetch", source, str(root), "--since", "2026-01-01", *base,
                               env=env)  # fmt: skip
            assert run.returncode == 0, run.stderr
            assert (
                f"{SOURCES[source].TITLE}:" in run.stdout
                and "archive incidents/fetched" in run.stdout
            )
            outputs.append(run.stdout + run.stderr)
        validate = run_maturity("validate", str(root), env=env)
        outputs.append(validate.stdout + validate.stderr)
        assert validate.returncode == 0, validate.stderr
        assert "300 rows read" in validate.stdout
        out = str(tmp_path / "reports")
        review = run_maturity("review", str(root), "--quarter", "2026-Q3", "--out", out,
                              "--no-pdf", "--quiet", env=env)  # fmt: skip
        outputs.append(review.stdout + review.stderr)
    pairs = [f"{JIRA_EMAIL}:{SECRETS['jira']}", f"{SN_USER}:{SECRETS['servicenow']}"]
    secrets = [*SECRETS.values(), *(base64.b64encode(p.encode()).decode() for p in pairs)]
    for path in [*root.rglob("*"), *(tmp_path / "reports").rglob("*")]:
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            for secret in secrets:
                assert secret.encode() not in data, (path, secret)
    for text in outputs:
        for secret in secrets:
            assert secret not in text


def test_an_unknown_source_is_one_line(tmp_path: Path) -> None:
    root = organisation(tmp_path / "org")
    run = run_maturity("fetch", "statuspage", str(root))
    assert run.returncode == 2 and "unknown source 'statuspage'" in run.stderr
    assert "Traceback" not in run.stderr


# --- a fetched organisation against the same incidents as CSV exports -------------------

PD_SEVERITY = {1: "P1", 2: "P2", 3: "P3", 4: "P4"}


def equivalent_rows(source: str) -> list[dict[str, str]]:
    """The stand-in's incidents as a generic CSV export carrying what ``source``'s API
    carries (README "Fetch from your tools"), built from the data, not from the fetch."""
    from vendors import IIO_SEVERITY, JIRA_PRIORITY

    def when(stamp: datetime | None) -> str:
        return stamp.astimezone(UTC).isoformat() if stamp else ""

    rows = []
    for i in make_dataset():
        fills = FILLS[source]
        row = {
            "incident_id": f"{source}-{i.number}", "title": i.title, "service": i.service,
            "team": f"og-team-{i.team}" if source == "opsgenie" else i.team_name,
            "severity": {"jira": JIRA_PRIORITY[i.severity], "servicenow": str(i.severity),
                         "incidentio": IIO_SEVERITY[i.severity]}.get(source,
                                                                     PD_SEVERITY[i.severity]),
            "detected_at": when(i.detected),
        }  # fmt: skip
        values = {"started_at": i.detected, "acknowledged_at": i.acknowledged,
                  "mitigated_at": i.mitigated, "resolved_at": i.resolved}  # fmt: skip
        row.update({c: when(v) for c, v in values.items() if c in fills})
        if source == "pagerduty" and i.resolved:
            row["automated_recovery"] = "yes" if i.auto else "no"
        if source == "incidentio" and i.resolved and i.number % 2:
            row["review_done"] = "yes"
        test = i.test and source in KNOWS_TEST
        cancelled = i.cancelled and source in KNOWS_CANCELLED
        row["kind"] = "test" if test or cancelled else ""
        rows.append(row)
    return rows


def test_a_review_of_a_fetched_organisation_matches_one_from_csv_exports(tmp_path: Path) -> None:
    from maturity.reporting.notebook_record import read_record

    from conftest import GENERIC_HEADER, generic_csv

    fetched = organisation(tmp_path / "fetched")
    exported = organisation(tmp_path / "exported")
    with serve() as server:
        for source in ALL:
            fetch(source, fetched, server.url, since="2026-01-01")
    for source in ALL:
        text = generic_csv(equivalent_rows(source), [*GENERIC_HEADER, "kind"])
        (exported / "incidents" / f"{source}.csv").write_text(text)

    def measures(root: Path) -> list[dict]:
        run = run_maturity("measures", str(root), "--json")
        assert run.returncode == 0, run.stderr
        return json.loads(run.stdout)["measures"]

    assert measures(fetched) == measures(exported)
    records = {}
    for root in (fetched, exported):
        out = str(tmp_path / f"reports-{root.name}")
        run = run_maturity("review", str(root), "--quarter", "2026-Q3", "--out", out,
                           "--no-pdf", "--quiet")  # fmt: skip
        assert run.returncode == 0, run.stderr
        folder = tmp_path / f"reports-{root.name}" / root.name / "2026-Q3" / "notebooks"
        records[root.name] = {p.stem: read_record(p) for p in sorted(folder.glob("*.ipynb"))}
    assert records["fetched"] == records["exported"]
    assert set(records["fetched"]) == {"payments", "search", "portfolio"}


def test_a_fetch_stopped_by_ctrl_c_leaves_the_previous_archive(
    tmp_path: Path, small_pages: None
) -> None:
    root = organisation(tmp_path / "org")
    folder = root / "incidents/fetched/opsgenie"
    with serve() as server:
        fetch("opsgenie", root, server.url, since="2026-01-01")
        before = (folder / "manifest.json").read_bytes()
        server.fault("opsgenie", "slow", 0.0, times=3)  # three pages in,
        server.fault("opsgenie", "429", 1)  # then the user presses Ctrl-C during a wait

        def interrupt(seconds: float) -> None:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            run_fetch("opsgenie", load_organisation(root), base_url=server.url,
                      environment=environment(server.url), progress=False, sleep=interrupt,
                      since="2026-01-01")  # fmt: skip
        assert (folder / "manifest.json").read_bytes() == before
        assert not list(folder.glob(".partial-*"))
        listed = {p["file"] for p in json.loads(before)["pages"]}
        assert {f"pages/{p.name}" for p in (folder / "pages").iterdir()} == listed
        fetch("opsgenie", root, server.url)  # and the next fetch runs as if nothing happened
