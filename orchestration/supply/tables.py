"""The tables the supply step writes, in schema ``supply`` of the build database, one row set per cycle.

Every table has ``cycle_month`` first: the S&OP cycle (the month closed) that made the plan. A
cycle's run replaces only its own rows, so every cycle's plan stays stored as it was: these are
the plan versions the next cycle is diffed against. dbt declares them as the source ``supply``
(``dbt_project/models/staging/supply/_supply__sources.yml``, kept in step with this module by
``tests/unit/test_supply_tables.py``) and publishes them through the marts in
``dbt_project/models/marts/supply/``.
"""

from __future__ import annotations

import pandas as pd

from orchestration.forecasting.warehouse import TableSpec

SCHEMA = "supply"
_CYCLE = {"cycle_month": ("DATE", "S&OP cycle (the month closed) that made the plan; the plan starts the month after.")}
_UNITS = "DECIMAL(18,2)"
_KEY = {
    "sku": ("VARCHAR", "Stock-keeping unit."),
    "site": ("VARCHAR", "Stocking site code (US01, DE01, ...)."),
}

SUPPLY_PLAN = TableSpec(
    f"{SCHEMA}.supply_plan",
    {
        **_CYCLE,
        **_KEY,
        "family": ("VARCHAR", "Product family code."),
        "month": ("DATE", "Plan month (first day)."),
        "plant": ("VARCHAR", "Site of the work center that makes the SKU; null when the plan makes none that month."),
        "opening": (_UNITS, "Units on hand at the start of the month (the inventory snapshot in the first month)."),
        "scheduled_receipts": (
            _UNITS,
            "Open purchase, transfer and work orders due in the month (past-due ones count in the first month).",
        ),
        "production": (_UNITS, "Units the constrained plan makes for this site in the month."),
        "demand": (_UNITS, "Consensus demand of the month shipped from this site (region demand × sourcing share)."),
        "shipped": (_UNITS, "Units shipped in the month: demand + backlog brought in − backlog carried out."),
        "backlog_opening": (_UNITS, "Demand of earlier months not yet shipped at the start of the month."),
        "backlog_closing": (_UNITS, "Demand not yet shipped at the end of the month (the units short)."),
        "closing": (_UNITS, "Units on hand at month end: opening + receipts + production − shipped."),
        "safety_stock": (_UNITS, "Safety stock of the SKU × site (supply.safety_stock)."),
        "short_on_time": (
            _UNITS,
            "Units of this month's demand not shipped in the month (min(demand, backlog_closing)).",
        ),
        "unit_cost": ("DECIMAL(18,4)", "Standard unit cost in USD (item master)."),
        "unit_price": ("DECIMAL(18,4)", "List unit price in USD (item master)."),
        "closing_value_usd": ("DECIMAL(18,2)", "closing × unit_cost."),
        "months_of_supply": (
            "DOUBLE",
            "closing / the SKU × site's mean monthly demand over the plan; null without demand.",
        ),
    },
    "The capacity-constrained supply plan per SKU × site × month (LP, HiGHS).",
    primary_key=("cycle_month", "sku", "site", "month"),
)

INVENTORY_PROJECTION = TableSpec(
    f"{SCHEMA}.inventory_projection",
    {
        **_CYCLE,
        **_KEY,
        "month": ("DATE", "Plan month (first day)."),
        "opening": (_UNITS, "Projected available balance at the start of the month."),
        "demand": (_UNITS, "Consensus demand of the month shipped from this site."),
        "scheduled_receipts": (_UNITS, "Open orders due in the month."),
        "planned_receipts": (_UNITS, "Planned orders (MRP) due in the month."),
        "closing": (
            _UNITS,
            "Projected available balance at month end: opening + scheduled + planned receipts − demand.",
        ),
        "safety_stock": (_UNITS, "Safety stock the netting keeps."),
    },
    "Projected available balance per SKU × site × month of the unconstrained (MRP) plan.",
    primary_key=("cycle_month", "sku", "site", "month"),
)

PLANNED_ORDERS = TableSpec(
    f"{SCHEMA}.planned_orders",
    {
        **_CYCLE,
        **_KEY,
        "need_month": ("DATE", "Month the order must arrive in."),
        "release_month": (
            "DATE",
            "Month the order must be released: need month − lead time, rounded up to whole months.",
        ),
        "quantity": (_UNITS, "Units ordered, after the lot-sizing rule, the minimum order quantity and the multiple."),
        "net_requirement": (_UNITS, "Units short of the safety stock that the order covers."),
        "lot_rule": ("VARCHAR", "LFL, FOQ or POQ."),
        "release_past_due": ("BOOLEAN", "The release month is before the first plan month: the order is already late."),
        "procurement_type": ("VARCHAR", "make, buy or transfer (erp_item_sites)."),
    },
    "Planned orders of the unconstrained MRP netting.",
    primary_key=("cycle_month", "sku", "site", "need_month"),
)

