"""Forecast assets: demand and revenue forecasts, consensus, snapshots, and demand and revenue accuracy.

``forecast_assets`` is the list the code location loads (``orchestration.definitions``);
``FORECAST_MART_KEYS`` are the published forecast tables (schema ``forecast``) publishing waits for.

The cycle month is the partition month. A run over a range of months forecasts the last
``forecast_settings.backfill_cycles`` months of the range (default 3) that the demand history
reaches, each cycle seeing history up to its own month only, so a fresh demo already has
lag-1 accuracy rows. Each cycle step is one function of ``orchestration.forecasting.cycle``
(read, forecast, write); these assets choose the cycles, call it and attach metadata
(docs/forecasting.md).
"""

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    MetadataValue,
    asset,
)

from orchestration.defs.metadata import md_table, table_schema
from orchestration.defs.partitions import CYCLE_ASSET, cycles_of_run
from orchestration.defs.resources import ForecastSettings, SopDataResource
from orchestration.forecasting import cycle as forecast_cycle
from orchestration.forecasting import revenue_accuracy
from orchestration.forecasting import warehouse as wh
from orchestration.forecasting.charts import forecast_chart, markdown_image, top_series
from orchestration.forecasting.demand import backtest_scores, model_mix
from orchestration.forecasting.hierarchy import RECONCILIATION_METHOD
from orchestration.forecasting.overrides import OVERRIDES_FILE
from orchestration.forecasting.snapshots import COLUMNS as SNAPSHOT_COLUMNS
from orchestration.forecasting.snapshots import TABLE as SNAPSHOT_TABLE

GROUP = "forecasts"


def _cycles(
    context: AssetExecutionContext, sop_data: SopDataResource, forecast_settings: ForecastSettings
) -> list[pd.Timestamp]:
    with sop_data.warehouse() as con:
        last = wh.last_history_month(con)
    cycles = cycles_of_run(context.partition_keys, last, forecast_settings.backfill_cycles)
    if not cycles:
        context.log.warning("the demand history does not reach this run's months: no forecast cycle")
    return cycles


#: every forecast asset: its group, one cycle per monthly partition (``partitions.CYCLE_ASSET``)
CYCLE_ASSET = dict(group_name=GROUP, **CYCLE_ASSET)

DEMAND_DEPS = [AssetKey("demand_history_monthly")]


@asset(
    name="demand_forecast",
    **CYCLE_ASSET,
    description="Statistical demand forecast, 18 months, for every level of the hierarchy (total, region, "
    "family x region, SKU x region): models chosen per series by rolling-origin backtest, reconciled "
    "top-down by forecast proportions and coherent to the cent, with 80/95% intervals. "
    "Table `forecast.demand_forecast`.",
    deps=DEMAND_DEPS,
    kinds={"duckdb", "python"},
    metadata={"table": wh.DEMAND_FORECAST.name, "dagster/column_schema": table_schema(wh.DEMAND_FORECAST.columns)},
)
def demand_forecast(
    context: AssetExecutionContext, sop_data: SopDataResource, forecast_settings: ForecastSettings
) -> MaterializeResult:
    cycles = _cycles(context, sop_data, forecast_settings)
    total_rows, seconds, series = 0, 0.0, 0
    last = None
    for cycle in cycles:
        with sop_data.warehouse() as con:
            run = forecast_cycle.demand_cycle(con, cycle)
        total_rows, seconds, series = (
            total_rows + run.rows,
            seconds + run.seconds,
            series + len(run.result.hierarchy.nodes),
        )
        context.log.info(
            f"demand forecast {cycle:%Y-%m}: {len(run.result.hierarchy.nodes)} series in {run.seconds:.1f}s"
        )
        last = run.result
    metadata = {
        "dagster/row_count": total_rows,
        "dagster/column_schema": table_schema(wh.DEMAND_FORECAST.columns),
        "cycles": ", ".join(f"{c:%Y-%m}" for c in cycles) or "none",
        "seconds": round(seconds, 1),
        "series_per_second": round(series / seconds, 1) if seconds else 0.0,
    }
    if last is not None:
        mix = model_mix(last.engine, last.hierarchy).reset_index()
        scores = backtest_scores(last.engine)
        fallbacks = int(last.engine.selection["fallback"].notna().sum())
        month = f"{last.cycle:%Y-%m}"
        chart_ids = ["total", *top_series(last.forecast, n=5)]
        png_path = sop_data.paths.reports / month / "forecast_demand.png"
        png = forecast_chart(
            last.history,
            last.forecast,
            chart_ids,
            png_path,
            f"Demand forecast, cycle {month}: total and top SKU x region",
        )
        metadata.update(
            {
                "series": len(last.hierarchy.nodes),
                "fallback_series": fallbacks,
                "reconciliation": RECONCILIATION_METHOD,
                "model_mix": MetadataValue.md(f"Series per model and level, cycle {month}\n\n" + md_table(mix)),
                "backtest_scores": MetadataValue.md(
                    "Mean backtest MASE of the chosen model vs seasonal naive on the same origins, by demand class\n\n"
                    + md_table(scores)
                ),
                "chart": MetadataValue.md(markdown_image(png, f"demand forecast {month}")),
                "chart_file": MetadataValue.path(str(png_path)),
            }
        )
    return MaterializeResult(metadata=metadata)


