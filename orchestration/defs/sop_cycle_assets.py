"""S&OP cycle assets: scorecard, plan comparison, action register (schema ``sop_cycle``), then pack and summary.

``sop_cycle_tables`` runs after the forecasts and the supply plan, for the same cycles as the supply plan
(the last ``supply_settings.backfill_cycles`` of the run; a monthly run closes its month), and calls
``orchestration.sop_cycle.cycle.store_cycle_tables``. dbt then publishes the tables as the marts of group
``marts_sop_cycle`` (step ``sop_dbt_planning_models``). ``sop_meeting_pack`` reads those marts and writes
``reports/<YYYY-MM>/sop_pack.html``, ``summary.md`` and ``summary.eml`` for each cycle, and sends the last
cycle's summary when SMTP is configured. Blocking checks upstream stop a bad month before these run, so a
blocked month keeps the last good pack (docs/sop_cycle.md).
"""

from datetime import datetime, timezone

import pandas as pd
from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from orchestration.defs.metadata import table_schema
from orchestration.defs.partitions import CYCLE_ASSET, cycles_of_run
from orchestration.defs.resources import ForecastSettings, SmtpResource, SopDataResource, SupplySettings
from orchestration.defs.supply_assets import TABLE_KEYS as SUPPLY_KEYS
from orchestration.forecasting import warehouse as forecast_wh
from orchestration.sop_cycle import tables
from orchestration.sop_cycle.actions import ACTIONS_FILE
from orchestration.sop_cycle.cycle import store_cycle_tables, write_cycle_reports
from orchestration.sop_cycle.dbt_yaml import MARTS
from orchestration.sop_cycle.kpi_targets import TARGETS_FILE
from orchestration.sop_cycle.mail import MailError, send_message

GROUP = "sop_cycle"
TABLE_KEYS = {name: AssetKey([tables.SCHEMA, name]) for name in tables.BY_NAME}
SCORECARD_KEY = TABLE_KEYS["kpi_scorecard"]
#: the marts and tables the scorecard and the plan comparison read
DEPS = [
    AssetKey("consensus_demand"),
    AssetKey("demand_forecast"),
    AssetKey("revenue_forecast"),
    AssetKey("forecast_snapshots"),
    SUPPLY_KEYS["capacity"],
    *(
        AssetKey(n)
        for n in (
            "revenue_monthly",
            "sales_performance_monthly",
            "customer_retention_monthly",
            "demand_history_monthly",
            "fct_order_line_fulfilment",
            "fct_shipments",
            "dim_product",
            "dim_territory",
            "stg_erp__inventory_snapshots",
        )
    ),
]


def _cycles(context, sop_data, forecast_settings, supply_settings) -> list[pd.Timestamp]:
    with sop_data.warehouse() as con:
        last_history = forecast_wh.last_history_month(con)
    cycles = cycles_of_run(context.partition_keys, last_history, forecast_settings.backfill_cycles)
    return cycles[-supply_settings.backfill_cycles :]


@multi_asset(
    name="sop_cycle_tables",
    specs=[
        AssetSpec(
            key,
            group_name=GROUP,
            deps=DEPS,
            kinds={"duckdb", "python"},
            description=f"{spec.description} Table `{spec.name}`. Planner files: `inputs/{TARGETS_FILE}`, "
            f"`inputs/{ACTIONS_FILE}` (read-only). Published as the mart `{MARTS[name][0]}`.",
            metadata={"table": spec.name, "dagster/column_schema": table_schema(spec.columns)},
        )
        for name, key in TABLE_KEYS.items()
        for spec in [tables.BY_NAME[name]]
    ],
    **CYCLE_ASSET,
)
def sop_cycle_tables(
    context: AssetExecutionContext,
    sop_data: SopDataResource,
    forecast_settings: ForecastSettings,
    supply_settings: SupplySettings,
):
    cycles = _cycles(context, sop_data, forecast_settings, supply_settings)
    if not cycles:
        context.log.warning("the demand history does not reach this run's months: no S&OP cycle")
        for key in TABLE_KEYS.values():
            yield MaterializeResult(asset_key=key, metadata={"cycles": "none"})
        return
    taken_at = pd.Timestamp(datetime.now(timezone.utc)).tz_localize(None)
    with sop_data.warehouse() as con:
        stored = store_cycle_tables(con, sop_data.paths.inputs, cycles, taken_at)
    cycles_text = ", ".join(f"{c:%Y-%m}" for c in cycles)
    for line in stored.refused:
        context.log.warning(f"refused: {line}")
    for name, key in TABLE_KEYS.items():
        metadata = {"dagster/row_count": int(stored.rows.get(name, 0)), "cycles": cycles_text}
        if key == SCORECARD_KEY:
            metadata.update(
                {
                    "red_kpis": ", ".join(stored.red_kpis) or "none",
                    "red_kpi_count": len(stored.red_kpis),
                    "refused_planner_rows": len(stored.refused),
                    "targets_file": MetadataValue.path(str(sop_data.paths.inputs / TARGETS_FILE)),
                    "actions_file": MetadataValue.path(str(sop_data.paths.inputs / ACTIONS_FILE)),
                }
            )
        yield MaterializeResult(asset_key=key, metadata=metadata)