CAPACITY = TableSpec(
    f"{SCHEMA}.capacity",
    {
        **_CYCLE,
        "work_center": ("VARCHAR", "Work center id."),
        "month": ("DATE", "Plan month (first day)."),
        "regular_hours": ("DECIMAL(18,2)", "Available regular hours (the ERP capacity plan)."),
        "load_hours": ("DECIMAL(18,2)", "Hours the constrained plan loads, overtime included."),
        "overtime_hours": ("DECIMAL(18,2)", "Hours beyond the regular hours."),
        "overtime_cap_hours": ("DECIMAL(18,2)", "Overtime allowed (policy share of the regular hours)."),
        "utilization": ("DOUBLE", "load_hours / regular_hours."),
        "overtime_cost": ("DECIMAL(18,2)", "overtime_hours × the policy's overtime premium, USD."),
        "unconstrained_load_hours": (
            "DECIMAL(18,2)",
            "Hours the MRP planned orders would need (rough-cut, before the capacity limit).",
        ),
        "hour_value_usd": (
            "DECIMAL(18,2)",
            "What one more regular hour would save the plan (shadow price of the capacity row); 0 when not binding.",
        ),
    },
    "Capacity load vs available hours per work center × month.",
    primary_key=("cycle_month", "work_center", "month"),
)

EXCEPTIONS = TableSpec(
    f"{SCHEMA}.exceptions",
    {
        **_CYCLE,
        "exception": (
            "VARCHAR",
            "stock_out, below_safety_stock, excess, capacity_overload, late_supply, past_due_supply "
            "or end_of_life_stock.",
        ),
        "sku": ("VARCHAR", "Stock-keeping unit; null for a work-center exception."),
        "site": ("VARCHAR", "Stocking site; null for a work-center exception."),
        "work_center": ("VARCHAR", "Work center, for capacity exceptions and stock-outs behind a full work center."),
        "month": ("DATE", "Month the exception is about."),
        "units": ("DECIMAL(18,2)", "The quantity the sentence is about (units short, excess, hours over)."),
        "value": ("DECIMAL(18,2)", "Its value in USD, when priced."),
        "message": ("VARCHAR", "What is wrong, why, and the lever that fixes it with its cost, in one sentence."),
    },
    "Supply exceptions with plain-language reasons.",
)

SAFETY_STOCK = TableSpec(
    f"{SCHEMA}.safety_stock",
    {
        **_CYCLE,
        **_KEY,
        "abc": ("VARCHAR", "A, B or C by annual value (policy thresholds)."),
        "xyz": ("VARCHAR", "X, Y or Z by the coefficient of variation of monthly demand."),
        "abc_xyz": ("VARCHAR", "The class, e.g. AX."),
        "service_level": ("DOUBLE", "Target cycle service level of the class (policy)."),
        "method": ("VARCHAR", "normal (z·√(L·σe² + d̄²·σL²)), bootstrap (intermittent demand) or no_errors."),
        "error_source": (
            "VARCHAR",
            "forecast_snapshots (lag-1 consensus errors) or naive_forecast (stand-in until enough snapshots).",
        ),
        "sigma_error": ("DOUBLE", "σ of the monthly forecast error, units."),
        "mean_demand": ("DOUBLE", "Mean monthly demand over the coming lead time, units."),
        "lead_time_days": ("DOUBLE", "Replenishment lead time, days."),
        "safety_stock": (_UNITS, "Safety stock, units."),
        "reorder_point": (_UNITS, "Reorder point: demand over the lead time plus the safety stock, units."),
        "backtest_months": ("INTEGER", "Months the policy was replayed over."),
        "demand_months": ("INTEGER", "Months with demand in the backtest."),
        "stockout_months": ("INTEGER", "Months with demand that ended with a backlog in the backtest."),
        "backtest_cycle_service_level": (
            "DOUBLE",
            "Achieved cycle service level in the backtest: 1 − stock-out months / months with demand.",
        ),
        "backtest_fill_rate": (
            "DOUBLE",
            "Achieved fill rate in the backtest: units filled from stock / units demanded.",
        ),
    },
    "Safety stock, reorder point and the backtested service level per SKU × site.",
    primary_key=("cycle_month", "sku", "site"),
)

SCENARIOS = TableSpec(
    f"{SCHEMA}.scenarios",
    {
        **_CYCLE,
        "scenario": ("VARCHAR", "Scenario name from inputs/supply_scenarios.csv; base = the plan unchanged."),
        "status": ("VARCHAR", "HiGHS model status of the scenario's plan."),
        "fill_rate": ("DOUBLE", "Units shipped in the month ordered / units ordered."),
        "revenue_at_risk": ("DECIMAL(18,2)", "List-price value of the units not shipped on time, USD."),
        "inventory_value": ("DECIMAL(18,2)", "Average month-end stock at standard cost, USD."),
        "overtime_cost": ("DECIMAL(18,2)", "Overtime hours × premium, USD."),
        "utilization": ("DOUBLE", "Load / regular hours over the loaded work centers and months."),
        "peak_utilization": ("DOUBLE", "The highest work-center month's utilization."),
        "units_ordered": (_UNITS, "Units of demand over the plan."),
        "units_short_on_time": (_UNITS, "Units not shipped in the month ordered."),
        "objective": ("DOUBLE", "LP objective: backlog penalty + holding + overtime, USD."),
    },
    "One KPI row per supply scenario, the base plan first.",
    primary_key=("cycle_month", "scenario"),
)

