"""Supply planning assets: the capacity-constrained supply plan of each cycle, and its blocking checks.

``supply_plan_cycle`` runs after ``consensus_demand`` for the last ``supply_settings.backfill_cycles``
(default 2) of the run's forecast cycles; a monthly run plans its month. For each cycle it reads the ERP
snapshot at the cycle's end and the consensus demand, calls ``orchestration.supply.cycle.plan_cycle``
and stores the tables of ``orchestration.supply.tables`` in schema ``supply`` (a cycle replaces only
its own rows: every cycle's plan stays as a version). The planners' scenarios
(``inputs/supply_scenarios.csv``) are planned for the run's last cycle. dbt publishes the tables
through ``dbt_project/models/marts/supply/`` (docs/supply_planning.md).
"""

import time
from collections.abc import Iterator

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    asset_check,
    multi_asset,
)

from orchestration.defs.metadata import md_table, table_schema
from orchestration.defs.partitions import CYCLE_ASSET, cycles_of_run
from orchestration.defs.resources import ForecastSettings, SopDataResource, SupplySettings
from orchestration.forecasting import warehouse as forecast_wh
from orchestration.forecasting.charts import markdown_image
from orchestration.supply import plan_checks, tables
from orchestration.supply import warehouse as supply_wh
from orchestration.supply.charts import capacity_chart
from orchestration.supply.cycle import plan_cycle, read_cycle_scenarios
from orchestration.supply.policy import POLICY_FILE, read_policy
from orchestration.supply.scenarios import SCENARIOS_FILE

GROUP = "supply"
#: the staging views of the ERP snapshots the plan reads
ERP_INPUTS = [
    AssetKey(f"stg_erp__{e}")
    for e in (
        "items",
        "item_sites",
        "sourcing_rules",
        "inventory_snapshots",
        "scheduled_receipts",
        "work_center_capacity",
        "routings",
    )
]


def _md_counts(counts: dict) -> str:
    if not counts:
        return "_none_"
    return "| exception | count |\n|---|---:|\n" + "\n".join(f"| {k} | {v} |" for k, v in sorted(counts.items()))


#: one asset per table of schema supply (what dbt declares as the source `supply`)
TABLE_KEYS = {tables.table_name(spec): AssetKey([tables.SCHEMA, tables.table_name(spec)]) for spec in tables.ALL}
PLAN_KEY = TABLE_KEYS["supply_plan"]
DESCRIPTION = (
    "The supply plan of each cycle: safety stock from forecast error, MRP planned orders and projected "
    "inventory, the capacity-constrained plan (LP on HiGHS) with overtime and pre-building, exceptions that say why, "
    f"the planners' scenarios (`inputs/{SCENARIOS_FILE}`) and the diff against the previous cycle's plan. Policy: "
    f"`inputs/{POLICY_FILE}` (read-only). Tables in schema `supply`, published by the dbt marts of group marts_supply."
)
DEPS = [AssetKey("consensus_demand"), AssetKey("forecast_snapshots"), AssetKey("demand_history_monthly"), *ERP_INPUTS]


