"""Write the bundled example organisation, ``assessments/example``.

A fictional company, Example Corp, with six teams whose incident data tell different
stories over eight quarters (2024-Q4 to 2026-Q3), questionnaire answers for the last two
quarters, and the data-quality problems real exports have (test incidents, game days,
re-exported duplicates, unmapped services, impossible timestamps).

Seeded and reproducible: the same seed writes byte-identical files. Run ``python scripts/make_example.py`` after changing it and commit
the output, so ``make review`` needs no extra step.
"""

from __future__ import annotations

import argparse
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import yaml

from maturity.ingest.record import TIMESTAMP_COLUMNS

QUARTERS = [
    "2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3",
]  # fmt: skip
TIMEZONE = "Europe/London"
#: When the export was taken: incidents resolving after this are still open.
EXPORTED_AT = datetime(2026, 9, 30, 17, 0, tzinfo=ZoneInfo("UTC"))
#: Incidents in the last weeks before the export that are still open (monitoring, stuck).
STILL_OPEN_SHARE, STILL_OPEN_DAYS = 0.15, 21


@dataclass(frozen=True)
class Story:
    """How one team's incidents evolve over the eight quarters (first -> last value)."""

    key: str
    name: str
    services: tuple[str, ...]
    per_quarter: tuple[int, int]  # incidents per quarter
    median_minutes: tuple[float, float]  # median time to recover
    spread: float  # log-SD of time to recover
    detect_minutes: tuple[float, float]
    escalate_minutes: tuple[float, float]
    comms_minutes: tuple[float, float]
    runbook: tuple[float, float]  # share of incidents resolved with a runbook
    automation: tuple[float, float]
    review: tuple[float, float]
    timestamps_kept: float = 1.0  # share of incidents with every lifecycle timestamp
    flags_known: float = 1.0  # share of incidents whose runbook/automation/review is recorded
    team_column: float = 0.5  # share of rows naming the team (the rest: only a service)


STORIES = (
    Story("payments", "Payments", ("checkout-api", "payment-gateway", "ledger-service"),
          (64, 58), (190, 48), 1.0, (14, 6), (9, 4), (35, 12),
          (0.30, 0.85), (0.08, 0.40), (0.55, 0.95)),
    Story("search", "Search & Discovery", ("search-api", "indexer", "recommendations"),
          (42, 55), (45, 170), 1.1, (6, 12), (4, 9), (15, 55),
          (0.60, 0.35), (0.30, 0.20), (0.80, 0.55)),
    Story("identity", "Identity", ("auth-service", "sso-gateway"),
          (38, 34), (24, 17), 0.8, (3, 2), (2, 2), (8, 6),
          (0.88, 0.93), (0.55, 0.66), (0.95, 1.00)),
    Story("data-platform", "Data Platform", ("etl-pipeline", "warehouse"),
          (4, 3), (300, 260), 1.2, (40, 40), (30, 30), (90, 90),
          (0.20, 0.25), (0.0, 0.0), (0.40, 0.50), timestamps_kept=0.3, flags_known=0.5),
    Story("mobile", "Mobile Apps", ("ios-app", "android-app", "mobile-bff"),
          (46, 47), (125, 120), 1.0, (20, 18), (10, 10), (40, 38),
          (0.18, 0.22), (0.05, 0.08), (0.50, 0.52)),
    Story("platform", "Platform & Infrastructure", ("k8s-cluster", "edge-proxy", "dns"),
          (120, 104), (70, 52), 1.25, (25, 5), (6, 4), (20, 15),
          (0.55, 0.70), (0.20, 0.45), (0.75, 0.85), team_column=0.9),
)  # fmt: skip

TITLES = (
    "Elevated 5xx on {s}", "{s} latency above SLO", "{s} unavailable in eu-west-1",
    "Queue backlog growing on {s}", "Certificate expired for {s}", "{s} pods crash-looping",
    "Database connection pool exhausted ({s})", "Bad deploy of {s} rolled back",
    "Partial outage: {s} timeouts", "Disk full on {s} nodes", "{s} returning stale data",
    "Third-party dependency degraded for {s}",
)  # fmt: skip

