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
        "confidence_level": stats.CONFIDENCE,
        "confidence_method": (
            "the shortest distribution-free order-statistic interval (binomial law) whose "
            "coverage is at least the confidence level, tails may be unequal; null where "
            "none exists in the sample"
        ),
        "change_test": (
            "Mann-Whitney rank test of the quarter's recovery times against the earlier "
            "quarter's: mid-ranks for ties, tie-corrected variance, continuity correction, "
            "normal approximation, two-sided; its false-alarm rate holds for tied, rounded "
            "and zero durations"
        ),
        "change_effect": (
            "ratio: Hodges-Lehmann estimate of the change of scale (median of the now/then "
            "ratios over every pair of incidents; on a grid of a minute or coarser each "
            "recorded duration is spread over its cell), ratio_ci: the ratios the test "
            f"does not reject at {stats.CONFIDENCE:.0%}"
        ),
        "verdict_rule": (
            f"improved or worsened only where q_value < {stats.FALSE_DISCOVERY_RATE} (what "
            "every report means by 'beyond noise'), in the direction of the test; "
            f"insufficient_data under {stats.MIN_RESOLVED} resolved incidents in either "
            "quarter"
        ),
        "multiple_testing": (
            "Benjamini-Hochberg q_value across the teams of each period and lag (ALL is a "
            "family of its own, so its q equals its p); at most one in ten teams named as "
            "movers is expected to be a fluke"
        ),
        "min_detectable": (
            f"smallest drop (as a ratio) the test finds {stats.POWER:.0%} of the time at "
            f"alpha {stats.ALPHA} two-sided, for a team tested alone: Noether's power "
            "formula on the two quarters pooled, durations re-recorded on their grid"
        ),
        "min_detectable_power": stats.POWER,
        "min_detectable_alpha": stats.ALPHA,
        "insufficient_below_resolved": stats.MIN_RESOLVED,
        "slo_attainment_minimum": stats.MIN_RESOLVED,
        "km_median": (
            "Kaplan-Meier, open incidents censored at as_of; the middle of the stretch "
            "where the curve sits at one half; null when more than half are open"
        ),
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


#: Parts of a change kept to three significant digits: small p-values and ratios near 1
#: keep their meaning, where two decimals would round them to 0 or 1.
_SIGNIFICANT = ("ratio", "min_detectable", "min_detectable_rise", "p_value", "q_value")


def _significant(value: Any) -> float | None:
    clean = _clean(value, 12)
    return None if clean is None else float(f"{clean:.3g}")


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
    pairs (``mttr_median_ci``), changes become objects (``change_qoq``: verdict, ratio and
    its ``ratio_ci`` pair, min_detectable, p_value, q_value) and SLO attainment per severity
    an object keyed by severity.
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
            if key.startswith("change_"):
                _, span, *rest = key.split("_")
                part = "_".join(rest)
                change = record.setdefault(f"change_{span}", {})
                if part == "ratio_high":
                    continue  # written with ratio_low, as one pair
                if part == "ratio_low":
                    low = _significant(raw[key])
                    high = _significant(raw[f"change_{span}_ratio_high"])
                    change["ratio_ci"] = None if low is None or high is None else [low, high]
                elif part in _SIGNIFICANT:
                    change[part] = _significant(raw[key])
                else:
                    change[part] = value
            elif key.endswith("_ci_low") or key.endswith("_ci_high"):
                name = key.rsplit("_", 1)[0]
                low, high = _clean(raw[f"{name}_low"], digits), _clean(raw[f"{name}_high"], digits)
                record[name] = None if low is None else [low, high]
            elif key.startswith("slo_sev"):
                level, _, part = key[len("slo_sev") :].partition("_")
                slo.setdefault(level, {})[part] = value
            else:
                record[key] = value
        if slo:
            record["slo_attainment_by_severity"] = slo
        records.append(record)
    return records
