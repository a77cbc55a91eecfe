"""Reading the sales-planning inputs from the published marts of the build database.

Every figure comes from the marts the rest of the platform reports (bookings, quotas, reps,
accounts, pipeline, the revenue forecast), so quotas, payouts and the S&OP revenue plan start
from the same numbers. Amounts are USD at the month's rate, as in the marts. ``as_of`` is the
month closed (first day); the trailing twelve months end with it.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from orchestration.forecasting.warehouse import replace_cycle
from orchestration.sales_planning import tables
from orchestration.sales_planning.frames import month_start
from orchestration.sales_planning.plan_data import PlanData

#: the CRM role that carries a quota
REP_ROLE = "Sales Rep"


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def trailing_window(as_of) -> tuple[date, date]:
    """First and last month of the twelve months ending with ``as_of``."""
    last = pd.Timestamp(month_start(as_of))
    return (last - pd.DateOffset(months=11)).date(), last.date()


def fiscal_year_of(con: duckdb.DuckDBPyConnection, month) -> int:
    row = con.execute("SELECT fiscal_year FROM marts.dim_month WHERE month_start = ?", [month_start(month)]).fetchone()
    if row is None:
        raise ValueError(f"{month_start(month):%Y-%m} is not in the calendar (marts.dim_month)")
    return int(row[0])


def fiscal_months(con: duckdb.DuckDBPyConnection, fiscal_year: int) -> list[date]:
    """The twelve months of ``fiscal_year`` (the calendar may end inside it: then fewer)."""
    frame = _df(
        con, "SELECT month_start FROM marts.dim_month WHERE fiscal_year = ? ORDER BY month_start", [int(fiscal_year)]
    )
    return [month_start(m) for m in frame["month_start"]]


def calendar_fiscal_years(con: duckdb.DuckDBPyConnection) -> set[int]:
    return {int(y) for (y,) in con.execute("SELECT DISTINCT fiscal_year FROM marts.dim_month").fetchall()}


def quota_reps(con: duckdb.DuckDBPyConnection, as_of) -> pd.DataFrame:
    """Reps carrying a quota at the end of ``as_of``: their current territory and hire date."""
    return _df(
        con,
        "SELECT rep_id, rep_name, role, territory_id, region_code, CAST(hire_date AS DATE) AS hire_date, "
        "CAST(NULL AS DATE) AS leave_date FROM marts.dim_rep "
        "WHERE role = ? AND is_active AND valid_from_month <= ? AND (valid_to_month IS NULL OR valid_to_month > ?) "
        "ORDER BY rep_id",
        [REP_ROLE, month_start(as_of), month_start(as_of)],
    )


def reps_history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every rep who ever carried a quota: region of their last active version, hire date, and the
    leave date (first day no longer employed: the month their record turned inactive)."""
    return _df(
        con,
        f"""
        WITH versions AS (SELECT * FROM marts.dim_rep WHERE role = '{REP_ROLE}')
        SELECT rep_id,
               arg_max(region_code, valid_from_month) FILTER (WHERE is_active) AS region_code,
               CAST(min(hire_date) AS DATE) AS hire_date,
               CAST(min(valid_from_month) FILTER (WHERE NOT is_active) AS DATE) AS leave_date
        FROM versions GROUP BY rep_id ORDER BY rep_id
        """,
    )


def rep_months(con: duckdb.DuckDBPyConnection, first, last) -> pd.DataFrame:
    """Per rep and month (``first`` .. ``last``): bookings, quota, region and months employed
    (1 in the hire month)."""
    frame = _df(
        con,
        "SELECT p.rep_id, p.region_code, p.territory_id, CAST(p.performance_month AS DATE) AS month, "
        "CAST(p.bookings_usd AS DOUBLE) AS bookings_usd, CAST(p.quota_usd AS DOUBLE) AS quota_usd, "
        "CAST(r.hire_date AS DATE) AS hire_date "
        "FROM marts.sales_performance_monthly p "
        "JOIN marts.dim_rep r ON r.rep_version_key = p.rep_version_key "
        "WHERE r.role = ? AND p.performance_month BETWEEN ? AND ? ORDER BY month, rep_id",
        [REP_ROLE, month_start(first), month_start(last)],
    )
    month = pd.to_datetime(frame["month"]).dt.to_period("M")
    hired = pd.to_datetime(frame["hire_date"]).dt.to_period("M")
    frame["months_employed"] = [(m - h).n + 1 for m, h in zip(month, hired)]
    return frame


