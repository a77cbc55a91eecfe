"""The sales-planning tables' declarations, the generated dbt files, the KPI dictionary, and the run's glue
(``plan``): the revenue plan completed beyond the horizon, the year's quotas, the forecast split to reps."""

from __future__ import annotations

import csv
from datetime import date

import pandas as pd
import pytest

from orchestration.sales_planning import dbt_yaml, payout_forecast, payouts, quota, sales_kpis, tables
from orchestration.sales_planning.plan import complete_plan, full_year_quotas, rep_bookings_forecast
from orchestration.sales_planning.plan_data import PlanData
from orchestration.settings import DBT_PROJECT_DIR


def test_the_generated_dbt_files_are_up_to_date():
    assert dbt_yaml.out_of_date() == [], "run: .venv/bin/python -m orchestration.sales_planning.dbt_yaml --write"


def test_every_table_has_a_mart_and_carries_its_cycle():
    assert set(dbt_yaml.MARTS) == set(tables.BY_NAME)
    for spec in tables.ALL:
        assert "cycle_month" in spec.columns and spec.primary_key[0] == "cycle_month", spec.name


def test_the_tables_declare_the_columns_the_domain_writes():
    declared = {name: set(spec.columns) - {"cycle_month"} for name, spec in tables.BY_NAME.items()}
    assert set(quota.QUOTA_COLUMNS) | {"rep_name", "fiscal_year"} == declared["quota_plan"]
    assert set(payouts.PAYOUT_COLUMNS) | {"fiscal_year"} == declared["comp_payouts"]
    assert set(payouts.COST_OF_SALES_COLUMNS) | {"fiscal_year"} == declared["cost_of_sales"]
    assert set(payouts.COMPARE_COLUMNS) | {"fiscal_year"} == declared["comp_what_if"]
    assert set(payout_forecast.COLUMNS) | {"fiscal_year"} == declared["payout_forecast"]
    assert set(sales_kpis.COLUMNS) | {"plan_fiscal_year", "paid_fiscal_year"} == declared["sales_kpis"]


def test_the_sales_kpis_are_in_the_dictionary_and_point_at_their_mart():
    with open(DBT_PROJECT_DIR / "seeds" / "kpi_dictionary.csv", newline="") as handle:
        rows = {row["kpi_name"]: row for row in csv.DictReader(handle)}
    for kpi in ("quota_over_assignment", "cost_of_sales", "reps_at_or_above_100_pct", "reps_at_or_above_80_pct"):
        assert rows[kpi]["mart"] == f"sales_kpis.{kpi}"
    assert rows["ramped_productivity_usd"]["mart"] == "sales_kpis.ramped_productivity_usd"
    assert set(sales_kpis.COLUMNS) >= {"quota_over_assignment", "cost_of_sales", "ramped_productivity_usd"}


def test_a_month_beyond_the_forecast_horizon_takes_the_same_month_a_year_before():
    forecast = pd.DataFrame(
        {
            "region_code": ["EUR"] * 3,
            "month": [date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)],
            "p10_usd": [8.0, 9.0, 10.0],
            "p50_usd": [10.0, 11.0, 12.0],
            "p90_usd": [12.0, 13.0, 14.0],
        }
    )
    months = [date(2027, 1, 1), date(2027, 2, 1)]
    plan = complete_plan(forecast, months, ["EUR", "NAM"])
    eur = plan[plan.region_code == "EUR"].set_index("month")
    assert eur.loc[date(2027, 1, 1), "p50_usd"] == 12.0
    # 2027-02 is beyond the horizon and so is 2026-02: nothing a year before either, so 0
    assert eur.loc[date(2027, 2, 1), "p50_usd"] == 0.0
    assert plan[plan.region_code == "NAM"]["p50_usd"].sum() == 0.0
    later = complete_plan(forecast, [date(2027, 11, 1), date(2027, 12, 1)], ["EUR"]).set_index("month")
    assert later.loc[date(2027, 11, 1), "p50_usd"] == 10.0 and later.loc[date(2027, 12, 1), "p90_usd"] == 13.0


