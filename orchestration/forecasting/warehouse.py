"""Reading the marts the forecasts need and writing the forecast tables (DuckDB, no Dagster).

Every forecast table is declared here once (``TableSpec``: SQL type and description per
column); the same declaration creates the table, orders the columns on write and feeds the
column schema shown in the Dagster UI and documented in docs/forecasting.md.

Tables holding one set of rows per cycle (``forecast.demand_forecast``, ``forecast.consensus_demand``,
``forecast.revenue_forecast``, ``forecast.forecast_override_log``) are written per cycle with
``DELETE WHERE cycle_month = ?`` + ``INSERT`` (re-running a cycle replaces it, other cycles stay);
``forecast.forecast_accuracy`` is derived from all snapshots and ``forecast.revenue_forecast_accuracy``
from all stored revenue cycles; both are replaced as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd


@dataclass(frozen=True)
class TableSpec:
    name: str  # schema.table
    columns: dict[str, tuple[str, str]]  # column -> (SQL type, description)
    description: str
    primary_key: tuple[str, ...] = ()

    def create(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create the table, or add the columns a table stored by an earlier version lacks (new
        columns are only ever appended to a spec, and are null in the rows stored before them)."""
        schema = self.name.split(".")[0]
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        cols = ", ".join(f"{c} {t}" for c, (t, _) in self.columns.items())
        key = f", PRIMARY KEY ({', '.join(self.primary_key)})" if self.primary_key else ""
        con.execute(f"CREATE TABLE IF NOT EXISTS {self.name} ({cols}{key})")
        for c, (t, _) in self.columns.items():
            con.execute(f"ALTER TABLE {self.name} ADD COLUMN IF NOT EXISTS {c} {t}")


_NODE = {
    "cycle_month": ("DATE", "S&OP cycle (month closed) that made the forecast; history up to its end."),
    "series_id": ("VARCHAR", "Hierarchy node: total, region=R, family=F|region=R or sku=S|region=R."),
    "level": ("VARCHAR", "total, region, family_region or sku_region."),
    "region_code": ("VARCHAR", "Sales region (null for the total)."),
    "product_family": ("VARCHAR", "Product family (family_region and sku_region levels)."),
    "sku": ("VARCHAR", "SKU (sku_region level)."),
    "forecast_month": ("DATE", "Forecast month (first day)."),
    "horizon_step": ("INTEGER", "Months after the cycle month: 1 = the next month."),
}

DEMAND_FORECAST = TableSpec(
    "forecast.demand_forecast",
    {
        **_NODE,
        "model": (
            "VARCHAR",
            "Model of the node's base forecast chosen by backtest "
            "(Ensemble = combination; RecentMean, LaunchProfile, Zero = fallbacks).",
        ),
        "demand_class": ("VARCHAR", "smooth, erratic, intermittent, lumpy, short or zero (ADI and CV²)."),
        "fallback": ("VARCHAR", "Why the node got a fallback model instead of a backtested one; null otherwise."),
        "backtest_mase": ("DOUBLE", "Backtest MASE of the chosen model (rolling origin)."),
        "seasonal_naive_mase": ("DOUBLE", "Backtest MASE of seasonal naive on the same origins (the bar to beat)."),
        "forecast_units": (
            "DECIMAL(18,2)",
            "Statistical forecast, ordered units: reconciled top-down by forecast "
            "proportions (the total keeps its own model's forecast; each level split by "
            "its children's forecast shares), bottom clipped at 0 and rounded to cents, "
            "upper levels exact sums.",
        ),
        "lo_80_units": (
            "DECIMAL(18,2)",
            "Lower bound of the 80% interval (the node's base interval scaled with its "
            "forecast by the top-down reconciliation).",
        ),
        "hi_80_units": ("DECIMAL(18,2)", "Upper bound of the 80% interval."),
        "lo_95_units": ("DECIMAL(18,2)", "Lower bound of the 95% interval."),
        "hi_95_units": ("DECIMAL(18,2)", "Upper bound of the 95% interval."),
        "base_forecast_units": ("DOUBLE", "The engine's forecast of this node before reconciliation."),
        "seasonal_naive_units": ("DECIMAL(18,2)", "Seasonal naive forecast of the node (benchmark)."),
    },
    "Statistical demand forecast per cycle, every hierarchy level, 18 months, coherent to the cent.",
)

