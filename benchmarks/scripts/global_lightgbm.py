"""A global LightGBM model across series (mlforecast), last 18 months held out, scored like
`sop forecast evaluate` (mean sMAPE and MASE over series, pooled bias).

Measures whether a machine-learning model trained on every series at once earns a place among
the candidates (benchmarks/forecasting.md, "A global machine-learning model"). mlforecast and
lightgbm are not project dependencies: pip install mlforecast lightgbm, then
    .venv/bin/python benchmarks/scripts/global_lightgbm.py /tmp/forecast-eval/ds/m1_monthly.csv
Series with fewer than 24 training months are left out of the fit and of the score.
"""

import sys
import time

import lightgbm as lgb
import numpy as np
from mlforecast import MLForecast
from mlforecast.lag_transforms import RollingMean
from mlforecast.target_transforms import LocalStandardScaler

from orchestration.evaluation.evaluate import read_series_csv
from orchestration.forecasting import metrics

H = 18


def main(path: str) -> None:
    history = read_series_csv(path)
    sizes = history.groupby("unique_id").size()
    history = history[history["unique_id"].isin(sizes[sizes >= H + 24].index)]
    position = history.groupby("unique_id").cumcount(ascending=False)
    train, test = history[position >= H], history[position < H]
    began = time.perf_counter()
    model = MLForecast(
        models={"LGBM": lgb.LGBMRegressor(n_estimators=300, learning_rate=0.05, num_leaves=31, verbose=-1)},
        freq="MS",
        lags=[1, 2, 3, 6, 12],
        lag_transforms={1: [RollingMean(window_size=3), RollingMean(window_size=12)]},
        date_features=["month"],
        target_transforms=[LocalStandardScaler()],
    )
    model.fit(train, static_features=[])
    forecast = model.predict(H)
    seconds = time.perf_counter() - began
    forecast["LGBM"] = forecast["LGBM"].clip(lower=0)
    smapes, mases, errors, actual_sum = [], [], 0.0, 0.0
    train_by = {u: g["y"].to_numpy(float) for u, g in train.groupby("unique_id")}
    yhat_by = {u: g["LGBM"].to_numpy(float) for u, g in forecast.groupby("unique_id")}
    for uid, g in test.groupby("unique_id"):
        y, yhat = g["y"].to_numpy(float), yhat_by[uid]
        if not np.any(train_by[uid] != 0):
            continue
        smapes.append(metrics.smape(y, yhat))
        m = metrics.mase(y, yhat, metrics.seasonal_naive_scale(train_by[uid], 12))
        if np.isfinite(m):
            mases.append(m)
        errors += float((yhat - y).sum())
        actual_sum += float(y.sum())
    print(
        f"{path}: {len(smapes)} series, LightGBM sMAPE {np.mean(smapes):.3f} MASE {np.mean(mases):.3f} "
        f"bias {errors / actual_sum:+.3f}, fit and forecast {seconds:.1f} s"
    )


if __name__ == "__main__":
    main(sys.argv[1])
