"""Revenue forecast accuracy: every stored cycle's bookings forecasts against what was booked.

The S&OP meeting sees four bookings forecasts per region and month (``forecast.revenue_forecast``):
statistical, pipeline, their blend and the reps' commit. This module scores each of them, at
lag 1 and lag 3, against the bookings that followed, so the meeting can see which one calls
bookings best and whether the blend and the commit add value.

**Lag k**: the forecast made in cycle c for month c + k (``horizon_step = k``), scored once
month c + k is in the bookings history (``revenue_monthly.bookings_usd`` per region, as
``warehouse.bookings_history`` reads it: a region with no bookings in a covered month has an
actual of 0). A target month after the last bookings month gives no row yet.

Rows, per cycle x lag:

- ``level = 'region'``: one per region the cycle forecast;
- ``level = 'total'`` (``region_code`` null): the regions' forecasts and actuals are summed
  first, then scored, so regional errors of opposite sign offset as they do in the company's
  bookings.

Formulas, for each forecast f in statistical, pipeline, blended, commit (``metrics``, docs/kpi_formulas.md),
with y the row's actual and ŷ the row's forecast (one month, summed over regions for the total):

- absolute error = |y − ŷ| (USD);
- WAPE = Σ|y − ŷ| / Σ|y| = |y − ŷ| / |y| for the row (null when y = 0). Over several rows
  (a quarter, all regions) WAPE is Σ abs_error / Σ actual, which is why absolute errors are stored;
- bias = Σ(ŷ − y) / Σy (positive = over-forecast);
- MASE = |y − ŷ| / scale, scale = the in-sample seasonal naive MAE (m = 12,
  ``metrics.seasonal_naive_scale``) of the row's monthly bookings from the first month up to
  the cycle month: the region's series, or the sum of the cycle's regions for the total;
- coverage (statistical only: ``forecast.revenue_forecast`` stores its 80/95% bounds; pipeline,
  blend and commit have none) = the share of the row's regions whose actual lies in
  [lo, hi]; for the total row the share over its regions (region bounds do not add up to an
  interval of the sum);
- FVA = error(previous step) − error(this step) in WAPE points, positive = this step better:
  blend over statistical, blend over pipeline, and commit over blend.

**Why no separate snapshot table** (demand has ``forecast.forecast_snapshots``): every
``forecast.revenue_forecast`` row already carries its ``cycle_month``, and the table is written
only by ``warehouse.replace_cycle``, which deletes and inserts the rows of one cycle in one
transaction: a later cycle, or a re-run of one, never touches an earlier cycle's rows. The
stored cycles are the snapshot. The MASE scale is recomputed from the bookings up to the cycle
month, which are closed months (re-running a month gives identical marts); a past cycle's
accuracy therefore changes only if the bookings of closed months are restated, and then its
actuals change with it. The mart is rebuilt from all stored cycles on every run.

Plain pandas; nothing here reads the warehouse or imports Dagster.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.forecasting import metrics
from orchestration.forecasting.backtest import month_number
from orchestration.forecasting.warehouse import REVENUE_FORECAST, REVENUE_FORECAST_ACCURACY

LAGS = (1, 3)
#: forecast name -> column of forecast.revenue_forecast.
FORECASTS = {
    "statistical": "statistical_usd",
    "pipeline": "pipeline_usd",
    "blended": "blended_usd",
    "commit": "commit_usd",
}
#: FVA column -> (previous step, this step).
FVA = {
    "fva_blended_over_statistical": ("statistical", "blended"),
    "fva_blended_over_pipeline": ("pipeline", "blended"),
    "fva_commit_over_blended": ("blended", "commit"),
}
BOUNDS = {
    "80": ("statistical_lo_80_usd", "statistical_hi_80_usd"),
    "95": ("statistical_lo_95_usd", "statistical_hi_95_usd"),
}
REQUIRED = [
    "cycle_month",
    "region_code",
    "forecast_month",
    "horizon_step",
    *FORECASTS.values(),
    *(c for pair in BOUNDS.values() for c in pair),
]
COLUMNS = list(REVENUE_FORECAST_ACCURACY.columns)
SEASON_LENGTH = 12


class RevenueForecastRowsError(ValueError):
    """Stored revenue forecast rows that cannot be scored (the message names table, row and rule)."""


def check_forecast_rows(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Validate ``forecast.revenue_forecast`` rows and return them with typed dates and floats.

    Rules: the scored columns are present; cycle, region and forecast month are set; one row
    per cycle x region x forecast month; ``horizon_step`` = months from the cycle to the
    forecast month. Row numbers in errors count the rows as given, from 1.
    """
    table = REVENUE_FORECAST.name
    missing = [c for c in REQUIRED if c not in forecasts.columns]
    if missing:
        raise RevenueForecastRowsError(f"{table}: missing column(s) {', '.join(missing)}")
    df = forecasts.reset_index(drop=True).copy()
    for col in ("cycle_month", "region_code", "forecast_month"):
        bad = df[col].isna()
        if bad.any():
            raise RevenueForecastRowsError(f"{table}: row {int(np.flatnonzero(bad)[0]) + 1}: {col} is empty")
    df["cycle_month"] = pd.to_datetime(df["cycle_month"])
    df["forecast_month"] = pd.to_datetime(df["forecast_month"])
    dup = df.duplicated(["cycle_month", "region_code", "forecast_month"])
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        r = df.iloc[i]
        raise RevenueForecastRowsError(
            f"{table}: row {i + 1}: second row for cycle {r['cycle_month']:%Y-%m}, region {r['region_code']}, "
            f"month {r['forecast_month']:%Y-%m} (one row per cycle x region x forecast month)"
        )
    steps = pd.Series(month_number(df["forecast_month"]) - month_number(df["cycle_month"]), index=df.index)
    wrong = steps != pd.to_numeric(df["horizon_step"], errors="coerce")
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        r = df.iloc[i]
        raise RevenueForecastRowsError(
            f"{table}: row {i + 1}: horizon_step {r['horizon_step']} but {r['forecast_month']:%Y-%m} is "
            f"{int(steps.iloc[i])} month(s) after cycle {r['cycle_month']:%Y-%m}"
        )
    for col in REQUIRED[4:]:
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    df["horizon_step"] = steps.astype(int)
    return df


