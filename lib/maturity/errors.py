"""User-facing errors.

Every mistake a user can make (a missing file, an unknown format, bad YAML, a quarter with no
data) raises a subclass of :class:`MaturityError` whose message is one line that names the
problem and, where it helps, what to do. The CLI prints that line and exits with code 2;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class MaturityError(Exception):
    """A problem with the user's input, reported as one line."""

    exit_code = 2


class InputFileError(MaturityError):
    """An input file is missing, unreadable, empty or of an unknown layout."""


class ConfigError(MaturityError):
    """``assessment.yaml`` or an answers file is malformed."""


class NoUsableDataError(MaturityError):
    """The files load, but no row is usable."""

    exit_code = 1


class PeriodError(MaturityError):
    """A quarter is malformed or has no data."""