def account_book(con: duckdb.DuckDBPyConnection, as_of) -> pd.DataFrame:
    """The CRM accounts at the end of ``as_of`` with their owner and territory, trailing-12-month
    bookings and the open pipeline (opportunities and USD) of the month-end snapshot."""
    first, last = trailing_window(as_of)
    return _df(
        con,
        """
        WITH bookings AS (
            SELECT crm_account_id, sum(total_price_usd) AS usd FROM marts.fct_bookings
            WHERE booking_month BETWEEN ? AND ? GROUP BY 1
        ),
        pipeline AS (
            SELECT account_id, count(*) AS opportunities, sum(amount_usd) AS usd
            FROM marts.fct_pipeline_snapshot_monthly WHERE snapshot_month = ? AND is_open GROUP BY 1
        )
        SELECT c.crm_account_id AS account_id, c.customer_name AS account_name, c.segment,
               c.territory_id, t.region_code, c.account_owner_id AS owner_rep_id,
               CAST(coalesce(b.usd, 0) AS DOUBLE) AS trailing_bookings_usd,
               CAST(coalesce(p.opportunities, 0) AS INTEGER) AS open_opportunities,
               CAST(coalesce(p.usd, 0) AS DOUBLE) AS open_pipeline_usd
        FROM marts.dim_customer c
        JOIN marts.dim_territory t ON t.territory_id = c.territory_id
        LEFT JOIN bookings b ON b.crm_account_id = c.crm_account_id
        LEFT JOIN pipeline p ON p.account_id = c.crm_account_id
        WHERE c.crm_account_id IS NOT NULL
        ORDER BY c.crm_account_id
        """,
        [first, last, month_start(as_of)],
    )


