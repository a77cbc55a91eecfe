"""The actual of every scorecard KPI per month, for the total and per sales region, from the build database.

One query per KPI family, each over the marts (and the forecast snapshots, the ERP inventory
snapshots and the stored supply plans) that define the KPI in the dictionary. Ratios divide sums
(``numerator`` / ``denominator`` are returned with the actual, so a reader can re-aggregate); they are
never averages of ratios. A KPI × scope × month without data has no row, and a ratio whose
denominator is 0 has a null actual.
"""

from __future__ import annotations

import duckdb
import pandas as pd

#: months are first days; scope 'total' or the region code (GROUPING SETS give both in one pass)
_SCOPE = "coalesce({col}, 'total')"


def _grouped(kpi: str, month: str, region: str, numerator: str, denominator: str | None, source: str) -> str:
    scope = _SCOPE.format(col=region)
    actual = f"({numerator}) / nullif({denominator}, 0)" if denominator else f"({numerator})"
    denom = f"CAST({denominator} AS DOUBLE)" if denominator else "CAST(NULL AS DOUBLE)"
    return (
        f"SELECT '{kpi}' AS kpi, {scope} AS scope, CAST({month} AS DATE) AS month, "
        f"CAST({actual} AS DOUBLE) AS actual, CAST({numerator} AS DOUBLE) AS numerator, {denom} AS denominator "
        f"FROM {source} GROUP BY GROUPING SETS (({month}), ({month}, {region}))"
    )


def _has(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, table]
        ).fetchone()[0]
    )


