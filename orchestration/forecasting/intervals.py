"""Prediction intervals that no model computes itself, and the rules every interval obeys.

Conformal intervals come from the series' own backtest errors of the chosen forecast (a
single model or the ensemble): for forecast step j the half-width at level L is the
conformal quantile ⌈(n+1)·L⌉/n of the absolute errors at backtest steps near j (a window of
steps around j, widened until it holds at least ``min_errors`` errors; with 3 origins that is
7 steps), kept non-decreasing over the horizon. Beyond the backtest horizon the half-width of
its last step grows with √(j / h_backtest), as a random-walk error would.

The seasonal naive benchmark has no model to ask, so its interval is the textbook one for a
seasonal random walk: normal, with σ the root mean square of the in-sample seasonal
differences y_t − y_{t−m}, widening with the number of seasons ahead, σ·√(⌊(h−1)/m⌋ + 1)
(``seasonal_naive_half_widths``); a series of one season or less uses the naive rule (σ of
the month-to-month changes, √h).

Every interval is then made monotone — lo_95 ≤ lo_80 ≤ yhat ≤ hi_80 ≤ hi_95 — and, for
demand and revenue, clipped at zero.
"""

from __future__ import annotations

import math

import numpy as np


def conformal_quantile(errors: np.ndarray, level: float) -> float:
    """The split-conformal quantile of absolute ``errors`` for coverage ``level`` (0..100)."""
    errors = np.sort(np.abs(np.asarray(errors, dtype=float)))
    errors = errors[~np.isnan(errors)]
    n = len(errors)
    if n == 0:
        return float("nan")
    rank = min(n, math.ceil((n + 1) * level / 100.0))
    return float(errors[rank - 1])


def conformal_half_widths(errors: np.ndarray, horizon: int, levels, *, min_errors: int = 20) -> np.ndarray:
    """Half-widths (len(levels) × horizon) from a backtest error matrix (origins × backtest steps)."""
    errors = np.asarray(errors, dtype=float)
    if errors.ndim == 1:
        errors = errors[None, :]
    n_origins, hb = errors.shape
    per_step = max(1, math.ceil(min_errors / max(n_origins, 1)))
    width = min(hb, per_step)
    out = np.empty((len(levels), horizon))
    cache: dict[int, list[float]] = {}
    for j in range(1, horizon + 1):
        jj = min(j, hb)
        if jj not in cache:
            start = min(max(0, jj - 1 - (width - 1) // 2), hb - width)
            window = errors[:, start : start + width]
            cache[jj] = [conformal_quantile(window.ravel(), lv) for lv in levels]
        growth = math.sqrt(j / hb) if j > hb else 1.0
        out[:, j - 1] = np.asarray(cache[jj]) * growth
    # an error never shrinks with the horizon: widths are non-decreasing in the step
    return np.maximum.accumulate(out, axis=1)


def seasonal_naive_half_widths(y, horizon: int, levels, season_length: int = 12) -> np.ndarray:
    """Half-widths (len(levels) × horizon) of the seasonal naive forecast's intervals (module doc)."""
    y = np.asarray(y, dtype=float)
    m = season_length
    steps = np.arange(1, horizon + 1)
    if m > 1 and len(y) > m:
        diffs = y[m:] - y[:-m]
        growth = np.sqrt((steps - 1) // m + 1)
    else:
        diffs = np.diff(y)
        growth = np.sqrt(steps)
    sigma = float(np.sqrt(np.mean(diffs**2))) if len(diffs) else 0.0
    return np.array([[gaussian_half_width(sigma * g, lv) for g in growth] for lv in levels])


def gaussian_half_width(sigma: float, level: float) -> float:
    """Half-width of a normal interval with standard deviation ``sigma`` at ``level`` percent."""
    from statistics import NormalDist

    return float(NormalDist().inv_cdf(0.5 + level / 200.0) * sigma)


def make_monotone(yhat, bounds: dict, *, non_negative: bool):
    """Order intervals so that wider levels contain narrower ones and all contain ``yhat``.

    ``bounds`` maps level -> (lo, hi) arrays. Returns (yhat, {level: (lo, hi)}) with
    lo_wide ≤ lo_narrow ≤ yhat ≤ hi_narrow ≤ hi_wide, everything clipped at zero when
    ``non_negative``.
    """
    yhat = np.asarray(yhat, dtype=float)
    if non_negative:
        yhat = np.maximum(yhat, 0.0)
    out = {}
    lo_prev, hi_prev = yhat, yhat
    for level in sorted(bounds):
        lo, hi = (np.asarray(a, dtype=float) for a in bounds[level])
        lo = np.fmin(lo, lo_prev)
        hi = np.fmax(hi, hi_prev)
        if non_negative:
            lo, hi = np.maximum(lo, 0.0), np.maximum(hi, 0.0)
        out[level] = (lo, hi)
        lo_prev, hi_prev = lo, hi
    return yhat, out
