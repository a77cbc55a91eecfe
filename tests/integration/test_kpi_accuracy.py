"""Headline KPIs of the marts against an independent pandas calculation over the landing files.

Nothing here reads dbt output to build the expected values: ``landing_totals`` reads the CSV and
Parquet extracts as delivered and applies the definitions written in the marts' YAML and
docs/kpi_formulas.md. The marts are read from the published serving file, as analysts read them.

Control totals (every month): the marts' billings equal the raw invoice total at the month's
rates, orders the raw order-line total and bookings the raw closed-won total, so nothing is lost
or counted twice across the dimension joins.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.integration import landing_totals as lt

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline")]


@pytest.fixture(scope="module")
def landing(built_company):
    return built_company.root / "landing"


@pytest.fixture(scope="module")
def serving(built_company):
    with duckdb.connect(str(built_company.root / "serve" / "sop.duckdb"), read_only=True) as con:
        yield con


def mart(con, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def has_table(con, name: str) -> bool:
    return con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchone()[0] > 0


def require(con, name: str):
    if not has_table(con, name):
        pytest.fail(f"mart {name} is not in the serving file")


def compare(expected: pd.DataFrame, got: pd.DataFrame, key: list[str], columns: dict[str, float], what: str):
    """Outer-join on key; every key on both sides, every column within its absolute tolerance.

    Fails with the precise list of disagreements: (key, column, expected, got).
    """
    merged = expected.merge(got, on=key, how="outer", suffixes=("_expected", "_mart"), indicator=True)
    problems = [
        f"{dict(zip(key, r))} only in {'landing' if m == 'left_only' else 'mart'}"
        for *r, m in merged[key + ["_merge"]].itertuples(index=False)
        if m != "both"
    ]
    both = merged[merged._merge == "both"]
    for column, tolerance in columns.items():
        e = both[f"{column}_expected"].astype(float)
        g = both[f"{column}_mart"].astype(float)
        bad = ~(np.isclose(g, e, rtol=1e-9, atol=tolerance) | (e.isna() & g.isna()))
        for idx in both.index[bad]:
            problems.append(
                f"{what} {dict(zip(key, both.loc[idx, key]))} {column}: "
                f"expected {both.at[idx, f'{column}_expected']!r}, got {both.at[idx, f'{column}_mart']!r}"
            )
    assert not problems, f"{len(problems)} disagreement(s):\n" + "\n".join(problems[:40])


# ----------------------------------------------------------------------------- control totals

CONTROL_MARTS = {
    # mart: (month column, measures it carries)
    "revenue_by_region_family_monthly": ("revenue_month", ["billings_usd", "orders_usd", "bookings_usd"]),
    "revenue_monthly": ("revenue_month", ["billings_usd", "orders_usd", "bookings_usd"]),
    "bookings_to_billings_monthly": ("revenue_month", ["billings_usd", "orders_usd", "bookings_usd"]),
    "customer_revenue_monthly": ("revenue_month", ["billings_usd"]),
}


@pytest.mark.parametrize("table", CONTROL_MARTS)
def test_monthly_control_totals_match_the_raw_extracts(landing, serving, table):
    month_column, measures = CONTROL_MARTS[table]
    require(serving, table)
    expected = lt.monthly_control_totals(landing)
    got = mart(
        serving,
        f"SELECT strftime({month_column}, '%Y-%m') AS month, count(*) AS mart_rows, "
        + ", ".join(f"sum({m})::DOUBLE AS {m}" for m in measures)
        + f" FROM {table} GROUP BY ALL",
    )
    # a mart's month row can be all zeros where the landing has nothing: compare on the months with activity
    expected = expected[["month", *measures]]
    got = got[(got[measures] != 0).any(axis=1) | got.month.isin(expected.month)]
    # each mart row is rounded to cents: a month's sum may be off by half a cent per row
    tolerance = 0.005 * got.mart_rows.max() + 0.01
    compare(expected, got.drop(columns="mart_rows"), ["month"], {m: tolerance for m in measures}, table)
    assert len(expected) > 12 and (expected[measures].sum() > 0).all()


def test_revenue_mart_split_by_segment_adds_up_to_region_and_family(landing, serving):
    """revenue_monthly summed over segments = the independent month x region x family calculation."""
    require(serving, "revenue_monthly")
    measures = [
        "bookings_usd",
        "orders_usd",
        "billings_usd",
        "booked_units",
        "ordered_units",
        "billed_units",
        "order_lines",
        "invoice_lines",
    ]
    expected = lt.revenue_by_region_family(landing)
    got = mart(
        serving,
        "SELECT strftime(revenue_month, '%Y-%m') AS revenue_month, region_code, product_family, "
        "count(*) AS segments, "
        + ", ".join(f"sum({m})::DOUBLE AS {m}" for m in measures)
        + " FROM revenue_monthly GROUP BY ALL",
    )
    tolerance = 0.005 * got.segments.max() + 0.01
    compare(
        expected,
        got.drop(columns="segments"),
        ["revenue_month", "region_code", "product_family"],
        {m: tolerance if m.endswith("_usd") else 1e-6 for m in measures},
        "revenue_monthly",
    )


def test_sales_mart_bookings_equal_the_raw_closed_won_total(landing, serving):
    require(serving, "sales_performance_monthly")
    expected = lt.monthly_control_totals(landing)[["month", "bookings_usd"]]
    got = mart(
        serving,
        "SELECT strftime(performance_month, '%Y-%m') AS month, "
        "sum(bookings_usd)::DOUBLE AS bookings_usd "
        "FROM sales_performance_monthly GROUP BY ALL",
    )
    got = got[(got.bookings_usd != 0) | got.month.isin(expected.month)]
    compare(expected, got, ["month"], {"bookings_usd": 1.0}, "sales_performance_monthly")


# ----------------------------------------------------------------------------- rep KPIs


REP_MEASURES = {
    # column: absolute tolerance (money sums cent-rounded opportunity amounts)
    "quota_usd": 0.01,
    "bookings_usd": 0.05,
    "won_count": 0,
    "lost_count": 0,
    "pipeline_created_count": 0,
    "pipeline_created_usd": 0.05,
    # ratios are stored with four decimals (decimal(18,4))
    "quota_attainment": 5.1e-5,
    "win_rate": 5.1e-5,
}


def test_quota_attainment_win_rate_and_pipeline_created_per_rep_month(landing, serving):
    """Every rep-month with a quota, a close or a created opportunity, in every month of the fixture."""
    require(serving, "sales_performance_monthly")
    expected = lt.rep_performance_monthly(landing)
    got = mart(
        serving,
        "SELECT strftime(performance_month, '%Y-%m') AS month, rep_id, "
        + ", ".join(f"{c}::DOUBLE AS {c}" for c in REP_MEASURES)
        + " FROM sales_performance_monthly",
    )
    # the mart also has rep-months with nothing but open pipeline: nothing to compare there
    activity = ["bookings_usd", "won_count", "lost_count", "pipeline_created_count"]
    quiet = got.quota_usd.isna() & (got[activity] == 0).all(axis=1)
    compare(expected, got[~quiet], ["month", "rep_id"], REP_MEASURES, "sales_performance_monthly")
    assert expected.month.nunique() > 12 and expected.won_count.sum() > 0 and expected.quota_usd.notna().sum() > 0


def test_team_quota_attainment_per_month(landing, serving):
    """Attainment of the whole team per month = Σ bookings / Σ quota (territory mart rolled up)."""
    require(serving, "territory_performance_monthly")
    reps = lt.rep_performance_monthly(landing)
    with_quota = reps[reps.quota_usd.notna()]
    expected = with_quota.groupby("month")[["quota_usd"]].sum().join(reps.groupby("month")[["bookings_usd"]].sum())
    expected = expected.reset_index()
    got = mart(
        serving,
        "SELECT strftime(performance_month, '%Y-%m') AS month, sum(quota_usd)::DOUBLE AS quota_usd, "
        "sum(bookings_usd)::DOUBLE AS bookings_usd FROM territory_performance_monthly GROUP BY ALL",
    )
    compare(expected, got, ["month"], {"quota_usd": 0.1, "bookings_usd": 0.5}, "territory_performance_monthly")


# ----------------------------------------------------------------------------- retention


def test_net_revenue_retention_of_the_last_month(landing, serving):
    require(serving, "customer_retention_monthly")
    last = mart(serving, "SELECT strftime(max(revenue_month), '%Y-%m') AS m FROM customer_retention_monthly").m[0]
    assert last == lt.monthly_control_totals(landing).month.max()
    expected = lt.net_revenue_retention(landing, last)
    got = mart(
        serving,
        "SELECT region_code, active_customers_year_ago::DOUBLE AS active_customers_year_ago, "
        "retained_customers::DOUBLE AS retained_customers, "
        "net_revenue_retention, gross_revenue_retention "
        f"FROM customer_retention_monthly WHERE strftime(revenue_month, '%Y-%m') = '{last}'",
    )
    got = got[got.active_customers_year_ago > 0]
    compare(
        expected,
        got,
        ["region_code"],
        {
            "active_customers_year_ago": 0,
            "retained_customers": 0,
            "net_revenue_retention": 1e-6,
            "gross_revenue_retention": 1e-6,
        },
        f"customer_retention_monthly {last}",
    )
    assert expected.active_customers_year_ago.sum() > 0


# ----------------------------------------------------------------------------- demand history


def test_demand_history_units_per_sku_region_month_including_zero_months(landing, serving):
    require(serving, "demand_history_monthly")
    expected = lt.demand_history(landing)
    got = mart(
        serving,
        "SELECT sku, region_code, strftime(demand_month, '%Y-%m') AS month, "
        "ordered_units::DOUBLE AS ordered_units, ordered_value_usd::DOUBLE AS ordered_value_usd, "
        "shipped_units::DOUBLE AS shipped_units, order_lines::DOUBLE AS order_lines "
        "FROM demand_history_monthly",
    )
    compare(
        expected,
        got,
        ["sku", "region_code", "month"],
        {"ordered_units": 1e-6, "shipped_units": 1e-6, "order_lines": 0, "ordered_value_usd": 0.01},
        "demand_history_monthly",
    )
    assert (expected.ordered_units == 0).sum() > 0, "the fixture should have zero-demand months"