@multi_asset(
    name="supply_plan_cycle",
    specs=[
        AssetSpec(
            key,
            group_name=GROUP,
            deps=DEPS,
            kinds={"duckdb", "python"},
            description=f"{spec.description} Table `{spec.name}`, one row set per cycle. " + DESCRIPTION,
            metadata={"table": spec.name, "dagster/column_schema": table_schema(spec.columns)},
        )
        for spec, key in ((tables.BY_NAME[n], k) for n, k in TABLE_KEYS.items())
    ],
    **CYCLE_ASSET,
)
def supply_plan_cycle(
    context: AssetExecutionContext,
    sop_data: SopDataResource,
    forecast_settings: ForecastSettings,
    supply_settings: SupplySettings,
) -> Iterator[MaterializeResult]:
    inputs_dir = sop_data.paths.inputs
    policy_path = inputs_dir / POLICY_FILE
    policy = read_policy(policy_path)
    with sop_data.warehouse() as con:
        cycles = cycles_of_run(
            context.partition_keys, forecast_wh.last_history_month(con), forecast_settings.backfill_cycles
        )[-supply_settings.backfill_cycles :]
    if not cycles:
        context.log.warning("the demand history does not reach this run's months: no supply cycle")
    rows, last, seconds = {}, None, 0.0
    for i, cycle in enumerate(cycles):
        started = time.perf_counter()
        with sop_data.warehouse() as con:
            data = supply_wh.read_cycle_data(con, cycle)
            previous = supply_wh.previous_version(con, cycle)
        changes = read_cycle_scenarios(inputs_dir / SCENARIOS_FILE, data) if i == len(cycles) - 1 else None
        result = plan_cycle(data, policy, scenario_changes=changes, previous=previous)
        frames = tables.cycle_tables(result, policy.source)
        if changes is None:
            frames.pop("scenarios")
        with sop_data.warehouse() as con:
            rows = supply_wh.write_cycle(con, cycle, frames)
        seconds += time.perf_counter() - started
        context.log.info(
            f"supply plan {cycle:%Y-%m}: {result.plan.status}, objective {result.plan.objective:,.0f}, "
            f"{result.model_size['variables']} variables, LP {result.plan.seconds:.2f}s, "
            f"{len(result.exceptions)} exceptions, {time.perf_counter() - started:.1f}s in all"
        )
        last = result
    cycles_text = ", ".join(f"{c:%Y-%m}" for c in cycles) or "none"
    for name, key in TABLE_KEYS.items():
        if key != PLAN_KEY:
            yield MaterializeResult(
                asset_key=key, metadata={"dagster/row_count": int(rows.get(name, 0)), "cycles": cycles_text}
            )
    metadata: dict = {
        "cycles": cycles_text,
        "policy_file": MetadataValue.path(str(policy_path)),
        "policy_file_exists": policy_path.exists(),
        "seconds": round(seconds, 1),
    }
    if last is not None:
        month = f"{last.cycle:%Y-%m}"
        counts = last.exceptions["exception"].value_counts().to_dict()
        png_path = sop_data.paths.reports / month / "supply_capacity.png"
        png = capacity_chart(
            last.capacity, png_path, f"Supply plan {month}: load vs available hours, tightest work centers"
        )
        metadata.update(
            {
                "dagster/row_count": int(rows.get("supply_plan", 0)),
                "solve_status": last.plan.status,
                "objective_usd": round(float(last.plan.objective), 2),
                "lp_solve_seconds": round(float(last.plan.seconds), 3),
                "lp_variables": last.model_size["variables"],
                "lp_constraints": last.model_size["constraints"],
                "rows_by_table": MetadataValue.json(rows),
                "exceptions": int(len(last.exceptions)),
                "exceptions_by_type": MetadataValue.md(_md_counts(counts)),
                "scenarios": MetadataValue.md(
                    md_table(last.scenario_kpis) if not last.scenario_kpis.empty else "_no scenarios file_"
                ),
                "chart": MetadataValue.md(markdown_image(png, f"capacity {month}")),
                "chart_file": MetadataValue.path(str(png_path)),
            }
        )
    yield MaterializeResult(asset_key=PLAN_KEY, metadata=metadata)


def _stored(sop_data: SopDataResource, spec) -> pd.DataFrame:
    with sop_data.warehouse() as con:
        return forecast_wh.read_table(con, spec)


def _result(bad: pd.DataFrame, what: str, columns: list[str]) -> AssetCheckResult:
    sample = bad.head(10).copy()
    for c in sample.columns:
        if pd.api.types.is_datetime64_any_dtype(sample[c]):
            sample[c] = sample[c].dt.strftime("%Y-%m")
    return AssetCheckResult(
        passed=bad.empty,
        severity=AssetCheckSeverity.ERROR,
        description=f"{len(bad)} {what}" if not bad.empty else f"no {what}",
        metadata={"violations": len(bad), "examples": MetadataValue.md(md_table(sample[columns]))},
    )


@asset_check(
    asset=TABLE_KEYS["solves"],
    name="plan_is_feasible",
    blocking=True,
    description="Every stored cycle's supply LP ended Optimal (supply.solves).",
)
def plan_is_feasible(sop_data: SopDataResource) -> AssetCheckResult:
    bad = plan_checks.infeasible_solves(_stored(sop_data, tables.SOLVES))
    return _result(bad, "cycle(s) without an optimal plan", ["cycle_month", "status"])


@asset_check(
    asset=TABLE_KEYS["capacity"],
    name="capacity_within_overtime",
    blocking=True,
    description="No work center × month is loaded beyond its regular hours plus the overtime the policy "
    "allows (supply.capacity, recomputed from the stored hours).",
)
def capacity_within_overtime(sop_data: SopDataResource) -> AssetCheckResult:
    bad = plan_checks.capacity_violations(_stored(sop_data, tables.CAPACITY))
    return _result(
        bad,
        "work-center month(s) over capacity",
        [
            "cycle_month",
            "work_center",
            "month",
            "regular_hours",
            "load_hours",
            "overtime_hours",
            "overtime_cap_hours",
            "rule",
        ],
    )


@asset_check(
    asset=PLAN_KEY,
    name="inventory_balance_holds",
    blocking=True,
    description="For every SKU × site × month of every stored plan: opening + receipts + production − shipped "
    "= closing, shipped = demand + backlog in − backlog out, and each month opens with the last one's closing.",
)
def inventory_balance_holds(sop_data: SopDataResource) -> AssetCheckResult:
    bad = plan_checks.balance_violations(_stored(sop_data, tables.SUPPLY_PLAN))
    return _result(
        bad,
        "SKU × site × month row(s) out of balance",
        [
            "cycle_month",
            "sku",
            "site",
            "month",
            "opening",
            "scheduled_receipts",
            "production",
            "shipped",
            "closing",
            "rule",
        ],
    )


supply_assets: list = [supply_plan_cycle]
supply_checks: list = [plan_is_feasible, capacity_within_overtime, inventory_balance_holds]