def _data(**frames) -> PlanData:
    months = [date(2026, m, 1) for m in range(1, 13)]
    empty = pd.DataFrame()
    base = dict(
        as_of=date(2026, 10, 1),
        fiscal_years={2026, 2027},
        fiscal_year_start_month=1,
        current_year=2026,
        current_months=months,
        plan_year=2027,
        plan_months=[date(2027, m, 1) for m in range(1, 13)],
        territories=empty,
        reps=empty,
        reps_history=empty,
        rep_months=empty,
        accounts=empty,
        market=empty,
        territory_history=empty,
        revenue_plan=empty,
        revenue_rest_of_year=empty,
        current_quotas=empty,
        current_credits=empty,
    )
    base.update(frames)
    return PlanData(**base)


def test_the_years_quotas_extend_an_active_reps_mean_and_not_a_leavers():
    reps = pd.DataFrame({"rep_id": ["A"], "region_code": ["EUR"]})
    quotas = pd.DataFrame(
        {
            "rep_id": ["A"] * 10 + ["L"] * 3,
            "month": [date(2026, m, 1) for m in range(1, 11)] + [date(2026, m, 1) for m in range(1, 4)],
            "quota_usd": [100.0] * 5 + [200.0] * 5 + [50.0] * 3,
        }
    )
    year = full_year_quotas(_data(reps=reps, current_quotas=quotas))
    a = year[year.rep_id == "A"].set_index("month")["quota_usd"]
    # A: (5 × 100 + 5 × 200) / 10 = 150 for November and December
    assert len(a) == 12 and a[date(2026, 11, 1)] == 150.0 and a[date(2026, 12, 1)] == 150.0
    assert len(year[year.rep_id == "L"]) == 3


def test_the_forecast_is_split_over_a_regions_reps_by_their_quota_of_the_month():
    reps = pd.DataFrame({"rep_id": ["A", "B", "C"], "region_code": ["EUR", "EUR", "NAM"]})
    quotas = pd.DataFrame(
        {
            "rep_id": ["A", "B", "C", "A"],
            "month": [date(2026, 11, 1)] * 3 + [date(2026, 10, 1)],
            "quota_usd": [300.0, 100.0, 50.0, 999.0],
        }
    )
    rest = pd.DataFrame(
        {
            "region_code": ["EUR", "NAM"],
            "month": [date(2026, 11, 1)] * 2,
            "p10_usd": [800.0, 60.0],
            "p50_usd": [1000.0, 50.0],  # NAM's P10 above its P50: clipped to the P50
            "p90_usd": [1200.0, 70.0],
        }
    )
    split = rep_bookings_forecast(_data(reps=reps, revenue_rest_of_year=rest), quotas).set_index("rep_id")
    # EUR: A 300 / 400 = 75 %, B 25 %; October is not forecast (before as_of's next month)
    assert split.loc["A", "p50_usd"] == 750.0 and split.loc["B", "p10_usd"] == 200.0
    assert split.loc["B", "p90_usd"] == 300.0
    assert split.loc["C", "p10_usd"] == 50.0 and split.loc["C", "p90_usd"] == 70.0
    assert len(split) == 3


@pytest.mark.parametrize("region", ["EUR", "total"])
def test_the_sales_kpis_count_reps_at_100_and_80_percent(region):
    quotas = pd.DataFrame({"rep_id": ["A", "B", "C"], "month": [date(2026, 1, 1)] * 3, "quota_usd": [100.0] * 3})
    credits = pd.DataFrame({"rep_id": ["A", "B", "C"], "bookings_usd": [100.0, 80.0, 79.99]})
    rep_months = pd.DataFrame(
        {"region_code": ["EUR", "EUR", "EUR"], "bookings_usd": [10.0, 20.0, 999.0], "months_employed": [4, 5, 2]}
    )
    kpis = sales_kpis.sales_kpis(
        ["EUR"], None, None, quotas, credits, {"A": "EUR", "B": "EUR", "C": "EUR"}, rep_months, 3
    ).set_index("region_code")
    # A at 100 %, B at 80 %, C just below: 1/3 at 100 %, 2/3 at 80 %; productivity (10 + 20) / 2 ramped months
    assert kpis.loc[region, "reps_at_or_above_100_pct"] == round(1 / 3, 4)
    assert kpis.loc[region, "reps_at_or_above_80_pct"] == round(2 / 3, 4)
    assert kpis.loc[region, "ramped_productivity_usd"] == 15.0
    assert kpis.loc[region, "cost_of_sales"] is None
