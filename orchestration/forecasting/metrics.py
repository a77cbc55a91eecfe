"""Forecast error metrics, shared by model selection, ``sop forecast evaluate`` and the accuracy mart.

Definitions (docs/kpi_formulas.md and the M-competitions):

- sMAPE = mean over points of 200·|y−ŷ| / (|y|+|ŷ|); a point where y = ŷ = 0 counts as 0.
- MASE = mean |y−ŷ| / scale, scale = the in-sample seasonal-naive MAE (``seasonal_naive_scale``).
- WAPE = Σ|y−ŷ| / Σ|y|.
- bias = Σ(ŷ−y) / Σy.
- coverage = share of points with lo ≤ y ≤ hi.
- FVA = error(previous step) − error(this step): positive when this step helped.

Every function takes array-likes of one series (or of any set of points) and returns a float;
NaN when the metric is undefined (empty input, zero denominator).
"""

from __future__ import annotations

import numpy as np


def _arrays(*xs):
    arrays = [np.asarray(x, dtype=float) for x in xs]
    shape = arrays[0].shape
    for a in arrays[1:]:
        if a.shape != shape:
            raise ValueError(f"arrays differ in shape: {[x.shape for x in arrays]}")
    return arrays


def seasonal_naive_scale(y_train, season_length: int = 12) -> float:
    """In-sample MAE of the seasonal naive forecast, the MASE denominator.

    Fallbacks, in order, when that is not available or zero: the MAE of the naive (lag-1)
    forecast when the series is no longer than a season; the mean absolute value of the series
    when every difference is zero (a constant series); NaN for an all-zero or empty series.
    """
    y = np.asarray(y_train, dtype=float)
    y = y[~np.isnan(y)]
    for lag in (season_length, 1):
        if lag >= 1 and len(y) > lag:
            scale = float(np.mean(np.abs(y[lag:] - y[:-lag])))
            if scale > 0:
                return scale
    level = float(np.mean(np.abs(y))) if len(y) else 0.0
    return level if level > 0 else float("nan")


def smape(y, yhat) -> float:
    """sMAPE in percent (0..200), M-competition definition; 0/0 points count as 0."""
    y, yhat = _arrays(y, yhat)
    if y.size == 0:
        return float("nan")
    num = 200.0 * np.abs(y - yhat)
    den = np.abs(y) + np.abs(yhat)
    terms = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return float(np.mean(terms))


def mae(y, yhat) -> float:
    y, yhat = _arrays(y, yhat)
    return float(np.mean(np.abs(y - yhat))) if y.size else float("nan")


def mase(y, yhat, scale: float) -> float:
    """Mean absolute error divided by ``scale`` (see ``seasonal_naive_scale``)."""
    if not scale or not np.isfinite(scale):
        return float("nan")
    return mae(y, yhat) / scale


def wape(y, yhat) -> float:
    """Σ|y−ŷ| / Σ|y|."""
    y, yhat = _arrays(y, yhat)
    den = np.sum(np.abs(y))
    return float(np.sum(np.abs(y - yhat)) / den) if den > 0 else float("nan")


def bias(y, yhat) -> float:
    """Σ(ŷ−y) / Σy: positive when the forecast is too high."""
    y, yhat = _arrays(y, yhat)
    den = np.sum(y)
    return float(np.sum(yhat - y) / den) if den != 0 else float("nan")


def coverage(y, lo, hi) -> float:
    """Share of points inside the closed interval [lo, hi]."""
    y, lo, hi = _arrays(y, lo, hi)
    if y.size == 0:
        return float("nan")
    return float(np.mean((y >= lo) & (y <= hi)))


def fva(error_previous: float, error_this: float) -> float:
    """Forecast value added: error(previous step) − error(this step)."""
    return float(error_previous) - float(error_this)
