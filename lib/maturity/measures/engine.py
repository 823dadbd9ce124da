"""The standard's key measures and their statistics, per team (or team and severity, or
team and service) and quarter, plus team ``ALL`` for the whole organisation.

Definitions (DESIGN.md "The key measures"); every duration is in **minutes**:

==========================  ===================================================================
``incidents``               incidents detected in the quarter (used rows of the ledger)
``resolved``, ``open``      of those, with and without ``resolved_at``
``mttr``                    mean of ``resolved_at - detected_at`` over resolved incidents (the
                            standard's MTTR; long-tailed, so read it beside the median)
``mttr_median``             median of the same
``mttr_p90``                90th percentile of the same, linear interpolation
``detect_median``           median ``detected_at - started_at``
``escalate_median``         median ``acknowledged_at - detected_at``
``respond_median``          median ``mitigated_at - acknowledged_at``
``fix_median``              median ``resolved_at - mitigated_at``
``runbook_usage_rate``      share of resolved incidents with ``runbook_used`` true, among the
                            resolved incidents where it is known (0 to 1)
``automation_coverage``     the same for ``automated_recovery``
``pir_rate``                the same for ``review_done``
``comms_latency_median``    median ``notified_at - detected_at``
==========================  ===================================================================

Each phase median uses the incidents that have both of its timestamps; a phase that ends
before it starts (mitigated before acknowledged: automation stopped the impact before a
person acknowledged) counts as 0 minutes, never dropped, and ``data_trust`` counts it as out
of order (``maturity.measures.trust``). Every figure has its count beside it
(``<measure>_n``). A measure with no data is null (NaN here, ``null`` in JSON), never 0.

Statistics (``maturity.measures.stats`` says how each is computed):

``mttr_median_ci_low/high``, ``mttr_p90_ci_low/high``
    90% distribution-free interval of the median and 90th percentile: the shortest pair of
    order statistics whose coverage, from the binomial law, is at least 90% for any
    distribution (tails may be unequal); null where no such interval exists in the sample
    (the median under 5 incidents, the 90th percentile under 22).
``km_median``
    Kaplan-Meier median time to recover, counting open incidents as still running
    (censored at the data's as-of time: ``as_of`` in assessment.yaml, else the latest
    timestamp in the data, ``effective_as_of``); the middle of the stretch where the curve
    sits at exactly one half, so it equals ``mttr_median`` when nothing is open; null when
    more than half are still open or the curve does not reach one half.
``insufficient_data``
    fewer than 10 resolved incidents: figures are indications, not trends.
``change_qoq_*``, ``change_yoy_*``
    the quarter against the one before and the same quarter a year before, by the
    Mann-Whitney rank test (``stats.compare``): ``verdict`` (``improved`` / ``worsened``
    only where ``q_value`` < 0.10), ``ratio`` (the Hodges-Lehmann ratio now / then, the
    effect the test measures) with ``ratio_low`` / ``ratio_high`` (90%),
    ``min_detectable`` and ``min_detectable_rise``, ``p_value``, and ``q_value``:
    Benjamini-Hochberg across the teams of the period and lag (``ALL`` is its own family).
``dora_band``
    elite / high / medium / low from ``mttr_median`` (bands and their report year in
    ``MeasureSettings.dora``).
``slo_attainment``
    share of incidents whose severity has a target (``slo_minutes``) that recovered within
    it; an open incident already past its target counts as missed, one not yet past it is
    left out; null under 10 such incidents (``_n`` still counts them). Per severity:
    ``slo_sev<N>_attainment`` and ``_n``, with the same minimum.
``incidents_per_week``
    incidents / (days in the quarter / 7).
``impact_minutes``
    total minutes of impact over resolved incidents: from ``started_at`` (else
    ``detected_at``) to ``mitigated_at`` (else ``resolved_at``).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from maturity.measures import stats
from maturity.measures.definitions import (
    ALL_TEAMS,
    BREAKDOWNS,
    CHANGES,
    MEASURES,
    PHASES,
    RATES,
)
from maturity.measures.trust import trust_table
from maturity.periods import local_midnight, parse_quarter, quarter_range

NO_VALUE = "(none)"
_TIMESTAMPS = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at",
               "notified_at")  # fmt: skip


@dataclass(frozen=True)
class MeasureSettings:
    """What the statistics depend on beyond the incidents themselves.

    ``timezone``: the organisation's, for quarter ends. ``slo_minutes``: recovery targets by
    severity. ``dora``: the time-to-restore bands. ``as_of``: when the data were exported;
    open incidents are censored there at the latest (default: the latest timestamp in the
    data).
    """

    timezone: str = "UTC"
    slo_minutes: Mapping[int, float] = field(default_factory=dict)
    dora: stats.DoraBands = field(default_factory=stats.DoraBands)
    as_of: pd.Timestamp | None = None

    @classmethod
    def from_organisation(cls, assessment: Any) -> MeasureSettings:
        dora = stats.DoraBands(**assessment.dora_bands) if assessment.dora_bands else None
        return cls(
            timezone=assessment.timezone,
            slo_minutes=dict(assessment.slo_minutes),
            dora=dora or stats.DoraBands(),
            as_of=assessment.as_of,
        )


def minutes_between(end: pd.Series, start: pd.Series) -> pd.Series:
    """``end - start`` in minutes (float; NaN where either is missing)."""
    return (end - start).dt.total_seconds() / 60.0


def recovery_minutes(incidents: pd.DataFrame) -> pd.Series:
    """Time to recover of each incident: ``resolved_at - detected_at`` in minutes (NaN if open)."""
    return minutes_between(incidents["resolved_at"], incidents["detected_at"])


def _epoch_minutes(column: pd.Series) -> np.ndarray:
    """UTC timestamps as float minutes since 1970 (NaN for missing): fast arithmetic."""
    values = column.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT"))
    ints = values.view(np.int64).astype(float)
    ints[np.isnat(values)] = np.nan
    return ints / 60e9


def quarter_bounds(quarters: list[str], timezone: str) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of each quarter on the organisation's clock, in epoch minutes."""
    starts, ends = [], []
    for quarter in quarters:
        period = parse_quarter(quarter)
        start = local_midnight(pd.Timestamp(period.start_time), timezone)
        end = local_midnight(pd.Timestamp((period + 1).start_time), timezone)
        starts.append(start.value / 60e9)
        ends.append(end.value / 60e9)
    return np.array(starts), np.array(ends)


