"""The measures as JSON-ready records (DESIGN.md's ``measures`` shape), and a statement of
how they were computed (the JSON's ``statistics``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from maturity.measures import stats
from maturity.measures.engine import MeasureSettings


def describe(settings: MeasureSettings) -> dict[str, Any]:
    """How the statistics were computed, for the JSON output and the reports."""
    dora = settings.dora
    return {
        "durations": "minutes",
        "confidence_level": 0.90,
        "confidence_method": "exact bootstrap percentile interval (order statistics)",
        "change_test": f"Welch t-test on log durations, two-sided, alpha {stats.ALPHA}",
        "min_detectable_power": stats.POWER,
        "insufficient_below_resolved": stats.MIN_RESOLVED,
        "km_censoring": "open incidents censored at the quarter's end or at as_of",
        "dora_bands": {
            "year": dora.year,
            "elite_below": dora.elite,
            "high_below": dora.high,
            "medium_below": dora.medium,
            "source": dora.source,
        },
        "slo_minutes": {str(k): v for k, v in sorted(settings.slo_minutes.items())},
        "as_of": None if settings.as_of is None else pd.Timestamp(settings.as_of).isoformat(),
    }


def _clean(value: Any, digits: int) -> Any:
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else round(float(value), digits)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if value is pd.NA:
        return None
    return value


def to_records(table: pd.DataFrame, digits: int = 2) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (DESIGN.md's ``measures`` shape).

    NaN becomes None and floats are rounded; confidence intervals become ``[low, high]``
    pairs (``mttr_median_ci``), changes become objects (``change_qoq``: verdict, ratio,
    min_detectable, p_value) and SLO attainment per severity an object keyed by severity.
    """
    records = []
    for raw in table.to_dict(orient="records"):
        record: dict[str, Any] = {}
        slo: dict[str, dict[str, Any]] = {}
        for key, value in raw.items():
            value = _clean(value, digits)
            if key.endswith("_ci_low") or key.endswith("_ci_high"):
                name = key.rsplit("_", 1)[0]
                low, high = _clean(raw[f"{name}_low"], digits), _clean(raw[f"{name}_high"], digits)
                record[name] = None if low is None else [low, high]
            elif key.startswith("change_"):
                _, span, *rest = key.split("_")
                part = "_".join(rest)
                if part == "p_value" and value is not None:
                    value = float(f"{raw[key]:.3g}")  # small p-values keep their digits
                record.setdefault(f"change_{span}", {})[part] = value
            elif key.startswith("slo_sev"):
                level, _, part = key[len("slo_sev") :].partition("_")
                slo.setdefault(level, {})[part] = value
            else:
                record[key] = value
        if slo:
            record["slo_attainment_by_severity"] = slo
        records.append(record)
    return records