CONSENSUS_DEMAND = TableSpec(
    "forecast.consensus_demand",
    {
        **_NODE,
        "statistical_units": ("DECIMAL(18,2)", "Statistical forecast (forecast.demand_forecast.forecast_units)."),
        "consensus_units": (
            "DECIMAL(18,2)",
            "Consensus: statistical with the valid planner overrides, re-aggregated as exact sums of SKU x region.",
        ),
        "override_units": ("DECIMAL(18,2)", "consensus_units - statistical_units."),
        "overridden_series": ("INTEGER", "SKU x region series under this node changed by an override this month."),
        "override_rows": ("VARCHAR", "File rows of the overrides applied (sku_region level only), e.g. '3,7'."),
    },
    "Consensus demand per cycle: the statistical forecast with the planners' overrides, coherent.",
)

OVERRIDE_LOG = TableSpec(
    "forecast.forecast_override_log",
    {
        "cycle_month": ("DATE", "Cycle that read the file."),
        "file": ("VARCHAR", "Path of the overrides file read."),
        "row": ("INTEGER", "Line number in the file (the header is line 1)."),
        "level": ("VARCHAR", "sku or family, as written."),
        "item": ("VARCHAR", "SKU or family, as written."),
        "region": ("VARCHAR", "Region, as written."),
        "month": ("VARCHAR", "Month (YYYY-MM), as written."),
        "kind": ("VARCHAR", "absolute or percent, as written."),
        "value": ("DOUBLE", "Value (null when not a number)."),
        "author": ("VARCHAR", "Author, as written."),
        "reason": ("VARCHAR", "Reason, as written."),
        "status": ("VARCHAR", "applied, refused (not applied, see error) or duplicate (identical copy, applied once)."),
        "error": ("VARCHAR", "For refused rows: file, row and the rule broken."),
    },
    "Every row of the planner overrides file per cycle: applied or refused, and why.",
)

REVENUE_FORECAST = TableSpec(
    "forecast.revenue_forecast",
    {
        "cycle_month": ("DATE", "S&OP cycle that made the forecast."),
        "region_code": ("VARCHAR", "Sales region."),
        "forecast_month": ("DATE", "Forecast month (first day)."),
        "horizon_step": ("INTEGER", "Months after the cycle month."),
        "statistical_model": ("VARCHAR", "Model of the statistical bookings forecast."),
        "statistical_usd": ("DECIMAL(18,2)", "Statistical forecast of bookings (revenue_monthly.bookings_usd)."),
        "statistical_lo_80_usd": ("DECIMAL(18,2)", "80% interval, lower bound."),
        "statistical_hi_80_usd": ("DECIMAL(18,2)", "80% interval, upper bound."),
        "statistical_lo_95_usd": ("DECIMAL(18,2)", "95% interval, lower bound."),
        "statistical_hi_95_usd": ("DECIMAL(18,2)", "95% interval, upper bound."),
        "open_opportunities": ("INTEGER", "Open opportunities at the cycle's month end expected to close this month."),
        "open_pipeline_usd": ("DECIMAL(18,2)", "Their amount."),
        "pipeline_usd": ("DECIMAL(18,2)", "Pipeline forecast: amount x historical win rate by stage and age."),
        "pipeline_weight": ("DOUBLE", "Weight of the pipeline forecast in the blend at this horizon step."),
        "blended_usd": ("DECIMAL(18,2)", "pipeline_weight x pipeline_usd + (1 - pipeline_weight) x statistical_usd."),
        "commit_open_usd": ("DECIMAL(18,2)", "Open amount in forecast category Commit expected to close this month."),
        "closed_won_usd": ("DECIMAL(18,2)", "Amount already closed won in this month at the cycle's month end."),
        "commit_usd": ("DECIMAL(18,2)", "The reps' commit: commit_open_usd + closed_won_usd."),
    },
    "Bookings forecast per cycle x region x month: statistical, pipeline, blend and the reps' commit.",
)


