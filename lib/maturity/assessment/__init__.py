"""Stage 3, assessment: questionnaire answers and incident facts in, maturity scores out.

- ``rubric`` (and ``rubrics/mttr.yaml``): the standard's statements and evidence rules
- ``answers``: answers files (YAML, or the workbook) read and validated
- ``questionnaire``: the questionnaire workbook a team fills in
- ``evidence``: facts from a team's incidents that can contradict a claim
- ``scoring``: levels and scores, claimed and supported by evidence, recommendations
- ``maturity``: every team of an organisation assessed for a quarter, with history
"""
