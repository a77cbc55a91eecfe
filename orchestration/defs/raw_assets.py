"""One ingestion asset per source entity of the catalog (``raw_<system>_<entity>``).

Each loads the months of its partition range into ``raw.<system>_<entity>``, replacing those
months only, and records row counts and files as metadata: each partition gets its own month's
``dagster/row_count`` and files (a range run attaches them per partition), the run's totals are
``rows_loaded_in_run`` and ``rows_by_month``. The work is in
``orchestration.ingestion``; this module only wires it into Dagster.
"""

from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, MetadataValue, asset

from orchestration.connectors.deliveries import deliver_months, delivery_metadata, describe_deliveries, latest_cursor
from orchestration.defs.partitions import WAREHOUSE_POOL, month_of, monthly_partitions, single_run_backfill
from orchestration.defs.resources import SopDataResource
from orchestration.ingestion import load_month, raw_table
from orchestration.sources import CATALOG, SourceEntity


def build_raw_asset(entity: SourceEntity) -> AssetsDefinition:
    @asset(
        name=entity.asset_name,
        group_name=f"raw_{entity.system}",
        description=f"{entity.description} Loaded from {entity.system} {entity.file_format.upper()} "
        f"extracts ({entity.extract}) into `{raw_table(entity)}`.",
        partitions_def=monthly_partitions,
        backfill_policy=single_run_backfill,
        pool=WAREHOUSE_POOL,
        kinds={"duckdb", entity.file_format},
        metadata={
            "table": raw_table(entity),
            "source_system": entity.system,
            "extract_kind": entity.extract,
            "key": ", ".join(entity.key),
        },
    )
    def _raw_asset(context: AssetExecutionContext, sop_data: SopDataResource) -> MaterializeResult:
        months = [month_of(k) for k in context.partition_keys]
        reader = sop_data.reader_for(entity)
        connector = sop_data.connector_for(entity)
        load_id = f"{context.run_id}:{entity.name}"
        results, extracts = [], {}
        if connector is not None:
            extracts = deliver_months(
                connector, entity, months, sop_data.paths.landing, sop_data.extract_lag, sop_data.sources.reextract
            )
            context.log.info(
                f"{entity.name}: {describe_deliveries(extracts, months)} from {connector.describe(entity)}"
            )
        with sop_data.warehouse() as con:
            for month in months:
                results.append(load_month(con, entity, month, reader, load_id, log=context.log.warning))
        total = sum(r.rows for r in results)
        rejected = [line for r in results for line in r.rejected]
        context.log.info(
            f"{entity.name}: loaded {total:,} rows for {len(months)} month(s)"
            + (f"; {len(rejected)} malformed line(s) set aside in quarantine" if rejected else "")
        )
        per_month = "\n".join(
            ["| month | rows | files |", "|---|---:|---|"]
            + [f"| {r.month} | {r.rows:,} | {', '.join(r.files)} |" for r in results[-24:]]
        )
        for r in results:
            context.add_asset_metadata(
                {
                    "dagster/row_count": r.rows,
                    "files_of_month": ", ".join(r.files) or "none",
                    **delivery_metadata(extracts.get(r.month)),
                },
                partition_key=f"{r.month}-01",
            )
        source = connector.describe(entity) if connector is not None else f"landing files ({entity.file_format})"
        return MaterializeResult(
            metadata={
                "rows_loaded_in_run": total,
                "months_loaded": len(months),
                "first_month": months[0],
                "last_month": months[-1],
                "files": len([f for r in results for f in r.files]),
                "load_id": load_id,
                "rows_by_month": MetadataValue.md(per_month),
                "seconds": round(sum(r.seconds for r in results), 2),
                "quarantined_lines": len(rejected),
                "source": source,
                "deleted_keys": sum(r.deleted for r in results),
                **({"cursor": latest_cursor(extracts)} if extracts else {}),
                **(
                    {
                        "malformed_lines": MetadataValue.md(
                            "\n".join(
                                ["| file | row | reason |", "|---|---:|---|"]
                                + [f"| {r.source_file} | {r.source_row} | {r.reason} |" for r in rejected[:50]]
                            )
                        )
                    }
                    if rejected
                    else {}
                ),
            }
        )

    return _raw_asset


raw_assets = [build_raw_asset(e) for e in CATALOG]