#: the sop marts (built by dbt from the tables above) and the supply and forecast marts the pack shows
PACK_DEPS = [AssetKey(mart) for mart, _ in MARTS.values()] + [
    AssetKey(n)
    for n in (
        "supply_plan",
        "capacity_utilization",
        "supply_exceptions",
        "supply_plan_diff",
        "forecast_accuracy",
        "forecast_override_log",
    )
]


@multi_asset(
    name="sop_meeting_pack",
    specs=[
        AssetSpec(
            "sop_meeting_pack",
            group_name=GROUP,
            deps=PACK_DEPS,
            kinds={"html"},
            description="The S&OP meeting pack of each cycle: reports/<YYYY-MM>/sop_pack.html, self-contained "
            "(inline SVG charts, no network), printable, in the agenda's order.",
        ),
        AssetSpec(
            "sop_summary",
            group_name=GROUP,
            deps=[AssetKey("sop_meeting_pack")],
            kinds={"email"},
            description="The cycle's summary: reports/<YYYY-MM>/summary.md and summary.eml (RAG changes, "
            "decisions, new, due and overdue actions), sent by SMTP for the last cycle when configured.",
        ),
    ],
    **CYCLE_ASSET,
)
def sop_meeting_pack(
    context: AssetExecutionContext,
    sop_data: SopDataResource,
    forecast_settings: ForecastSettings,
    supply_settings: SupplySettings,
    smtp: SmtpResource,
):
    cycles = _cycles(context, sop_data, forecast_settings, supply_settings)
    reports = []
    with sop_data.warehouse() as con:
        for cycle in cycles:
            reports.append(
                write_cycle_reports(
                    con,
                    cycle,
                    sop_data.paths.reports,
                    sender=smtp.sender,
                    recipients=smtp.recipient_list(),
                )
            )
    sent = "not configured"
    if reports and smtp.configured:
        try:
            accepted = send_message(reports[-1].message, smtp.settings())
            sent = f"sent to {len(accepted)} recipient(s)"
        except MailError as exc:
            context.log.error(f"the summary was not sent: {exc}")
            sent = f"failed: {exc}"
    last = reports[-1] if reports else None
    yield MaterializeResult(
        asset_key="sop_meeting_pack",
        metadata={
            "cycles": ", ".join(f"{c:%Y-%m}" for c in cycles) or "none",
            **(
                {
                    "pack": MetadataValue.path(str(last.pack)),
                    "red_kpis": ", ".join(last.red_kpis) or "none",
                    "decisions_needed": MetadataValue.md("\n".join(f"- {d}" for d in last.decisions) or "_none_"),
                }
                if last
                else {}
            ),
        },
    )
    yield MaterializeResult(
        asset_key="sop_summary",
        metadata={
            **(
                {"markdown": MetadataValue.path(str(last.markdown)), "eml": MetadataValue.path(str(last.eml))}
                if last
                else {}
            ),
            "smtp": sent,
        },
    )


sop_cycle_assets: list = [sop_cycle_tables, sop_meeting_pack]
