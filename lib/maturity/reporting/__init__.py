"""Stage 4, reporting: measures and assessments in, offline HTML, PDF and the review out.

- ``quarter``: what a report starts from (``TeamQuarter``, ``ReviewQuarter``)
- ``formatting``: figures for people (durations, shares, intervals)
- ``html``: the escaping HTML kit every block uses (markupsafe ``Markup``)
- ``team_report``, ``portfolio_report``, ``explore``: the blocks the notebooks of the same
  names display
- ``charts`` and ``theme``: Altair chart builders and the house theme
- ``notebook_record``: the headline numbers a report notebook stores for tests and audit
- ``render``: offline charts in notebooks; executed notebooks to HTML and PDF
- ``execute``: runs a report notebook (papermill), finding it in a checkout or the wheel
- ``review``: the quarterly review over every team
- ``worker``: what a review's worker process runs: one report's job in, its files out
"""
