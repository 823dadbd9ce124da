"""Figures for people: durations, shares and intervals as report text.

Every formatter takes a value that may be missing (None or NaN) and gives ``MISSING``
("—") for it, never 0.
"""

from __future__ import annotations

import math

MISSING = "—"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_minutes(minutes: float | None) -> str:
    """A duration for people: ``42 min``, ``3.5 h``, ``2.1 d`` (``—`` for no data)."""
    if minutes is None or _missing(minutes):
        return MISSING
    if minutes < 90:
        return f"{minutes:.0f} min"
    if minutes < 48 * 60:
        return f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.1f} d"


def format_share(share: float | None) -> str:
    """A share for people: ``42%`` (``—`` for no data)."""
    if share is None or _missing(share):
        return MISSING
    return f"{share:.0%}"


def format_interval(interval: list[float] | None) -> str:
    """A 90% interval for people: ``90% CI 44 min–73 min`` (empty when there is none)."""
    if not interval:
        return ""
    low, high = (format_minutes(v) for v in interval)
    return f"90% CI {low}–{high}"


def format_range(interval: list[float] | None) -> str:
    """An interval's two ends for a table cell: ``44 min–73 min`` (``—`` when there is none)."""
    if not interval:
        return MISSING
    low, high = (format_minutes(v) for v in interval)
    return f"{low}–{high}"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 incident``, ``3 incidents``."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"