@asset(
    name="consensus_demand",
    **CYCLE_ASSET,
    description="Consensus demand: the statistical forecast with the planners' overrides "
    f"(`inputs/{OVERRIDES_FILE}`, read-only) applied and re-aggregated coherently. Tables "
    "`forecast.consensus_demand` and `forecast.forecast_override_log` (every file row: applied or refused, and why).",
    deps=[AssetKey("demand_forecast")],
    kinds={"duckdb", "csv"},
    metadata={
        "table": wh.CONSENSUS_DEMAND.name,
        "override_log": wh.OVERRIDE_LOG.name,
        "dagster/column_schema": table_schema(wh.CONSENSUS_DEMAND.columns),
    },
)
def consensus_demand(
    context: AssetExecutionContext, sop_data: SopDataResource, forecast_settings: ForecastSettings
) -> MaterializeResult:
    path = sop_data.paths.inputs / OVERRIDES_FILE
    cycles = _cycles(context, sop_data, forecast_settings)
    rows, applied, refused, errors = 0, 0, 0, []
    for cycle in cycles:
        with sop_data.warehouse() as con:
            run = forecast_cycle.consensus_cycle(con, cycle, path)
        if run.file_error:
            context.log.error(run.file_error)
        for r in run.check.refused:
            context.log.warning(r["error"])
        rows += run.rows
        applied, refused, errors = len(run.check.valid), len(run.refused), run.refused
    return MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "dagster/column_schema": table_schema(wh.CONSENSUS_DEMAND.columns),
            "overrides_file": MetadataValue.path(str(path)),
            "overrides_file_exists": path.exists(),
            "overrides_applied": applied,
            "overrides_refused": refused,
            "refused": MetadataValue.md("\n".join(f"- {e}" for e in errors) if errors else "_none_"),
            "cycles": ", ".join(f"{c:%Y-%m}" for c in cycles) or "none",
        }
    )


@asset(
    name="revenue_forecast",
    **CYCLE_ASSET,
    description="Bookings forecast per region x month: statistical (engine on bookings history), pipeline "
    "(open opportunities x win rate by stage and age, in the expected close month), their horizon-weighted "
    "blend, and the reps' commit side by side. Table `forecast.revenue_forecast`.",
    deps=[AssetKey("revenue_monthly"), AssetKey("fct_pipeline_snapshot_monthly")],
    kinds={"duckdb", "python"},
    metadata={"table": wh.REVENUE_FORECAST.name, "dagster/column_schema": table_schema(wh.REVENUE_FORECAST.columns)},
)
def revenue_forecast(
    context: AssetExecutionContext, sop_data: SopDataResource, forecast_settings: ForecastSettings
) -> MaterializeResult:
    cycles = _cycles(context, sop_data, forecast_settings)
    rows, last = 0, None
    for cycle in cycles:
        with sop_data.warehouse() as con:
            run = forecast_cycle.revenue_cycle(con, cycle)
        if run is None:
            context.log.warning(f"no bookings history up to {cycle:%Y-%m}: revenue forecast skipped")
            continue
        rows += run.rows
        context.log.info(
            f"revenue forecast {cycle:%Y-%m}: pipeline weights by step {list(run.weights['weight'])} "
            f"({', '.join(sorted(set(run.weights['source'])))})"
        )
        last = run
    metadata = {
        "dagster/row_count": rows,
        "dagster/column_schema": table_schema(wh.REVENUE_FORECAST.columns),
        "cycles": ", ".join(f"{c:%Y-%m}" for c in cycles) or "none",
    }
    if last is not None:
        near = last.table[last.table["horizon_step"] <= 3].copy()
        near["forecast_month"] = near["forecast_month"].dt.strftime("%Y-%m")
        cols = ["region_code", "forecast_month", "statistical_usd", "pipeline_usd", "blended_usd", "commit_usd"]
        metadata["next_3_months"] = MetadataValue.md(md_table(near[cols], floats="{:,.0f}"))
        metadata["win_rates"] = MetadataValue.md(
            md_table(
                last.win_rates[["stage_name", "age_bucket", "closed_opportunities", "win_rate", "win_rate_source"]]
            )
        )
        metadata["blend_weights"] = MetadataValue.md(
            "Pipeline weight in the blend by horizon step (backtest over past origins; default when too few)\n\n"
            + md_table(last.weights)
        )
    return MaterializeResult(metadata=metadata)


