"""Stage 2, measures: canonical incidents in, key measures and their statistics out.

- ``definitions``: the measures, lifecycle phases, practice rates and change lags (one home
  for each table the rest of the package shares)
- ``engine``: ``measures_by_team_quarter``, vectorised over every team and quarter
- ``stats``: the statistics behind it (intervals, Kaplan-Meier, tests for change, DORA)
- ``records``: the measures as JSON-ready records, and how they were computed

Pure computation: nothing here reads a file.
"""