@dataclass(frozen=True)
class _Rows:
    """Per-incident arrays (minutes), computed once and shared by every grouping."""

    recovery: np.ndarray
    recovery_filled: np.ndarray  # 0 where open, for sums
    is_resolved: np.ndarray
    resolved_weight: np.ndarray  # is_resolved as 1.0 / 0.0, ready for sums
    flags_known: dict[str, np.ndarray]  # 1.0 where the flag is known
    flags_filled: dict[str, np.ndarray]  # the flag, 0.0 where unknown
    phases: pd.DataFrame  # one column per phase, NaN where missing or negative
    flags: dict[str, np.ndarray]  # 1.0 / 0.0 / NaN (unknown or unresolved)
    km_times: np.ndarray  # recovery, or minutes open so far (censored)
    km_order: np.ndarray  # argsort of km_times, recoveries first among ties
    slo_met: np.ndarray  # within its severity's target; False where unknown
    slo_known: np.ndarray  # resolved, or open and already past its target
    slo_severity: np.ndarray  # 0 where the severity has no target
    impact_filled: np.ndarray  # 0 where open


def effective_as_of(incidents: pd.DataFrame, settings: MeasureSettings) -> pd.Timestamp | None:
    """When the data were taken: ``settings.as_of``, else the latest timestamp in the data
    (None without any). Open incidents are censored here; a quarter still running ends
    here for rates per week."""
    if settings.as_of is not None:
        return pd.Timestamp(settings.as_of).tz_convert("UTC")
    latest = [incidents[c].max() for c in _TIMESTAMPS if incidents[c].notna().any()]
    return pd.Timestamp(max(latest)).tz_convert("UTC") if latest else None


