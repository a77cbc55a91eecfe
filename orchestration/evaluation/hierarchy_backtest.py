"""How well each reconciliation method forecasts the demand hierarchy, measured on past cycles.

For every origin cycle ``c``: the hierarchy and the history up to ``c`` exactly as
``demand.forecast_demand`` builds them, the engine run ONCE on every node, then every
reconciliation method applied to those same base forecasts (and exact coherence in cents, so
what is scored is what users would have read). Each method, and the base (unreconciled)
forecasts, are scored on the months after ``c`` that exist (up to the horizon) against the
actuals of the same SKU x region series, aggregated the same way, per level:

- WAPE = Σ|y−ŷ| / Σ|y| over every node and month of the level;
- mean MASE = the mean over the level's nodes of mean|y−ŷ| / the node's in-sample seasonal
  naive MAE (m = 12, ``metrics.seasonal_naive_scale`` on its history up to ``c``);
- bias = Σ(ŷ−y) / Σy;
- coverage80 = the share of node-months whose actual lies inside the 80% interval (the
  intervals users read: base widths around the coherent forecast, ``hierarchy`` module doc).

Series that start after ``c`` are not in that cycle's hierarchy, so they are not in its actuals
either: every method is judged on the series it was asked to forecast.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from orchestration.forecasting import metrics
from orchestration.forecasting.demand import cycle_hierarchy
from orchestration.forecasting.engine import ForecastConfig, ForecastResult, forecast_series
from orchestration.forecasting.hierarchy import (
    LEVELS,
    Hierarchy,
    aggregate_history,
    backtest_errors,
    coherent_forecast,
)

BASE = "base"


@dataclass
class Origin:
    """One origin cycle: what the engine saw and forecast, and what happened next."""

    cycle: pd.Timestamp
    hierarchy: Hierarchy
    history: pd.DataFrame  # every node: unique_id, ds, y up to the cycle
    engine: ForecastResult
    actuals: pd.DataFrame  # every node x month after the cycle that exists: unique_id, ds, y
    engine_seconds: float = 0.0


@dataclass
class HierarchyEvaluation:
    scores: pd.DataFrame  # cycle, method, level, n_series, n_points, wape, mase, bias
    seconds: dict = field(default_factory=dict)  # (cycle, method) -> reconciliation seconds; (cycle, "engine")


def prepare_origin(history: pd.DataFrame, cycle, config: ForecastConfig = ForecastConfig()) -> Origin:
    """Hierarchy, node history and engine result at ``cycle`` (as ``forecast_demand``), plus actuals.

    ``history``: sku, region, family, ds, y at SKU x region, extending past the cycle.
    """
    cycle = pd.Timestamp(cycle)
    hierarchy, nodes_history = cycle_hierarchy(history, cycle)
    months = pd.date_range(cycle + pd.DateOffset(months=1), periods=config.horizon, freq="MS")
    months = months[months <= history["ds"].max()]
    if len(months) == 0:
        raise ValueError(f"no actuals after the cycle {cycle:%Y-%m}: the history ends {history['ds'].max():%Y-%m}")
    started = time.perf_counter()
    engine = forecast_series(nodes_history, config)
    seconds = time.perf_counter() - started
    actuals = node_actuals(history[history["ds"].isin(months)], hierarchy, months)
    return Origin(cycle, hierarchy, nodes_history, engine, actuals, seconds)


def node_actuals(history: pd.DataFrame, hierarchy: Hierarchy, months) -> pd.DataFrame:
    """Every node x month of ``months``: the sum of its bottom series' actuals (0 where none)."""
    summed = (
        aggregate_history(history, hierarchy) if not history.empty else pd.DataFrame(columns=["unique_id", "ds", "y"])
    )
    grid = pd.MultiIndex.from_product(
        [hierarchy.nodes["unique_id"], pd.DatetimeIndex(months)], names=["unique_id", "ds"]
    )
    return summed.set_index(["unique_id", "ds"])["y"].reindex(grid, fill_value=0.0).astype(float).reset_index()


def method_forecasts(origin: Origin, method: str) -> pd.DataFrame:
    """unique_id, ds, yhat, lo_80, hi_80: the base forecasts (``method="base"``) or the coherent
    ones of ``method``."""
    base = origin.engine.forecasts
    cols = ["unique_id", "ds", "yhat", "lo_80", "hi_80"]
    if method == BASE:
        return base[cols].copy()
    errors = backtest_errors(origin.engine.selection, origin.engine.backtest_forecasts, origin.history)
    out = coherent_forecast(base, origin.hierarchy, method=method, errors=errors)
    return out[cols]


