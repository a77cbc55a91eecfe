"""Forecast accuracy: past snapshots against actuals, at lag 1 and lag 3.

Lag k: the forecast made in cycle c for month c + k (``horizon_step = k`` in the snapshot),
compared with the actual of month c + k once that month is in the history. A series with
no history row in a month that the history covers counts as an actual of 0 (demand
history is zero-filled; a SKU past its end of life has no more rows).

Three forecasts are scored: the statistical forecast (``stat``), the seasonal naive
benchmark (``seasonal_naive``) and the consensus after planner overrides (``consensus``).
Formulas (``orchestration.forecasting.metrics``, docs/kpi_formulas.md):

- WAPE = Σ|y−ŷ| / Σ|y|; bias = Σ(ŷ−y) / Σy (positive = over-forecast);
- MASE = |y−ŷ| / scale, scale = the series' in-sample seasonal naive MAE at the cycle
  (stored in the snapshot); for a level, the mean of its series' MASE (series with an
  undefined scale left out);
- coverage = share of actuals inside the interval. The statistical forecast has the 80/95
  intervals of the snapshot; the consensus uses the same intervals shifted by the override
  (``lo + consensus − yhat``, clipped at 0); the seasonal naive has its textbook interval
  (``intervals.seasonal_naive_half_widths``; null for snapshots stored before it existed);
- FVA = error(previous step) − error(this step), positive when the step helped:
  ``fva_stat_*`` = seasonal naive − statistical, ``fva_consensus_*`` = statistical − consensus,
  in WAPE points and in MASE.

Rows: ``scope = 'series'`` (one per cycle x lag x node; WAPE and bias of a single point) and
``scope = 'level'`` (one per cycle x lag x level, aggregated over the level's series,
``series_id`` null). The mart is rebuilt from all snapshots on every run (it is derived;
the snapshots are what is immutable).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.forecasting import metrics

LAGS = (1, 3)
FORECASTS = {"stat": "yhat", "seasonal_naive": "yhat_seasonal_naive", "consensus": "consensus"}

#: column -> description, in table order (BI-facing: see docs/forecasting.md).
COLUMNS: dict[str, str] = {
    "cycle_month": "Cycle that made the forecast.",
    "lag": "Months between the cycle and the target month (1 or 3).",
    "target_month": "Forecast month compared with its actual.",
    "level": "total, region, family_region or sku_region.",
    "scope": "'series' (one node) or 'level' (all nodes of the level together).",
    "series_id": "Hierarchy node for scope 'series'; null for scope 'level'.",
    "n_series": "Number of series in the row.",
    "actual_units": "Actual ordered units (sum over the level's series for scope 'level').",
    "stat_units": "Statistical forecast (sum for scope 'level').",
    "seasonal_naive_units": "Seasonal naive forecast (sum for scope 'level').",
    "consensus_units": "Consensus forecast (sum for scope 'level').",
    **{
        f"wape_{f}": f"WAPE of the {f.replace('_', ' ')} forecast: Σ|y−ŷ| / Σ|y|; null when Σ|y| = 0."
        for f in FORECASTS
    },
    **{f"bias_{f}": f"Bias of the {f.replace('_', ' ')} forecast: Σ(ŷ−y) / Σy." for f in FORECASTS},
    **{
        f"mase_{f}": f"MASE of the {f.replace('_', ' ')} forecast (mean over series for scope 'level')."
        for f in FORECASTS
    },
    "coverage_80_stat": "Share of actuals inside the statistical 80% interval.",
    "coverage_95_stat": "Share of actuals inside the statistical 95% interval.",
    "coverage_80_seasonal_naive": (
        "Share of actuals inside the seasonal naive 80% interval; null when the snapshot has no such interval."
    ),
    "coverage_95_seasonal_naive": (
        "Share of actuals inside the seasonal naive 95% interval; null when the snapshot has no such interval."
    ),
    "coverage_80_consensus": "Share of actuals inside the 80% interval shifted by the override.",
    "coverage_95_consensus": "Share of actuals inside the 95% interval shifted by the override.",
    "fva_stat_wape": "Forecast value added by the statistical forecast over seasonal naive, WAPE points.",
    "fva_consensus_wape": "Forecast value added by the overrides over the statistical forecast, WAPE points.",
    "fva_stat_mase": "Forecast value added by the statistical forecast over seasonal naive, MASE.",
    "fva_consensus_mase": "Forecast value added by the overrides over the statistical forecast, MASE.",
}


def _scored_points(snapshots: pd.DataFrame, actuals: pd.DataFrame, lags=LAGS) -> pd.DataFrame:
    """Snapshot rows at the lags whose target month the actuals cover, with the actual."""
    if snapshots.empty or actuals.empty:
        return pd.DataFrame()
    last_actual = pd.to_datetime(actuals["ds"]).max()
    pts = snapshots[snapshots["horizon_step"].isin(lags) & (pd.to_datetime(snapshots["ds"]) <= last_actual)].copy()
    act = actuals.rename(columns={"unique_id": "series_id", "y": "actual"})[["series_id", "ds", "actual"]]
    pts = pts.merge(act, on=["series_id", "ds"], how="left")
    pts["actual"] = pts["actual"].fillna(0.0).astype(float)
    for col in ("seasonal_naive_lo_80", "seasonal_naive_hi_80", "seasonal_naive_lo_95", "seasonal_naive_hi_95"):
        if col not in pts.columns:  # snapshots stored before the benchmark had an interval
            pts[col] = np.nan
    shift = pts["consensus"] - pts["yhat"]
    for b in ("80", "95"):
        pts[f"c_lo_{b}"] = (pts[f"lo_{b}"] + shift).clip(lower=0.0)
        pts[f"c_hi_{b}"] = (pts[f"hi_{b}"] + shift).clip(lower=0.0)
    return pts.rename(columns={"horizon_step": "lag", "ds": "target_month"})


def _scores(g: pd.DataFrame) -> dict:
    y = g["actual"].to_numpy(float)
    out: dict = {"n_series": len(g), "actual_units": float(y.sum())}
    for name, col in FORECASTS.items():
        f = g[col].to_numpy(float)
        out[f"{name}_units"] = float(f.sum())
        out[f"wape_{name}"] = metrics.wape(y, f)
        out[f"bias_{name}"] = metrics.bias(y, f)
        per_series = [metrics.mase([a], [b], s) for a, b, s in zip(y, f, g["mase_scale"].to_numpy(float))]
        finite = [m for m in per_series if np.isfinite(m)]
        out[f"mase_{name}"] = float(np.mean(finite)) if finite else float("nan")
    for b in ("80", "95"):
        out[f"coverage_{b}_stat"] = metrics.coverage(y, g[f"lo_{b}"], g[f"hi_{b}"])
        lo, hi = g[f"seasonal_naive_lo_{b}"], g[f"seasonal_naive_hi_{b}"]
        known = (lo.notna() & hi.notna()).to_numpy()
        out[f"coverage_{b}_seasonal_naive"] = (
            metrics.coverage(y[known], lo[known], hi[known]) if known.any() else float("nan")
        )
        out[f"coverage_{b}_consensus"] = metrics.coverage(y, g[f"c_lo_{b}"], g[f"c_hi_{b}"])
    for err in ("wape", "mase"):
        out[f"fva_stat_{err}"] = metrics.fva(out[f"{err}_seasonal_naive"], out[f"{err}_stat"])
        out[f"fva_consensus_{err}"] = metrics.fva(out[f"{err}_stat"], out[f"{err}_consensus"])
    return out


def _series_scores(pts: pd.DataFrame) -> pd.DataFrame:
    """Scope 'series' rows, vectorised: the metrics.py formulas on one point per row."""
    y = pts["actual"].to_numpy(float)
    scale = pts["mase_scale"].to_numpy(float)
    good_scale = np.isfinite(scale) & (scale > 0)
    out = pts[["cycle_month", "lag", "target_month", "level", "series_id"]].copy()
    out["scope"] = "series"
    out["n_series"] = 1
    out["actual_units"] = y
    with np.errstate(divide="ignore", invalid="ignore"):
        for name, col in FORECASTS.items():
            f = pts[col].to_numpy(float)
            err = np.abs(y - f)
            out[f"{name}_units"] = f
            out[f"wape_{name}"] = np.where(np.abs(y) > 0, err / np.abs(y), np.nan)
            out[f"bias_{name}"] = np.where(y != 0, (f - y) / np.where(y != 0, y, 1.0), np.nan)
            out[f"mase_{name}"] = np.where(good_scale, err / np.where(good_scale, scale, 1.0), np.nan)
    for b in ("80", "95"):
        out[f"coverage_{b}_stat"] = ((y >= pts[f"lo_{b}"]) & (y <= pts[f"hi_{b}"])).astype(float).to_numpy()
        lo, hi = pts[f"seasonal_naive_lo_{b}"], pts[f"seasonal_naive_hi_{b}"]
        inside = ((y >= lo) & (y <= hi)).astype(float).to_numpy()
        out[f"coverage_{b}_seasonal_naive"] = np.where((lo.notna() & hi.notna()).to_numpy(), inside, np.nan)
        out[f"coverage_{b}_consensus"] = ((y >= pts[f"c_lo_{b}"]) & (y <= pts[f"c_hi_{b}"])).astype(float).to_numpy()
    for err in ("wape", "mase"):
        out[f"fva_stat_{err}"] = out[f"{err}_seasonal_naive"] - out[f"{err}_stat"]
        out[f"fva_consensus_{err}"] = out[f"{err}_stat"] - out[f"{err}_consensus"]
    return out


def forecast_accuracy(snapshots: pd.DataFrame, actuals: pd.DataFrame, lags=LAGS) -> pd.DataFrame:
    """The accuracy mart from snapshot rows (``snapshots.read_snapshots``) and every node's
    actuals (unique_id, ds, y). One row per cycle x lag x node and per cycle x lag x level."""
    pts = _scored_points(snapshots, actuals, lags)
    if pts.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
    rows = []
    for (cycle, lag, target, level), g in pts.groupby(["cycle_month", "lag", "target_month", "level"], sort=True):
        key = {"cycle_month": cycle, "lag": int(lag), "target_month": target, "level": level}
        rows.append({**key, "scope": "level", "series_id": None, **_scores(g)})
    out = pd.concat([pd.DataFrame(rows), _series_scores(pts)], ignore_index=True)[list(COLUMNS)]
    out = out.sort_values(["cycle_month", "lag", "level", "scope", "series_id"], na_position="first")
    return out.replace([np.inf, -np.inf], np.nan).reset_index(drop=True)