def accuracy_spec() -> TableSpec:
    from orchestration.forecasting.accuracy import COLUMNS

    types = {
        "cycle_month": "DATE",
        "lag": "INTEGER",
        "target_month": "DATE",
        "level": "VARCHAR",
        "scope": "VARCHAR",
        "series_id": "VARCHAR",
        "n_series": "INTEGER",
    }
    return TableSpec(
        "forecast.forecast_accuracy",
        {c: (types.get(c, "DOUBLE"), d) for c, d in COLUMNS.items()},
        "Accuracy of past forecast snapshots at lag 1 and 3: WAPE, bias, MASE, coverage, FVA.",
    )


_REVENUE_FORECASTS = {
    "statistical": "statistical forecast (statistical_usd)",
    "pipeline": "pipeline forecast (pipeline_usd)",
    "blended": "blend (blended_usd)",
    "commit": "reps' commit (commit_usd)",
}

REVENUE_FORECAST_ACCURACY = TableSpec(
    "forecast.revenue_forecast_accuracy",
    {
        "cycle_month": ("DATE", "Cycle that made the forecast (forecast.revenue_forecast.cycle_month)."),
        "lag": ("INTEGER", "Months between the cycle and the target month (1 or 3): the forecast's horizon_step."),
        "target_month": ("DATE", "Forecast month compared with its bookings; only months the bookings history covers."),
        "level": ("VARCHAR", "'region' (one region) or 'total' (all regions the cycle forecast, summed first)."),
        "region_code": ("VARCHAR", "Sales region; null for the total row."),
        "n_regions": ("INTEGER", "Regions in the row: 1 for a region row, the regions summed for the total."),
        "actual_usd": (
            "DECIMAL(18,2)",
            "Bookings of the target month (revenue_monthly.bookings_usd; 0 when the region booked nothing that month).",
        ),
        **{
            f"{f}_usd": ("DECIMAL(18,2)", f"The cycle's {d} for the target month.")
            for f, d in _REVENUE_FORECASTS.items()
        },
        **{
            f"abs_error_{f}_usd": ("DECIMAL(18,2)", f"Absolute error of the {d}: abs(actual_usd − forecast).")
            for f, d in _REVENUE_FORECASTS.items()
        },
        **{
            f"wape_{f}": (
                "DOUBLE",
                f"WAPE of the {d}: abs(y − ŷ) / y, y and ŷ the row's bookings and "
                "forecast (summed over regions for the total); null when y = 0.",
            )
            for f, d in _REVENUE_FORECASTS.items()
        },
        **{
            f"bias_{f}": ("DOUBLE", f"Bias of the {d}: (ŷ − y) / y, positive = over-forecast; null when y = 0.")
            for f, d in _REVENUE_FORECASTS.items()
        },
        "mase_scale_usd": (
            "DOUBLE",
            "In-sample seasonal naive MAE (m = 12) of the row's monthly bookings up to "
            "the cycle month (the region's, or the regions' sum for the total); the MASE "
            "denominator, null when undefined.",
        ),
        **{
            f"mase_{f}": ("DOUBLE", f"MASE of the {d}: abs(y − ŷ) / mase_scale_usd.")
            for f, d in _REVENUE_FORECASTS.items()
        },
        "coverage_80_statistical": (
            "DOUBLE",
            "Share of the row's regions whose bookings fell inside the "
            "statistical 80% interval (0 or 1 for a region row).",
        ),
        "coverage_95_statistical": (
            "DOUBLE",
            "Share of the row's regions whose bookings fell inside the "
            "statistical 95% interval (0 or 1 for a region row).",
        ),
        "fva_blended_over_statistical": (
            "DOUBLE",
            "Forecast value added by the blend over the statistical forecast: "
            "wape_statistical − wape_blended (positive = blend better).",
        ),
        "fva_blended_over_pipeline": (
            "DOUBLE",
            "Forecast value added by the blend over the pipeline forecast: "
            "wape_pipeline − wape_blended (positive = blend better).",
        ),
        "fva_commit_over_blended": (
            "DOUBLE",
            "The reps' commit against the blend: wape_blended − wape_commit (positive = commit better).",
        ),
    },
    "Accuracy of every stored revenue cycle at lag 1 and 3 against bookings, per region and in total: "
    "statistical, pipeline, blend and commit side by side (error, WAPE, bias, MASE, coverage, FVA).",
)


