"""Exception sentences on the hand-checked LP cases, and the other exception kinds on small frames."""

import numpy as np
import pandas as pd
import pytest

from orchestration.supply import exceptions as ex
from orchestration.supply import lp
from tests.unit.test_supply_lp import hand_case

M3 = list(pd.date_range("2027-01-01", periods=3, freq="MS"))


def prebuild_case(overtime_cap: float) -> lp.PlanInputs:
    """One SKU P (1 h/unit) on WC-1: 100 regular hours a month, demand 90, 100, 110.

    Holding $15 and backlog $25 per unit-month; overtime $40/h. Closing March's 10-unit gap costs
    $30 a unit by pre-building in January (two months of holding, January's 10 spare hours) or
    $40 by overtime; leaving 10 units short in the last month costs $25 each. Optimum: 10 short
    in March, objective $250; one more March hour saves $25 (shadow price −25), one more
    February hour saves 25 − 15 = 10 (−10); January has slack (0).
    """
    return lp.PlanInputs(
        months=M3,
        demand=pd.DataFrame({"sku": "P", "site": "S1", "month": M3, "units": [90.0, 100.0, 110.0]}),
        opening=pd.DataFrame(columns=["sku", "site", "on_hand"]),
        routings=pd.DataFrame({"sku": ["P"], "work_center": ["WC-1"], "hours_per_unit": [1.0]}),
        capacity=pd.DataFrame({"work_center": "WC-1", "site": "S1", "month": M3, "available_hours": 100.0}),
        sku_costs=pd.DataFrame({"sku": ["P"], "holding_cost": [15.0], "backlog_cost": [25.0]}),
        overtime_premium=40.0,
        overtime_cap=overtime_cap,
    )


def test_stock_out_sentence_on_the_hand_checked_lp():
    # hand_case: 15 B short in April (30 h); WC-1 full Jan-Apr; April's hour is worth $20; April has
    # 40 h of overtime headroom at $30: 30 h = $900; no month before January to pre-build in.
    inputs = hand_case()
    out = ex.stock_outs(lp.plan(inputs), inputs)
    assert len(out) == 1
    row = out.iloc[0]
    assert row["message"] == (
        "SKU B in S1 is 15 units short in 2027-04: WC-1 is full from 2027-01 to 2027-04 "
        "(one more hour is worth $20); 30 h of overtime in 2027-04 ($900) closes it."
    )
    assert (row["units"], row["value"], row["shadow_price"]) == (pytest.approx(15), pytest.approx(600), -20)
    assert pd.isna(row["prebuild_month"])


def test_stock_out_sentence_with_the_pre_build_lever():
    inputs = prebuild_case(overtime_cap=0.0)
    plan = lp.plan(inputs)
    assert plan.objective == pytest.approx(250.0, abs=1e-6)
    caps = plan.binding.set_index("month")
    assert caps["kind"].tolist() == ["capacity", "capacity"]  # Feb, Mar; the zero overtime caps bind nothing
    np.testing.assert_allclose(caps["shadow_price"], [-10.0, -25.0], atol=1e-6)
    msg = ex.stock_outs(plan, inputs).iloc[0]["message"]
    # 10 units x $15 x 2 months = $300; no overtime allowed
    assert msg == (
        "SKU P in S1 is 10 units short in 2027-03: WC-1 is full from 2027-02 to 2027-03 "
        "(one more hour is worth $25); pre-building 10 units in 2027-01 ($300 of holding) closes it."
    )


def test_stock_out_sentence_with_both_levers():
    # overtime up to 20 h now allowed but at $40/h it is still dearer than the $25 backlog: same plan
    inputs = prebuild_case(overtime_cap=0.2)
    plan = lp.plan(inputs)
    assert plan.objective == pytest.approx(250.0, abs=1e-6)
    row = ex.stock_outs(plan, inputs).iloc[0]
    assert row["message"].endswith(
        "; 10 h of overtime in 2027-03 ($400) or pre-building 10 units in 2027-01 ($300 of holding) closes it."
    )
    assert (row["overtime_cost"], row["prebuild_cost"]) == (400.0, 300.0)


def test_stock_out_without_a_routing():
    inputs = prebuild_case(overtime_cap=0.0)
    inputs.demand = pd.concat(
        [inputs.demand, pd.DataFrame({"sku": ["Q"], "site": ["S2"], "month": [M3[1]], "units": [4.0]})]
    )
    inputs.sku_costs = pd.concat(
        [inputs.sku_costs, pd.DataFrame({"sku": ["Q"], "holding_cost": [1.0], "backlog_cost": [9.0]})]
    )
    out = ex.stock_outs(lp.plan(inputs), inputs).set_index("sku")
    assert out.loc["Q", "message"] == (
        "SKU Q in S2 is 4 units short in 2027-02: it is not made on any work center, "
        "so only 4 units of extra or earlier receipts by 2027-02 close it."
    )


