"""Stage 1, ingest: incident exports in, canonical incident records and the row ledger out.

- ``incidents``: ``load_incidents`` and ``IncidentSet`` (records + ledger: used, excluded,
  rejected, each row with its reason)
- ``formats/``: one module per export format (PagerDuty, Opsgenie, Jira, ServiceNow,
  incident.io, Rootly, FireHydrant, generic) mapping its columns to the canonical record
- ``record``: the canonical record's columns
- ``spreadsheets``: CSV and XLSX files to raw text cells, safely
- ``cells``: parsing of cell text (timestamps, durations, severities, flags)
- ``cache``: normalised exports kept as Parquet, keyed by content, settings and code
"""
