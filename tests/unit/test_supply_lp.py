"""The capacity-constrained supply LP against an optimum derived on paper, and conservation on a random case."""

import numpy as np
import pandas as pd
import pytest

from orchestration.supply import lp
from orchestration.supply.capacity import CapacityError

MONTHS = list(pd.date_range("2027-01-01", periods=4, freq="MS"))


def _frame(rows, columns):
    return pd.DataFrame(rows, columns=columns)


def hand_case() -> lp.PlanInputs:
    """Two SKUs on one work center over four months.

    WC-1 (plant S1) has 100 regular hours a month, overtime up to 40% (40 h) at $30/h.
    A: 1 h/unit, holding $2, backlog $100 per unit-month. B: 2 h/unit, holding $2, backlog $40.
    Demand A 50, 60, 60, 70; B 20, 20, 30, 30 -> hours 90, 100, 120, 130. No opening stock.

    Per hour of capacity: holding B costs $1/month, holding A $2/month; a B unit short costs
    $20 per hour-month, an A unit $100; overtime $30.
    - Jan has 10 spare hours, Mar is 20 h short, Apr 30 h short; Feb is exactly full.
    - Jan's 10 spare hours: pre-building B for March costs $2/h (two months), for April $3/h.
    - March's gap: the cheapest fill is pre-built B ($2/h) then overtime ($30/h); backlog B
      from March would last two month ends ($40/h), more than overtime.
    - April's gap: backlog B ($20/h, one month end) beats overtime ($30/h) and overtime in
      March held a month ($31/h).
    - Using Jan's hours for March saves 30 − 2 = 28 per hour; for April 20 − 3 = 17: March.
    So: Jan makes 5 extra B (10 h), March uses 10 h of overtime, April leaves 30 h = 15 B short.
    make A = 50, 60, 60, 70 (A is never short nor held); make B = 25, 20, 25, 15.
    Objective: holding 5 B × 2 months × $2 = 20; overtime 10 h × $30 = 300; backlog 15 × $40 = 600;
    total 920.

    Shadow prices of the capacity rows (d objective / d regular hours), each checked both ways:
    - Apr: one hour more makes half a B, half a unit less backlog: −20.
    - Mar: one hour more saves one overtime hour: −30 (overtime 10 h, below its 40 h cap).
    - Feb: one hour more makes half a B held one month ($1) instead of a March overtime hour: −29.
    - Jan: one hour more pre-builds half a B held two months ($2) instead of overtime: −28.
    """
    demand = _frame(
        [("A", "S1", m, u) for m, u in zip(MONTHS, (50, 60, 60, 70))]
        + [("B", "S1", m, u) for m, u in zip(MONTHS, (20, 20, 30, 30))],
        ["sku", "site", "month", "units"],
    )
    return lp.PlanInputs(
        months=MONTHS,
        demand=demand,
        opening=_frame([], ["sku", "site", "on_hand"]),
        routings=_frame([("A", "WC-1", 1.0), ("B", "WC-1", 2.0)], ["sku", "work_center", "hours_per_unit"]),
        capacity=_frame(
            [("WC-1", "S1", m, 100.0) for m in MONTHS], ["work_center", "site", "month", "available_hours"]
        ),
        sku_costs=_frame([("A", 2.0, 100.0), ("B", 2.0, 40.0)], ["sku", "holding_cost", "backlog_cost"]),
        overtime_premium=30.0,
        overtime_cap=0.4,
    )


def test_hand_checked_optimum_plan_objective_and_shadow_prices():
    inputs = hand_case()
    model = lp.build_model(inputs)
    solution = lp.solve(model)
    assert solution.optimal and solution.status == "Optimal"
    assert solution.objective == pytest.approx(920.0, abs=1e-6)
    plan = lp.read_solution(model, solution, inputs)

    made = plan.production.pivot_table(index="month", columns="sku", values="units", aggfunc="sum", fill_value=0.0)
    np.testing.assert_allclose(made["A"].to_numpy(), [50, 60, 60, 70], atol=1e-6)
    np.testing.assert_allclose(made["B"].to_numpy(), [25, 20, 25, 15], atol=1e-6)
    assert set(plan.production["plant"]) == {"S1"}

    b = plan.inventory[plan.inventory["sku"] == "B"].sort_values("month")
    np.testing.assert_allclose(b["closing"].to_numpy(), [5, 5, 0, 0], atol=1e-6)
    np.testing.assert_allclose(b["backlog_closing"].to_numpy(), [0, 0, 0, 15], atol=1e-6)
    np.testing.assert_allclose(b["shipped"].to_numpy(), [20, 20, 30, 15], atol=1e-6)
    assert plan.short[["sku", "month"]].values.tolist() == [["B", MONTHS[3]]]

    np.testing.assert_allclose(plan.hours["overtime_hours"].to_numpy(), [0, 0, 10, 0], atol=1e-6)
    np.testing.assert_allclose(plan.hours["load_hours"].to_numpy(), [100, 100, 110, 100], atol=1e-6)
    np.testing.assert_allclose(plan.hours["utilization"].to_numpy(), [1.0, 1.0, 1.1, 1.0], atol=1e-9)
    assert plan.costs["holding"] == pytest.approx(20.0, abs=1e-6)
    assert plan.costs["overtime"] == pytest.approx(300.0, abs=1e-6)
    assert plan.costs["backlog"] == pytest.approx(600.0, abs=1e-6)

    # every month is at its regular hours, overtime is nowhere at its cap
    assert plan.binding["kind"].tolist() == ["capacity"] * 4
    np.testing.assert_allclose(plan.binding["shadow_price"].to_numpy(), [-28, -29, -30, -20], atol=1e-6)