def _queries(con: duckdb.DuckDBPyConnection) -> list[str]:
    q = [
        _grouped("revenue_usd", "revenue_month", "region_code", "sum(billings_usd)", None, "marts.revenue_monthly"),
        _grouped("bookings_usd", "revenue_month", "region_code", "sum(bookings_usd)", None, "marts.revenue_monthly"),
        _grouped(
            "quota_attainment",
            "performance_month",
            "region_code",
            "sum(bookings_usd) FILTER (WHERE quota_usd > 0)",
            "sum(quota_usd) FILTER (WHERE quota_usd > 0)",
            "marts.sales_performance_monthly",
        ),
        _grouped(
            "win_rate",
            "performance_month",
            "region_code",
            "sum(won_count)",
            "sum(won_count + lost_count)",
            "marts.sales_performance_monthly",
        ),
        _grouped(
            "pipeline_coverage",
            "performance_month",
            "region_code",
            "sum(open_pipeline_usd) FILTER (WHERE remaining_quota_usd IS NOT NULL)",
            "sum(remaining_quota_usd) FILTER (WHERE remaining_quota_usd IS NOT NULL)",
            "marts.sales_performance_monthly",
        ),
        _grouped(
            "net_revenue_retention",
            "revenue_month",
            "region_code",
            "sum(cohort_trailing_12m_billings_usd) FILTER (WHERE has_complete_windows)",
            "sum(cohort_trailing_12m_billings_usd_year_ago) FILTER (WHERE has_complete_windows)",
            "marts.customer_retention_monthly",
        ),
        _grouped(
            "fill_rate",
            "requested_month",
            "region_code",
            "sum(least(shipped_on_time_units, ordered_units))",
            "sum(ordered_units)",
            "marts.fct_order_line_fulfilment",
        ),
        _grouped(
            "otif",
            "requested_month",
            "region_code",
            "count(*) FILTER (WHERE is_otif)",
            "count(*)",
            "marts.fct_order_line_fulfilment",
        ),
    ]
    if _has(con, "forecast", "forecast_snapshots"):
        points = (
            "(SELECT s.ds, s.horizon_step, h.region_code, CAST(s.consensus AS DOUBLE) AS fc, "
            "CAST(s.yhat_seasonal_naive AS DOUBLE) AS naive, CAST(h.ordered_units AS DOUBLE) AS y "
            "FROM forecast.forecast_snapshots s JOIN marts.demand_history_monthly h "
            "ON s.series_id = 'sku=' || h.sku || '|region=' || h.region_code AND s.ds = h.demand_month "
            "WHERE s.level = 'sku_region' AND s.horizon_step IN (1, 3))"
        )
        for lag in (1, 3):
            lagged = f"(SELECT * FROM {points} WHERE horizon_step = {lag})"
            q.append(_grouped(f"demand_wape_lag{lag}", "ds", "region_code", "sum(abs(fc - y))", "sum(y)", lagged))
            q.append(_grouped(f"demand_bias_lag{lag}", "ds", "region_code", "sum(fc - y)", "sum(y)", lagged))
        lag1 = f"(SELECT * FROM {points} WHERE horizon_step = 1)"
        q.append(
            _grouped(
                "forecast_value_added_lag1",
                "ds",
                "region_code",
                "sum(abs(naive - y)) - sum(abs(fc - y))",
                "sum(y)",
                lag1,
            )
        )
    # inventory (ERP month-end snapshot) against the units shipped and their cost in the month
    q.append(
        "WITH stock AS (SELECT snapshot_month AS month, sum(on_hand_quantity) AS units, "
        "sum(on_hand_quantity * standard_cost_usd) AS value FROM staging.stg_erp__inventory_snapshots GROUP BY 1), "
        "cost AS (SELECT snapshot_month AS month, sku, max(standard_cost_usd) AS unit_cost "
        "FROM staging.stg_erp__inventory_snapshots GROUP BY 1, 2), "
        "shipped AS (SELECT s.ship_month AS month, sum(s.quantity_shipped) AS units, "
        "sum(s.quantity_shipped * c.unit_cost) AS cogs FROM marts.fct_shipments s "
        "JOIN cost c ON c.month = s.ship_month AND c.sku = s.sku GROUP BY 1) "
        "SELECT 'days_of_supply' AS kpi, 'total' AS scope, stock.month, "
        "CAST(stock.units / nullif(shipped.units / day(last_day(stock.month)), 0) AS DOUBLE) AS actual, "
        "CAST(stock.units AS DOUBLE) AS numerator, "
        "CAST(shipped.units / day(last_day(stock.month)) AS DOUBLE) AS denominator "
        "FROM stock JOIN shipped USING (month) "
        "UNION ALL SELECT 'inventory_turns', 'total', stock.month, "
        "CAST(shipped.cogs * 12 / nullif(stock.value, 0) AS DOUBLE), CAST(shipped.cogs * 12 AS DOUBLE), "
        "CAST(stock.value AS DOUBLE) FROM stock JOIN shipped USING (month)"
    )
    if _has(con, "supply", "capacity"):
        q.append(
            "SELECT 'capacity_utilization' AS kpi, 'total' AS scope, cycle_month AS month, "
            "CAST(sum(load_hours) / nullif(sum(regular_hours), 0) AS DOUBLE) AS actual, "
            "CAST(sum(load_hours) AS DOUBLE) AS numerator, CAST(sum(regular_hours) AS DOUBLE) AS denominator "
            "FROM supply.capacity WHERE month = cycle_month + INTERVAL 1 MONTH GROUP BY cycle_month"
        )
    return q


def kpi_actuals(con: duckdb.DuckDBPyConnection, through: pd.Timestamp | None = None) -> pd.DataFrame:
    """kpi, scope, month, actual, numerator, denominator of every scorecard KPI, months up to ``through``."""
    sql = " UNION ALL ".join(f"({part})" for part in _queries(con))
    frame = con.execute(f"SELECT * FROM ({sql}) WHERE month IS NOT NULL ORDER BY kpi, scope, month").df()
    frame["month"] = pd.to_datetime(frame["month"])
    if through is not None:
        frame = frame[frame["month"] <= pd.Timestamp(through)]
    return frame.reset_index(drop=True)
