"""Model choice per series from its backtest: a weighted combination, rarely a single model.

Why a combination. Three backtest origins are a noisy judge of one series: picking the
candidate with the lowest backtest error per series overfits that noise, and on real monthly
collections it lost to a plain average of the strongest candidates (benchmarks/forecasting.md:
on the M1 competition's 617 monthly series the per-series pick scored sMAPE 15.59 against 15.25
for the equal mean of AutoETS, DynamicOptimizedTheta and AutoCES). So every modelled series is
forecast by a weighted combination (``Ensemble``) of several of its candidates unless one model
is overwhelmingly better on its backtest.

Error. A candidate's own backtest error on a series is its WAPE over all origins and steps, or
its MASE when the series' backtest actuals are all zero (WAPE undefined).

Members: pooled ranks. Within a series the candidates are ranked by own error (1 = best). The
selection score of a candidate blends that rank with its mean rank over the group's series
(same family and backtest design):

    score(series, model) = w · rank(series, model) + (1 − w) · mean over the group of rank(·, model)

with w = ``score_weight`` (0.25). Ranks, not errors, are pooled so that one series where a model
blows up (AutoCES on a few short series) does not sink that model everywhere, and the group's
weight (0.75) is what lets a collection of short, noisy series choose what works for the
collection while long series with a telling backtest keep some say of their own. The members
are the k candidates with the lowest score: k = ``ensemble_size`` (4 of the 5 continuous
candidates: every one but the collection's worst for the series) for smooth and erratic
series, ``intermittent_ensemble_size`` (3) for intermittent and lumpy ones (measured: four
members lowered M1's sMAPE by 1% against three and cost the demo and PBS 0.6%; on intermittent
demand a fourth member only added error). Ties go to the candidate listed first in the
configuration.

Weights. Each member's weight is its inverse own error, normalised, then shrunk half-way
towards equal weights (``combination_shrinkage`` = 0.5):

    weight(model) = s / k + (1 − s) · (1 / error(model)) / Σ (1 / error)

Equal weights (s = 1) ignore what the backtest says; pure inverse-error weights (s = 0) trust
three origins too much. A member with zero backtest error takes the whole inverse-error half;
one without a finite error takes none of it.

Choice. The combination is kept unless a single candidate's own error is at most
(1 − ``ensemble_margin``) = 20% of the combination's own backtest error: only a model the
backtest finds overwhelmingly better (SeasonalNaive on an exact seasonal repeat, a level model
on a flat series) replaces it. Without a combination (ensemble off, or one candidate) the
candidate with the lowest score is chosen.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.forecasting.candidates import ENSEMBLE


def own_error(scores: pd.DataFrame) -> pd.Series:
    """Per row of ``scores`` (unique_id, model, mase, wape): the candidate's own backtest error,
    WAPE where every candidate of the series has one, MASE otherwise."""
    finite = np.isfinite(scores["wape"])
    all_finite = finite.groupby(scores["unique_id"]).transform("all")
    return scores["wape"].where(all_finite, scores["mase"]).astype(float)


def selection_scores(scores: pd.DataFrame, weight: float) -> pd.DataFrame:
    """``scores`` (unique_id, model, mase, wape, ...) with ``error`` (own backtest error) and
    ``score`` (the blended rank of the module doc; lower is better) columns."""
    scores = scores.copy()
    scores["error"] = own_error(scores)
    ranked = scores["error"].where(np.isfinite(scores["error"]), np.inf)
    scores["rank"] = ranked.groupby(scores["unique_id"]).rank(method="average")
    group_mean = scores.groupby("model")["rank"].mean()
    scores["score"] = weight * scores["rank"] + (1 - weight) * scores["model"].map(group_mean)
    return scores.drop(columns="rank")


def ensemble_members(scores: pd.DataFrame, models: list[str], k: int) -> dict[str, tuple[str, ...]]:
    """The ``k`` candidates of each series with the lowest selection score (ties in configuration order)."""
    order = {m: i for i, m in enumerate(models)}
    ranked = (
        scores[scores["model"].isin(models)]
        .assign(_order=lambda d: d["model"].map(order), _score=lambda d: d["score"].fillna(np.inf))
        .sort_values(["unique_id", "_score", "_order"])
    )
    return {uid: tuple(g["model"].head(k)) for uid, g in ranked.groupby("unique_id", sort=False)}


def combination_weights(
    scores: pd.DataFrame, members: dict[str, tuple[str, ...]], shrinkage: float
) -> dict[str, dict[str, float]]:
    """Per series, the weight of each of its ``members``: inverse own backtest error (the
    ``error`` column of ``selection_scores``) shrunk towards equal weights by ``shrinkage``
    (see the module doc). The weights of a series sum to 1."""
    error = scores.set_index(["unique_id", "model"])["error"]
    out = {}
    for uid, names in members.items():
        e = np.array([error.get((uid, m), np.nan) for m in names], dtype=float)
        finite = np.isfinite(e)
        if (e[finite] == 0).any():
            inverse = (finite & (e == 0)).astype(float)
        elif finite.any():
            inverse = np.where(finite, 1.0 / np.where(finite, e, 1.0), 0.0)
        else:
            inverse = np.ones(len(names))
        weights = shrinkage / len(names) + (1 - shrinkage) * inverse / inverse.sum()
        out[uid] = {m: float(w) for m, w in zip(names, weights)}
    return out


def add_ensemble(cv: pd.DataFrame, weights: dict[str, dict[str, float]], models: list[str]) -> pd.DataFrame:
    """``cv`` with an ``Ensemble`` column: per row, the weighted sum of the series' members'
    forecasts (``weights`` from ``combination_weights``; NaN for a series without members)."""
    col = {m: i for i, m in enumerate(models)}
    codes, uniques = pd.factorize(cv["unique_id"])
    per_series = np.zeros((len(uniques), len(models)))
    for i, uid in enumerate(uniques):
        for m, w in weights.get(uid, {}).items():
            per_series[i, col[m]] = w
    w = per_series[codes]
    values = np.where(w > 0, cv[models].to_numpy(dtype=float), 0.0)
    ens = np.where(w.sum(axis=1) > 0, (values * w).sum(axis=1), np.nan)
    return cv.assign(**{ENSEMBLE: ens})


def choose(scores: pd.DataFrame, order: list[str], margin: float = 0.0) -> pd.DataFrame:
    """Per series the chosen candidate (see the module doc): unique_id, model, backtest_mase.

    ``scores`` holds the singles of ``order`` with ``score`` and ``error``, and optionally
    ``Ensemble`` rows with ``error``: a series with an ``Ensemble`` row keeps it unless a single's
    error is at most ``(1 - margin)`` times the ensemble's (then the single with the lowest error)."""
    rank = {m: i for i, m in enumerate(order)}
    singles = (
        scores[scores["model"].isin(order) & (scores["model"] != ENSEMBLE)]
        .assign(_order=lambda d: d["model"].map(rank))
        .assign(_score=lambda d: d["score"].fillna(np.inf), _error=lambda d: d["error"].fillna(np.inf))
    )
    best = singles.sort_values(["unique_id", "_score", "_order"]).groupby("unique_id", sort=False).head(1)
    best = best.set_index("unique_id")
    ens = scores[scores["model"] == ENSEMBLE].set_index("unique_id")
    if len(ens):
        lowest = singles.sort_values(["unique_id", "_error", "_order"]).groupby("unique_id", sort=False).head(1)
        lowest = lowest.set_index("unique_id").reindex(ens.index)
        overwhelming = lowest["_error"] <= (1 - margin) * ens["error"].fillna(np.inf)
        best.loc[ens.index] = ens.reindex(columns=best.columns)
        switch = ens.index[overwhelming.fillna(False).to_numpy(dtype=bool)]
        best.loc[switch] = lowest.loc[switch, best.columns]
    best = best.reset_index()
    return best.rename(columns={"mase": "backtest_mase"})[["unique_id", "model", "backtest_mase"]]
