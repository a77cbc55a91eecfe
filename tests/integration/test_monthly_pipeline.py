"""The monthly job, in process, on 14 months of a small demo company."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.integration.landing_totals import revenue_by_region_family

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline")]

MEASURES = [
    "orders_usd",
    "ordered_units",
    "order_lines",
    "billings_usd",
    "billed_units",
    "invoice_lines",
    "bookings_usd",
    "booked_units",
]


def serve(built):
    return duckdb.connect(str(built.root / "serve" / "sop.duckdb"), read_only=True)


def test_run_succeeds_with_every_dbt_test_passing(built_company):
    assert built_company.run_success, f"failed steps {built_company.steps_failed}, checks {built_company.failed_checks}"
    assert built_company.failed_checks == []


def test_revenue_mart_matches_independent_pandas_calculation(built_company):
    expected = revenue_by_region_family(built_company.root / "landing")
    with serve(built_company) as con:
        mart = con.execute(
            f"SELECT strftime(revenue_month, '%Y-%m') AS revenue_month, region_code, product_family, "
            f"{', '.join(f'{m}::DOUBLE AS {m}' for m in MEASURES)} FROM revenue_by_region_family_monthly"
        ).df()
    key = ["revenue_month", "region_code", "product_family"]
    merged = expected.merge(mart, on=key, how="outer", suffixes=("_expected", "_mart"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"][key + ["_merge"]]
    assert sorted(mart.revenue_month.unique()) == [str(m)[:7] for m in pd.period_range("2021-01", "2022-02", freq="M")]
    for m in MEASURES:
        np.testing.assert_allclose(merged[f"{m}_mart"], merged[f"{m}_expected"], rtol=1e-9, atol=0.011, err_msg=m)
    assert expected.billings_usd.sum() > 0 and expected.bookings_usd.sum() > 0 and expected.orders_usd.sum() > 0


def test_opportunity_mart_has_every_opportunity_once_in_its_latest_state(built_company):
    landing = built_company.root / "landing" / "crm" / "opportunities"
    opps = pd.concat(pd.read_csv(f, dtype=str, keep_default_na=False) for f in sorted(landing.glob("*/*.csv")))
    latest = opps.sort_values("LastModifiedDate").drop_duplicates("Id", keep="last")
    with serve(built_company) as con:
        mart = con.execute("SELECT opportunity_id, status, stage_name FROM opportunity_enhanced").df()
    assert sorted(mart.opportunity_id) == sorted(latest.Id)
    expected_status = np.where(latest.IsWon == "true", "won", np.where(latest.IsClosed == "true", "lost", "open"))
    got = mart.set_index("opportunity_id").loc[latest.Id]
    assert list(got.status) == list(expected_status)
    assert list(got.stage_name) == list(latest.StageName)


def test_raw_rows_carry_lineage_and_every_month(built_company):
    with duckdb.connect(str(built_company.root / "warehouse" / "sop.duckdb"), read_only=True) as con:
        months = con.execute(
            "SELECT DISTINCT strftime(_partition_month, '%Y-%m') FROM raw.erp_sales_order_lines ORDER BY 1"
        ).fetchall()
        nulls = con.execute(
            "SELECT count(*) FROM raw.erp_sales_order_lines WHERE _load_id IS NULL OR _source_file IS NULL "
            "OR _loaded_at IS NULL OR _source_row IS NULL"
        ).fetchone()[0]
    assert months == [(str(m),) for m in pd.period_range("2021-01", "2022-02", freq="M")]
    assert nulls == 0


def test_materializations_record_row_counts_and_the_publication(built_company):
    from dagster import AssetKey

    instance = built_company.instance
    from dagster import AssetRecordsFilter

    key = AssetKey("raw_erp_sales_order_lines")
    with duckdb.connect(str(built_company.root / "warehouse" / "sop.duckdb"), read_only=True) as con:
        counted = dict(
            con.execute(
                "SELECT strftime(_partition_month, '%Y-%m-01'), count(*) FROM raw.erp_sales_order_lines GROUP BY 1"
            ).fetchall()
        )
    # each partition shows its own month's rows (not the range's total)
    for partition in ["2021-01-01", "2021-07-01", "2022-02-01"]:
        records = instance.fetch_materializations(
            AssetRecordsFilter(asset_key=key, asset_partitions=[partition]), limit=1
        ).records
        meta = records[0].asset_materialization.metadata
        assert meta["dagster/row_count"].value == counted[partition] > 0, partition
    assert len(set(counted.values())) > 1  # the months differ, so a range total stamped everywhere would fail
    meta = instance.get_latest_materialization_event(key).asset_materialization.metadata
    assert meta["months_loaded"].value in (1, 14)
    latest = instance.get_latest_materialization_event(AssetKey("serving_marts"))
    assert "revenue_by_region_family_monthly" in latest.asset_materialization.metadata["tables"].value
    with serve(built_company) as con:
        # the publication is the one of the last run that published (the build, or a re-run of a month)
        assert con.execute("SELECT run_id FROM sop_publication").fetchone()[0] == latest.run_id
        held = con.execute(
            "SELECT strftime(first_month, '%Y-%m'), strftime(last_month, '%Y-%m') FROM sop_publication"
        ).fetchone()
    assert held == ("2021-01", "2022-02")  # the months the marts hold, whichever months the run rebuilt


def test_closing_the_next_month_again_with_the_last_leaves_earlier_months_as_published(next_month):
    """``sop run --from LAST --to NEXT`` on a copy of the shared company (which the other tests
    read as it was built) closes the last month again: every month before the new one is
    republished as it was, and the new one is added."""
    from dagster import DagsterInstance

    from tests.conftest import NEXT, UNCHANGED_MONTHS_MARTS, published_months_before

    serve_db = next_month.root / "serve" / "sop.duckdb"
    after = published_months_before(serve_db, NEXT)
    with duckdb.connect(str(serve_db), read_only=True) as con:
        published_by = con.execute("SELECT run_id FROM sop_publication").fetchone()[0]
        new_rows = {
            name: con.execute(f"SELECT count(*) FROM {name} WHERE {column} = ?", [f"{NEXT}-01"]).fetchone()[0]
            for name, column in UNCHANGED_MONTHS_MARTS
        }
    _, fixed_run = next_month.runs()
    with DagsterInstance.from_config(str(next_month.dagster_home)) as instance:
        assert instance.get_run_by_id(fixed_run).is_success
    assert published_by == fixed_run
    for name, _ in UNCHANGED_MONTHS_MARTS:
        assert len(after[name]) > 0 and new_rows[name] > 0, name
        pd.testing.assert_frame_equal(next_month.marts_before[name], after[name], obj=name)