def test_shadow_price_predicts_the_objective_with_one_more_hour():
    """The dual is a derivative: one more hour in April changes the optimum by exactly −20."""
    inputs = hand_case()
    cap = inputs.capacity.copy()
    cap.loc[cap["month"] == MONTHS[3], "available_hours"] += 1.0
    inputs.capacity = cap
    assert lp.solve(lp.build_model(inputs)).objective == pytest.approx(900.0, abs=1e-6)


def test_model_rows_are_named_and_balance_rows_carry_the_opening_stock():
    inputs = hand_case()
    inputs.opening = _frame([("A", "S1", 7.0)], ["sku", "site", "on_hand"])
    model = lp.build_model(inputs)
    rows = model.rows.set_index("name")
    # first balance row: stock − backlog − make = opening − demand = 7 − 50
    assert rows.loc["balance[A,S1,2027-01]", ["lower", "upper"]].tolist() == [-43.0, -43.0]
    assert rows.loc["capacity[WC-1,2027-03]", "upper"] == 100.0
    assert rows.loc["overtime_cap[WC-1,2027-03]", "upper"] == pytest.approx(40.0)
    a = model.matrix()
    names = model.variables["name"].tolist()
    r = list(rows.index).index("capacity[WC-1,2027-02]")
    assert a[r, names.index("make[B,S1,2027-02]")] == 2.0
    assert a[r, names.index("overtime[WC-1,2027-02]")] == -1.0
    # 2 SKUs x 4 months x (make, stock, backlog) + 4 overtime; 8 balance + 4 capacity + 4 cap rows
    assert (len(model.variables), len(model.rows)) == (28, 16)


def test_unknown_work_center_and_missing_capacity_month_are_refused():
    inputs = hand_case()
    inputs.routings = _frame([("A", "WC-1", 1.0), ("B", "WC-9", 2.0)], ["sku", "work_center", "hours_per_unit"])
    with pytest.raises(CapacityError, match=r"routings row 3: SKU B is routed to work center 'WC-9'.*rule"):
        lp.build_model(inputs)
    inputs = hand_case()
    inputs.capacity = inputs.capacity[inputs.capacity["month"] != MONTHS[2]]
    with pytest.raises(CapacityError, match=r"no row for WC-1 in 2027-03.*rule"):
        lp.build_model(inputs)


def random_case(seed: int = 7) -> lp.PlanInputs:
    rng = np.random.default_rng(seed)
    months = list(pd.date_range("2026-07-01", periods=10, freq="MS"))
    skus = [f"S{i:02d}" for i in range(12)]
    sites = ["US01", "DE01", "UK01"]
    wcs = {"WC-US01-A": "US01", "WC-US01-B": "US01", "WC-DE01-A": "DE01"}
    demand = [(s, k, m, float(rng.integers(0, 60))) for s in skus for k in sites for m in months if rng.random() < 0.8]
    routings = [
        (s, w, float(rng.uniform(0.2, 2.0)))
        for s in skus[:10]
        for w in rng.choice(list(wcs), size=rng.integers(1, 3), replace=False)
    ]
    load = {w: sum(h for _, ww, h in routings if ww == w) * 60 for w in wcs}
    capacity = [(w, wcs[w], m, float(rng.uniform(0.5, 1.1) * load[w])) for w in wcs for m in months]
    opening = [(s, k, float(rng.integers(0, 80))) for s in skus for k in sites if rng.random() < 0.6]
    receipts = [
        (s, k, m, float(rng.integers(10, 100))) for s in skus for k in sites for m in months if rng.random() < 0.08
    ]
    costs = [(s, float(rng.uniform(0.5, 5)), float(rng.uniform(20, 200))) for s in skus]
    return lp.PlanInputs(
        months=months,
        demand=_frame(demand, ["sku", "site", "month", "units"]),
        opening=_frame(opening, ["sku", "site", "on_hand"]),
        routings=_frame(routings, ["sku", "work_center", "hours_per_unit"]),
        capacity=_frame(capacity, ["work_center", "site", "month", "available_hours"]),
        sku_costs=_frame(costs, ["sku", "holding_cost", "backlog_cost"]),
        receipts=_frame(receipts, ["sku", "site", "month", "units"]),
        overtime_premium=45.0,
        overtime_cap=0.15,
    )


