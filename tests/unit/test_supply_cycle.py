"""One supply cycle end to end on a case small enough to check by hand, and its input rules.

The company: PMP-1 made on WC-DE01-ASSY (1 h/unit, 100 h a month, no overtime allowed), sold in
EUR (served from DE01) and APAC (60 % from AU01, 40 % from DE01); cycle 2026-12, plan 2027-01 .. 03.
Consensus demand per month: EUR 50, APAC 50 -> DE01 50 + 20 = 70, AU01 30 (100 units, 100 h: the
work center is exactly full). On hand at 2026-12-31: DE01 10, AU01 0; one open transfer of 20 to
AU01 due 2027-01-15.

Constrained plan by hand (holding cost > 0, backlog cost > holding):
- January: DE01 needs 70, has 10 -> 60 to make; AU01 needs 30, has the 20 due -> 10 to make: 70 h.
  The other 30 h are better left idle than held (every later month has its own 100 h for 100 units).
- February and March: 70 + 30 = 100 units made, 100 h, nothing short, nothing left.
Closing stock is 0 everywhere, nothing is short, utilization is 70 %, 100 %, 100 %.
"""

from __future__ import annotations

import pandas as pd
import pytest

from orchestration.supply import cycle as sc
from orchestration.supply.capacity import CapacityError
from orchestration.supply.policy import Policy
from orchestration.supply.scenarios import ScenarioError

CYCLE = pd.Timestamp("2026-12-01")
MONTHS = list(pd.date_range("2027-01-01", periods=3, freq="MS"))
WC = "WC-DE01-ASSY"


def _consensus(units=50.0) -> pd.DataFrame:
    rows = []
    for region in ("EUR", "APAC"):
        for step, month in enumerate(MONTHS, start=1):
            rows.append(
                {
                    "cycle_month": CYCLE,
                    "series_id": f"sku=PMP-1|region={region}",
                    "level": "sku_region",
                    "region_code": region,
                    "product_family": "PMP",
                    "sku": "PMP-1",
                    "forecast_month": month,
                    "horizon_step": step,
                    "statistical_units": units,
                    "consensus_units": units,
                }
            )
    return pd.DataFrame(rows)


def case(**changes) -> sc.CycleData:
    history_months = pd.date_range("2025-01-01", "2026-12-01", freq="MS")
    history = pd.DataFrame(
        [
            {"sku": "PMP-1", "region": r, "family": "PMP", "ds": m, "y": 50.0 + (5 if i % 2 else -5)}
            for r in ("EUR", "APAC")
            for i, m in enumerate(history_months)
        ]
    )
    item_sites = pd.DataFrame(
        {
            "sku": "PMP-1",
            "site": ["DE01", "AU01"],
            "procurement_type": ["make", "transfer"],
            "supplying_site": ["", "DE01"],
            "lead_time_days": [30, 45],
            "lead_time_std_days": [2.6, 3.9],
            "lot_rule": ["LFL", "FOQ"],
            "lot_size": [0.0, 40.0],
            "periods": [0, 0],
            "moq": [0.0, 0.0],
            "multiple": [1.0, 1.0],
            "_source_file": "erp/item_sites/2026-12/item_sites_202612.csv",
            "_source_row": [1, 2],
        }
    )
    data = dict(
        cycle=CYCLE,
        consensus=_consensus(),
        history=history,
        forecast_errors=pd.DataFrame(columns=["sku", "region", "ds", "error"]),
        items=pd.DataFrame(
            {"sku": ["PMP-1"], "family": ["PMP"], "unit_cost": [60.0], "unit_price": [100.0], "eol_date": [pd.NaT]}
        ),
        item_sites=item_sites,
        region_sites=pd.DataFrame(
            {
                "region": ["EUR", "APAC", "APAC"],
                "site": ["DE01", "AU01", "DE01"],
                "share": [1.0, 0.6, 0.4],
                "_source_file": "erp/sourcing_rules/2026-12/sourcing_rules_202612.csv",
                "_source_row": [1, 2, 3],
            }
        ),
        inventory=pd.DataFrame(
            {
                "snapshot_date": pd.Timestamp("2026-12-31"),
                "sku": "PMP-1",
                "site": ["DE01", "AU01"],
                "on_hand": [10.0, 0.0],
            }
        ),
        receipts=pd.DataFrame(
            {"receipt_id": ["TR1"], "sku": ["PMP-1"], "site": ["AU01"], "due_date": ["2027-01-15"], "quantity": [20.0]}
        ),
        capacity=pd.DataFrame(
            {
                "work_center": WC,
                "site": "DE01",
                "month": MONTHS,
                "available_hours": 100.0,
                "_source_file": "erp/work_center_capacity/2026-12/work_center_capacity_202612.csv",
                "_source_row": [1, 2, 3],
            }
        ),
        routings=pd.DataFrame(
            {
                "sku": ["PMP-1"],
                "work_center": [WC],
                "hours_per_unit": [1.0],
                "_source_file": "erp/routings/2026-12/routings_202612.csv",
                "_source_row": [1],
            }
        ),
    )
    data.update(changes)
    return sc.CycleData(**data)


