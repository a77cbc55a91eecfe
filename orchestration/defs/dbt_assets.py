"""The dbt project as Dagster assets (staging, intermediate, marts) with dbt tests as checks.

dbt sources are mapped onto the ingestion assets (``raw_<system>_<entity>``), so the asset
graph shows one lineage from the landing files to the marts. A run passes its partition range
to dbt as the vars ``min_month``/``max_month``, and the build database as ``warehouse_db``.
"""


import json
import os
from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from orchestration.defs.partitions import WAREHOUSE_POOL, monthly_partitions, single_run_backfill
from orchestration.defs.resources import SopDataResource
from orchestration.settings import DBT_PROJECT_DIR

#: `dagster dev` (which sets DAGSTER_IS_DEV_CLI) parses the project on load into a target folder of
#: its own, so it never rewrites the manifest that `make` prepared for everything else.
dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR,
                         target_path="target/dev" if os.getenv("DAGSTER_IS_DEV_CLI") else "target")
dbt_project.prepare_if_dev()


class SopDbtTranslator(DagsterDbtTranslator):
    """Sources become the raw ingestion assets; models are grouped by their layer folder."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey(f"raw_{dbt_resource_props['source_name']}_{dbt_resource_props['name']}")
        return AssetKey(dbt_resource_props["name"])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        if len(fqn) >= 3 and fqn[1] == "marts":
            return f"marts_{fqn[2]}"
        return fqn[1] if len(fqn) >= 3 else "dbt"


translator = SopDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    partitions_def=monthly_partitions,
    backfill_policy=single_run_backfill,
    pool=WAREHOUSE_POOL,
)
def sop_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, sop_data: SopDataResource):
    window = context.partition_time_window
    dbt_vars = {
        "min_month": window.start.strftime("%Y-%m-01"),
        # the window end is exclusive: the last month built is the one before it
        "max_month": context.partition_keys[-1],
        # the profile (profiles.yml) reads the build database's path from this var
        "warehouse_db": str(sop_data.paths.warehouse_db),
    }
    yield from dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context).stream()
