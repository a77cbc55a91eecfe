"""Publishing: the serving DuckDB file and Parquet, swapped in atomically after a good build."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from orchestration.defs.dbt_assets import sop_dbt_models, sop_dbt_planning_models
from orchestration.defs.forecast_assets import FORECAST_MART_KEYS
from orchestration.defs.partitions import WAREHOUSE_POOL, monthly_partitions, single_run_backfill
from orchestration.defs.resources import SopDataResource
from orchestration.forecasting.warehouse import published_specs
from orchestration.publishing import publish_marts

#: Every dbt model in a marts folder feeds the publication, and so do the seeds (built in schema
#: marts, published with the marts: the KPI dictionary).
MART_KEYS = [
    spec.key
    for dbt_models in (sop_dbt_models, sop_dbt_planning_models)
    for spec in dbt_models.specs
    if (spec.group_name or "").startswith("marts") or spec.group_name == "seeds"
]
#: What is published, and nothing else: the dbt marts and seeds (schema marts), and the forecast
#: tables the dbt source ``forecasting`` declares (written by the forecast assets into schema forecast).
PUBLISHED_TABLES = sorted({key.path[-1] for key in MART_KEYS} | {spec.name for spec in published_specs()})


@asset(
    name="serving_marts",
    group_name="serving",
    description="The marts published for BI: serve/sop.duckdb (read-only for analysts) and "
    "serve/parquet/current/*.parquet, swapped in atomically so readers are never locked out.",
    deps=[*MART_KEYS, *FORECAST_MART_KEYS],
    partitions_def=monthly_partitions,
    backfill_policy=single_run_backfill,
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "parquet"},
)
def serving_marts(context: AssetExecutionContext, sop_data: SopDataResource) -> MaterializeResult:
    paths = sop_data.paths
    keys = context.partition_keys
    result = publish_marts(
        paths.warehouse_db,
        paths.serve_dir,
        run_id=context.run_id,
        months=(keys[0], keys[-1]),
        declared=PUBLISHED_TABLES,
        memory_limit=sop_data.duckdb_memory_limit,
    )
    context.log.info(f"published {len(result.tables)} marts as {result.version} to {result.serve_db}")
    return MaterializeResult(
        metadata={
            "serve_db": MetadataValue.path(str(result.serve_db)),
            "parquet_dir": MetadataValue.path(str(result.parquet_dir)),
            "version": result.version,
            "tables": MetadataValue.json(result.tables),
            "dagster/row_count": sum(result.tables.values()),
            "seconds": round(result.seconds, 2),
        }
    )
