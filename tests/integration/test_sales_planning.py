"""The sales plan of the small demo company, as built and published: quotas, reconciliation, payouts, balance.

Cycle 2022-02 plans FY2023 and pays FY2022. The company target is recomputed here from the published revenue
forecast and the planners' growth rate; the quotas are summed at every level; the payouts of every rep-month
are recomputed from the landing files with the comp plan's rules written out in plain pandas (no shared code);
a bad planner file leaves the stored plan as it was.
"""

from __future__ import annotations

import shutil
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pandas as pd
import pytest

from orchestration.sales_planning import warehouse as sales_wh
from orchestration.sales_planning.plan import plan_sales
from tests.integration import landing_totals, sop_planner_files

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline")]

CYCLE = "2022-02"
PLAN_YEAR, PAID_YEAR = 2023, 2022


@pytest.fixture(scope="module")
def serving(built_company):
    assert built_company.run_success, built_company.steps_failed
    with duckdb.connect(str(built_company.root / "serve" / "sop.duckdb"), read_only=True) as con:
        yield con


def _cycle(serving, mart: str) -> pd.DataFrame:
    return serving.execute(f"SELECT * FROM {mart} WHERE cycle_month = DATE '{CYCLE}-01'").df()


def test_the_company_target_is_the_revenue_plan_plus_the_planners_growth(serving):
    forecast = serving.execute(
        f"SELECT forecast_month, sum(blended_usd) AS usd FROM revenue_forecast "
        f"WHERE cycle_month = DATE '{CYCLE}-01' GROUP BY 1"
    ).df()
    by_month = {pd.Timestamp(m).strftime("%Y-%m"): float(u) for m, u in zip(forecast.forecast_month, forecast.usd)}
    plan = 0.0
    for month in pd.period_range(f"{PLAN_YEAR}-01", f"{PLAN_YEAR}-12", freq="M"):
        source = month
        while source.strftime("%Y-%m") not in by_month:  # beyond the horizon: the same month a year before
            source -= 12
        plan += by_month[source.strftime("%Y-%m")]
    total = _cycle(serving, "quota_reconciliation").set_index("region_code").loc["total"]
    assert float(total.sop_plan_usd) == pytest.approx(plan, abs=0.01)
    assert float(total.bookings_target_usd) == pytest.approx(plan * (1 + sop_planner_files.SALES_GROWTH), abs=0.02)
    assert total.target_source == "sop_plan_growth"


def test_quotas_add_up_to_target_times_over_assignment_at_every_level(serving):
    territories = _cycle(serving, "territory_quota_plan")
    quotas = _cycle(serving, "quota_plan")
    reconciliation = _cycle(serving, "quota_reconciliation").set_index("region_code")
    target = float(reconciliation.loc["total", "bookings_target_usd"])
    assert round(float(territories.top_down_target_usd.sum()), 2) == round(target, 2)
    for row in territories.itertuples():
        # the rule: target × over-assignment, rounded half up to the cent (in decimal, not binary, arithmetic)
        exact = Decimal(str(row.top_down_target_usd)) * Decimal(str(sop_planner_files.OVER_ASSIGNMENT))
        pool = float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        assert float(row.quota_pool_usd) == pytest.approx(pool, abs=0.005)
        mine = quotas[quotas.territory_id == row.territory_id]
        assert round(float(mine.quota_usd.sum()), 2) == round(pool, 2), row.territory_id
    assert set(pd.to_datetime(quotas.month).dt.year) == {PLAN_YEAR}
    by_region = quotas.groupby("region_code").quota_usd.sum()
    for region, quota in by_region.items():
        assert float(reconciliation.loc[region, "quota_usd"]) == pytest.approx(float(quota), abs=0.005)
    ratio = float(quotas.quota_usd.sum()) / target
    assert float(reconciliation.loc["total", "over_assignment"]) == pytest.approx(ratio, abs=1e-4)
    assert bool(reconciliation.loc["total", "within_band"]) == (1.1 <= ratio <= 1.3)


def _independent_payouts(landing) -> pd.DataFrame:
    """FY2022 pay per rep and month from the landing files and the plan's rules, written out here."""
    plan, spif = sop_planner_files.COMP_PLAN, sop_planner_files.SPIF
    perf = landing_totals.rep_performance_monthly(landing)
    perf = perf[perf.month.astype(str).str.startswith(str(PAID_YEAR))]
    perf = perf[perf.quota_usd > 0]
    opps = landing_totals.opportunities(landing)
    new_wins = opps[
        (opps.status == "won")
        & (opps.Type == spif["opportunity_type"])
        & opps.close_month.astype(str).isin(spif["months"])
    ]
    deals = new_wins.groupby(["owner_id", new_wins.close_month.astype(str)]).size()
    last = perf.month.astype(str).max()
    rows = []
    for rep, mine in perf.groupby("rep_id"):
        mine = mine.sort_values("month")
        known = mine.quota_usd.round(2).tolist()
        # months not yet in the CRM: the mean so far, for a rep still carrying a quota in the last month
        later = 12 - int(pd.Period(last).month) if mine.month.astype(str).iloc[-1] == last else 0
        annual = sum(known) + later * round(sum(known) / len(known), 2)
        employed = len(known) + later
        variable = plan["ote"] * (1 - plan["base_share"]) * employed / 12
        base_month = plan["ote"] * plan["base_share"] / 12
        cap = plan["cap"] - base_month * employed
        earned_before, booked = 0.0, 0.0
        for month, bookings in zip(mine.month.astype(str), mine.bookings_usd):
            booked += bookings
            earned = 0.0
            for low, high, rate in plan["tiers"]:
                top = booked if high is None else min(booked, high * annual)
                earned += max(0.0, top - low * annual) * variable / annual * rate
            earned = min(earned, cap)
            spif_pay = spif["amount"] * int(deals.get((rep, month), 0))
            rows.append((rep, month, earned - earned_before + base_month + spif_pay, booked / annual))
            earned_before = earned
    return pd.DataFrame(rows, columns=["rep_id", "month", "total_pay_usd", "attainment_ytd"])


