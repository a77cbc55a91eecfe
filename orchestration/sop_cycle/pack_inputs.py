"""What the meeting pack of one cycle shows, read from the marts of the build database.

Everything comes from the published marts (the scorecard, the action history, the plan comparison, the
forecast and supply marts) and the quarantine, so the numbers in the pack are the numbers BI sees. A
table that does not exist yet (no supply plan stored, no snapshot taken) reads as empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from orchestration.sop_cycle.kpis import TOTAL

#: months of history the pack's KPI and demand charts show
HISTORY_MONTHS = 24
#: months ahead the financial view and the demand chart show
AHEAD_MONTHS = 6


@dataclass
class PackInputs:
    cycle: pd.Timestamp
    previous_cycle: pd.Timestamp | None
    scorecard: pd.DataFrame  # the cycle month's rows, every KPI × scope
    scorecard_history: pd.DataFrame  # total scope, the last HISTORY_MONTHS months
    actions: pd.DataFrame  # sop_action_history rows of the cycle
    refused: pd.DataFrame  # source, file, row, error: the planner rows the cycle refused
    quarantine: pd.DataFrame  # entity, rule, severity, rows: the cycle month's quarantined rows
    forecast_misses: pd.DataFrame  # family × region lag-1 misses of the month closed
    demand_history: pd.DataFrame  # month, units (total)
    demand_forecast: pd.DataFrame  # month, units, lo_80, hi_80 (total, this cycle)
    demand_previous: pd.DataFrame  # month, units (total, previous cycle)
    overrides: pd.DataFrame  # the overrides the cycle applied
    override_value_added: pd.DataFrame  # month, fva_consensus_wape (lag 1, SKU × region level)
    plan_changes: pd.DataFrame  # plan_comparison rows of the cycle
    capacity: pd.DataFrame  # month, work_center, utilization, overtime_hours
    inventory: pd.DataFrame  # month, closing_value_usd, safety_stock_value_usd
    exceptions: pd.DataFrame  # exception, count, value
    exception_examples: pd.DataFrame  # the largest exceptions with their message
    supply_changes: pd.DataFrame  # supply_plan_diff rows of the cycle
    revenue: pd.DataFrame  # month, forecast_usd, lo_80_usd, hi_80_usd, target_usd, last_year_usd
    extras: dict = field(default_factory=dict)
    #: the sales-plan marts of the cycle (``read_sales_plan``): name -> rows; empty without a sales plan
    sales_plan: dict = field(default_factory=dict)


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, table]
        ).fetchone()[0]
    )


def _df(con: duckdb.DuckDBPyConnection, table: str, sql: str, params: list | None = None) -> pd.DataFrame:
    schema, name = table.split(".")
    if not _exists(con, schema, name):
        return pd.DataFrame()
    frame = con.execute(sql, params or []).df()
    for c in frame.columns:
        if c == "month" or c.endswith("_month") or c.endswith("_date") or c == "closed_on":
            if frame[c].dtype == object or "date" in str(frame[c].dtype):
                frame[c] = pd.to_datetime(frame[c], errors="coerce")
    return frame


def read_sales_plan(con: duckdb.DuckDBPyConnection, cycle: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The sales plan the cycle's run made: reconciliation with the S&OP plan, territories top-down against
    bottom-up, the payout forecast's total, the sales KPIs, the hiring plan and the rebalancing's moves and
    balance (marts of ``models/marts/sales_planning``)."""
    day = pd.Timestamp(cycle).date()
    queries = {
        "reconciliation": "SELECT * FROM marts.quota_reconciliation WHERE cycle_month = ? "
        "ORDER BY region_code = 'total', region_code",
        "territories": "SELECT p.*, t.territory_name FROM marts.territory_quota_plan p "
        "LEFT JOIN marts.dim_territory t USING (territory_id) WHERE p.cycle_month = ? ORDER BY p.territory_id",
        "payout_forecast": "SELECT * FROM marts.payout_forecast WHERE cycle_month = ? AND rep_id = 'total'",
        "kpis": "SELECT * FROM marts.sales_kpis WHERE cycle_month = ? ORDER BY region_code = 'total', region_code",
        "hires": "SELECT region_code, requisition_month, start_month, sum(hires) AS hires FROM marts.hiring_plan "
        "WHERE cycle_month = ? GROUP BY ALL ORDER BY region_code, start_month",
        "moves": "SELECT decision, count(*) AS accounts, CAST(sum(potential_usd) AS DOUBLE) AS potential_usd "
        "FROM marts.rebalance_proposal WHERE cycle_month = ? GROUP BY 1 ORDER BY 1",
        "balance": "SELECT state, region_code, potential_cv FROM marts.territory_balance "
        "WHERE cycle_month = ? AND level = 'region' ORDER BY region_code, state",
    }
    marts = {
        "reconciliation": "marts.quota_reconciliation",
        "territories": "marts.territory_quota_plan",
        "payout_forecast": "marts.payout_forecast",
        "kpis": "marts.sales_kpis",
        "hires": "marts.hiring_plan",
        "moves": "marts.rebalance_proposal",
        "balance": "marts.territory_balance",
    }
    return {name: _df(con, marts[name], sql, [day]) for name, sql in queries.items()}


