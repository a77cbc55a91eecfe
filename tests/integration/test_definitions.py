"""The code location loads with every asset, check, job and schedule, wired as designed."""

from __future__ import annotations

from datetime import datetime

from dagster import AssetKey, build_schedule_context

from orchestration.definitions import defs
from orchestration.sources import CATALOG


def asset_graph():
    return defs.resolve_asset_graph()


def test_every_source_entity_has_a_partitioned_ingestion_asset():
    graph = asset_graph()
    for entity in CATALOG:
        node = graph.get(AssetKey(entity.asset_name))
        assert node.partitions_def is not None, entity.name
        assert node.backfill_policy is not None and node.backfill_policy.max_partitions_per_run is None


def test_lineage_runs_from_raw_through_staging_to_marts_and_serving():
    graph = asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    for model in [
        "stg_erp__sales_order_lines",
        "stg_crm__opportunities",
        "revenue_by_region_family_monthly",
        "opportunity_enhanced",
        "serving_marts",
    ]:
        assert model in keys, model
    stg = graph.get(AssetKey("stg_erp__sales_order_lines"))
    assert AssetKey("raw_erp_sales_order_lines") in stg.parent_keys
    # every raw asset feeds some staging model: the UI shows one lineage
    for entity in CATALOG:
        children = graph.get(AssetKey(entity.asset_name)).child_keys
        assert any(c.to_user_string().startswith(f"stg_{entity.system}__") for c in children), entity.name
    serving_parents = {k.to_user_string() for k in graph.get(AssetKey("serving_marts")).parent_keys}
    assert {"revenue_by_region_family_monthly", "opportunity_enhanced"} <= serving_parents


def test_dbt_tests_are_asset_checks_on_the_marts():
    graph = asset_graph()
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    on_marts = {a for a, _ in checks if a in ("revenue_by_region_family_monthly", "opportunity_enhanced")}
    assert on_marts == {"revenue_by_region_family_monthly", "opportunity_enhanced"}
    assert len(checks) >= 20


def test_monthly_job_and_schedule_close_the_previous_month():
    job = defs.resolve_job_def("monthly_sop_cycle")
    assert job.partitions_def is not None
    schedule = defs.resolve_schedule_def("monthly_sop_cycle_schedule")
    assert schedule.cron_schedule == "0 5 2 * *"
    context = build_schedule_context(scheduled_execution_time=datetime(2026, 11, 2, 5, 0))
    requests = schedule.evaluate_tick(context).run_requests
    assert [r.partition_key for r in requests] == ["2026-10-01"]


def test_warehouse_writers_share_one_pool():
    graph = asset_graph()
    for key in [
        AssetKey("raw_crm_opportunities"),
        AssetKey("revenue_by_region_family_monthly"),
        AssetKey("serving_marts"),
    ]:
        assert graph.get(key).pools == {"sop_warehouse"}, key


def test_every_check_says_what_it_checks_and_the_seed_feeds_the_publication():
    graph = asset_graph()
    specs = [graph.get_check_spec(k) for k in graph.asset_check_keys]
    assert [s.key for s in specs if not s.description] == []
    by_name = {s.key.name: s.description for s in specs}
    assert (
        by_name["not_null_stg_crm__accounts_segment"]
        == "dbt test not_null: `segment` of `stg_crm__accounts` is never null; fails with the offending rows' count."
    )
    assert "{{" not in "".join(by_name.values())  # var() lists are spelled out
    assert AssetKey("serving_marts") in graph.get(AssetKey("kpi_dictionary")).child_keys


def test_a_dbt_test_is_described_from_its_kind_and_arguments():
    from orchestration.defs.dbt_assets import describe_dbt_test

    relationships = {
        "test_metadata": {
            "name": "relationships",
            "kwargs": {"column_name": "revenue_month", "to": "ref('dim_month')", "field": "month_start", "model": "x"},
        }
    }
    assert describe_dbt_test(relationships, "fct_sales") == (
        "dbt test relationships: every `revenue_month` of "
        "`fct_sales` exists in `dim_month`.`month_start`; fails "
        "with the offending rows' count."
    )
    values = {
        "test_metadata": {
            "name": "accepted_values",
            "kwargs": {"column_name": "region", "values": "{{ var('regions') }}"},
        }
    }
    assert "(EUR, NAM)" in describe_dbt_test(values, "m", {"regions": ["EUR", "NAM"]})
    singular = {"name": "assert_totals", "raw_code": "-- Totals agree\n-- month by month.\nselect 1"}
    assert describe_dbt_test(singular, "m") == "dbt test assert_totals: Totals agree month by month."
    assert describe_dbt_test({"description": "Own words."}, "m") == "Own words."