def test_conservation_and_capacity_on_a_random_case():
    """Recomputed from the inputs and the plan's production alone (plain pandas), every SKU x site
    x month balances: opening + receipts + production − served = closing, and served + new backlog
    = demand; hours stay within regular + overtime ≤ (1 + cap) x regular."""
    inputs = random_case()
    plan = lp.plan(inputs)
    assert plan.status == "Optimal"
    keys = ["sku", "site", "month"]
    inv = plan.inventory.set_index(keys).sort_index()

    demand = inputs.demand.groupby(keys)["units"].sum().reindex(inv.index, fill_value=0.0)
    receipts = inputs.receipts.groupby(keys)["units"].sum().reindex(inv.index, fill_value=0.0)
    made = plan.production.groupby(keys)["units"].sum().reindex(inv.index, fill_value=0.0)
    opening = inputs.opening.groupby(["sku", "site"])["on_hand"].sum()
    served = inv["shipped"]
    closing, backlog = inv["closing"], inv["backlog_closing"]
    prev_closing = closing.groupby(level=[0, 1]).shift(1)
    first = inv.index.get_level_values("month") == inputs.months[0]
    start = pd.Series([opening.get((s, k), 0.0) for s, k, _ in inv.index], index=inv.index)
    prev_closing[first] = start[first]
    prev_backlog = backlog.groupby(level=[0, 1]).shift(1).fillna(0.0)

    np.testing.assert_allclose(prev_closing + receipts + made - served, closing, atol=1e-6)
    np.testing.assert_allclose(served + (backlog - prev_backlog), demand, atol=1e-6)
    assert (closing >= -1e-9).all() and (backlog >= -1e-9).all() and (served >= -1e-9).all()
    # SKUs without a routing are never produced
    assert set(plan.production["sku"]) <= set(inputs.routings["sku"])

    hpu = inputs.routings
    load = (
        plan.production.merge(hpu, on="sku")
        .assign(h=lambda d: d["units"] * d["hours_per_unit"])
        .groupby(["work_center", "month"])["h"]
        .sum()
    )
    hours = plan.hours.set_index(["work_center", "month"])
    np.testing.assert_allclose(load.reindex(hours.index, fill_value=0.0), hours["load_hours"], atol=1e-6)
    assert (hours["load_hours"] <= hours["regular_hours"] + hours["overtime_hours"] + 1e-6).all()
    assert (hours["overtime_hours"] <= 0.15 * hours["regular_hours"] + 1e-6).all()
    # the case is tight enough to exercise overtime and backlog
    assert hours["overtime_hours"].sum() > 0 and backlog.sum() > 0
    # objective = costs recomputed from the plan
    c = inputs.sku_costs.set_index("sku")
    skus = inv.index.get_level_values("sku")
    recomputed = (
        (closing * c.loc[skus, "holding_cost"].to_numpy()).sum()
        + (backlog * c.loc[skus, "backlog_cost"].to_numpy()).sum()
        + 45.0 * hours["overtime_hours"].sum()
    )
    assert plan.objective == pytest.approx(recomputed, rel=1e-9, abs=1e-6)


def _safety_case(hours: float) -> lp.PlanInputs:
    """One SKU, one site, two months, no demand, no stock, 1 h per unit; safety stock 10.
    Holding $1 per unit-month, below the safety stock $3 per unit-month, backlog $10."""
    months = [pd.Timestamp("2027-01-01"), pd.Timestamp("2027-02-01")]
    return lp.PlanInputs(
        months=months,
        demand=pd.DataFrame({"sku": "S", "site": "X", "month": months, "units": 0.0}),
        opening=pd.DataFrame({"sku": ["S"], "site": ["X"], "on_hand": [0.0]}),
        routings=pd.DataFrame({"sku": ["S"], "work_center": ["W"], "hours_per_unit": [1.0]}),
        capacity=pd.DataFrame({"work_center": "W", "month": months, "available_hours": [hours, 0.0]}),
        sku_costs=pd.DataFrame(
            {"sku": ["S"], "holding_cost": [1.0], "backlog_cost": [10.0], "below_safety_cost": [3.0]}
        ),
        safety_stock=pd.DataFrame({"sku": ["S"], "site": ["X"], "safety_stock": [10.0]}),
    )


@pytest.mark.parametrize(
    "hours, stock, objective",
    [
        # enough hours: make 10 in January and hold them two months: 2 x 10 x $1 = $20 (< 2 x 10 x $3 below)
        (50.0, [10.0, 10.0], 20.0),
        # 4 hours: make 4 and hold them; 6 below in each month: 2 x 4 x $1 + 2 x 6 x $3 = $44
        (4.0, [4.0, 4.0], 44.0),
    ],
)
def test_the_safety_stock_is_a_soft_target_priced_between_holding_and_backlog(hours, stock, objective):
    plan = lp.plan(_safety_case(hours))
    assert list(plan.inventory["closing"].round(6)) == stock
    assert plan.objective == pytest.approx(objective)
    assert plan.costs["below_safety_stock"] == pytest.approx(objective - sum(stock))
