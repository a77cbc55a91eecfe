"""The dbt files of the sales-planning area (source ``sales_planning``, staging, marts), generated from
``orchestration.sales_planning.tables`` by ``orchestration.dbt_area``:

    .venv/bin/python -m orchestration.sales_planning.dbt_yaml --write   # regenerate
    .venv/bin/python -m orchestration.sales_planning.dbt_yaml --check   # exit 1 when out of date

``tests/unit/test_sales_tables.py`` fails while the committed files are out of date.
"""

from __future__ import annotations

import sys

from orchestration import dbt_area
from orchestration.sales_planning import tables

#: table -> (mart name, what the mart is for BI)
MARTS: dict[str, tuple[str, str]] = {
    "quota_plan": (
        "quota_plan",
        "The quota plan (rep x month) of the fiscal year after the cycle's: each rep's bookings quota from the "
        "top-down territory targets x over-assignment, ramped for new hires, phased by the revenue forecast's "
        "seasonality; one version per cycle (filter on the latest cycle_month).",
    ),
    "territory_plan": (
        "territory_quota_plan",
        "Top-down against bottom-up per territory: target from market potential and history, quota pool, "
        "run-rate, pipeline at historical win rates, rep capacity, the gap and its assessment.",
    ),
    "quota_reconciliation": (
        "quota_reconciliation",
        "The bookings targets per region and in total against the S&OP revenue plan, with the over-assignment "
        "of the quotas and its band.",
    ),
    "headcount_plan": (
        "headcount_plan",
        "The sales headcount plan per territory and month: expected reps and bookings capacity with the planned "
        "hires after attrition, hires starting and requisitions to open.",
    ),
    "headcount_summary": (
        "headcount_summary",
        "Sales headcount per territory: reps today, ramped productivity, attrition, hires needed for the target "
        "and the coverage gap left.",
    ),
    "hiring_plan": (
        "hiring_plan",
        "The hiring plan: per territory, reps to hire, the month to open the requisitions and the start month.",
    ),
    "territory_balance": (
        "territory_balance",
        "Territory coverage and balance per territory and region: today's books, with the whole rebalancing "
        "proposal, and with the moves the planners accepted (accounts, potential, workload, CV per rep).",
    ),
    "rebalance_proposal": (
        "rebalance_proposal",
        "The territory rebalancing proposal: the accounts to move, from and to which rep and territory, why, and "
        "the planners' decision (inputs/territory_decisions.csv).",
    ),
    "comp_payouts": (
        "comp_payouts",
        "Comp payouts per rep and month of the current fiscal year to date under inputs/comp_plans.yaml: "
        "credited bookings, attainment, tier, commission with accelerators, cap and clawbacks, SPIFs, total pay.",
    ),
    "payout_forecast": (
        "payout_forecast",
        "The payout forecast to fiscal year end per rep and in total at P10/P50/P90 of the revenue forecast.",
    ),
    "cost_of_sales": (
        "cost_of_sales",
        "Cost of sales (total pay / credited bookings) per region and month, and fiscal year to date.",
    ),
    "comp_what_if": (
        "comp_what_if",
        "The comp what-if (inputs/comp_plans_what_if.yaml): the year's bookings so far paid under the alternative "
        "plan, per rep, with who gains and who loses.",
    ),
    "sales_kpis": (
        "sales_kpis",
        "The sales-planning KPIs per region and for the company: quota over-assignment, cost of sales, share of "
        "reps at or above 100% and 80% of quota year to date, ramped productivity (KPI dictionary).",
    ),
}

AREA = dbt_area.PythonTableArea(
    source="sales_planning",
    writer="the sales-planning step (orchestration/sales_planning)",
    source_description=(
        "Tables the sales-planning step (Dagster multi-asset sales_planning_tables, orchestration/sales_planning) "
        "writes into schema sales_planning of the build database: quotas, territory balance and rebalancing, "
        "comp payouts and their forecast, and the headcount plan, one version per cycle."
    ),
    asset_comment="the Dagster assets sales_planning/<table> of the multi-asset sales_planning_tables",
    tables=tables.ALL,
    marts=MARTS,
)


def files():
    """Every generated file and its content."""
    return dbt_area.files(AREA)


def out_of_date():
    """Generated files whose committed content differs (or that are missing)."""
    return dbt_area.out_of_date(AREA)


if __name__ == "__main__":
    sys.exit(dbt_area.main(AREA))