PLAN_DIFF = TableSpec(
    f"{SCHEMA}.plan_diff",
    {
        **_CYCLE,
        "previous_cycle_month": ("DATE", "The stored plan version this cycle is compared with."),
        "family": ("VARCHAR", "Product family code."),
        "site": ("VARCHAR", "Stocking site."),
        "demand_change": (_UNITS, "Δ demand over the common months, units."),
        "demand_moved": (_UNITS, "Units of demand moved between months with the total unchanged."),
        "receipts_change": (_UNITS, "Δ scheduled receipts, units."),
        "receipts_moved": (_UNITS, "Units of scheduled receipts moved between months."),
        "capacity_change_units": (_UNITS, "Δ regular hours of the work centers it is made on, in units."),
        "production_change": (_UNITS, "Δ planned production, units."),
        "short_change": (_UNITS, "Δ units not shipped on time."),
        "closing_change": (_UNITS, "Δ closing stock in the last common month."),
        "main_cause": ("VARCHAR", "demand change, capacity change, new receipts, moved receipts, other or no change."),
        "explanation": ("VARCHAR", "One line: what moved and mainly why."),
    },
    "What moved between the previous cycle's supply plan and this one, by family × site, and why.",
    primary_key=("cycle_month", "family", "site"),
)

SOLVES = TableSpec(
    f"{SCHEMA}.solves",
    {
        **_CYCLE,
        "status": ("VARCHAR", "HiGHS model status."),
        "objective": ("DOUBLE", "Objective: backlog penalty + holding + overtime + below safety stock, USD."),
        "backlog_cost": ("DOUBLE", "Backlog penalty part of the objective, USD."),
        "holding_cost": ("DOUBLE", "Holding part of the objective, USD."),
        "overtime_cost": ("DOUBLE", "Overtime part of the objective, USD."),
        "safety_stock_cost": ("DOUBLE", "Part of the objective for stock held below the safety stock, USD."),
        "solve_seconds": ("DOUBLE", "HiGHS run time."),
        "variables": ("INTEGER", "LP columns."),
        "constraints": ("INTEGER", "LP rows."),
        "nonzeros": ("INTEGER", "LP coefficients."),
        "policy_file": ("VARCHAR", "The planner policy the plan used (a path, or defaults)."),
    },
    "One row per cycle: how the supply LP was solved.",
    primary_key=("cycle_month",),
)

ALL: tuple[TableSpec, ...] = (
    SUPPLY_PLAN,
    INVENTORY_PROJECTION,
    PLANNED_ORDERS,
    CAPACITY,
    EXCEPTIONS,
    SAFETY_STOCK,
    SCENARIOS,
    PLAN_DIFF,
    SOLVES,
)


def table_name(spec: TableSpec) -> str:
    return spec.name.split(".", 1)[1]


#: table name (without the schema) -> spec
BY_NAME: dict[str, TableSpec] = {table_name(s): s for s in ALL}


def cycle_tables(result, policy_source: str) -> dict[str, pd.DataFrame]:
    """The frames of a ``cycle.CycleResult`` keyed by their table name, columns named and ordered as stored."""
    ss = result.safety_stock.rename(
        columns={
            "months": "backtest_months",
            "cycle_service_level": "backtest_cycle_service_level",
            "fill_rate": "backtest_fill_rate",
        }
    )
    diff = result.plan_diff
    costs = result.plan.costs
    solves = pd.DataFrame(
        [
            {
                "status": result.plan.status,
                "objective": result.plan.objective,
                "backlog_cost": costs.get("backlog"),
                "holding_cost": costs.get("holding"),
                "overtime_cost": costs.get("overtime"),
                "safety_stock_cost": costs.get("below_safety_stock"),
                "solve_seconds": result.plan.seconds,
                **result.model_size,
                "policy_file": policy_source,
            }
        ]
    )
    frames = {
        "supply_plan": result.supply_plan,
        "inventory_projection": result.inventory_projection,
        "planned_orders": result.planned_orders,
        "capacity": result.capacity,
        "exceptions": result.exceptions,
        "safety_stock": ss,
        "scenarios": result.scenario_kpis,
        "plan_diff": diff,
        "solves": solves,
    }
    out = {}
    for spec in ALL:
        frame = frames[table_name(spec)]
        f = frame.copy() if frame is not None else pd.DataFrame()
        f["cycle_month"] = result.cycle
        out[table_name(spec)] = f.reindex(columns=list(spec.columns))
    return out
