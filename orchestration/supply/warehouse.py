"""Reading a cycle's supply inputs from the build database, and storing its tables.

The inputs are the staging views of the ERP snapshots taken at the end of the cycle month
(quarantined rows already left out), the cycle's consensus demand, the demand history and the
lag-1 errors of the stored forecast snapshots. Lineage columns come along as ``_source_file`` /
``_source_row`` so that an error can name the landing file and row.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from orchestration.forecasting import warehouse as forecast_wh
from orchestration.supply import tables
from orchestration.supply.cycle import CycleData
from orchestration.supply.frames import SOURCE_FILE, SOURCE_ROW

_LINEAGE = f"source_file AS {SOURCE_FILE}, source_row AS {SOURCE_ROW}"


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> pd.DataFrame:
    return con.execute(sql, params).df()


def read_cycle_data(con: duckdb.DuckDBPyConnection, cycle: pd.Timestamp) -> CycleData:
    """Everything ``cycle.plan_cycle`` needs for ``cycle`` (first day of the month closed)."""
    cycle = pd.Timestamp(cycle)
    month = [cycle.date()]
    items = _df(
        con,
        "SELECT sku, product_family AS family, CAST(standard_cost_usd AS DOUBLE) AS unit_cost, "
        "CAST(list_price_usd AS DOUBLE) AS unit_price, eol_date, lifecycle_status "
        "FROM staging.stg_erp__items WHERE snapshot_month = ?",
        month,
    )
    items["eol_date"] = pd.to_datetime(items["eol_date"])
    item_sites = _df(
        con,
        "SELECT sku, site_code AS site, procurement_type, supplying_site_code AS supplying_site, "
        "lead_time_days, CAST(lead_time_std_days AS DOUBLE) AS lead_time_std_days, lot_rule, "
        "CAST(lot_size AS DOUBLE) AS lot_size, poq_periods AS periods, CAST(min_order_qty AS DOUBLE) AS moq, "
        f"CAST(order_multiple AS DOUBLE) AS multiple, {_LINEAGE} "
        "FROM staging.stg_erp__item_sites WHERE snapshot_month = ? ORDER BY source_file, source_row",
        month,
    )
    region_sites = _df(
        con,
        "SELECT region_code AS region, site_code AS site, CAST(demand_share AS DOUBLE) AS share, "
        f"{_LINEAGE} FROM staging.stg_erp__sourcing_rules WHERE snapshot_month = ? "
        "ORDER BY source_file, source_row",
        month,
    )
    inventory = _df(
        con,
        "SELECT snapshot_date, sku, site_code AS site, CAST(on_hand_quantity AS DOUBLE) AS on_hand "
        "FROM staging.stg_erp__inventory_snapshots WHERE snapshot_month = ?",
        month,
    )
    receipts = _df(
        con,
        "SELECT receipt_id, sku, site_code AS site, due_date, CAST(quantity AS DOUBLE) AS quantity "
        "FROM staging.stg_erp__scheduled_receipts WHERE snapshot_month = ?",
        month,
    )
    capacity = _df(
        con,
        "SELECT work_center_id AS work_center, site_code AS site, capacity_month AS month, "
        f"CAST(available_hours AS DOUBLE) AS available_hours, {_LINEAGE} "
        "FROM staging.stg_erp__work_center_capacity WHERE snapshot_month = ? "
        "ORDER BY source_file, source_row",
        month,
    )
    routings = _df(
        con,
        "SELECT sku, work_center_id AS work_center, CAST(hours_per_unit AS DOUBLE) AS hours_per_unit, "
        f"{_LINEAGE} FROM staging.stg_erp__routings WHERE snapshot_month = ? "
        "ORDER BY source_file, source_row",
        month,
    )
    consensus = forecast_wh.read_cycle(con, forecast_wh.CONSENSUS_DEMAND, cycle)
    history = forecast_wh.demand_history(con, through=cycle)
    return CycleData(
        cycle=cycle,
        consensus=consensus,
        history=history,
        forecast_errors=forecast_errors(con, cycle),
        items=items,
        item_sites=item_sites,
        region_sites=region_sites,
        inventory=inventory,
        receipts=receipts,
        capacity=capacity,
        routings=routings,
    )


def forecast_errors(con: duckdb.DuckDBPyConnection, cycle: pd.Timestamp) -> pd.DataFrame:
    """sku, region, ds, error: lag-1 consensus − actual of every stored snapshot made before ``cycle``
    whose month has actuals by then (empty before the first snapshot)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'marts' "
        "AND table_name = 'forecast_snapshots'"
    ).fetchone()[0]
    if not exists:
        return pd.DataFrame(columns=["sku", "region", "ds", "error"])
    return con.execute(
        "SELECT h.sku, h.region_code AS region, s.ds, "
        "CAST(s.consensus AS DOUBLE) - CAST(h.ordered_units AS DOUBLE) AS error "
        "FROM marts.forecast_snapshots s JOIN marts.demand_history_monthly h "
        "  ON s.series_id = 'sku=' || h.sku || '|region=' || h.region_code AND s.ds = h.demand_month "
        "WHERE s.level = 'sku_region' AND s.horizon_step = 1 AND s.cycle_month < ? AND s.ds <= ?",
        [pd.Timestamp(cycle).date(), pd.Timestamp(cycle).date()],
    ).df()


def previous_version(con: duckdb.DuckDBPyConnection, cycle: pd.Timestamp) -> dict | None:
    """The stored plan of the latest cycle before ``cycle`` (``supply_plan`` and ``capacity`` rows), or None."""
    tables.SUPPLY_PLAN.create(con)
    tables.CAPACITY.create(con)
    last = con.execute(
        f"SELECT max(cycle_month) FROM {tables.SUPPLY_PLAN.name} WHERE cycle_month < ?", [pd.Timestamp(cycle).date()]
    ).fetchone()[0]
    if last is None:
        return None
    last = pd.Timestamp(last)
    return {
        "cycle_month": last,
        "supply_plan": forecast_wh.read_cycle(con, tables.SUPPLY_PLAN, last),
        "capacity": forecast_wh.read_cycle(con, tables.CAPACITY, last),
    }


def write_cycle(con: duckdb.DuckDBPyConnection, cycle: pd.Timestamp, frames: dict) -> dict[str, int]:
    """Replace ``cycle``'s rows of every supply table by ``frames`` (table name -> rows) (an empty frame clears them);
    other cycles' rows, the stored plan versions, stay as they are."""
    return {name: forecast_wh.replace_cycle(con, tables.BY_NAME[name], cycle, frame) for name, frame in frames.items()}
