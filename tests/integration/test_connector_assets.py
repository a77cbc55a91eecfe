"""The raw assets with a connector, in Dagster, against a real PostgreSQL ERP.

A monthly run extracts the month from the database into the landing zone, then loads it; the
materialization says where the month came from and the extract's cursor; the password (an
``EnvVar``) shows nowhere in the run's events; a second run of the month loads what was
delivered instead of extracting it again.
"""

from __future__ import annotations

import dataclasses
import shutil

import duckdb
import pandas as pd
import psycopg
import pytest
from dagster import DagsterInstance, EnvVar, materialize

from orchestration.defs.raw_assets import raw_assets
from orchestration.defs.resources import PostgresSource, SopDataResource, SourceSystems
from orchestration.demo import generate_company
from orchestration.demo.erp_database import create_erp_schema, load_erp_month
from orchestration.sources import BY_NAME
from tests.integration.postgres_fixtures import erp_database, postgres_server  # noqa: F401

pytestmark = pytest.mark.xdist_group("postgres")

ENTITIES = ["erp_sales_order_lines", "erp_customers", "erp_items"]
PASSWORD_VARIABLE = "SOP_TEST_ERP_PASSWORD"


@pytest.fixture
def erp_with_two_months(erp_database, tmp_path):  # noqa: F811 (the fixture imported above)
    export = tmp_path / "erp_export"
    generate_company(export, seed=5, scale=0.05, through="2021-02")
    with psycopg.connect(erp_database.conninfo(), autocommit=True) as conn:
        create_erp_schema(conn, "erp")
        load_erp_month(conn, export, "2021-01", "erp")
        load_erp_month(conn, export, "2021-02", "erp")
    return dataclasses.replace(erp_database, schema="erp"), export


def _resource(connection, data_dir) -> SopDataResource:
    return SopDataResource(
        data_dir=str(data_dir),
        sources=SourceSystems(
            entities={"erp": "postgres"},
            postgres=PostgresSource(
                host=connection.host,
                port=connection.port,
                database=connection.database,
                user=connection.user,
                password=EnvVar(PASSWORD_VARIABLE),
                db_schema=connection.schema,
            ),
        ),
    )


def _run(resource: SopDataResource, instance: DagsterInstance, month: str):
    selected = [a for a in raw_assets if a.key.to_user_string().removeprefix("raw_") in ENTITIES]
    return materialize(selected, partition_key=f"{month}-01", resources={"sop_data": resource}, instance=instance)


def test_a_monthly_run_extracts_from_postgres_loads_the_month_and_shows_source_and_cursor(
    erp_with_two_months, tmp_path, monkeypatch
):
    connection, export = erp_with_two_months
    monkeypatch.setenv(PASSWORD_VARIABLE, connection.password)
    data = tmp_path / "data"
    # January came as files (before the switch to the connector); February is the month being closed
    for entity in ENTITIES:
        e = BY_NAME[entity]
        shutil.copytree(e.landing_dir(export, "2021-01"), e.landing_dir(data / "landing", "2021-01"))
    instance = DagsterInstance.ephemeral()
    result = _run(_resource(connection, data), instance, "2021-02")
    assert result.success

    lines = BY_NAME["erp_sales_order_lines"]
    # the month in landing holds exactly the demo ERP's rows of February
    demo = pd.read_parquet(next(lines.landing_dir(export, "2021-02").glob("*.parquet")))
    ours = pd.read_parquet(next(lines.landing_dir(data / "landing", "2021-02").glob("*.parquet")))
    key = list(lines.key)
    pd.testing.assert_frame_equal(
        ours.sort_values(key).reset_index(drop=True), demo.sort_values(key).reset_index(drop=True)
    )
    with duckdb.connect(str(data / "warehouse" / "sop.duckdb"), read_only=True) as con:
        assert con.execute(f"select count(*) from {lines.raw_table}").fetchone()[0] == len(demo)

    events = {e.asset_key.to_user_string(): e for e in result.get_asset_materialization_events()}
    meta = events["raw_erp_sales_order_lines"].materialization.metadata
    assert meta["source"].value == f"{connection.describe()} erp.sales_order_lines"
    assert meta["delivery"].value == "extracted"
    assert meta["cursor"].value == pd.Timestamp(demo["updated_at"].max()).isoformat()
    assert meta["extract_window"].value == "2021-01-31T21:00:00 .. 2021-03-01T00:00:00"
    assert meta["rows_extracted"].value == len(demo)

    # no event of the run (logs, metadata, errors) carries the password
    records = instance.all_logs(result.run_id)
    assert records and not [r for r in records if connection.password in str(r)]

    # the same month again: what was delivered is loaded, not extracted a second time
    again = _run(_resource(connection, data), instance, "2021-02")
    meta = {e.asset_key.to_user_string(): e for e in again.get_asset_materialization_events()}
    assert meta["raw_erp_sales_order_lines"].materialization.metadata["delivery"].value == "in landing"
    with duckdb.connect(str(data / "warehouse" / "sop.duckdb"), read_only=True) as con:
        assert con.execute(f"select count(*) from {lines.raw_table}").fetchone()[0] == len(demo)


def test_a_failed_connection_fails_the_asset_naming_the_entity_without_the_password(
    erp_with_two_months, tmp_path, monkeypatch
):
    connection, _ = erp_with_two_months
    wrong = dataclasses.replace(connection, password="not-" + connection.password)
    monkeypatch.setenv(PASSWORD_VARIABLE, wrong.password)
    instance = DagsterInstance.ephemeral()
    selected = [a for a in raw_assets if a.key.to_user_string() == "raw_erp_customers"]
    result = materialize(
        selected,
        partition_key="2021-01-01",
        resources={"sop_data": _resource(wrong, tmp_path / "data")},
        instance=instance,
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.step_failure_data.error.to_string()
    assert "erp_customers 2021-01: connect:" in message
    records = instance.all_logs(result.run_id)
    assert not [r for r in records if wrong.password in str(r) or connection.password in str(r)]
    assert not (tmp_path / "data" / "landing" / "erp" / "customers").exists()
