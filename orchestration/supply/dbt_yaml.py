"""The dbt files of the supply area (source ``supply``, staging, marts), generated from
``orchestration.supply.tables`` by ``orchestration.dbt_area``:

    .venv/bin/python -m orchestration.supply.dbt_yaml --write   # regenerate
    .venv/bin/python -m orchestration.supply.dbt_yaml --check   # exit 1 when out of date

``tests/unit/test_supply_tables.py`` fails while the committed files are out of date.
"""

from __future__ import annotations

import sys

from orchestration import dbt_area
from orchestration.supply import tables

#: table -> (mart name, what the mart is for BI)
MARTS: dict[str, tuple[str, str]] = {
    "supply_plan": (
        "supply_plan",
        (
            "The capacity-constrained supply plan per SKU x stocking site x month, one row set per S&OP cycle: the "
            "inventory balance (opening + scheduled receipts + production - shipped = closing), the backlog, the "
            "safety stock and the stock's value and months of supply. Solved as an LP on HiGHS "
            "(docs/supply_planning.md)."
        ),
    ),
    "inventory_projection": (
        "inventory_projection",
        (
            "Projected available balance per SKU x site x month of the unconstrained MRP plan, per cycle: on hand from "
            "the cycle's inventory snapshot + scheduled receipts + planned receipts - consensus demand."
        ),
    ),
    "planned_orders": (
        "planned_orders",
        (
            "Planned orders of the unconstrained MRP netting per cycle, after each SKU x site's lot-sizing rule, "
            "minimum order quantity and multiple; release month offset by the lead time."
        ),
    ),
    "capacity": (
        "capacity_utilization",
        (
            "Capacity utilization per work center x month per cycle: the constrained plan's load, overtime and "
            "utilization next to the unconstrained (MRP) load, and what one more hour is worth where capacity binds."
        ),
    ),
    "exceptions": (
        "supply_exceptions",
        (
            "Supply exceptions per cycle with a plain-language reason and lever: stock-outs (with the binding work "
            "center, its shadow price and the cost of overtime or pre-building), below safety stock, excess, capacity "
            "overload, late and past-due supply, end-of-life stock."
        ),
    ),
    "safety_stock": (
        "safety_stock_policy",
        (
            "Safety-stock policy per SKU x site per cycle: ABC x XYZ class and service target, sigma of the forecast "
            "error, safety stock and reorder point, and the service level the policy achieved when replayed over the "
            "last 12 months."
        ),
    ),
    "scenarios": (
        "supply_scenario_comparison",
        (
            "Supply scenarios of the planners' file next to the base plan, same KPIs side by side (fill rate, revenue "
            "at risk, inventory value, overtime cost, utilization), per cycle."
        ),
    ),
    "plan_diff": (
        "supply_plan_diff",
        (
            "What moved between the previous cycle's supply plan and this cycle's, by family x site, with the main "
            "cause (demand change, capacity change, new or moved receipts)."
        ),
    ),
    "solves": (
        "supply_plan_solves",
        (
            "One row per cycle: how the supply LP was solved (status, objective and its parts, HiGHS seconds, model "
            "size, policy file)."
        ),
    ),
}


AREA = dbt_area.PythonTableArea(
    source="supply",
    writer="the supply-planning step (orchestration/supply)",
    source_description=(
        "Tables the supply-planning step (Dagster multi-asset supply_plan_cycle, orchestration/supply) "
        "writes into schema supply of the build database, one row set per S&OP cycle; a cycle's run "
        "replaces only its own rows, so every cycle's plan stays stored as a version."
    ),
    asset_comment="the Dagster assets supply/<table> of the multi-asset supply_plan_cycle",
    tables=tables.ALL,
    marts=MARTS,
)
STAGING_DIR = AREA.staging_dir
MARTS_DIR = AREA.marts_dir


def files():
    """Every generated file and its content."""
    return dbt_area.files(AREA)


def out_of_date():
    """Generated files whose committed content differs (or that are missing)."""
    return dbt_area.out_of_date(AREA)


if __name__ == "__main__":
    sys.exit(dbt_area.main(AREA))