def _rows(incidents: pd.DataFrame, settings: MeasureSettings, as_of: float) -> _Rows:
    """Per-incident arrays; ``as_of`` (epoch minutes, NaN for none) censors open ones."""
    minutes = {c: _epoch_minutes(incidents[c]) for c in _TIMESTAMPS}
    detected, resolved_at = minutes["detected_at"], minutes["resolved_at"]
    recovery = resolved_at - detected
    is_resolved = ~np.isnan(recovery)
    # Open incidents are still running: censored at the data's as-of time, the moment the
    # exports were taken; a resolved incident keeps its full duration however late.
    open_for = np.where(is_resolved, np.nan, np.maximum(as_of - detected, 0.0))
    km_times = np.where(is_resolved, recovery, open_for)
    with ThreadPoolExecutor(max_workers=1) as sorter:
        # The one big sort runs beside the rest of the preparation (numpy sorts release the GIL).
        km_order = sorter.submit(stats.event_first_order, km_times, is_resolved)
        phases = {}
        for phase in PHASES:
            # A phase that ends before it starts (mitigated before acknowledged: automation
            # stopped the impact before anyone looked) took no time: 0, never dropped;
            # ``data_trust`` counts it as out of order.
            duration = minutes[phase.end] - minutes[phase.start]
            phases[phase.name] = np.maximum(duration, 0.0)
        flags = {}
        for rate in RATES:
            known = incidents[rate.flag].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            known[~is_resolved] = np.nan
            flags[rate.measure] = known
        impact_start = np.where(np.isnan(minutes["started_at"]), detected, minutes["started_at"])
        impact_end = np.where(
            np.isnan(minutes["mitigated_at"]), resolved_at, minutes["mitigated_at"]
        )
        filled = np.nan_to_num(recovery)
        prepared = {
            "recovery": recovery,
            "recovery_filled": filled,
            "is_resolved": is_resolved,
            "resolved_weight": is_resolved.astype(float),
            "flags_known": {k: (~np.isnan(v)).astype(float) for k, v in flags.items()},
            "flags_filled": {k: np.nan_to_num(v) for k, v in flags.items()},
            "phases": pd.DataFrame(phases),
            "flags": flags,
            "km_times": km_times,
            **_slo_rows(incidents, recovery, open_for, settings.slo_minutes),
            "impact_filled": np.where(is_resolved, np.maximum(impact_end - impact_start, 0.0), 0.0),
        }
        return _Rows(km_order=km_order.result(), **prepared)


