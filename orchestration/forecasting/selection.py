"""Model choice per series from backtest scores, and the ensemble candidate.

The ensemble of a series is the mean of its ``k`` best candidates by backtest MASE (k =
``ensemble_size``); its backtest forecasts are the mean of those members' backtest forecasts,
and it is scored like any other candidate. The chosen forecast of a series is the candidate
(ensemble included) with the lowest backtest MASE; ties go to the candidate listed first in the
configuration, and the ensemble is listed last, so a single model wins a tie.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.forecasting.candidates import ENSEMBLE


def ensemble_members(scores: pd.DataFrame, models: list[str], k: int) -> dict[str, tuple[str, ...]]:
    """The ``k`` best candidates of each series by backtest MASE (ties in configuration order)."""
    order = {m: i for i, m in enumerate(models)}
    ranked = scores[scores["model"].isin(models)].assign(
        _order=lambda d: d["model"].map(order),
        _mase=lambda d: d["mase"].fillna(np.inf),
    ).sort_values(["unique_id", "_mase", "_order"])
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


def choose(scores: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Per series the candidate with the lowest backtest MASE: unique_id, model, backtest_mase."""
    rank = {m: i for i, m in enumerate(order)}
    best = (scores[scores["model"].isin(order)]
            .assign(_order=lambda d: d["model"].map(rank), _mase=lambda d: d["mase"].fillna(np.inf))
            .sort_values(["unique_id", "_mase", "_order"])
            .groupby("unique_id", sort=False).head(1))
    return best.rename(columns={"mase": "backtest_mase"})[["unique_id", "model", "backtest_mase"]]