def score_levels(
    forecasts: pd.DataFrame, actuals: pd.DataFrame, history: pd.DataFrame, hierarchy: Hierarchy, season_length: int = 12
) -> pd.DataFrame:
    """Per level: n_series, n_points, WAPE, mean MASE, bias and (when ``forecasts`` has
    ``lo_80``/``hi_80``) 80% coverage of ``forecasts`` against ``actuals``.

    Only the months present in ``actuals`` are scored; every node of ``hierarchy`` must have a
    forecast for each of them. MASE scales come from ``history`` (the node's months up to the
    cycle); a node whose scale is undefined (all-zero history) is left out of the mean MASE.
    """
    bounds = [c for c in ("lo_80", "hi_80") if c in forecasts.columns]
    merged = actuals.merge(forecasts[["unique_id", "ds", "yhat", *bounds]], on=["unique_id", "ds"], how="left")
    if merged["yhat"].isna().any():
        bad = merged[merged["yhat"].isna()].iloc[0]
        raise ValueError(f"no forecast for node {bad.unique_id!r} month {pd.Timestamp(bad.ds):%Y-%m}")
    merged = merged.merge(hierarchy.nodes[["unique_id", "level"]], on="unique_id")
    scales = {
        uid: metrics.seasonal_naive_scale(g.sort_values("ds")["y"].to_numpy(), season_length)
        for uid, g in history.groupby("unique_id", sort=False)
    }
    merged["abs_err"] = (merged["y"] - merged["yhat"]).abs()
    per_node = merged.groupby(["level", "unique_id"], as_index=False)["abs_err"].mean()
    per_node["mase"] = per_node["abs_err"] / per_node["unique_id"].map(scales)
    rows = []
    for level in LEVELS:
        m = merged[merged["level"] == level]
        if m.empty:
            continue
        nodes = per_node[per_node["level"] == level]
        mase = nodes["mase"].replace([np.inf, -np.inf], np.nan).dropna()
        rows.append(
            {
                "level": level,
                "n_series": int(m["unique_id"].nunique()),
                "n_points": int(len(m)),
                "wape": metrics.wape(m["y"], m["yhat"]),
                "mase": float(mase.mean()) if len(mase) else float("nan"),
                "bias": metrics.bias(m["y"], m["yhat"]),
                "coverage80": metrics.coverage(m["y"], m["lo_80"], m["hi_80"]) if len(bounds) == 2 else float("nan"),
            }
        )
    return pd.DataFrame(rows, columns=["level", "n_series", "n_points", "wape", "mase", "bias", "coverage80"])


def evaluate_origin(origin: Origin, methods, season_length: int = 12) -> tuple[pd.DataFrame, dict]:
    """Scores of the base forecasts and of every method on one origin, and reconciliation seconds."""
    frames, seconds = [], {}
    for method in [BASE, *[m for m in methods if m != BASE]]:
        started = time.perf_counter()
        fc = method_forecasts(origin, method)
        seconds[method] = time.perf_counter() - started
        scores = score_levels(fc, origin.actuals, origin.history, origin.hierarchy, season_length)
        frames.append(scores.assign(cycle=f"{origin.cycle:%Y-%m}", method=method))
    return pd.concat(frames, ignore_index=True), seconds


def evaluate_hierarchy(
    history: pd.DataFrame, cycles, methods, config: ForecastConfig = ForecastConfig(), progress=None
) -> HierarchyEvaluation:
    """Run the engine once per origin cycle and score every method on the same base forecasts."""
    frames, seconds = [], {}
    for cycle in cycles:
        origin = prepare_origin(history, cycle, config)
        if progress:
            progress(
                f"{origin.cycle:%Y-%m}: engine {origin.engine_seconds:.0f} s on {len(origin.hierarchy.nodes)} nodes, "
                f"{origin.actuals['ds'].nunique()} months of actuals"
            )
        scores, secs = evaluate_origin(origin, methods, config.season_length)
        frames.append(scores)
        seconds[(f"{origin.cycle:%Y-%m}", "engine")] = origin.engine_seconds
        for m, s in secs.items():
            seconds[(f"{origin.cycle:%Y-%m}", m)] = s
    return HierarchyEvaluation(pd.concat(frames, ignore_index=True), seconds)


def summary_table(scores: pd.DataFrame) -> pd.DataFrame:
    """Per method x level, the mean over cycles of WAPE, mean MASE, bias and 80% coverage (cycles weigh alike)."""
    order = {lv: i for i, lv in enumerate(LEVELS)}
    methods = list(dict.fromkeys(scores["method"]))
    out = scores.groupby(["level", "method"], as_index=False)[["wape", "mase", "bias", "coverage80"]].mean()
    out["_l"] = out["level"].map(order)
    out["_m"] = out["method"].map({m: i for i, m in enumerate(methods)})
    return out.sort_values(["_l", "_m"]).drop(columns=["_l", "_m"]).reset_index(drop=True)


def format_report(evaluation: HierarchyEvaluation) -> str:
    """Plain-text tables: per cycle and the mean over cycles, then the times."""
    lines = []
    cols = ["level", "method", "wape", "mase", "bias", "coverage80"]
    fmt = {"wape": "{:.3f}".format, "mase": "{:.3f}".format, "bias": "{:+.3f}".format, "coverage80": "{:.3f}".format}
    for cycle, g in evaluation.scores.groupby("cycle", sort=False):
        lines.append(f"cycle {cycle} ({int(g['n_points'].max() / max(g['n_series'].max(), 1))} months scored)")
        lines.append(summary_table(g)[cols].to_string(index=False, formatters=fmt))
        lines.append("")
    lines.append("mean over cycles")
    lines.append(summary_table(evaluation.scores)[cols].to_string(index=False, formatters=fmt))
    lines.append("")
    lines.append("seconds: " + ", ".join(f"{c} {m} {s:.2f}" for (c, m), s in evaluation.seconds.items()))
    return "\n".join(lines)
