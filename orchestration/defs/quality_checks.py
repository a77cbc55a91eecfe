"""Data-quality asset checks: the Great Expectations suites of ``expectations/`` as blocking checks.

``quality_checks`` is the list the code location loads (``orchestration.definitions``):

- ``gx_suite`` on every raw asset ``raw_<system>_<entity>`` and every BI-facing mart;
- ``gx_<suite>`` for the cross-table accuracy suites, on the asset named in
  ``expectations/suites.yml`` and also depending on the assets they read.

A range run validates all its months at once and reports one result per month too, so the UI
shows each partition's own verdict (``orchestration.quality.by_month`` decides which months a
failure belongs to); the check's own result is the range's.

All are blocking: a failure of severity ERROR stops everything downstream of the asset in
the run (the dbt build after a raw asset, publishing after a mart), so the published marts
stay on their last good version. The work is in ``orchestration.quality.engine``; a check
only opens the run's warehouse connection, calls it and reports.
"""

import warnings
from pathlib import Path

import yaml
from dagster import (
    AssetCheckEvaluation,
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    AssetRecordsFilter,
    MetadataValue,
    PreviewWarning,
    asset_check,
)

from orchestration.defs.partitions import WAREHOUSE_POOL, month_of, monthly_partitions
from orchestration.defs.resources import SopDataResource
from orchestration.quality.by_month import outcome_for_month
from orchestration.quality.engine import (
    SuiteOutcome,
    is_plan_version_mart,
    run_accuracy_suite,
    run_mart_suite,
    run_raw_suite,
)
from orchestration.quality.suite_builder import MAPPING_FILE
from orchestration.sources import CATALOG, SourceEntity


def check_result(outcome: SuiteOutcome) -> AssetCheckResult:
    """The check's verdict and metadata: failed expectations, samples, quarantine, Data Docs."""
    severity = AssetCheckSeverity.ERROR if outcome.severity == "error" else AssetCheckSeverity.WARN
    metadata = {
        "suite": outcome.suite,
        "months": ", ".join(outcome.months),
        "failed_expectations": MetadataValue.md(outcome.failures_markdown()),
        "failures": MetadataValue.json(outcome.failures_json()),
        "quarantined_rows": outcome.quarantined_rows,
        "flagged_rows": outcome.flagged_rows,
        "rows_validated": outcome.rows_validated,
        "expectations": outcome.expectations,
        "seconds": round(outcome.seconds, 2),
    }
    if outcome.data_docs is not None:
        metadata["data_docs"] = MetadataValue.path(str(outcome.data_docs))
    return AssetCheckResult(
        passed=outcome.passed,
        severity=severity,
        description=outcome.description(),
        metadata=metadata,
    )


def _months(context: AssetCheckExecutionContext) -> list[str]:
    return [month_of(k) for k in context.partition_keys]


def _latest_materializations(context: AssetCheckExecutionContext, asset_key: AssetKey, partitions: list[str]) -> dict:
    """The materialization each month's evaluation is about, by partition key: the UI counts a
    partition's check result only when it targets that partition's latest materialization.

    One paged query for all the months (newest first), not one per month: a 71-month backfill
    checks dozens of assets."""
    from dagster._core.definitions.asset_checks.asset_check_evaluation import (
        AssetCheckEvaluationTargetMaterializationData,
    )

    wanted, found, cursor = set(partitions), {}, None
    while wanted - found.keys():
        page = context.instance.fetch_materializations(
            AssetRecordsFilter(asset_key=asset_key, asset_partitions=partitions),
            limit=max(100, len(partitions)),
            cursor=cursor,
        )
        for record in page.records:
            partition = record.event_log_entry.dagster_event.partition
            if partition in wanted and partition not in found:
                found[partition] = AssetCheckEvaluationTargetMaterializationData(
                    run_id=record.event_log_entry.run_id, storage_id=record.storage_id, timestamp=record.timestamp
                )
        if not page.has_more:
            break
        cursor = page.cursor
    return found


