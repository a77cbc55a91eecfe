"""wineind, last 18 months held out: MASE of every statsforecast model that could be a candidate.

Shows how far the best model, chosen in hindsight, gets below seasonal naive on this series
(benchmarks/forecasting.md, "Accuracy"). Run: .venv/bin/python benchmarks/scripts/wineind_every_model.py
"""

import itertools

import numpy as np
import pandas as pd
from pmdarima.datasets import load_wineind
from statsforecast import StatsForecast
from statsforecast.models import (
    MSTL,
    AutoARIMA,
    AutoCES,
    AutoETS,
    AutoTheta,
    DynamicOptimizedTheta,
    HistoricAverage,
    OptimizedTheta,
    SeasonalNaive,
    SeasonalWindowAverage,
    Theta,
)

from orchestration.forecasting import metrics

H, M = 18, 12
y = np.asarray(load_wineind(), dtype=float)
df = pd.DataFrame({"unique_id": "wineind", "ds": pd.date_range("1980-01-01", periods=len(y), freq="MS"), "y": y})
train, test = df.iloc[:-H], df["y"].to_numpy()[-H:]
models = [
    AutoETS(season_length=M),
    AutoETS(season_length=M, model="ANA", alias="ETS(A,N,A)"),
    AutoETS(season_length=M, model="MNM", alias="ETS(M,N,M)"),
    AutoARIMA(season_length=M),
    AutoCES(season_length=M),
    DynamicOptimizedTheta(season_length=M),
    AutoTheta(season_length=M),
    OptimizedTheta(season_length=M),
    Theta(season_length=M),
    MSTL(season_length=M),
    SeasonalNaive(season_length=M),
    HistoricAverage(),
    SeasonalWindowAverage(season_length=M, window_size=2, alias="SeasonalWindowAverage(2)"),
    SeasonalWindowAverage(season_length=M, window_size=3, alias="SeasonalWindowAverage(3)"),
]
fc = StatsForecast(models=models, freq="MS", n_jobs=1).forecast(df=train, h=H)
scale = metrics.seasonal_naive_scale(train["y"].to_numpy(), M)
names = [c for c in fc.columns if c not in ("unique_id", "ds")]
scores = {n: metrics.mase(test, fc[n].to_numpy(), scale) for n in names}
for name, mase in sorted(scores.items(), key=lambda kv: kv[1]):
    print(f"{name:<28}{mase:8.3f}")
combos = [
    (metrics.mase(test, fc[list(c)].mean(axis=1).to_numpy(), scale), c)
    for r in (2, 3)
    for c in itertools.combinations(names, r)
]
best, members = min(combos)
print(f"best mean of 2 or 3 models: {best:.3f} {members}")
print(f"20% below seasonal naive would be {0.8 * scores['SeasonalNaive']:.3f}")