def _frame_for(spec: TableSpec, df: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in spec.columns if c not in df.columns]
    if missing:
        raise ValueError(f"rows for {spec.name} lack column(s) {missing}")
    return df[list(spec.columns)]


def replace_cycle_rows(
    con: duckdb.DuckDBPyConnection, table: str, columns, cycle: pd.Timestamp, frame: pd.DataFrame
) -> int:
    """Delete ``table``'s rows of ``cycle`` and insert ``frame`` in one transaction; other cycles stay.

    The one way every forecast table (and the snapshots) is written, so that re-running a
    cycle replaces exactly that cycle.
    """
    con.register("_cycle_rows", frame)
    cols = ", ".join(columns)
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute(f"DELETE FROM {table} WHERE cycle_month = ?", [pd.Timestamp(cycle).date()])
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _cycle_rows")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_cycle_rows")
    return len(frame)


def replace_cycle(con: duckdb.DuckDBPyConnection, spec: TableSpec, cycle: pd.Timestamp, df: pd.DataFrame) -> int:
    """Replace ``spec``'s rows of ``cycle`` by ``df`` (one transaction); other cycles stay."""
    spec.create(con)
    return replace_cycle_rows(con, spec.name, spec.columns, cycle, _frame_for(spec, df))


def replace_table(con: duckdb.DuckDBPyConnection, spec: TableSpec, df: pd.DataFrame) -> int:
    """Replace all rows of ``spec`` by ``df`` (one transaction)."""
    spec.create(con)
    frame = _frame_for(spec, df)
    con.register("_all_rows", frame)
    cols = ", ".join(spec.columns)
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute(f"DELETE FROM {spec.name}")
        con.execute(f"INSERT INTO {spec.name} ({cols}) SELECT {cols} FROM _all_rows")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("_all_rows")
    return len(frame)


def read_cycle(con: duckdb.DuckDBPyConnection, spec: TableSpec, cycle: pd.Timestamp) -> pd.DataFrame:
    """Rows of one cycle, decimals as floats, dates as Timestamps."""
    cols = ", ".join(
        f"CAST({c} AS DOUBLE) AS {c}" if t.startswith("DECIMAL") else c for c, (t, _) in spec.columns.items()
    )
    df = con.execute(f"SELECT {cols} FROM {spec.name} WHERE cycle_month = ?", [pd.Timestamp(cycle).date()]).df()
    for c, (t, _) in spec.columns.items():
        if t == "DATE":
            df[c] = pd.to_datetime(df[c])
    return df


def read_table(con: duckdb.DuckDBPyConnection, spec: TableSpec) -> pd.DataFrame:
    """All rows of ``spec`` (created empty when missing), decimals as floats, dates as Timestamps."""
    spec.create(con)
    cols = ", ".join(
        f"CAST({c} AS DOUBLE) AS {c}" if t.startswith("DECIMAL") else c for c, (t, _) in spec.columns.items()
    )
    df = con.execute(f"SELECT {cols} FROM {spec.name} ORDER BY cycle_month").df()
    for c, (t, _) in spec.columns.items():
        if t == "DATE":
            df[c] = pd.to_datetime(df[c])
    return df