def scored_points(forecasts: pd.DataFrame, bookings: pd.DataFrame, lags=LAGS) -> pd.DataFrame:
    """Forecast rows at the given lags whose month the bookings history covers, with the actual.

    ``bookings``: region_code, ds, y (``warehouse.bookings_history``). A region without a
    bookings row in a covered month counts as 0 booked.
    """
    if forecasts.empty or bookings.empty:
        return pd.DataFrame()
    last = pd.to_datetime(bookings["ds"]).max()
    pts = forecasts[forecasts["horizon_step"].isin(lags) & (forecasts["forecast_month"] <= last)].copy()
    act = bookings.assign(ds=pd.to_datetime(bookings["ds"])).rename(columns={"ds": "forecast_month", "y": "actual"})
    pts = pts.merge(act[["region_code", "forecast_month", "actual"]], on=["region_code", "forecast_month"], how="left")
    pts["actual"] = pts["actual"].fillna(0.0).astype(float)
    return pts.rename(columns={"horizon_step": "lag", "forecast_month": "target_month"})


def _scale(bookings: pd.DataFrame, regions, cycle: pd.Timestamp) -> float:
    """Seasonal naive MAE of the summed monthly bookings of ``regions`` up to ``cycle``."""
    b = bookings[bookings["region_code"].isin(list(regions)) & (bookings["ds"] <= cycle)]
    if b.empty:
        return float("nan")
    series = b.groupby("ds")["y"].sum().sort_index()
    series = series.reindex(pd.date_range(series.index.min(), cycle, freq="MS"), fill_value=0.0)
    return metrics.seasonal_naive_scale(series.to_numpy(float), SEASON_LENGTH)


