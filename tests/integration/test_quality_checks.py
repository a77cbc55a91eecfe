"""The GX suites as blocking Dagster asset checks, run in-process on a small demo company.

A faulty extract makes its raw check fail with ERROR and nothing downstream materializes;
a WARN rule quarantines the offending rows and lets the run go on; the accuracy checks catch
CRM/ERP mismatches; every check reports failures, samples, quarantine count and Data Docs.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import AssetKey, DagsterInstance, asset, materialize

from orchestration.defs.partitions import monthly_partitions
from orchestration.defs.quality_checks import quality_checks
from orchestration.defs.raw_assets import raw_assets
from orchestration.defs.resources import SopDataResource
from orchestration.demo import generate_company
from orchestration.demo.faults import Fault, apply_fault
from orchestration.quality.engine import is_plan_version_mart
from orchestration.quality.quarantine import quarantined_rows
from orchestration.sales_planning import dbt_yaml as sales_dbt_yaml

SCALE = 0.03
FIRST, LAST = "2021-01", "2021-04"
METADATA_KEYS = {"failed_expectations", "failures", "quarantined_rows", "data_docs", "suite", "months"}

RAW = {a.key.to_user_string(): a for a in raw_assets}


def _checks_of(asset_name: str, name: str | None = None) -> list:
    return [
        c
        for c in quality_checks
        for k in c.check_keys
        if k.asset_key.to_user_string() == asset_name and (name is None or k.name == name)
    ]


@pytest.fixture(scope="module")
def clean_landing(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("dq-clean")
    generate_company(root / "landing", seed=11, scale=SCALE, start=FIRST, through=LAST)
    return root / "landing"


@pytest.fixture
def data_root(tmp_path, clean_landing) -> Path:
    """A fresh data root with a copy of the clean extracts (faults damage the copy only)."""
    shutil.copytree(clean_landing, tmp_path / "landing")
    return tmp_path


def _downstream_of(asset_name: str):
    @asset(name=f"downstream_of_{asset_name}", deps=[AssetKey(asset_name)], partitions_def=monthly_partitions)
    def _downstream() -> None:
        return None

    return _downstream


def _run(root: Path, assets: list, checks: list, month: str):
    downstream = _downstream_of(assets[0].key.to_user_string())
    result = materialize(
        [*assets, *checks, downstream],
        partition_key=f"{month}-01",
        resources={"sop_data": SopDataResource(data_dir=str(root))},
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    evaluations = {e.asset_check_key.name: e for e in result.get_asset_check_evaluations()}
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    return evaluations, materialized, downstream.key.to_user_string()


def test_error_rule_blocks_downstream_and_quarantines_the_rows(data_root):
    apply_fault(data_root / "landing", Fault("negative_amounts", "crm_opportunities", "2021-03"), seed=11)
    evaluations, materialized, downstream = _run(
        data_root, [RAW["raw_crm_opportunities"]], _checks_of("raw_crm_opportunities", "gx_suite"), "2021-03"
    )
    check = evaluations["gx_suite"]
    assert not check.passed and check.severity.value == "ERROR"
    assert "raw_crm_opportunities" in materialized  # raw keeps every row
    assert downstream not in materialized  # the blocking check stopped the rest
    assert METADATA_KEYS <= set(check.metadata)
    failures = check.metadata["failures"].value
    negative = [f for f in failures if f["rule"] == "values.non_negative"]
    assert negative and negative[0]["column"] == "Amount" and negative[0]["unexpected_count"] == 3
    assert all(s["source_file"] == "crm/opportunities/2021-03/opportunities_202103.csv" for s in negative[0]["samples"])
    first_line = check.description.splitlines()[0]
    assert first_line.startswith("crm/opportunities/2021-03/opportunities_202103.csv row ")
    assert "rule values.non_negative (Amount = -" in first_line and first_line.endswith("; 3 rows")
    assert check.metadata["quarantined_rows"].value == 3
    assert Path(check.metadata["data_docs"].value).is_file()
    with duckdb.connect(str(data_root / "warehouse" / "sop.duckdb"), read_only=True) as con:
        rows = quarantined_rows(con, "crm_opportunities", "2021-03")
        raw_negative = con.execute(
            "select _source_row from raw.crm_opportunities where \"Amount\" like '-%' order by 1"
        ).fetchall()
    assert sorted(rows["source_row"]) == [r[0] for r in raw_negative]
    assert set(rows["rule"]) == {"values.non_negative"} and set(rows["stage"]) == {"check"}
    assert all(json.loads(j)["Amount"].startswith("-") for j in rows["row_json"])


def test_stale_extract_fails_freshness(data_root):
    apply_fault(data_root / "landing", Fault("stale_extract", "erp_sales_order_lines", "2021-02"), seed=11)
    evaluations, materialized, downstream = _run(
        data_root, [RAW["raw_erp_sales_order_lines"]], _checks_of("raw_erp_sales_order_lines", "gx_suite"), "2021-02"
    )
    check = evaluations["gx_suite"]
    rules = {f["rule"] for f in check.metadata["failures"].value}
    assert not check.passed and rules == {"freshness.updated_within"}
    assert downstream not in materialized
    # newest update at least N days before the end of February: N = 35 for order lines (checks.yml)
    threshold = (date(2021, 3, 1) - timedelta(days=35)).isoformat()
    assert "rule freshness.updated_within" in check.description
    assert f"expected on or after {threshold}T00:00:00" in check.description


def test_warn_rule_quarantines_rows_and_lets_the_month_go_on(data_root):
    path = data_root / "landing" / "crm" / "opportunities" / "2021-02" / "opportunities_202102.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    close = header.index("CloseDate")
    row = lines[2].split(",")
    row[close] = "2199-01-31"  # far beyond the date window: a WARN rule
    lines[2] = ",".join(row)
    path.write_text("\n".join(lines) + "\n")
    evaluations, materialized, downstream = _run(
        data_root, [RAW["raw_crm_opportunities"]], _checks_of("raw_crm_opportunities", "gx_suite"), "2021-02"
    )
    check = evaluations["gx_suite"]
    assert not check.passed and check.severity.value == "WARN"
    assert downstream in materialized
    [failure] = check.metadata["failures"].value
    assert failure["rule"] == "values.dates_in_range" and failure["severity"] == "warn"
    assert failure["samples"][0]["source_row"] == 2
    with duckdb.connect(str(data_root / "warehouse" / "sop.duckdb"), read_only=True) as con:
        rows = quarantined_rows(con, "crm_opportunities", "2021-02")
    assert list(rows["source_row"]) == [2] and list(rows["severity"]) == ["warn"]


def test_lines_ingestion_could_not_parse_fail_the_raw_check(data_root):
    """Malformed CSV lines go to quarantine at ingestion; the good lines load, the check blocks."""
    apply_fault(data_root / "landing", Fault("malformed_row", "crm_users", "2021-02"), seed=11)
    evaluations, materialized, downstream = _run(
        data_root, [RAW["raw_crm_users"]], _checks_of("raw_crm_users"), "2021-02"
    )
    check = evaluations["gx_suite"]
    assert "raw_crm_users" in materialized
    assert not check.passed and check.severity.value == "ERROR" and downstream not in materialized
    failures = check.metadata["failures"].value
    assert [f["rule"] for f in failures] == ["csv.well_formed"] and failures[0]["unexpected_count"] == 3
    assert "crm/users/2021-02/users_202102.csv row " in check.description
    assert "rule csv.well_formed" in check.description


def test_crm_erp_mismatch_fails_bookings_vs_order_intake(data_root):
    apply_fault(data_root / "landing", Fault("crm_erp_mismatch", "crm_opportunities", "2021-03"), seed=11)
    assets = [RAW[n] for n in ("raw_crm_opportunities", "raw_crm_opportunity_line_items", "raw_erp_sales_order_lines")]
    checks = _checks_of("raw_crm_opportunities", "gx_bookings_vs_order_intake")
    # a deal's line items arrive in the month it was created, its ERP order after the close:
    # load the whole history in one run (as a backfill does)
    result = materialize(
        [*assets, *checks, _downstream_of("raw_crm_opportunities")],
        tags={"dagster/asset_partition_range_start": f"{FIRST}-01", "dagster/asset_partition_range_end": f"{LAST}-01"},
        resources={"sop_data": SopDataResource(data_dir=str(data_root))},
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    evaluations = result.get_asset_check_evaluations()
    [check] = [e for e in evaluations if e.partition is None]  # the range's own result
    assert check.asset_check_key.name == "gx_bookings_vs_order_intake"
    # and one per month, each attributed to its partition: only the damaged month fails
    by_partition = {e.partition: e.passed for e in evaluations if e.partition is not None}
    assert by_partition == {"2021-01-01": True, "2021-02-01": True, "2021-03-01": False, "2021-04-01": True}
    # the same month, clean, passes (see test_clean_months_pass_every_check); damaged, it blocks
    assert not check.passed and check.severity.value == "ERROR"
    assert "rule accuracy.bookings_vs_order_intake" in check.description
    sample = check.metadata["failures"].value[0]["samples"][0]["value"]
    # every won amount of the month is 1.4 times the ERP's: ERP / CRM - 1 = 1 / 1.4 - 1
    assert sample.startswith("2021-03 ") and "CRM closed won" in sample and f"({1 / 1.4 - 1:+.1%})" in sample


def test_every_check_runs_and_passes_on_the_clean_company(built_company):
    """The whole job over 14 clean months (the shared fixture): every GX check ran and passed."""
    from dagster import DagsterEventType

    records = built_company.instance.get_records_for_run(
        built_company.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    evaluations = [r.event_log_entry.dagster_event.asset_check_evaluation_data for r in records]
    gx = {
        (e.asset_check_key.asset_key.to_user_string(), e.asset_check_key.name): e
        for e in evaluations
        if e.asset_check_key.name.startswith("gx_")
    }
    expected = {(k.asset_key.to_user_string(), k.name) for c in quality_checks for k in c.check_keys}
    assert set(gx) == expected
    assert [k for k, e in gx.items() if not e.passed] == []
    # the UI shows each partition's own verdict: every month of the range has its evaluation
    partitions = {(e.asset_check_key.name, e.asset_check_key.asset_key.to_user_string()): set() for e in evaluations}
    for e in evaluations:
        if e.partition is not None:
            partitions[(e.asset_check_key.name, e.asset_check_key.asset_key.to_user_string())].add(e.partition)
    # ... except the plan-version marts (the 9 supply marts, the S&OP cycle's 4 marts keyed by cycle and the
    # sales plan's marts), checked whole once per run

    months = {f"{m}-01" for m in pd.period_range("2021-01", "2022-02", freq="M").astype(str)}
    whole = {
        (name, asset)
        for (name, asset) in partitions
        if name == "gx_suite" and not asset.startswith("raw_") and is_plan_version_mart(asset)
    }
    sop_cycle = {"kpi_target_snapshots", "plan_comparison", "sop_action_snapshots", "sop_action_history"}
    assert sop_cycle <= {asset for _, asset in whole}
    sales = {mart for mart, _ in sales_dbt_yaml.MARTS.values()}
    assert sales <= {asset for _, asset in whole}
    assert len(whole) == 9 + len(sop_cycle) + len(sales) and all(partitions[k] == set() for k in whole), whole
    partitioned = {k: p for k, p in partitions.items() if k[0].startswith("gx_") and k not in whole}
    assert all(p == months for p in partitioned.values()), partitioned
    assert (built_company.root / "reports" / "2022-02" / "data_docs" / "index.html").is_file()
