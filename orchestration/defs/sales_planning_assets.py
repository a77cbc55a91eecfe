"""Sales-planning assets: quotas, territory balance, comp payouts and headcount (schema ``sales_planning``).

``sales_planning_tables`` runs after the warehouse and the revenue forecast, for the month a run closes (the
last month of a range run that the history reaches), and calls ``orchestration.sales_planning.plan``. dbt then
publishes the tables as the marts of group ``marts_sales_planning`` (step ``sop_dbt_planning_models``), and the
S&OP meeting pack shows them on its sales-plan page. The planners' files are read, never written
(docs/sales_planning.md).
"""

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from orchestration.defs.metadata import table_schema
from orchestration.defs.partitions import CYCLE_ASSET, cycles_of_run
from orchestration.defs.resources import ForecastSettings, SalesPlanningSettings, SopDataResource
from orchestration.forecasting import warehouse as forecast_wh
from orchestration.sales_planning import tables
from orchestration.sales_planning import warehouse as sales_wh
from orchestration.sales_planning.dbt_yaml import MARTS
from orchestration.sales_planning.headcount import HeadcountPolicy
from orchestration.sales_planning.plan import PLANNER_FILES, SalesPlanningPolicy, plan_sales
from orchestration.sales_planning.quota import QuotaPolicy
from orchestration.sales_planning.rebalance import RebalancePolicy

GROUP = "sales_planning"
TABLE_KEYS = {name: AssetKey([tables.SCHEMA, name]) for name in tables.BY_NAME}
FILES_CHECK = "sales_planner_files_are_valid"
#: the marts the plan reads
DEPS = [
    AssetKey(n)
    for n in (
        "revenue_forecast",
        "sales_performance_monthly",
        "opportunity_enhanced",
        "fct_bookings",
        "fct_pipeline_snapshot_monthly",
        "fct_opportunity_stage_history",
        "dim_rep",
        "dim_customer",
        "dim_territory",
        "dim_month",
        "stg_market__market_size",
    )
]


def policy_from(settings: SalesPlanningSettings) -> SalesPlanningPolicy:
    """The method's parameters of a run (the planners' files add theirs)."""
    return SalesPlanningPolicy(
        quota=QuotaPolicy(over_assignment_band=(settings.over_assignment_lower, settings.over_assignment_upper)),
        headcount=HeadcountPolicy(time_to_fill_months=settings.time_to_fill_months),
        rebalance=RebalancePolicy(
            band=settings.balance_band,
            max_moves=settings.max_account_moves,
            time_limit_seconds=settings.solver_time_limit_seconds,
        ),
        attainable_share=settings.attainable_share or None,
    )


@multi_asset(
    name="sales_planning_tables",
    specs=[
        AssetSpec(
            key,
            group_name=GROUP,
            deps=DEPS,
            kinds={"duckdb", "python"},
            description=f"{spec.description} Table `{spec.name}`, published as the mart `{MARTS[name][0]}`.",
            metadata={"table": spec.name, "dagster/column_schema": table_schema(spec.columns)},
        )
        for name, key in TABLE_KEYS.items()
        for spec in [tables.BY_NAME[name]]
    ],
    check_specs=[
        AssetCheckSpec(
            FILES_CHECK,
            asset=TABLE_KEYS["quota_plan"],
            description="The planners' files (inputs/sales_targets.csv, comp_plans.yaml, comp_plans_what_if.yaml, "
            "territory_decisions.csv) break no rule. A refused file leaves its part of the plan on the last good "
            "version; the error names the file, the row or key, and the rule.",
        )
    ],
    **CYCLE_ASSET,
)
def sales_planning_tables(
    context: AssetExecutionContext,
    sop_data: SopDataResource,
    forecast_settings: ForecastSettings,
    sales_planning_settings: SalesPlanningSettings,
):
    with sop_data.warehouse() as con:
        last_history = forecast_wh.last_history_month(con)
    cycles = cycles_of_run(context.partition_keys, last_history, 1)
    if not cycles:
        context.log.warning("the history does not reach this run's months: no sales plan")
        for key in TABLE_KEYS.values():
            yield MaterializeResult(asset_key=key, metadata={"cycle": "none"})
        yield AssetCheckResult(check_name=FILES_CHECK, asset_key=TABLE_KEYS["quota_plan"], passed=True)
        return
    cycle = pd.Timestamp(cycles[-1])
    with sop_data.warehouse() as con:
        data = sales_wh.read_plan_data(con, cycle, sales_planning_settings.plan_fiscal_year or None)
        plan = plan_sales(data, sop_data.paths.inputs, policy_from(sales_planning_settings))
        rows = sales_wh.write_plan(con, cycle, plan.tables)
    for note in plan.notes:
        context.log.info(note)
    for error in plan.errors:
        context.log.error(f"refused, its part of the plan keeps the last good version: {error}")
    summary = {
        "cycle": f"{cycle:%Y-%m}",
        "plan_fiscal_year": data.plan_year,
        "company_target_usd": MetadataValue.float(float(plan.company["target_usd"])),
        "target_source": plan.company["source"],
        "over_assignment": MetadataValue.float(float(plan.over_assignment["ratio"])),
        "over_assignment_within_band": bool(plan.over_assignment["within_band"]),
        "rebalancing": plan.rebalance_status,
        "planner_files": MetadataValue.md("\n".join(f"- `{sop_data.paths.inputs / name}`" for name in PLANNER_FILES)),
        **plan.headline,
    }
    for name, key in TABLE_KEYS.items():
        metadata = {"dagster/row_count": int(rows.get(name, 0)), **summary}
        if name not in rows:
            metadata["kept"] = "last good version (planner file refused)"
        yield MaterializeResult(asset_key=key, metadata=metadata)
    yield AssetCheckResult(
        check_name=FILES_CHECK,
        asset_key=TABLE_KEYS["quota_plan"],
        passed=not plan.errors,
        severity=AssetCheckSeverity.ERROR,
        metadata={"errors": MetadataValue.md("\n".join(f"- {e}" for e in plan.errors) or "_none_")},
    )


sales_planning_assets: list = [sales_planning_tables]
