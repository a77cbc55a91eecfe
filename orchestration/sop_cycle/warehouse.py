"""Reading what the S&OP cycle needs from the build database, and storing its tables in schema ``sop_cycle``.

Reads the marts (revenue, demand history, products), the stored forecast cycles and the stored
snapshots; writes through the same ``TableSpec`` helpers as the forecast and supply steps: the
scorecard and the action history replaced whole, the plan comparison replaced per cycle, the
snapshots of the planners' files appended (never overwritten).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from orchestration.forecasting import warehouse as forecast_wh
from orchestration.sop_cycle import tables


def regions(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The sales region codes of the warehouse (what a target's scope may name)."""
    return {r for (r,) in con.execute("SELECT DISTINCT region_code FROM marts.dim_territory").fetchall() if r}


def previous_cycle(con: duckdb.DuckDBPyConnection, cycle: pd.Timestamp) -> pd.Timestamp | None:
    """The latest stored consensus-demand cycle before ``cycle``."""
    found = con.execute(
        f"SELECT max(cycle_month) FROM {forecast_wh.CONSENSUS_DEMAND.name} WHERE cycle_month < ?",
        [pd.Timestamp(cycle).date()],
    ).fetchone()[0]
    return pd.Timestamp(found) if found is not None else None


def demand_version(con: duckdb.DuckDBPyConnection, cycle: pd.Timestamp) -> pd.DataFrame:
    """A cycle's consensus demand at SKU × region level."""
    frame = con.execute(
        "SELECT sku, product_family, region_code, forecast_month, CAST(statistical_units AS DOUBLE) AS "
        "statistical_units, CAST(consensus_units AS DOUBLE) AS consensus_units, CAST(override_units AS DOUBLE) "
        f"AS override_units FROM {forecast_wh.CONSENSUS_DEMAND.name} WHERE cycle_month = ? AND level = 'sku_region'",
        [pd.Timestamp(cycle).date()],
    ).df()
    frame["forecast_month"] = pd.to_datetime(frame["forecast_month"])
    return frame


def node_models(con: duckdb.DuckDBPyConnection, cycles: list[pd.Timestamp]) -> pd.DataFrame:
    """cycle_month, product_family, region_code, model: the family × region nodes' models of the cycles."""
    frame = con.execute(
        "SELECT cycle_month, product_family, region_code, min(model) AS model "
        f"FROM {forecast_wh.DEMAND_FORECAST.name} WHERE level = 'family_region' "
        "AND cycle_month IN (SELECT unnest(?)) GROUP BY 1, 2, 3",
        [[pd.Timestamp(c).date() for c in cycles]],
    ).df()
    frame["cycle_month"] = pd.to_datetime(frame["cycle_month"])
    return frame


def list_prices(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """sku, unit_price: the current list price in USD (dim_product)."""
    return con.execute("SELECT sku, CAST(list_price_usd AS DOUBLE) AS unit_price FROM marts.dim_product").df()


def demand_actuals(con: duckdb.DuckDBPyConnection, month: pd.Timestamp) -> pd.DataFrame:
    """product_family, region_code, month, units: ordered units of ``month`` by family × region."""
    return con.execute(
        "SELECT p.product_family, h.region_code, h.demand_month AS month, CAST(sum(h.ordered_units) AS DOUBLE) AS "
        "units FROM marts.demand_history_monthly h JOIN marts.dim_product p USING (sku) "
        "WHERE h.demand_month = ? GROUP BY 1, 2, 3",
        [pd.Timestamp(month).date()],
    ).df()


def revenue_version(con: duckdb.DuckDBPyConnection, cycle: pd.Timestamp) -> pd.DataFrame:
    """A cycle's revenue forecast rows."""
    return forecast_wh.read_cycle(con, forecast_wh.REVENUE_FORECAST, cycle)


def bookings_of(con: duckdb.DuckDBPyConnection, month: pd.Timestamp) -> pd.DataFrame:
    """region_code, bookings_usd of ``month``."""
    return con.execute(
        "SELECT region_code, CAST(sum(bookings_usd) AS DOUBLE) AS bookings_usd FROM marts.revenue_monthly "
        "WHERE revenue_month = ? GROUP BY 1",
        [pd.Timestamp(month).date()],
    ).df()


def append_rows(con: duckdb.DuckDBPyConnection, spec, frame: pd.DataFrame) -> int:
    """Insert ``frame`` into ``spec``'s table; the rows already stored stay as they are."""
    spec.create(con)
    frame = frame.reindex(columns=list(spec.columns))
    con.register("_new_rows", frame)
    cols = ", ".join(spec.columns)
    try:
        con.execute(f"INSERT INTO {spec.name} ({cols}) SELECT {cols} FROM _new_rows")
    finally:
        con.unregister("_new_rows")
    return len(frame)


def action_snapshots(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every stored snapshot of the action register."""
    spec = tables.ACTION_SNAPSHOTS
    spec.create(con)
    frame = con.execute(f"SELECT * FROM {spec.name} ORDER BY cycle_month, taken_at, row").df()
    for c in ("cycle_month", "due_date", "closed_on"):
        frame[c] = pd.to_datetime(frame[c])
    return frame


def write_scorecard(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> int:
    return forecast_wh.replace_table(con, tables.KPI_SCORECARD, frame)


def write_comparison(con: duckdb.DuckDBPyConnection, cycle: pd.Timestamp, frame: pd.DataFrame) -> int:
    return forecast_wh.replace_cycle(con, tables.PLAN_COMPARISON, cycle, frame)


def write_history(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> int:
    return forecast_wh.replace_table(con, tables.ACTION_HISTORY, frame)
