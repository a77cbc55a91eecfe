"""The dbt project as Dagster assets (staging, intermediate, marts) with dbt tests as checks.

dbt sources are mapped onto the ingestion assets (``raw_<system>_<entity>``), so the asset
graph shows one lineage from the landing files to the marts. A run hands its partition range
to dbt in the table ``pipeline.build_window`` (``orchestration.build_window``) and the build
database as the var ``warehouse_db``; every dbt step of a data root uses the same target folder
(``<data>/warehouse/dbt``). Vars and target stay the same from run to run, so dbt keeps its
partially parsed project instead of parsing every file again in each step.
"""

import json
import os
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from orchestration.build_window import build_window
from orchestration.defs.partitions import WAREHOUSE_POOL, monthly_partitions, single_run_backfill
from orchestration.defs.resources import SopDataResource
from orchestration.settings import DBT_PROJECT_DIR

#: the files dbt parses (what `make install` compares with the manifest it prepared)
DBT_SOURCE_SUFFIXES = frozenset({".sql", ".yml", ".yaml", ".md", ".csv"})
#: folders of a dbt project that dbt writes, never parses
DBT_OUTPUT_DIRS = frozenset({"target", "logs", "dbt_packages"})


def manifest_is_current(project_dir: Path, manifest: Path) -> bool:
    """True when ``manifest`` exists and is newer than every file dbt parses in ``project_dir``."""
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    for path in project_dir.rglob("*"):
        if path.relative_to(project_dir).parts[0] in DBT_OUTPUT_DIRS or path.suffix not in DBT_SOURCE_SUFFIXES:
            continue
        if path.stat().st_mtime > built:
            return False
    return True


#: `dagster dev` (which sets DAGSTER_IS_DEV_CLI) uses the manifest `make` prepared while it is newer
#: than every dbt file; after an edit it parses the project on load, into a target folder of its
#: own, so it never rewrites the manifest everything else reads. (A full parse costs 15-20 s of
#: every `sop dev` start.)
_PARSE_ON_LOAD = bool(os.getenv("DAGSTER_IS_DEV_CLI")) and not manifest_is_current(
    DBT_PROJECT_DIR, DBT_PROJECT_DIR / "target" / "manifest.json"
)
dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target_path="target/dev" if _PARSE_ON_LOAD else "target",
)
if _PARSE_ON_LOAD:
    dbt_project.prepare_if_dev()


class SopDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt CLI resource, without the dbt adapter it builds in the Dagster process.

    Before every dbt command ``DbtCliResource`` loads the profile and the project and registers a
    dbt adapter in the calling process (about 4.5 s per dbt step under the profiler, benchmarks/README.md). The
    adapter serves only ``fetch_row_counts`` and ``fetch_column_metadata`` on the event stream,
    which no asset here calls; dbt itself runs in its own process as before."""

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_resource(executable: str) -> SopDbtCliResource:
    """The dbt resource every run uses: the project's dbt folder and profiles, ``executable`` as dbt."""
    return SopDbtCliResource(
        project_dir=dbt_project, profiles_dir=str(dbt_project.profiles_dir), dbt_executable=executable
    )


def _ref_name(text: str) -> str:
    """``ref('dim_month')`` -> ``dim_month`` (a relationships test's ``to``)."""
    found = re.search(r"ref\(\s*['\"]([^'\"]+)['\"]\s*\)", str(text))
    return found[1] if found else str(text)


def _project_vars() -> dict:
    import yaml

    return (yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text()) or {}).get("vars", {})


def _values_text(values, project_vars: Mapping[str, Any]) -> str:
    """An accepted_values list, with ``{{ var('x') }}`` replaced by the project's list."""
    found = re.fullmatch(r"\s*\{\{\s*var\(\s*['\"]([^'\"]+)['\"]\s*\)\s*\}\}\s*", str(values))
    if found and found[1] in project_vars:
        values = project_vars[found[1]]
    return ", ".join(str(v) for v in values) if isinstance(values, (list, tuple)) else str(values)


