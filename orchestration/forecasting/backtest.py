"""Rolling-origin backtest: every candidate forecasts from several origins, scored per series.

The backtest runs statsforecast's ``cross_validation`` on a group of series that share one
design (backtest horizon, number of origins, step between origins, seasonal or not), so every
series in a group is scored on the same kind of windows. Scores are against the series'
in-sample seasonal-naive scale measured on the history before the first origin, so a model
never sees the data it is scored on, and the scale is the same for every candidate and origin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from orchestration.forecasting.candidates import REGISTRY, build_models
from orchestration.forecasting.metrics import seasonal_naive_scale


@dataclass(frozen=True)
class BacktestDesign:
    """The windows a group of series is backtested on."""

    horizon: int  # months forecast from each origin
    n_origins: int
    step: int  # months between consecutive origins
    seasonal: bool  # seasonal models compete and models are fitted with the season length

    @property
    def test_size(self) -> int:
        return self.horizon + self.step * (self.n_origins - 1)


def month_number(ds: pd.Series) -> np.ndarray:
    """Months since year 0, so differences of two dates count months."""
    ds = pd.to_datetime(ds)
    return (ds.dt.year * 12 + ds.dt.month).to_numpy()


def cross_validate(
    history: pd.DataFrame, models: list[str], design: BacktestDesign, *, season_length: int, n_jobs: int, refit: bool
) -> pd.DataFrame:
    """Backtest forecasts of ``models`` for every series of ``history``, wide format.

    Returns unique_id, cutoff, ds, step (1..horizon), y and one column per model. With
    ``refit=False``, models that support statsforecast's ``forward`` are fitted once at the
    first origin and only re-filtered on the later origins (their parameters stay fixed);
    the others are refitted at every origin.
    """
    from statsforecast import StatsForecast
    from statsforecast.models import Naive

    if refit:
        groups = [(models, True)]
    else:
        groups = [
            ([m for m in models if REGISTRY[m].forward], False),
            ([m for m in models if not REGISTRY[m].forward], True),
        ]
    frames = []
    for names, refit_these in groups:
        if not names:
            continue
        sf = StatsForecast(
            models=build_models(names, season_length, design.seasonal), freq="MS", n_jobs=n_jobs, fallback_model=Naive()
        )
        cv = sf.cross_validation(
            df=history, h=design.horizon, n_windows=design.n_origins, step_size=design.step, refit=refit_these
        )
        frames.append(cv.set_index(["unique_id", "ds", "cutoff"]))
    wide = frames[0]
    for extra in frames[1:]:
        wide = wide.join(extra.drop(columns="y"))
    wide = wide.reset_index()
    wide["unique_id"] = wide["unique_id"].astype(str)
    wide["step"] = month_number(wide["ds"]) - month_number(wide["cutoff"])
    return wide[["unique_id", "cutoff", "ds", "step", "y", *models]]


def scales_before_first_origin(history: pd.DataFrame, design: BacktestDesign, season_length: int) -> pd.Series:
    """Seasonal-naive scale of each series on its history before the first backtest origin."""
    out = {}
    for uid, y in history.groupby("unique_id", sort=False, observed=True)["y"]:
        values = y.to_numpy(dtype=float)
        out[str(uid)] = seasonal_naive_scale(values[: len(values) - design.test_size], season_length)
    return pd.Series(out, name="scale")


def score(cv: pd.DataFrame, models: list[str], scales: pd.Series) -> pd.DataFrame:
    """MASE, sMAPE and WAPE of each model per series over all origins and steps (long format).

    A series whose scale is undefined (all zero before the first origin) scores on its MAE
    (scale 1), which ranks its candidates the same way.
    """
    rows = []
    scale = cv["unique_id"].map(scales).fillna(1.0).to_numpy()
    y = cv["y"].to_numpy(dtype=float)
    base = cv[["unique_id"]].copy()
    for model in models:
        yhat = cv[model].to_numpy(dtype=float)
        err = np.abs(y - yhat)
        den = np.abs(y) + np.abs(yhat)
        frame = base.assign(
            ae_scaled=err / scale,
            sape=np.divide(200.0 * err, den, out=np.zeros_like(err), where=den > 0),
            ae=err,
            ay=np.abs(y),
        )
        agg = frame.groupby("unique_id", sort=False).agg(
            mase=("ae_scaled", "mean"), smape=("sape", "mean"), ae=("ae", "sum"), ay=("ay", "sum")
        )
        agg["wape"] = np.where(agg["ay"] > 0, agg["ae"] / agg["ay"].where(agg["ay"] > 0, 1.0), np.nan)
        agg["model"] = model
        rows.append(agg.reset_index()[["unique_id", "model", "mase", "smape", "wape"]])
    return pd.concat(rows, ignore_index=True)