class Tally:
    """Per-group sums of weights (counts without them) for one grouping; code -1 (no
    group) is dropped. Shifting the codes by one and dropping bin 0 spares a masked copy
    of every array; the shifted codes are computed once per grouping."""

    def __init__(self, codes: np.ndarray, groups: int) -> None:
        self.shifted, self.groups = codes + 1, groups

    def __call__(self, weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(self.shifted, weights, minlength=self.groups + 1)[1:]


def _grouped(
    rows: _Rows, codes: np.ndarray, groups: int, group_quarter: np.ndarray,
    weeks: np.ndarray, settings: MeasureSettings, strata: np.ndarray | None = None,
) -> dict[str, np.ndarray]:  # fmt: skip
    """Every measure for one grouping: ``codes`` gives each incident's group (-1: none).
    ``strata``: for a grouping of several teams (the organisation), each incident's team
    code, so that changes compare every team with itself (``stats.compare``)."""
    out: dict[str, np.ndarray] = {}
    tally = Tally(codes, groups)
    count = tally()
    resolved = tally(rows.resolved_weight).astype(np.int64)
    out["incidents"], out["resolved"], out["open"] = count, resolved, count - resolved
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mttr"] = tally(rows.recovery_filled) / resolved

    # One sort serves both: open incidents' times, then recoveries alone, within each group.
    order, km_counts, km_starts = stats.group_order(rows.km_times, codes, groups, rows.km_order)
    out["km_median"] = stats.kaplan_meier_median_sorted(
        rows.km_times[order], rows.is_resolved[order], km_counts, km_starts
    )
    recovered_order = order[rows.is_resolved[order]]
    counts = np.bincount(codes[recovered_order], minlength=groups)
    recovered = stats.Sorted(
        rows.recovery[recovered_order], np.concatenate(([0], np.cumsum(counts)[:-1])), counts
    )
    out["mttr_median"] = stats.quantile(recovered, 0.5)
    out["mttr_p90"] = stats.quantile(recovered, 0.9)
    for name, p in (("mttr_median", 0.5), ("mttr_p90", 0.9)):
        interval = stats.quantile_ci(recovered, p)
        out[f"{name}_ci_low"], out[f"{name}_ci_high"] = interval[:, 0], interval[:, 1]
    out["mttr_n"] = recovered.counts

    phases = rows.phases.groupby(codes)
    medians = phases.median().reindex(range(groups))
    phase_counts = phases.count().reindex(range(groups), fill_value=0)
    for phase in PHASES:
        out[phase.measure] = medians[phase.name].to_numpy()
        out[f"{phase.measure}_n"] = phase_counts[phase.name].to_numpy()

    for rate in rows.flags:
        n = tally(rows.flags_known[rate]).astype(np.int64)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[rate] = tally(rows.flags_filled[rate]) / n
        out[f"{rate}_n"] = n

    # The verdicts and q-values follow in ``_decide``, once every grouping's p-values are in.
    changes = _Changes(rows, codes, groups, group_quarter, recovered, strata)
    for lag in CHANGES:
        change = changes.compare(lag.quarters)
        for part in ("ratio", "ratio_low", "ratio_high", "min_detectable",
                     "min_detectable_rise", "p_value"):  # fmt: skip
            out[f"change_{lag.name}_{part}"] = getattr(change, part)

    out["insufficient_data"] = resolved < stats.MIN_RESOLVED
    # A band is a claim about the typical incident: not from fewer than 10 resolved.
    out["dora_band"] = settings.dora.band(
        np.where(resolved >= stats.MIN_RESOLVED, out["mttr_median"], np.nan)
    )
    _slo(out, rows, codes, groups, settings.slo_minutes)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["incidents_per_week"] = np.where(
            weeks[group_quarter] > 0, count / weeks[group_quarter], np.nan
        )
    out["impact_minutes"] = np.where(resolved > 0, tally(rows.impact_filled), np.nan)
    out["impact_minutes_n"] = resolved
    return out


class _Changes:
    """The comparisons of one grouping with its earlier quarters. Without strata each group
    is compared with the same unit's group ``lag`` quarters before; with strata (the
    organisation), each group's teams are compared team by team and combined."""

    def __init__(
        self,
        rows: _Rows,
        codes: np.ndarray,
        groups: int,
        group_quarter: np.ndarray,
        recovered: stats.Sorted,
        strata: np.ndarray | None,
    ) -> None:
        self.groups, self.group_quarter, self.recovered = groups, group_quarter, recovered
        self.strata: tuple[stats.Sorted, np.ndarray, np.ndarray, int] | None = None
        if strata is None:
            return
        # One stratum per (group, team) that has a resolved incident; team -1 (none) is
        # a stratum of its own.
        width = int(strata.max(initial=-1)) + 2
        key = np.where((codes >= 0) & rows.is_resolved, codes * width + strata + 1, -1)
        present = np.unique(key[key >= 0])
        stratum = np.where(key >= 0, np.searchsorted(present, key), -1)
        order, counts, starts = stats.group_order(rows.km_times, stratum, len(present),
                                                  rows.km_order)  # fmt: skip
        sorted_ = stats.Sorted(rows.km_times[order], starts, counts)
        self.strata = (sorted_, present, present // width, width)

    def compare(self, lag: int) -> stats.Change:
        earlier = np.where(self.group_quarter >= lag, np.arange(self.groups) - lag, -1)
        if self.strata is None:
            return stats.compare(self.recovered, self.recovered.regroup(earlier))
        sorted_, present, group_of, width = self.strata
        # The same team lag quarters before (the groups of one unit are consecutive).
        wanted = present - lag * width
        found = np.searchsorted(present, wanted)
        found = np.minimum(found, len(present) - 1)
        same = (present[found] == wanted) & (self.group_quarter[group_of] >= lag)
        then = sorted_.regroup(np.where(same, found, -1))
        resolved = self.recovered.counts
        enough = (resolved >= stats.MIN_RESOLVED) & (
            np.where(earlier >= 0, resolved[np.maximum(earlier, 0)], 0) >= stats.MIN_RESOLVED
        )
        return stats.compare(sorted_, then, test_of=group_of, tests=self.groups, enough=enough)


def measures_by_team_quarter(
    incidents: pd.DataFrame,
    *,
    teams: list[str] | None = None,
    quarters: list[str] | None = None,
    by: str | None = None,
    settings: MeasureSettings | None = None,
) -> pd.DataFrame:
    """Every key measure and statistic per team (and ``by`` value) and quarter, plus ``ALL``.

    ``incidents`` is ``IncidentSet.incidents`` (needs ``team`` and ``quarter``). Without
    ``by``, rows cover every team in ``teams`` (default: those with incidents) and every
    quarter in ``quarters`` (default: the first to the last with incidents), so a quarter
    without incidents shows ``incidents`` 0 and null measures rather than vanishing. With
    ``by="severity"`` or ``"service"``, rows cover the (team, value) pairs that occur.
    Sorted by team (``ALL`` first), ``by`` value, then quarter.
    """
    settings = settings or MeasureSettings()
    if by is not None and by not in BREAKDOWNS:
        raise ValueError(f"by must be one of {BREAKDOWNS}, not {by!r}")
    if teams is None:
        teams = sorted(incidents["team"].dropna().unique())
    if quarters is None:
        present = sorted(incidents["quarter"].dropna().unique())
        quarters = quarter_range(present[0], present[-1]) if present else []
    n_quarters = len(quarters)
    # -1 for a team or quarter outside the table (a row with no team still counts for ALL)
    team_code = _positions(incidents["team"], teams)
    quarter_code = _positions(incidents["quarter"], quarters)
    if by is None:
        by_code = np.zeros(len(incidents), np.int64)
        by_labels: list[Any] = [None]
    else:
        values = incidents[by].astype("string").fillna(NO_VALUE).to_numpy(dtype=object)
        by_code, uniques = pd.factorize(values, sort=True)
        by_labels = list(uniques)
        if by == "severity":
            by_labels = [int(v) if v != NO_VALUE else NO_VALUE for v in by_labels]

    as_of = effective_as_of(incidents, settings)
    as_of_minutes = np.nan if as_of is None else as_of.value / 60e9
    rows = _rows(incidents, settings, as_of_minutes)
    starts, ends = quarter_bounds(quarters, settings.timezone)
    # A quarter still running when the data were taken counts its weeks so far.
    if as_of is not None:
        ends = np.minimum(ends, as_of_minutes)
    weeks = np.maximum(ends - starts, 0.0) / (7 * 24 * 60)

    def level(labels: list[str], level_team: np.ndarray, strata: np.ndarray | None) -> pd.DataFrame:
        in_level = (level_team >= 0) & (quarter_code >= 0)
        if by is None:  # every team gets rows, with or without incidents
            units = np.arange(len(labels))
            unit_of_row = np.where(in_level, level_team, -1)
        else:  # only the (team, value) pairs that occur
            pair = level_team * len(by_labels) + by_code
            unit_of_row = np.full(len(incidents), -1, np.int64)
            found, units = pd.factorize(pair[in_level], sort=True)
            unit_of_row[in_level] = found
        codes = np.where(in_level, unit_of_row * n_quarters + quarter_code, -1)
        group_quarter = np.tile(np.arange(n_quarters), len(units))
        out = _grouped(rows, codes, len(units) * n_quarters, group_quarter, weeks, settings,
                       strata)  # fmt: skip
        units = np.asarray(units)
        frame = pd.DataFrame(
            {"team": np.repeat(np.array(labels, dtype=object)[units // len(by_labels)], n_quarters)}
        )
        if by is not None:
            frame[by] = np.repeat(
                np.array(by_labels, dtype=object)[units % len(by_labels)], n_quarters
            )
        frame["period"] = np.tile(np.array(quarters, dtype=object), len(units))
        return pd.concat([frame, pd.DataFrame(out)], axis=1)

    # The organisation (ALL) and its teams are two groupings of the same rows, computed side
    # by side: numpy's sorts and counts and pandas' grouped medians release the GIL, so on
    # a machine with two cores each grouping gets one.
    # The organisation's changes compare teams with themselves: its strata are the teams.
    levels = (
        ([ALL_TEAMS], np.zeros(len(incidents), np.int64), team_code),
        (teams, team_code, None),
    )
    with ThreadPoolExecutor(max_workers=2) as pool:
        frames = list(pool.map(lambda args: level(*args), levels))
    table = _decide(pd.concat(frames, ignore_index=True))
    if by is not None:
        table = table[table["incidents"] > 0].reset_index(drop=True)
        return table[_column_order(table, by)]
    # How far each row's timestamps can be trusted (``maturity.measures.trust``).
    trust = trust_table(incidents, teams, quarters, settings.timezone, ALL_TEAMS)
    table = table.merge(trust, on=["team", "period"], how="left", sort=False)
    return table[_column_order(table, by)]


def _decide(table: pd.DataFrame) -> pd.DataFrame:
    """Each change's q-value and verdict. One family per period and lag: every comparison
    the period reports, the teams' (or team and breakdown values') and the organisation's,
    so that with hundreds of teams neither a team nor the organisation is called a mover by
    chance more than one time in ten (a one-team organisation's q is its p: its team and
    the organisation then ask the same question)."""
    families = pd.factorize(table["period"])[0]
    for lag in CHANGES:
        name = f"change_{lag.name}"
        p_value = table[f"{name}_p_value"].to_numpy(dtype=float)
        q_value = stats.benjamini_hochberg(p_value, families)
        ratio = table[f"{name}_ratio"].to_numpy(dtype=float)
        table[f"{name}_verdict"] = stats.verdicts(p_value, q_value, ratio)
        table[f"{name}_q_value"] = q_value
    return table


def _slo_rows(
    incidents: pd.DataFrame,
    recovery: np.ndarray,
    open_for: np.ndarray,
    slo_minutes: Mapping[int, float],
) -> dict[str, np.ndarray]:
    """Per incident: did it meet its severity's recovery target, and is that known yet?"""
    severity = incidents["severity"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    target = np.full(len(severity), np.nan)
    for level, minutes in slo_minutes.items():
        target[severity == level] = minutes
    met = recovery <= target
    known = met | (recovery > target) | (open_for > target)
    with_target = np.where(np.isnan(target), 0, np.nan_to_num(severity)).astype(np.int64)
    return {"slo_met": met, "slo_known": known, "slo_severity": with_target}


def _slo(
    out: dict[str, np.ndarray],
    rows: _Rows,
    codes: np.ndarray,
    groups: int,
    slo_minutes: Mapping[int, float],
) -> None:
    """SLO attainment overall and per severity with a target (see the module docstring)."""
    met = rows.slo_met & rows.slo_known
    tally = Tally(codes, groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        n = tally(rows.slo_known).astype(np.int64)
        # A share of a handful says little: none under the same minimum as the medians.
        out["slo_attainment"] = np.where(n >= stats.MIN_RESOLVED, tally(met) / n, np.nan)
        out["slo_attainment_n"] = n
        # One pass for every severity: group x severity (1-5) cells.
        cell = np.where(codes >= 0, codes * 6 + rows.slo_severity, -1)
        by_cell = Tally(cell, groups * 6)
        n_cell = by_cell(rows.slo_known).reshape(groups, 6)
        met_cell = by_cell(met).reshape(groups, 6)
        for level in sorted(slo_minutes):
            share = met_cell[:, level] / n_cell[:, level]
            out[f"slo_sev{level}_attainment"] = np.where(
                n_cell[:, level] >= stats.MIN_RESOLVED, share, np.nan
            )
            out[f"slo_sev{level}_n"] = n_cell[:, level].astype(np.int64)
            out[f"slo_sev{level}_target"] = np.full(groups, float(slo_minutes[level]))


def _positions(values: pd.Series, labels: list[str]) -> np.ndarray:
    """Each value's position in ``labels``, -1 where absent (hashing each distinct value once)."""
    codes, uniques = pd.factorize(values)
    lookup = np.append(pd.Index(labels, dtype=object).get_indexer(uniques.astype(object)), -1)
    return lookup[codes].astype(np.int64)  # code -1 (missing) takes the appended -1


def _column_order(table: pd.DataFrame, by: str | None) -> list[str]:
    keys = ["team", *([by] if by else []), "period"]
    first = [*keys, *MEASURES]
    return first + [c for c in table.columns if c not in first]