def test_below_safety_stock_and_excess():
    inv = pd.DataFrame(
        {
            "sku": ["X"] * 3 + ["Y"] * 3,
            "site": "S1",
            "month": M3 * 2,
            "demand": [10.0, 10.0, 10.0, 0.0, 0.0, 0.0],
            "closing": [30.0, 12.0, 70.0, 5.0, 5.0, 5.0],
            "backlog_closing": 0.0,
        }
    )
    below = ex.below_safety_stock(inv, pd.DataFrame({"sku": ["X"], "site": ["S1"], "safety_stock": [15.0]}))
    assert below[["sku", "month", "units"]].values.tolist() == [["X", M3[1], 3.0]]
    assert below["message"].iloc[0] == (
        "SKU X in S1 ends 2027-02 with 12 units, below its safety stock of 15 (3 under)."
    )
    # a run of months is one exception: its first month, the largest shortfall
    low = inv.assign(closing=[14.0, 9.0, 12.0, 5.0, 5.0, 5.0])
    run = ex.below_safety_stock(low, pd.DataFrame({"sku": ["X"], "site": ["S1"], "safety_stock": [15.0]}))
    assert run[["sku", "month", "units"]].values.tolist() == [["X", M3[0], 6.0]]
    assert (
        run["message"].iloc[0].endswith("and stays below it through 2027-03 (3 months; at worst 6 under in 2027-02).")
    )
    # X: mean demand 10 -> March holds 7 months (7 x 30.4375 = 213.1 days) > 6: 70 − 60 = 10 units
    # above, at $2 = $20.
    # Y: stock and no demand -> infinite supply, flagged from the first month.
    exc = ex.excess_stock(inv, pd.DataFrame({"sku": ["X", "Y"], "unit_cost": [2.0, 1.0]}), max_months=6).set_index(
        "sku"
    )
    assert exc.loc["X", "month"] == M3[2] and exc.loc["X", "units"] == 10 and exc.loc["X", "value"] == 20
    assert "7.0 months (213 days) of supply against a policy of 6: 10 units ($20 at cost)" in exc.loc["X", "message"]
    assert exc.loc["Y", "month"] == M3[0] and "no demand" in exc.loc["Y", "message"]


def test_capacity_overload_from_the_plan_and_from_rough_cut():
    plan = lp.plan(hand_case())
    over = ex.capacity_overload(plan.hours)
    assert over["message"].tolist() == [
        "WC-1 is loaded to 110% of its regular hours in 2027-03: 10 h above 100 h (overtime $300)."
    ]
    rough = pd.DataFrame({"work_center": ["WC-2"], "month": [M3[0]], "load_hours": [50.0], "available_hours": [40.0]})
    assert ex.capacity_overload(rough, overtime_premium=10.0)["value"].tolist() == [100.0]


def test_late_supply_and_end_of_life():
    msgs = pd.DataFrame(
        {
            "receipt_id": ["PO1", "PO2", "PO3"],
            "sku": "X",
            "site": "S1",
            "due_date": pd.to_datetime(["2026-12-20", "2027-03-05", "2027-01-10"]),
            "due_month": pd.to_datetime(["2026-12-01", "2027-03-01", "2027-01-01"]),
            "need_month": [M3[0], M3[0], pd.NaT],
            "units": [15.0, 20.0, 5.0],
            "action": ["past_due", "reschedule_in", "reschedule_out"],
        }
    )
    orders = pd.DataFrame(
        {
            "sku": ["X", "Y", "Y", "Y"],
            "site": "S1",
            "need_month": [M3[1], M3[0], M3[1], M3[2]],
            "release_month": pd.to_datetime(["2026-12-01", "2026-10-01", "2026-11-01", "2027-01-01"]),
            "quantity": [30.0, 10.0, 12.0, 8.0],
            "release_past_due": [True, True, True, False],
        }
    )
    late = ex.late_supply(msgs, orders)
    assert late["message"].tolist() == [
        "PO1 for SKU X at S1 (15 units) was due 2026-12-20 and is still open: it is past due.",
        "PO2 for SKU X at S1 (20 units) is due in 2027-03 but needed in 2027-01: pull it in by 2 months.",
        "The planned order for SKU X at S1 (30 units, needed in 2027-02) should have been released in 2026-12: "
        "it is late.",
        # several late planned orders of one SKU x site are one exception
        "2 planned orders for SKU Y at S1 (22 units, needed 2027-01 to 2027-02) should have been released before "
        "the plan starts, the first in 2026-10: they are late.",
    ]
    inv = pd.DataFrame(
        {"sku": ["X"] * 3 + ["Z"] * 3, "site": "S1", "month": M3 * 2, "closing": [40.0, 25.0, 25.0, 9.0, 9.0, 9.0]}
    )
    items = pd.DataFrame({"sku": ["X", "Z"], "eol_date": ["2027-02-15", None], "unit_cost": [3.0, 1.0]})
    eol = ex.end_of_life_stock(inv, items)
    # X ends mid-February: what January closed with (40) is left when it can no longer be sold
    assert eol["message"].tolist() == [
        "SKU X in S1 reaches end of life on 2027-02-15 with 40 units left ($120 at cost)."
    ]
    stacked = ex.all_exceptions(late, eol)
    assert stacked["month"].is_monotonic_increasing and len(stacked) == len(late) + len(eol) == 5