# Answers per team: (level 2, level 3, level 4, level 5) per category, for the two quarters.
ANSWERS = {
    "payments": {
        "2026-Q2": {"people": "yyp-", "process": "yyp-", "technology": "yyp-", "measurement": "yyp-"},
        "2026-Q3": {"people": "yyyp", "process": "yyy-", "technology": "yyp-", "measurement": "yyy-"},
    },
    "search": {
        "2026-Q2": {"people": "yyy-", "process": "yyy-", "technology": "yyy-", "measurement": "yyy-"},
        "2026-Q3": {"people": "yyy-", "process": "yyy-", "technology": "yyy-", "measurement": "yyyy"},
    },
    "identity": {
        "2026-Q2": {"people": "yyyp", "process": "yyyp", "technology": "yyyp", "measurement": "yyyp"},
        "2026-Q3": {"people": "yyyp", "process": "yyyy", "technology": "yyyp", "measurement": "yyyy"},
    },
    "data-platform": {
        "2026-Q3": {"people": "p---", "process": "pn--", "technology": "yp--", "measurement": "p---"},
    },
    "mobile": {
        "2026-Q2": {"people": "yyy-", "process": "yyy-", "technology": "yyy-", "measurement": "yyp-"},
        "2026-Q3": {"people": "yyy-", "process": "yyy-", "technology": "yyy-", "measurement": "yyy-"},
    },
    "platform": {
        "2026-Q2": {"people": "yyp-", "process": "yyp-", "technology": "yyy-", "measurement": "yyp-"},
        "2026-Q3": {"people": "yyp-", "process": "yyy-", "technology": "yyyp", "measurement": "yyy-"},
    },
}  # fmt: skip
STATEMENTS = {
    "people": ["2a", "3a", "4a 4b", "5a 5b"],
    "process": ["2a", "3a", "4a", "5a"],
    "technology": ["2a", "3a", "4a", "5a"],
    "measurement": ["2a", "3a", "4a", "5a 5b"],
}
WORDS = {"y": "yes", "p": "partly", "n": "no", "-": "no", "a": "n/a"}
#: Targets some teams set themselves for the year.
TARGETS = {"payments": {"technology": 4, "measurement": 5}, "search": {"process": 4}}
#: Teams answering 2026-Q3 with a second respondent beside the coach: what that respondent
#: answers differently (the rest as the coach), with a note. Each says yes where the coach
#: said no, so the team's value (the lower middle of two) is the coach's and the statement
#: is disputed: the report lists who said what.
SECOND_RESPONDENT = {
    "payments": ("R. Okafor", "r-okafor", {
        "process.5a": ("yes", "the quarterly resilience review covers recovery"),
        "measurement.5b": ("yes", "recovery is far faster than a year ago"),
        "people.5a": ("yes", ""),
    }),
    "mobile": ("J. Lindqvist", "j-lindqvist", {
        "people.5a": ("yes", "we ran a release-day game day in August"),
        "measurement.5a": ("yes", "the BFF rebuild was chosen from the MTTR trend"),
    }),
}  # fmt: skip


#: What ``maturity fetch`` reads from assessment.yaml, shown commented out: which source,
#: which filters, which environment variable holds each secret (never the secret itself).
FETCH_EXAMPLE = """
# Incidents straight from the tools' APIs (README "Fetch from your tools"): uncomment a
# source, set its variables in the environment, run `maturity fetch SOURCE assessments/example`.
# fetch:
#   pagerduty:
#     teams: [PQ9K7I8]               # PagerDuty team ids (optional; services: [...] too)
#     token_env: PAGERDUTY_TOKEN     # the variable that holds the API token (the default)
#   jira:
#     projects: [OPS]
#     jql: issuetype = Incident
#     team_field: customfield_10001  # the custom field naming the team (default: project)
#   servicenow:
#     assignment_groups: [Data Platform]
#     query: active=true^ORactive=false
#   opsgenie:
#     query: tag:production
#   incidentio:
#     team_field: Affected Team
"""


def _lerp(pair: tuple[float, float], t: float) -> float:
    return pair[0] + (pair[1] - pair[0]) * t


def _quarter_start(quarter: str) -> datetime:
    year, q = int(quarter[:4]), int(quarter[-1])
    return datetime(year, 3 * (q - 1) + 1, 1, tzinfo=ZoneInfo(TIMEZONE))


def _lognormal(rng: np.random.Generator, median: float, sigma: float, size: int) -> np.ndarray:
    return median * np.exp(rng.normal(0.0, sigma, size))


