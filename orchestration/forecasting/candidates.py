"""The candidate models a series can be forecast with, by name.

Each candidate is a statsforecast model built from a name, a season length and whether the
series is long enough for seasonal structure. A series competes among the configured
candidates of its family:

- ``continuous`` (smooth and erratic demand): AutoETS, DynamicOptimizedTheta, AutoCES,
  SeasonalNaive and HistoricAverage (the level model for a flat, noisy series);
- ``intermittent`` (intermittent and lumpy demand): CrostonOptimized, ADIDA, IMAPA, TSB and
  HistoricAverage. SeasonalNaive is left out: on zero-heavy series it forecasts last year's
  zeros, which an absolute-error backtest rewards by chance (measured worse out of sample).

The intermittent models (Croston's family, ADIDA, IMAPA, TSB) compete only for intermittent
and lumpy series: on a series with demand every month they reduce to a smoothed level, and
letting them compete there let a noisy backtest pick them for smooth real series where the
trend and season models forecast better (benchmarks/forecasting.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

ENSEMBLE = "Ensemble"
"""Name of the combination candidate: a weighted mean of several candidates (see ``selection``)."""

CONTINUOUS = "continuous"
INTERMITTENT = "intermittent"


@dataclass(frozen=True)
class Candidate:
    """How to build one statsforecast model, and what it supports."""

    name: str
    families: tuple[str, ...]
    build: Callable[[int], object]  # season length (1 = non-seasonal) -> model
    native_intervals: bool  # the model computes its own prediction intervals
    seasonal: bool  # needs at least two full seasons of history to be useful
    forward: bool  # supports statsforecast's ``forward`` (cross-validation without refit)


class _LazyModels:
    """statsforecast.models, imported on first use (the import compiles numba code for seconds;
    validating a candidate name on the command line should not wait for it)."""

    def __getattr__(self, name):
        from statsforecast import models

        return getattr(models, name)


sfm = _LazyModels()


def _tsb(_season_length: int):
    # TSB has no optimiser in statsforecast; 0.1/0.1 are the smoothing constants its authors
    # recommend for monthly spare-part style demand.
    return sfm.TSB(alpha_d=0.1, alpha_p=0.1, alias="TSB")


REGISTRY: dict[str, Candidate] = {
    c.name: c
    for c in (
        Candidate(
            "AutoETS",
            (CONTINUOUS,),
            lambda m: sfm.AutoETS(season_length=m, alias="AutoETS"),
            native_intervals=True,
            seasonal=False,
            forward=True,
        ),
        Candidate(
            "DynamicOptimizedTheta",
            (CONTINUOUS,),
            lambda m: sfm.DynamicOptimizedTheta(season_length=m, alias="DynamicOptimizedTheta"),
            native_intervals=True,
            seasonal=False,
            forward=True,
        ),
        Candidate(
            "AutoTheta",
            (CONTINUOUS,),
            lambda m: sfm.AutoTheta(season_length=m, alias="AutoTheta"),
            native_intervals=True,
            seasonal=False,
            forward=True,
        ),
        Candidate(
            "AutoCES",
            (CONTINUOUS,),
            lambda m: sfm.AutoCES(season_length=m, alias="AutoCES"),
            native_intervals=True,
            seasonal=False,
            # re-filtered with fixed parameters (forward) AutoCES's backtest forecasts explode on
            # many series (median backtest MASE 4 against 0.8 refitted, on 40 noisy seasonal
            # series): it is refitted at every origin
            forward=False,
        ),
        Candidate(
            "AutoARIMA",
            (CONTINUOUS,),
            lambda m: sfm.AutoARIMA(season_length=m, alias="AutoARIMA"),
            native_intervals=True,
            seasonal=False,
            forward=True,
        ),
        Candidate(
            "SESOpt",
            (CONTINUOUS,),
            lambda m: sfm.SimpleExponentialSmoothingOptimized(alias="SESOpt"),
            native_intervals=False,
            seasonal=False,
            forward=False,
        ),
        Candidate(
            "SeasonalNaive",
            (CONTINUOUS,),
            lambda m: sfm.SeasonalNaive(season_length=m, alias="SeasonalNaive"),
            native_intervals=True,
            seasonal=True,
            forward=True,
        ),
        Candidate(
            "Naive",
            (CONTINUOUS, INTERMITTENT),
            lambda m: sfm.Naive(alias="Naive"),
            native_intervals=True,
            seasonal=False,
            forward=True,
        ),
        Candidate(
            "HistoricAverage",
            (CONTINUOUS, INTERMITTENT),
            lambda m: sfm.HistoricAverage(alias="HistoricAverage"),
            native_intervals=True,
            seasonal=False,
            forward=False,
        ),
        Candidate(
            "CrostonOptimized",
            (INTERMITTENT,),
            lambda m: sfm.CrostonOptimized(alias="CrostonOptimized"),
            native_intervals=False,
            seasonal=False,
            forward=False,
        ),
        Candidate(
            "CrostonSBA",
            (INTERMITTENT,),
            lambda m: sfm.CrostonSBA(alias="CrostonSBA"),
            native_intervals=False,
            seasonal=False,
            forward=False,
        ),
        Candidate(
            "ADIDA",
            (INTERMITTENT,),
            lambda m: sfm.ADIDA(alias="ADIDA"),
            native_intervals=False,
            seasonal=False,
            forward=False,
        ),
        Candidate(
            "IMAPA",
            (INTERMITTENT,),
            lambda m: sfm.IMAPA(alias="IMAPA"),
            native_intervals=False,
            seasonal=False,
            forward=False,
        ),
        Candidate("TSB", (INTERMITTENT,), _tsb, native_intervals=False, seasonal=False, forward=False),
    )
}

DEFAULT_CANDIDATES: tuple[str, ...] = (
    "AutoETS",
    "DynamicOptimizedTheta",
    "AutoCES",
    "SeasonalNaive",
    "CrostonOptimized",
    "ADIDA",
    "IMAPA",
    "TSB",
    "HistoricAverage",
)


def validate_candidates(names) -> tuple[str, ...]:
    """Return ``names`` as a tuple, or raise naming the unknown ones and the known ones."""
    names = tuple(names)
    unknown = [n for n in names if n not in REGISTRY and n != ENSEMBLE]
    if unknown:
        raise ValueError(f"unknown forecast candidate(s) {unknown}; known: {sorted(REGISTRY)} and {ENSEMBLE!r}")
    if not [n for n in names if n != ENSEMBLE]:
        raise ValueError("the candidate set needs at least one model besides the ensemble")
    return names


def candidates_for(names, family: str, seasonal_ok: bool) -> list[str]:
    """The candidates of ``names`` that compete for a series of ``family``.

    Seasonal-only models (SeasonalNaive) drop out when the series is too short for two seasons;
    the other models are then fitted without a seasonal component.
    """
    chosen = [
        n
        for n in names
        if n != ENSEMBLE and family in REGISTRY[n].families and (seasonal_ok or not REGISTRY[n].seasonal)
    ]
    if not chosen:  # a family with none of its models configured falls back to all configured ones
        chosen = [n for n in names if n != ENSEMBLE and (seasonal_ok or not REGISTRY[n].seasonal)]
    return chosen


def build_models(names, season_length: int, seasonal_ok: bool) -> list:
    """statsforecast model objects for ``names`` (seasonal period 1 when not ``seasonal_ok``)."""
    m = season_length if seasonal_ok else 1
    return [REGISTRY[n].build(m) for n in names]
