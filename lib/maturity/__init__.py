"""maturity: how well an engineering organisation recovers from failure, from its own data.

The library behind the report notebooks and the ``maturity`` command:

- ``maturity.config``: the organisation's ``assessment.yaml``
- ``maturity.incidents``: exports -> canonical incident records + the row ledger
- ``maturity.measures``: the standard's key measures per team and quarter
- ``maturity.charts``: Altair chart builders; ``maturity.render``: offline HTML
- ``maturity.review``: the quarterly review (papermill fan-out); ``maturity.cli``
"""

from __future__ import annotations

__version__ = "0.1.0"