def test_payouts_match_an_independent_calculation_from_the_landing_files(serving, built_company):
    expected = _independent_payouts(built_company.root / "landing")
    paid = _cycle(serving, "comp_payouts")
    paid["month"] = pd.to_datetime(paid.month).dt.strftime("%Y-%m")
    got = paid.merge(expected, on=["rep_id", "month"], suffixes=("", "_expected"))
    assert len(got) == len(expected) == len(paid) >= 8
    # bookings are summed per line item in the mart and per opportunity here: cents apart at most
    assert ((got.total_pay_usd.astype(float) - got.total_pay_usd_expected).abs() <= 0.05).all()
    assert ((got.attainment_ytd.astype(float) - got.attainment_ytd_expected).abs() <= 1e-4).all()


def test_the_payout_forecast_is_ordered_and_its_total_is_the_sum_of_the_reps(serving):
    forecast = _cycle(serving, "payout_forecast")
    reps, total = forecast[forecast.rep_id != "total"], forecast[forecast.rep_id == "total"].iloc[0]
    assert len(reps) >= 8
    for q in ("p10", "p50", "p90"):
        assert float(total[f"total_pay_fy_{q}_usd"]) == pytest.approx(float(reps[f"total_pay_fy_{q}_usd"].sum()), 0.01)
    assert (reps.total_pay_fy_p10_usd <= reps.total_pay_fy_p50_usd).all()
    assert (reps.total_pay_fy_p50_usd <= reps.total_pay_fy_p90_usd).all()
    assert float(total.bookings_fy_p10_usd) < float(total.bookings_fy_p90_usd)


def test_the_what_if_pays_the_same_bookings_under_the_alternative_plan(serving):
    what_if = _cycle(serving, "comp_what_if")
    paid = _cycle(serving, "comp_payouts").groupby("rep_id").total_pay_usd.sum()
    assert set(what_if.plan_b) == {"AE-2022-flat"}
    for row in what_if.itertuples():
        assert float(row.total_pay_a_usd) == pytest.approx(float(paid[row.rep_id]), abs=0.01)
        assert row.change == ("gains" if row.difference_usd > 0 else "loses" if row.difference_usd < 0 else "same")


def test_the_rebalancing_keeps_regions_and_the_balance_is_reported_before_and_after(serving):
    moves = _cycle(serving, "rebalance_proposal")
    accounts = serving.execute("SELECT crm_account_id AS account_id, region_code FROM dim_customer").df()
    territories = serving.execute("SELECT territory_id, region_code FROM dim_territory").df()
    region_of_territory = dict(zip(territories.territory_id, territories.region_code))
    if len(moves):
        merged = moves.merge(accounts, on="account_id", suffixes=("", "_account"))
        assert (merged.region_code == merged.region_code_account).all()
        assert (moves.to_territory_id.map(region_of_territory) == moves.region_code).all()
        assert set(moves.decision) == {"pending"}  # the test company's decisions file has no rows
    assert int((moves.reason == "balance").sum()) <= 80
    balance = _cycle(serving, "territory_balance")
    assert {"before", "proposed", "decided"} <= set(balance.state)


def test_a_bad_planner_file_leaves_the_stored_plan_as_it_was(built_company, tmp_path):
    warehouse = tmp_path / "sop.duckdb"
    shutil.copy(built_company.root / "warehouse" / "sop.duckdb", warehouse)
    inputs = tmp_path / "inputs"
    shutil.copytree(built_company.root / "inputs", inputs)
    bad = sop_planner_files.COMP_PLANS.replace("earnings_cap_usd: 240000", "earnings_cap_usd: 100000")
    (inputs / "comp_plans.yaml").write_text(bad)
    with duckdb.connect(str(warehouse)) as con:
        before = con.execute("SELECT * FROM sales_planning.comp_payouts ORDER BY rep_id, month").df()
        data = sales_wh.read_plan_data(con, pd.Timestamp(f"{CYCLE}-01"))
        plan = plan_sales(data, inputs)
        sales_wh.write_plan(con, pd.Timestamp(f"{CYCLE}-01"), plan.tables)
        after = con.execute("SELECT * FROM sales_planning.comp_payouts ORDER BY rep_id, month").df()
    assert len(plan.errors) == 1
    assert "inputs/comp_plans.yaml" in plan.errors[0] and "earnings_cap_usd" in plan.errors[0]
    assert "comp_payouts" not in plan.tables and "quota_plan" in plan.tables
    assert len(before) > 0
    pd.testing.assert_frame_equal(before, after)
    assert (inputs / "comp_plans.yaml").read_text() == bad


def test_the_planner_files_are_read_not_written(built_company):
    inputs = built_company.root / "inputs"
    assert (inputs / "sales_targets.csv").read_text() == sop_planner_files.SALES_TARGETS
    assert (inputs / "comp_plans.yaml").read_text() == sop_planner_files.COMP_PLANS
    assert (inputs / "territory_decisions.csv").read_text() == sop_planner_files.TERRITORY_DECISIONS