#: the hand solutions ignore the safety stock (weight 0); test_the_plan_holds_the_safety_stock adds it
POLICY = Policy(overtime_cap_share=0.0, safety_stock_weight=0.0)


def test_the_constrained_plan_matches_the_hand_solution():
    result = sc.plan_cycle(case(), POLICY)
    plan = result.supply_plan.set_index(["site", "month"])
    assert plan.loc[("DE01", MONTHS[0]), "production"] == pytest.approx(60.0)
    assert plan.loc[("AU01", MONTHS[0]), "production"] == pytest.approx(10.0)
    for month in MONTHS[1:]:
        assert plan.loc[("DE01", month), "production"] == pytest.approx(70.0)
        assert plan.loc[("AU01", month), "production"] == pytest.approx(30.0)
    assert plan["closing"].abs().max() == pytest.approx(0.0, abs=1e-6)
    assert plan["backlog_closing"].abs().max() == pytest.approx(0.0, abs=1e-6)
    assert plan.loc[("AU01", MONTHS[0]), "scheduled_receipts"] == pytest.approx(20.0)
    util = result.capacity.set_index("month")["utilization"]
    assert list(util.round(6)) == [0.7, 1.0, 1.0]
    assert not (result.exceptions["exception"] == "stock_out").any()


def test_the_plan_holds_the_safety_stock_with_the_idle_january_hours():
    # with a weight > 0 the 30 idle hours of January pre-build stock up to the safety stock of DE01
    # and AU01 (holding $1.20 a unit-month < below the safety stock), and nothing else changes
    result = sc.plan_cycle(case(), Policy(overtime_cap_share=0.0))
    plan = result.supply_plan.set_index(["site", "month"])
    ss = result.safety_stock.set_index("site")["safety_stock"]
    built = plan.xs(MONTHS[0], level="month")["closing"]
    assert built.sum() == pytest.approx(min(30.0, ss.sum()), abs=1e-6)
    assert (built <= ss.reindex(built.index) + 1e-6).all()
    assert plan["backlog_closing"].abs().max() == pytest.approx(0.0, abs=1e-6)
    assert result.plan.costs["below_safety_stock"] > 0


def test_demand_is_split_by_the_sourcing_shares_and_conserved():
    result = sc.plan_cycle(case(), POLICY)
    demand = result.supply_plan.groupby("site")["demand"].sum()
    assert demand["DE01"] == pytest.approx(3 * 70.0)
    assert demand["AU01"] == pytest.approx(3 * 30.0)
    p = result.supply_plan
    assert ((p["opening"] + p["scheduled_receipts"] + p["production"] - p["shipped"] - p["closing"]).abs() < 1e-6).all()


def test_a_tight_month_reports_a_stock_out_with_its_reason():
    # 150 units a month from February on: February and March are 50 h short each, January has
    # 30 h idle to pre-build with, so 30 units move into February and 20 + 50 units stay short
    consensus = _consensus()
    consensus.loc[consensus["forecast_month"] > MONTHS[0], "consensus_units"] = 75.0
    result = sc.plan_cycle(case(consensus=consensus), POLICY)
    short = result.supply_plan.groupby("month")["short_on_time"].sum()
    assert short[MONTHS[0]] == pytest.approx(0.0, abs=1e-6)
    assert short.sum() == pytest.approx(100.0 - 30.0)
    outs = result.exceptions[result.exceptions["exception"] == "stock_out"]
    assert not outs.empty
    assert outs["message"].str.contains(WC).all()


