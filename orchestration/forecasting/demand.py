"""One cycle's statistical demand forecast: hierarchy, base forecasts by the engine, coherence.

For cycle month ``c`` (the month being closed):

1. the SKU x region series *active* at ``c``: those with a history row in month ``c`` and at
   least one month with demand up to ``c``. ``demand_history_monthly`` zero-fills a series up
   to the last month of the data, or to its end of life, so a series without a row in ``c``
   has ended and is not forecast; and it zero-fills from the SKU's launch every SKU x region
   that *ever* ordered, so when a past cycle is re-forecast from today's mart, a series whose
   first order came after ``c`` has zero rows up to ``c``: it did not exist at the cycle and
   is not forecast (as in the run made at the time);
2. their history up to ``c`` only (a cycle never sees later months), aggregated to every
   level of the hierarchy (``hierarchy.aggregate_history``);
3. base forecasts for every node by the engine (``engine.forecast_series``), each node's model
   chosen by its own backtest;
4. reconciliation (``hierarchy.RECONCILIATION_METHOD``: top-down by forecast proportions; the
   methods weighted by backtest errors get them from this engine result) and exact coherence
   in cents (``hierarchy.coherent_forecast``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from orchestration.forecasting.engine import ForecastConfig, ForecastResult, forecast_series
from orchestration.forecasting.hierarchy import (
    NEEDS_BACKTEST,
    RECONCILIATION_METHOD,
    Hierarchy,
    aggregate_history,
    backtest_errors,
    build_hierarchy,
    coherent_forecast,
)


@dataclass
class DemandCycle:
    cycle: pd.Timestamp
    hierarchy: Hierarchy
    history: pd.DataFrame  # every node: unique_id, ds, y (up to the cycle)
    engine: ForecastResult  # base forecasts, selection and backtest of every node
    forecast: pd.DataFrame  # forecast.demand_forecast layout


def active_keys(history: pd.DataFrame, cycle: pd.Timestamp) -> pd.DataFrame:
    """sku, region, family of the series with a history row in the cycle month and some demand
    up to it (module doc, step 1)."""
    cycle = pd.Timestamp(cycle)
    upto = history[history["ds"] <= cycle]
    ordered = upto.loc[upto["y"] != 0, ["sku", "region"]].drop_duplicates()
    at_cycle = upto[upto["ds"] == cycle]
    at_cycle = at_cycle.merge(ordered, on=["sku", "region"])
    return at_cycle[["sku", "region", "family"]].drop_duplicates(["sku", "region"]).reset_index(drop=True)


def cycle_hierarchy(history: pd.DataFrame, cycle: pd.Timestamp) -> tuple[Hierarchy, pd.DataFrame]:
    """The hierarchy of the series active at ``cycle`` and every node's history up to it
    (unique_id, ds, y): steps 1 and 2 of the module doc. Raises when no series is active."""
    cycle = pd.Timestamp(cycle)
    hist = history[history["ds"] <= cycle]
    keys = active_keys(hist, cycle)
    if keys.empty:
        raise ValueError(f"no demand series has history in the cycle month {cycle:%Y-%m}: nothing to forecast")
    hierarchy = build_hierarchy(keys)
    return hierarchy, aggregate_history(hist, hierarchy)


def forecast_demand(
    history: pd.DataFrame,
    cycle: pd.Timestamp,
    config: ForecastConfig = ForecastConfig(),
    method: str = RECONCILIATION_METHOD,
) -> DemandCycle:
    """The coherent statistical forecast of every node for ``cycle``.

    ``history``: sku, region, family, ds, y at the SKU x region level (may extend past the
    cycle; only months up to it are used). ``method``: the reconciliation method
    (``hierarchy.RECONCILIATION_METHODS``).
    """
    cycle = pd.Timestamp(cycle)
    hierarchy, nodes_history = cycle_hierarchy(history, cycle)
    engine = forecast_series(nodes_history, config)
    base = engine.forecasts
    expected = pd.date_range(cycle + pd.DateOffset(months=1), periods=config.horizon, freq="MS")
    if not base["ds"].isin(expected).all():
        raise RuntimeError(f"engine forecast months do not follow the cycle {cycle:%Y-%m}")
    errors = None
    if method in NEEDS_BACKTEST:
        errors = backtest_errors(
            engine.selection, engine.backtest_forecasts, nodes_history, fallback_window=config.fallback_window
        )
    coherent = coherent_forecast(base, hierarchy, method=method, errors=errors)
    return DemandCycle(cycle, hierarchy, nodes_history, engine, demand_forecast_rows(cycle, coherent, engine))


def demand_forecast_rows(cycle: pd.Timestamp, coherent: pd.DataFrame, engine: ForecastResult) -> pd.DataFrame:
    """Coherent forecasts in the ``forecast.demand_forecast`` layout."""
    sel = engine.selection[["unique_id", "demand_class", "fallback", "backtest_mase", "seasonal_naive_mase"]]
    df = coherent.merge(sel, on="unique_id", how="left")
    ds = pd.to_datetime(df["ds"])
    out = pd.DataFrame(
        {
            "cycle_month": pd.Timestamp(cycle),
            "series_id": df["unique_id"],
            "level": df["level"],
            "region_code": df["region"],
            "product_family": df["family"],
            "sku": df["sku"],
            "forecast_month": ds,
            "horizon_step": ((ds.dt.year - cycle.year) * 12 + ds.dt.month - cycle.month).astype(int),
            "model": df["model"],
            "demand_class": df["demand_class"],
            "fallback": df["fallback"],
            "backtest_mase": df["backtest_mase"].astype(float),
            "seasonal_naive_mase": df["seasonal_naive_mase"].astype(float),
            "forecast_units": df["yhat"].astype(float),
            "lo_80_units": df["lo_80"].astype(float),
            "hi_80_units": df["hi_80"].astype(float),
            "lo_95_units": df["lo_95"].astype(float),
            "hi_95_units": df["hi_95"].astype(float),
            "base_forecast_units": df["yhat_base"].astype(float),
            "seasonal_naive_units": np.round(df["yhat_seasonal_naive"].astype(float), 2),
        }
    )
    return out.sort_values(["series_id", "forecast_month"]).reset_index(drop=True)


def hierarchy_of(rows: pd.DataFrame) -> Hierarchy:
    """The hierarchy of a cycle's forecast rows (forecast.demand_forecast layout)."""
    bottom = rows[rows["level"] == "sku_region"]
    keys = bottom[["sku", "region_code", "product_family"]].drop_duplicates()
    return build_hierarchy(keys.rename(columns={"region_code": "region", "product_family": "family"}))


def model_mix(engine: ForecastResult, hierarchy: Hierarchy) -> pd.DataFrame:
    """Series count per level x model (the model mix shown in the UI)."""
    sel = engine.selection.merge(hierarchy.nodes[["unique_id", "level"]], on="unique_id")
    mix = sel.pivot_table(index="model", columns="level", values="unique_id", aggfunc="count", fill_value=0)
    return mix.reindex(columns=[c for c in ("total", "region", "family_region", "sku_region") if c in mix.columns])


def backtest_scores(engine: ForecastResult) -> pd.DataFrame:
    """Mean backtest MASE of the chosen model vs seasonal naive by demand class and model."""
    sel = engine.selection[engine.selection["backtest_mase"].notna()]
    if sel.empty:
        return pd.DataFrame(columns=["demand_class", "model", "series", "mase", "seasonal_naive_mase"])
    return sel.groupby(["demand_class", "model"], as_index=False).agg(
        series=("unique_id", "count"),
        mase=("backtest_mase", "mean"),
        seasonal_naive_mase=("seasonal_naive_mase", "mean"),
    )