def report(context: AssetCheckExecutionContext, outcome: SuiteOutcome) -> AssetCheckResult:
    """The check's result; for a range, first one evaluation per month, attributed to its partition."""
    if len(outcome.months) > 1:
        (spec,) = context.check_specs
        targets = _latest_materializations(context, spec.asset_key, [f"{m}-01" for m in outcome.months])
        for month in outcome.months:
            part = check_result(outcome_for_month(outcome, month))
            metadata = {
                k: v
                for k, v in part.metadata.items()
                if k not in ("quarantined_rows", "flagged_rows", "rows_validated")
            }
            partition = f"{month}-01"
            context.op_execution_context.log_event(
                AssetCheckEvaluation(
                    asset_key=spec.asset_key,
                    check_name=spec.name,
                    passed=part.passed,
                    partition=partition,
                    metadata={**metadata, "run_months": f"{outcome.months[0]} .. {outcome.months[-1]}"},
                    severity=part.severity,
                    description=part.description,
                    blocking=True,
                    target_materialization_data=targets.get(partition),
                )
            )
    return check_result(outcome)


def build_raw_check(entity: SourceEntity):
    @asset_check(
        asset=AssetKey(entity.asset_name),
        name="gx_suite",
        description=f"GX suite {entity.asset_name}: required columns and types, complete and unique keys, "
        "allowed values, non-negative amounts, dates in range and freshness of the month's extract; "
        "offending rows are quarantined.",
        blocking=True,
        partitions_def=monthly_partitions,
        pool=WAREHOUSE_POOL,
    )
    def _check(context: AssetCheckExecutionContext, sop_data: SopDataResource) -> AssetCheckResult:
        with sop_data.warehouse() as con:
            outcome = run_raw_suite(con, entity, _months(context), sop_data.paths.reports)
        return report(context, outcome)

    return _check


def build_mart_check(mart: str):
    if is_plan_version_mart(mart):
        return build_plan_version_mart_check(mart)

    @asset_check(
        asset=AssetKey(mart),
        name="gx_suite",
        description=f"GX suite mart_{mart}: the contract's columns, a complete and unique key.",
        blocking=True,
        partitions_def=monthly_partitions,
        pool=WAREHOUSE_POOL,
    )
    def _check(context: AssetCheckExecutionContext, sop_data: SopDataResource) -> AssetCheckResult:
        with sop_data.warehouse() as con:
            outcome = run_mart_suite(con, mart, _months(context), sop_data.paths.reports)
        return report(context, outcome)

    return _check


def build_plan_version_mart_check(mart: str):
    """The check of a plan-version mart (the supply marts): not partitioned, like the mart,
    which every run rebuilds whole; it validates every stored cycle at once."""

    @asset_check(
        asset=AssetKey(mart),
        name="gx_suite",
        description=f"GX suite mart_{mart}: the contract's columns, a complete and unique key, "
        "over every stored plan version.",
        blocking=True,
        pool=WAREHOUSE_POOL,
    )
    def _check(sop_data: SopDataResource) -> AssetCheckResult:
        with sop_data.warehouse() as con:
            outcome = run_mart_suite(con, mart, None, sop_data.paths.reports)
        return check_result(outcome)

    return _check


def build_accuracy_check(name: str, asset: str, reads: list[str], description: str):
    @asset_check(
        asset=AssetKey(asset),
        name=f"gx_{name}",
        description=f"GX suite {name}: {description}.",
        blocking=True,
        additional_deps=[AssetKey(a) for a in reads],
        partitions_def=monthly_partitions,
        pool=WAREHOUSE_POOL,
    )
    def _check(context: AssetCheckExecutionContext, sop_data: SopDataResource) -> AssetCheckResult:
        with sop_data.warehouse() as con:
            outcome = run_accuracy_suite(con, name, _months(context), sop_data.paths.reports)
        return report(context, outcome)

    return _check


def _build_checks() -> list:
    """One check per suite of ``expectations/suites.yml``.

    The checks are partitioned like their assets (a range run validates its months); Dagster
    marks partitioned checks as preview, which is said once here rather than on every load.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PreviewWarning)
        return _checks_from_mapping()


def _checks_from_mapping() -> list:
    mapping = yaml.safe_load(Path(MAPPING_FILE).read_text())["suites"]
    by_asset = {e.asset_name: e for e in CATALOG}
    checks = []
    for name, spec in mapping.items():
        if name in by_asset:
            checks.append(build_raw_check(by_asset[name]))
        elif name.startswith("mart_") and "reads" not in spec:
            checks.append(build_mart_check(spec["asset"]))
        else:
            from orchestration.quality.suite_builder import ACCURACY_SUITES

            checks.append(build_accuracy_check(name, spec["asset"], spec["reads"], ACCURACY_SUITES[name][2]))
    return checks


quality_checks: list = _build_checks()