@asset(
    name="forecast_snapshots",
    **CYCLE_ASSET,
    description="Immutable snapshot of each cycle's forecast (statistical with intervals and model, seasonal "
    f"naive with intervals, consensus, MASE scale) in `{SNAPSHOT_TABLE}`. A cycle replaces only its own rows.",
    deps=[AssetKey("demand_forecast"), AssetKey("consensus_demand"), AssetKey("demand_history_monthly")],
    kinds={"duckdb"},
    metadata={"table": SNAPSHOT_TABLE, "dagster/column_schema": table_schema(SNAPSHOT_COLUMNS)},
)
def forecast_snapshots(
    context: AssetExecutionContext, sop_data: SopDataResource, forecast_settings: ForecastSettings
) -> MaterializeResult:
    cycles = _cycles(context, sop_data, forecast_settings)
    per_cycle = {}
    for cycle in cycles:
        with sop_data.warehouse() as con:
            per_cycle[f"{cycle:%Y-%m}"] = forecast_cycle.snapshot_cycle(con, cycle)
    return MaterializeResult(
        metadata={
            "dagster/row_count": sum(per_cycle.values()),
            "dagster/column_schema": table_schema(SNAPSHOT_COLUMNS),
            "rows_by_cycle": MetadataValue.json(per_cycle),
        }
    )


@asset(
    name="forecast_accuracy",
    **CYCLE_ASSET,
    description="Accuracy of past forecast snapshots against actual demand at lag 1 and lag 3, per series and "
    "per level: WAPE, bias, MASE, 80/95% coverage for statistical, seasonal naive and consensus, and forecast "
    "value added. Table `forecast.forecast_accuracy`, rebuilt from all snapshots.",
    deps=[AssetKey("forecast_snapshots"), AssetKey("demand_history_monthly")],
    kinds={"duckdb"},
    metadata={"table": "forecast.forecast_accuracy", "dagster/column_schema": table_schema(wh.accuracy_spec().columns)},
)
def forecast_accuracy(context: AssetExecutionContext, sop_data: SopDataResource) -> MaterializeResult:
    spec = wh.accuracy_spec()
    with sop_data.warehouse() as con:
        acc = forecast_cycle.rebuild_demand_accuracy(con)
    rows = len(acc)
    levels = acc[acc["scope"] == "level"].copy() if not acc.empty else acc
    summary = "_no cycle has actuals yet_"
    if not levels.empty:
        levels["cycle_month"] = pd.to_datetime(levels["cycle_month"]).dt.strftime("%Y-%m")
        summary = md_table(
            levels[
                [
                    "cycle_month",
                    "lag",
                    "level",
                    "n_series",
                    "wape_stat",
                    "wape_seasonal_naive",
                    "wape_consensus",
                    "mase_stat",
                    "coverage_80_stat",
                    "fva_stat_wape",
                ]
            ].tail(24)
        )
    return MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "dagster/column_schema": table_schema(spec.columns),
            "cycles_scored": int(acc["cycle_month"].nunique()) if not acc.empty else 0,
            "accuracy_by_level": MetadataValue.md(summary),
        }
    )


@asset(
    name="revenue_forecast_accuracy",
    **CYCLE_ASSET,
    description="Accuracy of every stored revenue cycle against bookings at lag 1 and lag 3, per region and for "
    "all regions summed: actual, statistical, pipeline, blend and the reps' commit side by side, with absolute "
    "error, WAPE, bias, MASE, the statistical forecast's 80/95% coverage and forecast value added. Table "
    "`forecast.revenue_forecast_accuracy`, rebuilt from all cycles of `forecast.revenue_forecast`.",
    deps=[AssetKey("revenue_forecast"), AssetKey("revenue_monthly")],
    kinds={"duckdb"},
    metadata={
        "table": wh.REVENUE_FORECAST_ACCURACY.name,
        "dagster/column_schema": table_schema(wh.REVENUE_FORECAST_ACCURACY.columns),
    },
)
def revenue_forecast_accuracy(context: AssetExecutionContext, sop_data: SopDataResource) -> MaterializeResult:
    spec = wh.REVENUE_FORECAST_ACCURACY
    with sop_data.warehouse() as con:
        acc, cycles_stored = forecast_cycle.rebuild_revenue_accuracy(con)
    rows = len(acc)
    summary = revenue_accuracy.summary_by_cycle(acc)
    return MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "dagster/column_schema": table_schema(spec.columns),
            "cycles_stored": cycles_stored,
            "cycles_scored": int(acc["cycle_month"].nunique()) if not acc.empty else 0,
            "wape_by_cycle": MetadataValue.md(
                (
                    "WAPE of all regions' bookings summed, by cycle and lag, latest 24 rows (lower is better)\n\n"
                    + md_table(summary.tail(24))
                )
                if not summary.empty
                else "_no cycle has actuals yet_"
            ),
        }
    )


forecast_assets: list = [
    demand_forecast,
    consensus_demand,
    revenue_forecast,
    forecast_snapshots,
    forecast_accuracy,
    revenue_forecast_accuracy,
]
FORECAST_MART_KEYS: list = [
    AssetKey("demand_forecast"),
    AssetKey("consensus_demand"),
    AssetKey("revenue_forecast"),
    AssetKey("forecast_accuracy"),
    AssetKey("revenue_forecast_accuracy"),
]