def _covered(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """Share of points inside [lo, hi], over the points that have both bounds."""
    has = np.isfinite(lo) & np.isfinite(hi)
    return metrics.coverage(y[has], lo[has], hi[has]) if has.any() else float("nan")


def _score(g: pd.DataFrame, scale: float) -> dict:
    """Scores of one row of the mart: the points of ``g`` summed first (one point for a region)."""
    y = float(g["actual"].sum())
    out: dict = {"n_regions": int(g["region_code"].nunique()), "actual_usd": round(y, 2)}
    for name, col in FORECASTS.items():
        f = float(g[col].sum())
        out[f"{name}_usd"] = round(f, 2)
        out[f"abs_error_{name}_usd"] = round(abs(y - f), 2)
        out[f"wape_{name}"] = metrics.wape([y], [f])
        out[f"bias_{name}"] = metrics.bias([y], [f])
        out[f"mase_{name}"] = metrics.mase([y], [f], scale)
    out["mase_scale_usd"] = scale
    actual = g["actual"].to_numpy(float)
    for band, (lo, hi) in BOUNDS.items():
        out[f"coverage_{band}_statistical"] = _covered(actual, g[lo].to_numpy(float), g[hi].to_numpy(float))
    for col, (previous, this) in FVA.items():
        out[col] = metrics.fva(out[f"wape_{previous}"], out[f"wape_{this}"])
    return out


def revenue_forecast_accuracy(forecasts: pd.DataFrame, bookings: pd.DataFrame, lags=LAGS) -> pd.DataFrame:
    """The mart ``forecast.revenue_forecast_accuracy`` from all stored forecast rows and the bookings.

    ``forecasts``: rows of ``forecast.revenue_forecast`` (any number of cycles); ``bookings``:
    region_code, ds, y per region x month up to the last closed month. Returns one row per
    cycle x lag x region plus one ``total`` row per cycle x lag, columns as
    ``warehouse.REVENUE_FORECAST_ACCURACY`` (empty, with those columns, before any actual).
    """
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
    if forecasts.empty:
        return empty
    pts = scored_points(check_forecast_rows(forecasts), bookings, lags)
    if pts.empty:
        return empty
    b = bookings.assign(ds=pd.to_datetime(bookings["ds"]))
    scales: dict = {}

    def scale(cycle, regions) -> float:
        if (cycle, regions) not in scales:
            scales[(cycle, regions)] = _scale(b, regions, cycle)
        return scales[(cycle, regions)]

    rows = []
    for (cycle, lag, target), g in pts.groupby(["cycle_month", "lag", "target_month"], sort=True):
        key = {"cycle_month": cycle, "lag": int(lag), "target_month": target}
        for region, r in g.groupby("region_code", sort=True):
            rows.append({**key, "level": "region", "region_code": region, **_score(r, scale(cycle, (region,)))})
        regions = tuple(sorted(set(g["region_code"])))
        rows.append({**key, "level": "total", "region_code": None, **_score(g, scale(cycle, regions))})
    out = pd.DataFrame(rows)[COLUMNS].replace([np.inf, -np.inf], np.nan)
    return out.sort_values(["cycle_month", "lag", "level", "region_code"], na_position="last").reset_index(drop=True)


def summary_by_cycle(accuracy: pd.DataFrame) -> pd.DataFrame:
    """WAPE of each forecast on the total rows, one row per cycle x lag (for the asset's metadata)."""
    cols = ["cycle_month", "lag", *(f"wape_{f}" for f in FORECASTS)]
    if accuracy.empty:
        return pd.DataFrame(columns=cols)
    total = accuracy[accuracy["level"] == "total"].sort_values(["cycle_month", "lag"])
    out = total[cols].copy()
    out["cycle_month"] = pd.to_datetime(out["cycle_month"]).dt.strftime("%Y-%m")
    return out.reset_index(drop=True)