def test_the_safety_stock_uses_the_naive_error_until_there_are_snapshots():
    result = sc.plan_cycle(case(), POLICY)
    ss = result.safety_stock.set_index("site")
    assert set(ss["error_source"]) == {"naive_forecast"}
    # history alternates 45, 55: the naive error is ±10 per region, split by the shares
    assert ss.loc["AU01", "sigma_error"] == pytest.approx(pd.Series([6.0, -6.0] * 12).std(), rel=0.05)
    assert (ss["safety_stock"] > 0).all()


def test_a_routing_to_an_unknown_work_center_names_the_file_row_and_rule():
    routings = case().routings.assign(work_center="WC-XX99")
    with pytest.raises(CapacityError, match=r"erp/routings/2026-12/routings_202612.csv row 1.*WC-XX99"):
        sc.plan_cycle(case(routings=routings), POLICY)


def test_a_negative_lead_time_is_refused_with_file_row_and_rule():
    item_sites = case().item_sites
    item_sites.loc[1, "lead_time_days"] = -5
    with pytest.raises(
        sc.SupplyInputError,
        match=r"item_sites_202612.csv row 2: lead_time_days -5 of SKU PMP-1 at AU01 \(rule: a lead time is ≥ 0 days\)",
    ):
        sc.plan_cycle(case(item_sites=item_sites), POLICY)


def test_capacity_missing_for_a_plan_month_is_refused():
    capacity = case().capacity.iloc[[0, 2]]
    with pytest.raises(CapacityError, match=r"no row for WC-DE01-ASSY in 2027-02.*routings_202612.csv row 1"):
        sc.plan_cycle(case(capacity=capacity), POLICY)


def test_sourcing_shares_that_do_not_sum_to_one_are_refused():
    region_sites = case().region_sites
    region_sites.loc[1, "share"] = 0.5
    with pytest.raises(
        sc.SupplyInputError, match=r"sourcing_rules_202612.csv row 2: the shares of region APAC sum to 0.9"
    ):
        sc.plan_cycle(case(region_sites=region_sites), POLICY)


def test_a_site_with_demand_but_no_planning_parameters_is_refused():
    item_sites = case().item_sites.iloc[[0]]
    with pytest.raises(sc.SupplyInputError, match=r"no planning parameters for SKU PMP-1 at AU01"):
        sc.plan_cycle(case(item_sites=item_sites), POLICY)


def test_a_scenario_naming_an_unknown_family_is_refused(tmp_path):
    path = tmp_path / "supply_scenarios.csv"
    path.write_text("scenario,lever,family,region,work_center,month,change\nup,demand,XYZ,,,,10\n")
    with pytest.raises(ScenarioError, match=r"supply_scenarios.csv row 2.*XYZ"):
        sc.read_cycle_scenarios(path, case())


def test_scenarios_and_the_diff_against_the_previous_version(tmp_path):
    path = tmp_path / "supply_scenarios.csv"
    path.write_text("scenario,lever,family,region,work_center,month,change\neur_up,demand,PMP,EUR,,,20\n")
    path_rows = sc.read_cycle_scenarios(path, case())
    first = sc.plan_cycle(case(), POLICY)
    consensus = _consensus()
    consensus.loc[consensus["region_code"] == "EUR", "consensus_units"] = 40.0
    second = sc.plan_cycle(
        case(consensus=consensus),
        POLICY,
        scenario_changes=path_rows,
        previous={
            "cycle_month": pd.Timestamp("2026-11-01"),
            "supply_plan": first.supply_plan,
            "capacity": first.capacity,
        },
    )
    kpis = second.scenario_kpis.set_index("scenario")
    assert list(kpis.index) == ["base", "eur_up"]
    assert kpis.loc["eur_up", "units_ordered"] == pytest.approx(kpis.loc["base", "units_ordered"] + 3 * 40.0 * 0.2)
    diff = second.plan_diff.set_index("site")
    assert diff.loc["DE01", "demand_change"] == pytest.approx(-30.0)
    assert diff.loc["DE01", "main_cause"] == "demand change"
