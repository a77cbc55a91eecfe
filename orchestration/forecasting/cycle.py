"""One S&OP forecast cycle, step by step, against the warehouse: what each forecast asset runs.

Each function reads what its step needs from the build database, calls the forecasting domain
and writes its table, replacing only the cycle's rows (or rebuilding the accuracy tables from
every stored cycle), so re-running a cycle gives the same tables. They return what the assets
report as metadata; the assets themselves only choose the cycles and attach it.

1. ``demand_cycle``: the statistical forecast of every hierarchy level (``forecast.demand_forecast``);
2. ``consensus_cycle``: the planners' overrides applied (``forecast.consensus_demand``) and every
   file row's verdict (``forecast.forecast_override_log``);
3. ``revenue_cycle``: bookings per region, statistical, pipeline and blended, with the reps'
   commit (``forecast.revenue_forecast``);
4. ``snapshot_cycle``: the cycle's immutable snapshot, the base of accuracy (``forecast.forecast_snapshots``);
5. ``rebuild_demand_accuracy`` and ``rebuild_revenue_accuracy``: accuracy of every stored cycle
   against the actuals so far (``forecast.forecast_accuracy``, ``forecast.revenue_forecast_accuracy``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.forecasting import revenue, revenue_accuracy
from orchestration.forecasting import warehouse as wh
from orchestration.forecasting.accuracy import forecast_accuracy
from orchestration.forecasting.consensus import check_overrides, consensus_rows
from orchestration.forecasting.demand import DemandCycle, forecast_demand, hierarchy_of
from orchestration.forecasting.engine import ForecastConfig, forecast_series, production_config
from orchestration.forecasting.hierarchy import aggregate_history, build_hierarchy
from orchestration.forecasting.overrides import OverrideCheck, OverridesFileError
from orchestration.forecasting.snapshots import (
    mase_scales,
    read_snapshots,
    seasonal_naive_bounds,
    snapshot_frame,
    write_snapshot,
)

FORECAST_HORIZON = ForecastConfig().horizon

#: ``forecast.demand_forecast`` column -> the engine's name, for the snapshot
_SNAPSHOT_FORECAST_COLUMNS = {
    "series_id": "unique_id",
    "forecast_month": "ds",
    "forecast_units": "yhat",
    "lo_80_units": "lo_80",
    "hi_80_units": "hi_80",
    "lo_95_units": "lo_95",
    "hi_95_units": "hi_95",
    "seasonal_naive_units": "yhat_seasonal_naive",
}


class MissingCycleError(RuntimeError):
    """A step needs a table the step before it writes, and the cycle has no rows in it."""


@dataclass
class DemandCycleRun:
    rows: int
    seconds: float
    result: DemandCycle


def demand_cycle(con: duckdb.DuckDBPyConnection, cycle: pd.Timestamp) -> DemandCycleRun:
    """Forecast every series of the hierarchy from the demand history up to ``cycle`` and store it.

    The engine is sized for the cycle: twice its SKU x region series (the upper levels are at most
    as many again)."""
    history = wh.demand_history(con, through=cycle)
    started = time.perf_counter()
    n_series = history.loc[history["ds"] == cycle, ["sku", "region"]].drop_duplicates().shape[0]
    result = forecast_demand(history, cycle, production_config(2 * n_series))
    seconds = time.perf_counter() - started
    rows = wh.replace_cycle(con, wh.DEMAND_FORECAST, cycle, result.forecast)
    return DemandCycleRun(rows, seconds, result)


@dataclass
class ConsensusCycleRun:
    rows: int
    check: OverrideCheck
    log: pd.DataFrame
    #: the overrides file could not be read at all (then no override applies and the log says why)
    file_error: str | None = None
    refused: list[str] = field(default_factory=list)


def consensus_cycle(con: duckdb.DuckDBPyConnection, cycle: pd.Timestamp, overrides_file: Path) -> ConsensusCycleRun:
    """Apply the planners' overrides (read-only file) to the cycle's statistical forecast; store the
    consensus and one log row per file row (applied, or refused with the reason)."""
    forecast = wh.read_cycle(con, wh.DEMAND_FORECAST, cycle)
    if forecast.empty:
        raise MissingCycleError(
            f"forecast.demand_forecast has no rows for cycle {cycle:%Y-%m}: materialize demand_forecast"
        )
    file_error = None
    try:
        check = check_overrides(overrides_file, forecast)
        log = check.log()
    except OverridesFileError as exc:
        file_error = str(exc)
        check = OverrideCheck(path=overrides_file)
        log = pd.DataFrame([{"row": 1, "status": "refused", "error": file_error}])
    consensus = consensus_rows(forecast, check)
    log = log.reindex(columns=[c for c in wh.OVERRIDE_LOG.columns if c not in ("cycle_month", "file")])
    log.insert(0, "file", str(overrides_file))
    log.insert(0, "cycle_month", cycle)
    rows = wh.replace_cycle(con, wh.CONSENSUS_DEMAND, cycle, consensus)
    wh.replace_cycle(con, wh.OVERRIDE_LOG, cycle, log)
    refused = list(log.loc[log["status"] == "refused", "error"])
    return ConsensusCycleRun(rows, check, log, file_error, refused)


def bookings_forecaster(history: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """The engine on bookings per region (region_code, ds, y) -> region_code, ds, yhat, ..."""
    config = production_config(history["region_code"].nunique(), horizon)
    result = forecast_series(history.rename(columns={"region_code": "unique_id"}), config)
    return result.forecasts.rename(columns={"unique_id": "region_code"})


@dataclass
class RevenueCycleRun:
    rows: int
    table: pd.DataFrame
    win_rates: pd.DataFrame
    weights: pd.DataFrame


def revenue_cycle(con: duckdb.DuckDBPyConnection, cycle: pd.Timestamp) -> RevenueCycleRun | None:
    """The cycle's bookings forecast per region and month (``None`` when there is no bookings
    history yet): the pipeline's weight in the blend per horizon step comes from a backtest
    over past origins (``revenue.choose_pipeline_weights``)."""
    bookings = wh.bookings_history(con, through=cycle)
    snapshots = wh.pipeline_snapshots(con, through=cycle)
    if bookings.empty:
        return None
    backtest = revenue.blend_backtest(bookings, snapshots, cycle, bookings_forecaster, steps=revenue.BLEND_STEPS)
    weights = revenue.choose_pipeline_weights(backtest)
    statistical = bookings_forecaster(bookings, FORECAST_HORIZON)
    table, rates = revenue.revenue_forecast(
        statistical, snapshots, cycle, FORECAST_HORIZON, weights=tuple(weights["weight"])
    )
    table = table.rename(columns={"ds": "forecast_month"})
    rows = wh.replace_cycle(con, wh.REVENUE_FORECAST, cycle, table)
    return RevenueCycleRun(rows, table, rates, weights)


def snapshot_cycle(con: duckdb.DuckDBPyConnection, cycle: pd.Timestamp) -> int:
    """Freeze the cycle's statistical and consensus forecast, its seasonal-naive benchmark and
    MASE scales; returns the rows written."""
    forecast = wh.read_cycle(con, wh.DEMAND_FORECAST, cycle)
    consensus = wh.read_cycle(con, wh.CONSENSUS_DEMAND, cycle)
    history = wh.demand_history(con, through=cycle)
    if forecast.empty or consensus.empty:
        raise MissingCycleError(f"no forecast or consensus rows for cycle {cycle:%Y-%m}: materialize them first")
    node_history = aggregate_history(history, hierarchy_of(forecast))
    statistical = forecast.rename(columns=_SNAPSHOT_FORECAST_COLUMNS)
    agreed = consensus.rename(
        columns={"series_id": "unique_id", "forecast_month": "ds", "consensus_units": "consensus"}
    )
    rows = snapshot_frame(
        cycle, statistical, agreed, mase_scales(node_history), seasonal_naive_bounds(node_history, statistical)
    )
    return write_snapshot(con, cycle, rows)


def rebuild_demand_accuracy(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``forecast.forecast_accuracy`` rebuilt from every snapshot and the demand so far; returned too."""
    snapshots = read_snapshots(con)
    history = wh.demand_history(con)
    if history.empty:
        actuals = pd.DataFrame(columns=["unique_id", "ds", "y"])
    else:
        actuals = aggregate_history(history, build_hierarchy(history[["sku", "region", "family"]]))
    accuracy = forecast_accuracy(snapshots, actuals)
    wh.replace_table(con, wh.accuracy_spec(), accuracy)
    return accuracy


def rebuild_revenue_accuracy(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, int]:
    """``forecast.revenue_forecast_accuracy`` rebuilt from every stored revenue cycle and the
    bookings so far; returns it and the number of cycles stored."""
    forecasts = wh.read_table(con, wh.REVENUE_FORECAST)
    last = wh.last_bookings_month(con)
    bookings = wh.bookings_history(con, through=last) if last is not None else pd.DataFrame()
    accuracy = revenue_accuracy.revenue_forecast_accuracy(forecasts, bookings)
    wh.replace_table(con, wh.REVENUE_FORECAST_ACCURACY, accuracy)
    return accuracy, int(forecasts["cycle_month"].nunique()) if not forecasts.empty else 0