# ---------------------------------------------------------------- reading the marts
def demand_history(con: duckdb.DuckDBPyConnection, through: pd.Timestamp | None = None) -> pd.DataFrame:
    """SKU x region monthly ordered units (sku, region, family, ds, y), up to ``through``."""
    where = "WHERE demand_month <= ?" if through is not None else ""
    params = [pd.Timestamp(through).date()] if through is not None else []
    df = con.execute(
        "SELECT sku, region_code AS region, product_family AS family, demand_month AS ds, "
        f"CAST(ordered_units AS DOUBLE) AS y FROM marts.demand_history_monthly {where} ORDER BY sku, region, ds",
        params,
    ).df()
    df["ds"] = pd.to_datetime(df["ds"])
    return df


def last_history_month(con: duckdb.DuckDBPyConnection) -> pd.Timestamp | None:
    value = con.execute("SELECT max(demand_month) FROM marts.demand_history_monthly").fetchone()[0]
    return pd.Timestamp(value) if value is not None else None


def bookings_history(con: duckdb.DuckDBPyConnection, through: pd.Timestamp) -> pd.DataFrame:
    """Bookings per region x month (region_code, ds, y), zero-filled from the region's first
    month to ``through``."""
    df = con.execute(
        "SELECT region_code, revenue_month AS ds, CAST(sum(bookings_usd) AS DOUBLE) AS y "
        "FROM marts.revenue_monthly WHERE revenue_month <= ? AND region_code IS NOT NULL GROUP BY ALL",
        [pd.Timestamp(through).date()],
    ).df()
    df["ds"] = pd.to_datetime(df["ds"])
    frames = []
    for region, g in df.groupby("region_code"):
        months = pd.date_range(g["ds"].min(), pd.Timestamp(through), freq="MS")
        frames.append(
            g.set_index("ds").reindex(months, fill_value=0.0).rename_axis("ds").reset_index().assign(region_code=region)
        )
    if not frames:
        return pd.DataFrame(columns=["region_code", "ds", "y"])
    return pd.concat(frames, ignore_index=True)[["region_code", "ds", "y"]]


def last_bookings_month(con: duckdb.DuckDBPyConnection) -> pd.Timestamp | None:
    """Last month of ``marts.revenue_monthly`` (the last closed month with bookings data)."""
    value = con.execute("SELECT max(revenue_month) FROM marts.revenue_monthly").fetchone()[0]
    return pd.Timestamp(value) if value is not None else None


def pipeline_snapshots(con: duckdb.DuckDBPyConnection, through: pd.Timestamp) -> pd.DataFrame:
    """Month-end pipeline snapshots up to ``through`` (the columns revenue.py needs)."""
    df = con.execute(
        "SELECT snapshot_month, opportunity_id, region_code, stage_name, forecast_category, probability, "
        "CAST(amount_usd AS DOUBLE) AS amount_usd, close_date, is_open, closed_in_month_outcome, age_days "
        "FROM marts.fct_pipeline_snapshot_monthly WHERE snapshot_month <= ?",
        [pd.Timestamp(through).date()],
    ).df()
    df["snapshot_month"] = pd.to_datetime(df["snapshot_month"])
    df["close_date"] = pd.to_datetime(df["close_date"])
    return df


def published_specs() -> tuple[TableSpec, ...]:
    """The forecast tables written into schema ``forecast`` and published with the marts (what dbt
    declares as the source ``forecasting``)."""
    return (
        DEMAND_FORECAST,
        CONSENSUS_DEMAND,
        OVERRIDE_LOG,
        REVENUE_FORECAST,
        accuracy_spec(),
        REVENUE_FORECAST_ACCURACY,
    )