def territories(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return _df(
        con,
        "SELECT territory_id, territory_name, region_code FROM marts.dim_territory ORDER BY territory_id",
    )


def market_size(con: duckdb.DuckDBPyConnection, as_of) -> pd.DataFrame:
    """Per region: the market size of the trailing twelve months (all product families), the
    latest published figures, and the company's bookings over the same months."""
    first, last = trailing_window(as_of)
    return _df(
        con,
        """
        WITH market AS (
            SELECT region_code, sum(market_size_usd) AS market_size_usd
            FROM staging.stg_market__market_size WHERE period_month BETWEEN ? AND ? GROUP BY 1
        ),
        bookings AS (
            SELECT region_code, sum(total_price_usd) AS usd FROM marts.fct_bookings
            WHERE booking_month BETWEEN ? AND ? GROUP BY 1
        )
        SELECT m.region_code, CAST(m.market_size_usd AS DOUBLE) AS market_size_usd,
               CAST(coalesce(b.usd, 0) AS DOUBLE) AS trailing_bookings_usd
        FROM market m LEFT JOIN bookings b USING (region_code) ORDER BY 1
        """,
        [first, last, first, last],
    )


def territory_history(con: duckdb.DuckDBPyConnection, as_of, fiscal_months_: list[date]) -> pd.DataFrame:
    """Per territory: trailing-12-month bookings (the run-rate), the value-based win rate of the
    deals closed in those months, and the open pipeline at the end of ``as_of`` that is expected
    to close within ``fiscal_months_``."""
    first, last = trailing_window(as_of)
    return _df(
        con,
        """
        WITH closed AS (
            SELECT territory_id,
                   sum(amount_usd) FILTER (WHERE is_won) AS won_usd,
                   sum(amount_usd) AS closed_usd
            FROM marts.opportunity_enhanced
            WHERE is_closed AND close_month BETWEEN ? AND ? GROUP BY 1
        ),
        bookings AS (
            SELECT c.territory_id, sum(b.total_price_usd) AS usd
            FROM marts.fct_bookings b JOIN marts.dim_customer c ON c.crm_account_id = b.crm_account_id
            WHERE b.booking_month BETWEEN ? AND ? GROUP BY 1
        ),
        pipeline AS (
            SELECT territory_id, sum(amount_usd) AS usd FROM marts.fct_pipeline_snapshot_monthly
            WHERE snapshot_month = ? AND is_open AND close_date BETWEEN ? AND ? GROUP BY 1
        )
        SELECT t.territory_id, t.region_code,
               CAST(coalesce(b.usd, 0) AS DOUBLE) AS run_rate_usd,
               CAST(coalesce(p.usd, 0) AS DOUBLE) AS open_pipeline_usd,
               CAST(coalesce(c.won_usd, 0) / nullif(c.closed_usd, 0) AS DOUBLE) AS win_rate
        FROM marts.dim_territory t
        LEFT JOIN closed c USING (territory_id)
        LEFT JOIN bookings b USING (territory_id)
        LEFT JOIN pipeline p USING (territory_id)
        ORDER BY t.territory_id
        """,
        [
            first,
            last,
            first,
            last,
            month_start(as_of),
            fiscal_months_[0],
            (pd.Timestamp(fiscal_months_[-1]) + pd.offsets.MonthEnd(0)).date(),
        ],
    )


def revenue_plan(con: duckdb.DuckDBPyConnection, as_of, months: list[date] | None = None) -> pd.DataFrame:
    """The S&OP revenue plan: the revenue forecast of the latest cycle up to ``as_of``, per region
    and month of ``months`` (every month the forecast holds when None): P50 = the blended
    forecast, P10 and P90 = the blend scaled by the
    statistical forecast's 80 % interval (its lower and upper bound relative to the statistical
    forecast), since the blend has no interval of its own."""
    return _df(
        con,
        """
        WITH cycle AS (SELECT max(cycle_month) AS c FROM forecast.revenue_forecast WHERE cycle_month <= ?)
        SELECT f.cycle_month, f.region_code, CAST(f.forecast_month AS DATE) AS month,
               CAST(f.blended_usd AS DOUBLE) AS p50_usd,
               CAST(f.blended_usd * coalesce(f.statistical_lo_80_usd / nullif(f.statistical_usd, 0), 1) AS DOUBLE)
                   AS p10_usd,
               CAST(f.blended_usd * coalesce(f.statistical_hi_80_usd / nullif(f.statistical_usd, 0), 1) AS DOUBLE)
                   AS p90_usd
        FROM forecast.revenue_forecast f, cycle
        WHERE f.cycle_month = cycle.c AND (? OR f.forecast_month IN (SELECT unnest(?::DATE[])))
        ORDER BY f.region_code, f.forecast_month
        """,
        [month_start(as_of), months is None, list(months or [])],
    )


def fiscal_quotas(con: duckdb.DuckDBPyConnection, months: list[date]) -> pd.DataFrame:
    """The quotas the CRM holds for ``months`` (USD), per rep and month."""
    return _df(
        con,
        "SELECT p.rep_id, CAST(p.performance_month AS DATE) AS month, CAST(p.quota_usd AS DOUBLE) AS quota_usd "
        "FROM marts.sales_performance_monthly p JOIN marts.dim_rep r ON r.rep_version_key = p.rep_version_key "
        "WHERE r.role = ? AND p.performance_month IN (SELECT unnest(?::DATE[])) AND p.quota_usd > 0 "
        "ORDER BY 1, 2",
        [REP_ROLE, list(months)],
    )


def credits(con: duckdb.DuckDBPyConnection, months: list[date]) -> pd.DataFrame:
    """Bookings credited to reps in ``months``: one row per won deal (its owner, booking month,
    USD value, type), and one negative row per cancellation, i.e. a deal that was won and later
    left Closed Won, in the month it left, with the month it was booked."""
    params = [list(months)]
    won = _df(
        con,
        "SELECT owner_id AS rep_id, CAST(booking_month AS DATE) AS month, "
        "CAST(sum(total_price_usd) AS DOUBLE) AS bookings_usd, any_value(opportunity_type) AS opportunity_type, "
        "CAST(booking_month AS DATE) AS booked_month, false AS is_cancellation, opportunity_id "
        "FROM marts.fct_bookings WHERE booking_month IN (SELECT unnest(?::DATE[])) "
        "GROUP BY owner_id, booking_month, opportunity_id",
        params,
    )
    cancelled = _df(
        con,
        """
        WITH won AS (
            SELECT opportunity_id, min(changed_at) AS won_at FROM marts.fct_opportunity_stage_history
            WHERE stage_name = 'Closed Won' GROUP BY 1
        )
        SELECT o.owner_id AS rep_id, CAST(o.closed_month AS DATE) AS month,
               -CAST(o.amount_usd AS DOUBLE) AS bookings_usd, o.opportunity_type,
               CAST(date_trunc('month', w.won_at) AS DATE) AS booked_month, true AS is_cancellation,
               o.opportunity_id
        FROM marts.opportunity_enhanced o JOIN won w USING (opportunity_id)
        WHERE NOT o.is_won AND o.closed_month IN (SELECT unnest(?::DATE[]))
        """,
        params,
    )
    frame = pd.concat([won, cancelled], ignore_index=True) if len(cancelled) else won
    return frame.sort_values(["month", "rep_id", "opportunity_id"], kind="stable", ignore_index=True)


def read_plan_data(con: duckdb.DuckDBPyConnection, as_of, plan_year: int | None = None):
    """Everything ``plan.plan_sales`` needs for the run closing ``as_of``: the plan year (default: the
    fiscal year after the one ``as_of`` falls in) and the current fiscal year's payout inputs."""
    as_of = month_start(as_of)
    current_year = fiscal_year_of(con, as_of)
    plan_year = current_year + 1 if plan_year is None else int(plan_year)
    years = calendar_fiscal_years(con)
    if plan_year not in years:
        raise ValueError(f"fiscal year {plan_year} is not in the calendar (marts.dim_month)")
    plan_months = fiscal_months(con, plan_year)
    current_months = fiscal_months(con, current_year)
    first, last = trailing_window(as_of)
    rest = [m for m in current_months if m > as_of]
    return PlanData(
        as_of=as_of,
        fiscal_years=years,
        fiscal_year_start_month=int(
            con.execute("SELECT any_value(fiscal_year_start_month) FROM marts.dim_month").fetchone()[0] or 1
        ),
        current_year=current_year,
        current_months=current_months,
        plan_year=plan_year,
        plan_months=plan_months,
        territories=territories(con),
        reps=quota_reps(con, as_of),
        reps_history=reps_history(con),
        rep_months=rep_months(con, first, last),
        accounts=account_book(con, as_of),
        market=market_size(con, as_of),
        territory_history=territory_history(con, as_of, plan_months),
        # the whole forecast: the plan year's months beyond the horizon repeat the year before's
        revenue_plan=revenue_plan(con, as_of),
        revenue_rest_of_year=revenue_plan(con, as_of, rest) if rest else revenue_plan(con, as_of, [as_of]).iloc[0:0],
        current_quotas=fiscal_quotas(con, [m for m in current_months if m <= as_of]),
        current_credits=credits(con, [m for m in current_months if m <= as_of]),
    )


def write_plan(con: duckdb.DuckDBPyConnection, cycle, frames: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Store each table of ``frames`` for ``cycle`` (replacing that cycle's rows, keeping the others'); a
    table absent from ``frames`` (its planner file was refused) keeps what it had. Rows written per table."""
    rows = {}
    for name, frame in frames.items():
        spec = tables.BY_NAME[name]
        stored = frame.copy()
        stored.insert(0, "cycle_month", pd.Timestamp(cycle).date())
        rows[name] = replace_cycle(con, spec, pd.Timestamp(cycle), stored)
    for spec in tables.ALL:
        spec.create(con)
    return rows