def read_pack_inputs(con: duckdb.DuckDBPyConnection, cycle: pd.Timestamp) -> PackInputs:
    """Everything the pack of ``cycle`` (first day of the month closed) shows."""
    c = pd.Timestamp(cycle)
    day = c.date()
    first = (c - pd.DateOffset(months=HISTORY_MONTHS - 1)).date()
    ahead = (c + pd.DateOffset(months=AHEAD_MONTHS)).date()
    previous = con.execute(
        "SELECT max(cycle_month) FROM forecast.consensus_demand WHERE cycle_month < ?", [day]
    ).fetchone()[0]
    previous = pd.Timestamp(previous) if previous is not None else None
    scorecard = _df(con, "marts.kpi_scorecard", "SELECT * FROM marts.kpi_scorecard WHERE month = ?", [day])
    history = _df(
        con,
        "marts.kpi_scorecard",
        "SELECT * FROM marts.kpi_scorecard WHERE scope = ? AND month BETWEEN ? AND ? ORDER BY kpi, month",
        [TOTAL, first, day],
    )
    actions = _df(
        con,
        "marts.sop_action_history",
        "SELECT * FROM marts.sop_action_history WHERE cycle_month = ? ORDER BY is_overdue DESC, due_date, action_id",
        [day],
    )
    refused = pd.concat(
        [
            _df(
                con,
                "marts.sop_action_snapshots",
                "SELECT 'action register' AS source, file, row, error FROM marts.sop_action_snapshots "
                "WHERE cycle_month = ? AND NOT valid AND taken_at = (SELECT max(taken_at) FROM "
                "marts.sop_action_snapshots WHERE cycle_month = ?) ORDER BY row",
                [day, day],
            ),
            _df(
                con,
                "marts.kpi_target_snapshots",
                "SELECT 'KPI targets' AS source, file, row, error FROM marts.kpi_target_snapshots "
                "WHERE cycle_month = ? AND NOT valid AND taken_at = (SELECT max(taken_at) FROM "
                "marts.kpi_target_snapshots WHERE cycle_month = ?) ORDER BY row",
                [day, day],
            ),
            _df(
                con,
                "forecast.forecast_override_log",
                "SELECT 'forecast overrides' AS source, file, row, error FROM forecast.forecast_override_log "
                "WHERE cycle_month = ? AND status = 'refused' ORDER BY row",
                [day],
            ),
        ],
        ignore_index=True,
    )
    quarantine = _df(
        con,
        "quarantine.quarantined_rows",
        "SELECT entity, rule, severity, count(*) AS rows FROM quarantine.quarantined_rows "
        "WHERE partition_month = ? GROUP BY ALL ORDER BY rows DESC, entity, rule",
        [f"{c:%Y-%m}"],
    )
    misses = (
        _df(
            con,
            "forecast.consensus_demand",
            "WITH f AS (SELECT product_family, region_code, sum(consensus_units) AS forecast FROM "
            "forecast.consensus_demand WHERE cycle_month = ? AND level = 'family_region' AND forecast_month = ? "
            "GROUP BY 1, 2), a AS (SELECT p.product_family, h.region_code, sum(h.ordered_units) AS actual "
            "FROM marts.demand_history_monthly h JOIN marts.dim_product p USING (sku) WHERE h.demand_month = ? "
            "GROUP BY 1, 2) SELECT f.product_family, f.region_code, CAST(f.forecast AS DOUBLE) AS forecast_units, "
            "CAST(coalesce(a.actual, 0) AS DOUBLE) AS actual_units, "
            "CAST(coalesce(a.actual, 0) - f.forecast AS DOUBLE) AS miss_units FROM f LEFT JOIN a USING "
            "(product_family, region_code) ORDER BY abs(coalesce(a.actual, 0) - f.forecast) DESC LIMIT 8",
            [previous.date(), day, day],
        )
        if previous is not None
        else pd.DataFrame()
    )
    demand_history = _df(
        con,
        "marts.demand_history_monthly",
        "SELECT demand_month AS month, CAST(sum(ordered_units) AS DOUBLE) AS units FROM marts.demand_history_monthly "
        "WHERE demand_month BETWEEN ? AND ? GROUP BY 1 ORDER BY 1",
        [first, day],
    )

    def total_forecast(cycle_day) -> pd.DataFrame:
        return _df(
            con,
            "forecast.consensus_demand",
            "SELECT c.forecast_month AS month, CAST(c.consensus_units AS DOUBLE) AS units, "
            "CAST(d.lo_80_units + c.override_units AS DOUBLE) AS lo_80, "
            "CAST(d.hi_80_units + c.override_units AS DOUBLE) AS hi_80 FROM forecast.consensus_demand c "
            "JOIN forecast.demand_forecast d USING (cycle_month, series_id, forecast_month) "
            "WHERE c.cycle_month = ? AND c.level = 'total' ORDER BY 1",
            [cycle_day],
        )

    demand_forecast = total_forecast(day)
    demand_previous = total_forecast(previous.date())[["month", "units"]] if previous is not None else pd.DataFrame()
    overrides = _df(
        con,
        "forecast.forecast_override_log",
        "SELECT row, level, item, region, month, kind, value, author, reason FROM forecast.forecast_override_log "
        "WHERE cycle_month = ? AND status = 'applied' ORDER BY row",
        [day],
    )
    fva = _df(
        con,
        "forecast.forecast_accuracy",
        "SELECT target_month AS month, fva_consensus_wape, wape_stat, wape_consensus FROM forecast.forecast_accuracy "
        "WHERE lag = 1 AND level = 'sku_region' AND scope = 'level' AND target_month <= ? ORDER BY 1",
        [day],
    )
    changes = _df(
        con,
        "marts.plan_comparison",
        "SELECT * FROM marts.plan_comparison WHERE cycle_month = ? ORDER BY plan, mover_rank",
        [day],
    )
    capacity = _df(
        con,
        "marts.capacity_utilization",
        "SELECT month, work_center, utilization, overtime_hours FROM marts.capacity_utilization "
        "WHERE cycle_month = ? AND month <= ? ORDER BY month, work_center",
        [day, ahead],
    )
    inventory = _df(
        con,
        "marts.supply_plan",
        "SELECT month, CAST(sum(closing_value_usd) AS DOUBLE) AS closing_value_usd, "
        "CAST(sum(safety_stock * unit_cost) AS DOUBLE) AS safety_stock_value_usd FROM marts.supply_plan "
        "WHERE cycle_month = ? AND month <= ? GROUP BY 1 ORDER BY 1",
        [day, ahead],
    )
    exceptions = _df(
        con,
        "marts.supply_exceptions",
        "SELECT exception, count(*) AS count, CAST(sum(value) AS DOUBLE) AS value FROM marts.supply_exceptions "
        "WHERE cycle_month = ? GROUP BY 1 ORDER BY count DESC",
        [day],
    )
    examples = _df(
        con,
        "marts.supply_exceptions",
        "SELECT exception, sku, site, work_center, month, CAST(value AS DOUBLE) AS value, message "
        "FROM marts.supply_exceptions WHERE cycle_month = ? ORDER BY exception = 'stock_out' DESC, "
        "exception = 'capacity_overload' DESC, value DESC NULLS LAST LIMIT 8",
        [day],
    )
    supply_changes = _df(
        con,
        "marts.supply_plan_diff",
        "SELECT * FROM marts.supply_plan_diff WHERE cycle_month = ? ORDER BY abs(demand_change) DESC LIMIT 8",
        [day],
    )
    revenue = _df(
        con,
        "forecast.revenue_forecast",
        "WITH f AS (SELECT forecast_month AS month, sum(blended_usd) AS forecast_usd, "
        "sum(statistical_lo_80_usd - statistical_usd + blended_usd) AS lo_80_usd, "
        "sum(statistical_hi_80_usd - statistical_usd + blended_usd) AS hi_80_usd FROM forecast.revenue_forecast "
        "WHERE cycle_month = ? AND forecast_month <= ? GROUP BY 1), "
        "ly AS (SELECT revenue_month + INTERVAL 12 MONTH AS month, sum(bookings_usd) AS last_year_usd "
        "FROM marts.revenue_monthly GROUP BY 1) "
        "SELECT f.month, CAST(f.forecast_usd AS DOUBLE) AS forecast_usd, CAST(f.lo_80_usd AS DOUBLE) AS lo_80_usd, "
        "CAST(f.hi_80_usd AS DOUBLE) AS hi_80_usd, CAST(ly.last_year_usd AS DOUBLE) AS last_year_usd "
        "FROM f LEFT JOIN ly ON ly.month = f.month ORDER BY 1",
        [day, ahead],
    )
    return PackInputs(
        sales_plan=read_sales_plan(con, c),
        cycle=c,
        previous_cycle=previous,
        scorecard=scorecard,
        scorecard_history=history,
        actions=actions,
        refused=refused,
        quarantine=quarantine,
        forecast_misses=misses,
        demand_history=demand_history,
        demand_forecast=demand_forecast,
        demand_previous=demand_previous,
        overrides=overrides,
        override_value_added=fva,
        plan_changes=changes,
        capacity=capacity,
        inventory=inventory,
        exceptions=exceptions,
        exception_examples=examples,
        supply_changes=supply_changes,
        revenue=revenue,
    )