def team_incidents(story: Story, rng: np.random.Generator) -> pd.DataFrame:
    """One team's incidents over all quarters, as canonical rows (UTC datetimes)."""
    rows = []
    for qi, quarter in enumerate(QUARTERS):
        t = qi / (len(QUARTERS) - 1)
        count = max(1, int(rng.poisson(_lerp(story.per_quarter, t))))
        start = _quarter_start(quarter)
        span = (_quarter_start_after(quarter) - start).total_seconds()
        offsets = np.sort(rng.uniform(0, span, count))
        severity = rng.choice([1, 2, 3, 4, 5], size=count, p=[0.05, 0.2, 0.45, 0.25, 0.05])
        # Severe incidents take a little longer: a factor 1.4 at SEV1 down to 0.8 at SEV5.
        recovery = _lognormal(rng, _lerp(story.median_minutes, t), story.spread, count)
        recovery *= 1.55 - 0.15 * severity
        detect = _lognormal(rng, _lerp(story.detect_minutes, t), 0.9, count)
        escalate = np.minimum(
            _lognormal(rng, _lerp(story.escalate_minutes, t), 0.7, count), 0.3 * recovery
        )
        mitigate_share = rng.beta(5, 2, count)
        comms = _lognormal(rng, _lerp(story.comms_minutes, t), 0.8, count)
        for i in range(count):
            detected = (start + timedelta(seconds=float(offsets[i]))).astimezone(ZoneInfo("UTC"))
            detected = detected.replace(microsecond=0)
            acknowledged = detected + timedelta(minutes=float(escalate[i]))
            resolved = detected + timedelta(minutes=float(recovery[i]))
            mitigated = acknowledged + (resolved - acknowledged) * float(mitigate_share[i])
            mitigated = mitigated if mitigated < EXPORTED_AT else None
            recent = EXPORTED_AT - detected < timedelta(days=STILL_OPEN_DAYS)
            if recent and rng.random() < STILL_OPEN_SHARE:
                resolved = EXPORTED_AT + timedelta(days=1)
            full = rng.random() < story.timestamps_kept
            known = rng.random() < story.flags_known
            service = story.services[int(rng.integers(len(story.services)))]
            rows.append(
                {
                    "incident_id": f"{story.key[:3].upper()}-{qi + 1}{i + 1:03d}",
                    "title": TITLES[int(rng.integers(len(TITLES)))].format(s=service),
                    "team": story.name if rng.random() < story.team_column else "",
                    "service": service,
                    "severity": f"SEV{severity[i]}",
                    "started_at": detected - timedelta(minutes=float(detect[i])) if full else None,
                    "detected_at": detected,
                    "acknowledged_at": acknowledged if full or rng.random() < 0.5 else None,
                    "mitigated_at": mitigated if full and mitigated else None,
                    "resolved_at": resolved if resolved < EXPORTED_AT else None,
                    "notified_at": detected + timedelta(minutes=float(comms[i])) if full else None,
                    "runbook_used": _flag(rng, _lerp(story.runbook, t), known),
                    "automated_recovery": _flag(rng, _lerp(story.automation, t), known),
                    "review_done": _flag(rng, _lerp(story.review, t), known),
                    "kind": "",
                }
            )
    return pd.DataFrame(rows)


def _quarter_start_after(quarter: str) -> datetime:
    start = _quarter_start(quarter)
    month = start.month + 3
    return start.replace(year=start.year + (month > 12), month=(month - 1) % 12 + 1)


def _flag(rng: np.random.Generator, share: float, known: bool) -> str:
    if not known:
        return ""
    return "yes" if rng.random() < share else "no"


