"""maturity: how well an engineering organisation recovers from failure, from its own data.

The library behind the report notebooks and the ``maturity`` command:

- ``maturity.organisation``: the organisation's ``assessment.yaml``
- ``maturity.ingest.incidents``: exports -> canonical incident records + the row ledger
- ``maturity.measures.engine``: the standard's key measures per team and quarter
- ``maturity.reporting.charts``: Altair chart builders; ``maturity.reporting.render``: offline HTML
- ``maturity.reporting.review``: the quarterly review (papermill fan-out); ``maturity.cli``
"""

from __future__ import annotations

__version__ = "0.1.0"
