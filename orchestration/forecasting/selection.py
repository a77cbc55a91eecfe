"""Model choice per series from backtest scores, and the ensemble candidate.

Selection score. A series' own backtest (3 origins) is a noisy judge, so each candidate's
score is shrunk towards how that candidate does on the other series of the same group:

    score(series, model) = w · WAPE(series, model) + (1 − w) · mean over the group's series of WAPE(·, model)

with w = ``score_weight`` (0.5 by default; 1 = the series' own backtest only). WAPE (Σ|e| / Σ|y|
over all backtest origins and steps) puts every series on the same footing for the group mean.
A series whose backtest actuals are all zero (WAPE undefined) is scored on its own MASE.

The ensemble of a series is the mean of its ``k`` best candidates by that score (k =
``ensemble_size``); its backtest forecasts are the mean of the members' backtest forecasts and
its score is its own backtest WAPE. The chosen forecast is the candidate with the lowest score,
except that the ensemble is kept unless a single model scores at least ``ensemble_margin``
(10%) lower: a combination is the safer bet when the backtest cannot tell models apart. Ties go
to the candidate listed first in the configuration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.forecasting.candidates import ENSEMBLE


def selection_scores(scores: pd.DataFrame, weight: float) -> pd.DataFrame:
    """``scores`` (unique_id, model, mase, wape, ...) with a ``score`` column (see the module doc)."""
    scores = scores.copy()
    finite = np.isfinite(scores["wape"])
    group_mean = scores[finite].groupby("model")["wape"].mean()
    blended = weight * scores["wape"] + (1 - weight) * scores["model"].map(group_mean)
    own_only = ~scores["unique_id"].isin(scores.loc[finite, "unique_id"]) | ~finite
    scores["score"] = np.where(own_only, scores["mase"], blended)
    # a series with some finite and some undefined WAPE (a model returned NaN) ranks that model last
    scores.loc[finite.eq(False) & scores["unique_id"].isin(scores.loc[finite, "unique_id"]), "score"] = np.inf
    return scores


def ensemble_members(scores: pd.DataFrame, models: list[str], k: int) -> dict[str, tuple[str, ...]]:
    """The ``k`` best candidates of each series by selection score (ties in configuration order)."""
    order = {m: i for i, m in enumerate(models)}
    ranked = (
        scores[scores["model"].isin(models)]
        .assign(
            _order=lambda d: d["model"].map(order),
            _mase=lambda d: d["score"].fillna(np.inf),
        )
        .sort_values(["unique_id", "_mase", "_order"])
    )
    return {uid: tuple(g["model"].head(k)) for uid, g in ranked.groupby("unique_id", sort=False)}


def add_ensemble(cv: pd.DataFrame, members: dict[str, tuple[str, ...]], models: list[str]) -> pd.DataFrame:
    """``cv`` with an ``Ensemble`` column: per row, the mean of the series' members' forecasts."""
    col = {m: i for i, m in enumerate(models)}
    codes, uniques = pd.factorize(cv["unique_id"])
    per_series = np.zeros((len(uniques), len(models)))
    for i, uid in enumerate(uniques):
        for m in members.get(uid, ()):
            per_series[i, col[m]] = 1.0
    mask = per_series[codes]
    values = cv[models].to_numpy(dtype=float)
    counts = mask.sum(axis=1)
    ens = np.divide((values * mask).sum(axis=1), counts, out=np.full(len(cv), np.nan), where=counts > 0)
    return cv.assign(**{ENSEMBLE: ens})


def choose(scores: pd.DataFrame, order: list[str], margin: float = 0.0) -> pd.DataFrame:
    """Per series the candidate with the lowest selection score (the ensemble unless a single
    model beats it by ``margin``): unique_id, model, backtest_mase."""
    rank = {m: i for i, m in enumerate(order)}
    ranked = (
        scores[scores["model"].isin(order)]
        .assign(_order=lambda d: d["model"].map(rank), _score=lambda d: d["score"].fillna(np.inf))
        .sort_values(["unique_id", "_score", "_order"])
    )
    best = ranked.groupby("unique_id", sort=False).head(1).set_index("unique_id")
    ens = ranked[ranked["model"] == ENSEMBLE].set_index("unique_id")
    if len(ens) and margin > 0:
        keep = ens.index.intersection(best.index)
        single = best.loc[keep, "model"] != ENSEMBLE
        close = best.loc[keep, "_score"] > (1 - margin) * ens.loc[keep, "_score"]
        switch = keep[(single & close).to_numpy()]
        best.loc[switch] = ens.loc[switch, best.columns]
    best = best.reset_index()
    return best.rename(columns={"mase": "backtest_mase"})[["unique_id", "model", "backtest_mase"]]