def add_quality_problems(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """What real exports carry: tests, game days, impossible rows, strangers, open incidents."""
    frame = frame.copy()
    picks = rng.choice(frame.index, size=14, replace=False)
    frame.loc[picks[:4], "kind"] = "test"
    frame.loc[picks[:4], "title"] = "[TEST] paging check"
    frame.loc[picks[4:6], "kind"] = "game_day"
    frame.loc[picks[4:6], "title"] = "Game day: region failover"
    # Resolved before detected: a time zone slip in a hand-edited row.
    for i in picks[6:8]:
        frame.loc[i, "resolved_at"] = frame.loc[i, "detected_at"] - timedelta(hours=1)
    frame.loc[picks[8:10], "detected_at"] = None
    frame.loc[picks[10:12], ["team", "service"]] = ["", "legacy-crm"]
    frame.loc[picks[12], "title"] = '<script>alert("x")</script> checkout & <b>billing</b>'
    # A forgotten incident nobody closed, from long ago.
    frame.loc[picks[13], "resolved_at"] = None
    return frame


def write_assessment(out: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    frame = pd.concat([team_incidents(s, rng) for s in STORIES], ignore_index=True)
    frame = add_quality_problems(frame, rng)
    for column in TIMESTAMP_COLUMNS:
        frame[column] = pd.to_datetime(frame[column], utc=True).dt.floor("s")
    frame = frame.sort_values("detected_at", na_position="first", kind="stable").reset_index(
        drop=True
    )

    if out.exists():
        shutil.rmtree(out)
    (out / "incidents").mkdir(parents=True)
    settings = {
        "organisation": "Example Corp",
        "timezone": TIMEZONE,
        "teams": {s.key: {"name": s.name, "services": list(s.services)} for s in STORIES},
        "slo_minutes": {1: 60, 2: 240, 3: 1440},
    }
    (out / "assessment.yaml").write_text(
        "# The bundled example organisation, written by scripts/make_example.py.\n"
        + yaml.safe_dump(settings, sort_keys=False, allow_unicode=True)
        + FETCH_EXAMPLE
    )

    # Three teams send their incident tool's own export; the rest keep a shared spreadsheet.
    # Rows without a detection time come from hand-edited spreadsheet rows, never a tool.
    prefix = frame["incident_id"].str[:3]
    dated = frame["detected_at"].notna()
    vendor = {
        "SEA": (_write_jira, "search-jira.csv"),
        "IDE": (_write_incidentio, "identity-incidentio.csv"),
        "DAT": (_write_servicenow, "data-platform-servicenow.xlsx"),
    }
    for team_prefix, (writer, name) in vendor.items():
        writer(frame[(prefix == team_prefix) & dated], out / "incidents" / name)
    frame = frame[~(prefix.isin(list(vendor)) & dated)]

    detected = frame["detected_at"]
    in_2026 = detected >= pd.Timestamp("2026-01-01", tz=TIMEZONE)
    # The 2026 workbook was exported a second time from 1 December: those rows overlap.
    overlap = (detected >= pd.Timestamp("2025-12-01", tz=TIMEZONE)) & ~in_2026
    _write_csv(frame[~in_2026 | detected.isna()], out / "incidents" / "incidents-2024-2025.csv")
    _write_xlsx(frame[in_2026 | overlap], out / "incidents" / "incidents-2026.xlsx")

    for team, quarters in ANSWERS.items():
        for quarter, levels in quarters.items():
            if quarter == "2026-Q3" and team in SECOND_RESPONDENT:
                name, stem, differences = SECOND_RESPONDENT[team]
                folder = out / "answers" / quarter / team
                _write_answers(folder / "a-coach.yaml", team, quarter, levels,
                               respondent="A. Coach")  # fmt: skip
                _write_answers(folder / f"{stem}.yaml", team, quarter, levels, respondent=name,
                               differences=differences)  # fmt: skip
                continue
            _write_answers(out / "answers" / quarter / f"{team}.yaml", team, quarter, levels)


def _local(value: pd.Timestamp, fmt: str) -> str:
    return "" if pd.isna(value) else value.tz_convert(TIMEZONE).strftime(fmt)


def _minutes(end: pd.Timestamp, start: pd.Timestamp) -> float | None:
    return None if pd.isna(end) or pd.isna(start) else (end - start).total_seconds() / 60


def _jira_duration(minutes: float | None) -> str:
    """Jira SLA fields read like "1h 5m"."""
    if minutes is None:
        return ""
    hours, rest = divmod(round(minutes), 60)
    return f"{hours}h {rest}m" if hours else f"{rest}m"


JIRA_PRIORITY = {1: "Highest", 2: "High", 3: "Medium", 4: "Low", 5: "Lowest"}


def _write_jira(frame: pd.DataFrame, path: Path) -> None:
    """Search & Discovery's Jira Service Management export: BOM, repeated Labels columns,
    dates in the exporting user's format (``25/Feb/26 10:17 PM``) and zone, SLA text."""
    header = [
        "Summary", "Issue key", "Issue id", "Issue Type", "Status", "Project key",
        "Project name", "Priority", "Resolution", "Created", "Updated", "Resolved", "Labels",
        "Labels", "Component/s", "Custom field (Team)", "Custom field (Severity)",
        "Custom field (Time to first response)", "Custom field (Runbook used)",
        "Custom field (Automated recovery)", "Custom field (Post-incident review)",
        "Custom field (Last Updated )",
    ]  # fmt: skip
    rows = []
    for i, r in enumerate(frame.itertuples(index=False)):
        severity = int(r.severity[-1])
        resolved = not pd.isna(r.resolved_at)
        label = {"test": "test", "game_day": "gameday"}.get(r.kind, "")
        updated = r.resolved_at if resolved else r.detected_at
        rows.append([
            r.title, r.incident_id, 30000 + i, "Incident", "Done" if resolved else "In Progress",
            "SEA", "Search Incidents", JIRA_PRIORITY[severity], "Done" if resolved else "",
            _local(r.detected_at, "%d/%b/%y %I:%M %p"), _local(updated, "%Y-%m-%d %H:%M:%S.000"),
            _local(r.resolved_at, "%d/%b/%y %I:%M %p"), label, "search" if i % 5 else "",
            r.service, r.team, f"Sev {severity}",
            _jira_duration(_minutes(r.acknowledged_at, r.detected_at)),
            r.runbook_used, r.automated_recovery, r.review_done, "",
        ])  # fmt: skip
    pd.DataFrame(rows, columns=header).to_csv(
        path, index=False, encoding="utf-8-sig", lineterminator="\n"
    )


INCIDENTIO_SEVERITY = {1: "Critical", 2: "Major"}


def _write_incidentio(frame: pd.DataFrame, path: Path) -> None:
    """Identity's incident.io export: named timestamps in UTC with varying fractional
    digits, modes, a post-mortem link for reviewed incidents, team custom fields."""
    header = [
        "reference", "name", "severity", "incident_status", "mode", "postmortem_document_url",
        "Custom Field: Team", "Affected services", "Custom Field: Runbook used",
        "Custom Field: Automated recovery", "Reported at", "Accepted at", "Impact started at",
        "Fixed at", "Resolved at", "Closed at",
    ]  # fmt: skip
    fractions = ["", ".6", ".72", ".411"]

    def stamp(value: pd.Timestamp, i: int) -> str:
        if pd.isna(value):
            return ""
        return value.strftime("%Y-%m-%dT%H:%M:%S") + fractions[i % 4] + "Z"

    rows = []
    for i, r in enumerate(frame.itertuples(index=False)):
        resolved = not pd.isna(r.resolved_at)
        status = (
            "Closed" if resolved else ("Monitoring" if not pd.isna(r.mitigated_at) else "Fixing")
        )
        mode = "test" if r.kind in ("test", "game_day") else "standard"
        link = (
            f"https://docs.example.com/postmortems/{r.incident_id}"
            if r.review_done == "yes"
            else ""
        )
        rows.append([
            r.incident_id, r.title, INCIDENTIO_SEVERITY.get(int(r.severity[-1]), "Minor"),
            status, mode, link, "Identity", r.service, r.runbook_used, r.automated_recovery,
            stamp(r.detected_at, i), stamp(r.acknowledged_at, i + 1), stamp(r.started_at, i + 2),
            stamp(r.mitigated_at, i + 3), stamp(r.resolved_at, i),
            stamp(r.resolved_at + pd.Timedelta(days=2), i) if resolved else "",
        ])  # fmt: skip
    pd.DataFrame(rows, columns=header).to_csv(path, index=False, lineterminator="\n")


SERVICENOW_PRIORITY = {1: "1 - Critical", 2: "2 - High", 3: "3 - Moderate", 4: "4 - Low",
                       5: "5 - Planning"}  # fmt: skip


def _write_servicenow(frame: pd.DataFrame, path: Path) -> None:
    """Data Platform's ServiceNow list export to Excel: field labels, a title row above
    the header, date cells in local time, display values for priority and state."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Page 1"
    sheet.append(["Incidents assigned to Data Platform (exported 30 Sep 2026)"])
    sheet.append([])
    sheet.append(["Number", "Short description", "Opened", "Resolved", "Closed", "Priority",
                  "State", "Assignment group", "Service", "Resolve time", "Runbook used"])  # fmt: skip
    local = ZoneInfo(TIMEZONE)

    def cell(value: pd.Timestamp) -> datetime | None:
        return None if pd.isna(value) else value.astimezone(local).replace(tzinfo=None)

    for i, r in enumerate(frame.itertuples(index=False)):
        resolved = not pd.isna(r.resolved_at)
        seconds = _minutes(r.resolved_at, r.detected_at)
        sheet.append([
            f"INC00{41000 + i}", r.title, cell(r.detected_at), cell(r.resolved_at),
            cell(r.resolved_at + pd.Timedelta(days=3)) if resolved else None,
            SERVICENOW_PRIORITY[int(r.severity[-1])], "Closed" if resolved else "In Progress",
            "Data Platform", r.service, round(seconds * 60) if seconds is not None else None,
            {"yes": "true", "no": "false"}.get(r.runbook_used, ""),
        ])  # fmt: skip
    for column in "CDE":
        for item in sheet[column][3:]:
            item.number_format = "dd/mm/yyyy hh:mm:ss"
    workbook.properties.created = datetime(2026, 10, 2, 9, 0)
    workbook.properties.modified = datetime(2026, 10, 2, 9, 0)
    workbook.save(path)
    _fix_zip_times(path)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    out = frame.copy()
    for column in TIMESTAMP_COLUMNS:
        out[column] = out[column].map(lambda v: "" if pd.isna(v) else v.isoformat())
    out.to_csv(path, index=False, lineterminator="\n")


def _write_xlsx(frame: pd.DataFrame, path: Path) -> None:
    """Naive local (Europe/London) date cells, as a spreadsheet export would hold them."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Incidents"
    sheet.append(list(frame.columns))
    local = ZoneInfo(TIMEZONE)
    for row in frame.itertuples(index=False):
        cells = []
        for value in row:
            if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
                cell = None
            elif isinstance(value, datetime):
                cell = value.astimezone(local).replace(tzinfo=None)
            else:
                cell = value
            cells.append(cell)
        sheet.append(cells)
    for column in "FGHIJK":
        for cell in sheet[column][1:]:
            cell.number_format = "yyyy-mm-dd hh:mm:ss"
    workbook.properties.created = datetime(2026, 10, 2, 9, 0)
    workbook.properties.modified = datetime(2026, 10, 2, 9, 0)
    workbook.save(path)
    _fix_zip_times(path)


def _fix_zip_times(path: Path) -> None:
    """Rewrite the workbook's zip entries with a fixed time, so the file is reproducible."""
    import zipfile

    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    # openpyxl stamps the save time as "modified" whatever the workbook says.
    entries = [
        (name, re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-10-02T09:00:00Z", data))
        if name == "docProps/core.xml"
        else (name, data)
        for name, data in entries
    ]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            target.writestr(zipfile.ZipInfo(name, date_time=(2026, 10, 2, 9, 0, 0)), data,
                            compress_type=zipfile.ZIP_DEFLATED)  # fmt: skip


def _write_answers(path: Path, team: str, quarter: str, levels: dict[str, str], *,
                   respondent: str = "",
                   differences: dict[str, tuple[str, str]] | None = None) -> None:  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        f"team: {team}",
        f"period: {quarter}",
        *([f"respondent: {respondent}"] if respondent else []),
        f"assessed_on: {'2026-06-26' if quarter == '2026-Q2' else '2026-09-28'}",
        f"assessors: [{respondent or 'A. Coach'}]",
        "answers:",
    ]
    for category, per_level in levels.items():
        for level_letters, answer in zip(STATEMENTS[category], per_level, strict=True):
            for letters in level_letters.split():
                statement = f"{category}.{letters}"
                word, note = (differences or {}).get(statement, (WORDS[answer], ""))
                value = f'{{answer: {word}, note: "{note}"}}' if note else word
                lines.append(f"  {statement}: {value}")
    if team in TARGETS and not differences:
        targets = ", ".join(f"{k}: {v}" for k, v in TARGETS[team].items())
        lines.append(f"targets: {{{targets}}}")
    path.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("assessments/example"))
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    write_assessment(args.out, args.seed)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