def describe_dbt_test(test: Mapping[str, Any], model: str, project_vars: Mapping[str, Any] | None = None) -> str:
    """What a dbt test checks, in one sentence, for its asset check in the UI and in failure reports.

    The test's own description when it has one; a singular test's leading SQL comment; otherwise
    a sentence built from the generic test and its arguments.
    """
    if test.get("description"):
        return test["description"]
    meta = test.get("test_metadata") or {}
    kwargs = {k: v for k, v in (meta.get("kwargs") or {}).items() if k != "model"}
    column = kwargs.get("column_name") or test.get("column_name")
    where = f"`{column}` of `{model}`" if column else f"`{model}`"
    name = meta.get("name")
    if not name:
        comment = []
        for line in str(test.get("raw_code", "")).splitlines():
            if not line.startswith("--"):
                break
            comment.append(line.lstrip("-").strip())
        text = " ".join(c for c in comment if c)
        return (
            f"dbt test {test.get('name', '')}: {text}"
            if text
            else f"dbt singular test {test.get('name', '')} on `{model}`"
        )
    sentences = {
        "not_null": f"{where} is never null",
        "unique": f"{where} is unique",
        "accepted_values": (
            f"{where} takes only the accepted values ({_values_text(kwargs.get('values'), project_vars or {})})"
        ),
        "relationships": f"every {where} exists in `{_ref_name(kwargs.get('to', ''))}`.`{kwargs.get('field')}`",
        "non_negative": f"{where} is never negative",
        "unique_combination_of_columns": (
            f"`{model}` has one row per {', '.join(kwargs.get('combination_of_columns') or [])}"
        ),
        "expression_is_true": f"every row of `{model}` satisfies {kwargs.get('expression')}",
        "not_null_proportion": f"at least {kwargs.get('at_least')} of {where} is not null",
    }
    sentence = sentences.get(name, f"{name} holds for {where}")
    return f"dbt test {name}: {sentence}; fails with the offending rows' count."


class SopDbtTranslator(DagsterDbtTranslator):
    """Sources become the raw ingestion assets; models are grouped by their layer folder; every
    dbt test check says what it checks."""

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        test = manifest["nodes"].get(unique_id, {})
        if not hasattr(self, "_vars"):
            self._vars = _project_vars()
        return spec._replace(description=describe_dbt_test(test, asset_spec.key.to_user_string(), self._vars))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # tables a Python asset writes (`meta: dagster_key_prefix`) are its assets <prefix>/<table>;
            # the other sources are the raw extracts
            prefix = (dbt_resource_props.get("source_meta") or {}).get("dagster_key_prefix")
            if prefix:
                return AssetKey([prefix, dbt_resource_props["name"]])
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


#: the models over tables that Python assets write after the warehouse is built (the supply plan):
#: they run in a dbt step of their own, after those assets
AFTER_PYTHON_MODELS = " ".join(
    f"path:models/{layer}/{area}"
    for area in ("supply", "sop_cycle", "sales_planning")
    for layer in ("staging", "marts")
)


def _dbt_vars(sop_data: SopDataResource) -> str:
    """The same for every run of a data root: the profile (profiles.yml) reads the build
    database's path and DuckDB's memory cap from these vars."""
    return json.dumps(
        {"warehouse_db": str(sop_data.paths.warehouse_db), "duckdb_memory_limit": sop_data.duckdb_memory_limit}
    )


def _build_args(sop_data: SopDataResource) -> list[str]:
    """``dbt build`` of a run: models, seeds and data tests. The unit tests test the models' SQL on
    fixed rows, not the month's data, so they run in the test suite (tests/integration/
    test_dbt_unit_tests.py), not in every monthly run (dbt Labs' advice for production builds)."""
    return ["build", "--exclude-resource-type", "unit_test", "--vars", _dbt_vars(sop_data)]


def _target_path(sop_data: SopDataResource) -> Path:
    """One dbt target folder per data root: its ``partial_parse.msgpack`` carries over between
    steps and runs (dagster-dbt's default is a fresh folder per invocation: a full parse each)."""
    return sop_data.paths.warehouse_dir / "dbt"


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    exclude=AFTER_PYTHON_MODELS,
    dagster_dbt_translator=translator,
    partitions_def=monthly_partitions,
    backfill_policy=single_run_backfill,
    pool=WAREHOUSE_POOL,
)
def sop_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, sop_data: SopDataResource):
    window = context.partition_time_window
    # the window end is exclusive: the last month built is the one before it
    first, last = window.start.date().replace(day=1), date.fromisoformat(context.partition_keys[-1])
    with build_window(sop_data.paths.warehouse_db, first, last):
        invocation = dbt.cli(_build_args(sop_data), context=context, target_path=_target_path(sop_data))
        yield from invocation.stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=AFTER_PYTHON_MODELS,
    name="sop_dbt_planning_models",
    dagster_dbt_translator=translator,
    pool=WAREHOUSE_POOL,
)
def sop_dbt_planning_models(context: AssetExecutionContext, dbt: DbtCliResource, sop_data: SopDataResource):
    """The supply marts are not partitioned: each holds every stored plan version (keyed by
    ``cycle_month``) and is rebuilt whole from schema ``supply`` by every run, so a run records
    one materialization per mart, not one per month of a backfill."""
    yield from dbt.cli(_build_args(sop_data), context=context, target_path=_target_path(sop_data)).stream()
