"""The measures as JSON-ready records (DESIGN.md's ``measures`` shape), and a statement of
how they were computed (the JSON's ``statistics``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from maturity.measures import stats
from maturity.measures.engine import MeasureSettings
from maturity.measures.trust import profile as trust_profile


def describe(settings: MeasureSettings, as_of: pd.Timestamp | None = None) -> dict[str, Any]:
    """How the statistics were computed, for the JSON output and the reports. ``as_of``:
    the effective as-of time (``engine.effective_as_of``), when it differs from the
    settings'."""
    dora = settings.dora
    return {
        "durations": "minutes",
        "confidence_level": 0.90,
        "confidence_method": (
            "distribution-free order-statistic interval (binomial), coverage at least the "
            "confidence level; null where none exists in the sample"
        ),
        "change_test": (
            "ratio of medians, log scale, McKean-Schrader standard errors (Price and Bonett "
            f"2002), two-sided, alpha {stats.ALPHA}; ratio is the effect the test measures"
        ),
        "multiple_testing": (
            "Benjamini-Hochberg q_value across the teams of each period and lag; the "
            "portfolio names movers at q < 0.10"
        ),
        "min_detectable_power": stats.POWER,
        "insufficient_below_resolved": stats.MIN_RESOLVED,
        "km_censoring": "open incidents censored at as_of, when the data were taken",
        "dora_bands": {
            "year": dora.year,
            "elite_below": dora.elite,
            "high_below": dora.high,
            "medium_below": dora.medium,
            "source": dora.source,
        },
        "slo_minutes": {str(k): v for k, v in sorted(settings.slo_minutes.items())},
        "as_of": _iso(as_of if as_of is not None else settings.as_of),
    }


def _iso(stamp: pd.Timestamp | None) -> str | None:
    return None if stamp is None else pd.Timestamp(stamp).tz_convert("UTC").isoformat()


def _clean(value: Any, digits: int) -> Any:
    """A JSON-safe value: NaN and infinities become None (strict JSON has neither)."""
    if isinstance(value, float | np.floating):
        return None if not math.isfinite(value) else round(float(value), digits)
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
            if key.startswith("trust_"):
                if "data_trust" not in record:
                    record["data_trust"] = trust_profile(raw)
                continue
            value = _clean(value, digits)
            if key.endswith("_ci_low") or key.endswith("_ci_high"):
                name = key.rsplit("_", 1)[0]
                low, high = _clean(raw[f"{name}_low"], digits), _clean(raw[f"{name}_high"], digits)
                record[name] = None if low is None else [low, high]
            elif key.startswith("change_"):
                _, span, *rest = key.split("_")
                part = "_".join(rest)
                if part in ("p_value", "q_value") and value is not None:
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
