"""Publishing swaps a complete new version in; readers are never refused nor see half of one."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest

from orchestration.publishing import PublishError, current_publication, publish_marts


def build_warehouse(path: Path, revenue: float, rows: int = 3) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute("CREATE SCHEMA IF NOT EXISTS staging")
        con.execute(
            "CREATE OR REPLACE TABLE marts.revenue AS SELECT range AS month, ?::DOUBLE AS amount FROM range(?)",
            [revenue, rows],
        )
        con.execute("CREATE OR REPLACE TABLE marts.pipeline AS SELECT ?::DOUBLE * 2 AS amount", [revenue])
        con.execute("CREATE OR REPLACE VIEW marts.not_published AS SELECT 1 AS x")
        con.execute("CREATE OR REPLACE TABLE staging.hidden AS SELECT 1 AS x")


def test_publish_copies_mart_tables_to_duckdb_and_parquet(tmp_path):
    wh = tmp_path / "wh.duckdb"
    build_warehouse(wh, 10.0)
    result = publish_marts(wh, tmp_path / "serve", run_id="r1", months=("2024-01-01", "2024-03-01"))
    assert result.tables == {"pipeline": 1, "revenue": 3}
    with duckdb.connect(str(result.serve_db), read_only=True) as con:
        assert con.execute("SELECT sum(amount) FROM revenue").fetchone()[0] == 30.0
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert tables == {"revenue", "pipeline", "sop_publication"}
    parquet = tmp_path / "serve" / "parquet" / "current"
    assert parquet.is_symlink()
    assert duckdb.connect().execute(f"SELECT sum(amount) FROM '{parquet}/revenue.parquet'").fetchone()[0] == 30.0
    pub = current_publication(result.serve_db)
    assert pub["run_id"] == "r1" and str(pub["run_last_month"]) == "2024-03-01" and pub["tables"]["revenue"] == 3
    assert pub["first_month"] is None and pub["last_month"] is None  # no revenue mart: no months held


def test_the_publication_records_the_months_the_marts_hold_not_only_the_run_range(tmp_path):
    wh = tmp_path / "wh.duckdb"
    build_warehouse(wh, 10.0)
    with duckdb.connect(str(wh)) as con:
        con.execute(
            "CREATE TABLE marts.revenue_by_region_family_monthly AS SELECT CAST(m AS DATE) AS revenue_month "
            "FROM generate_series(DATE '2021-01-01', DATE '2024-03-01', INTERVAL 1 MONTH) t(m)"
        )
    result = publish_marts(wh, tmp_path / "serve", run_id="r2", months=("2024-03-01", "2024-03-01"))
    pub = current_publication(result.serve_db)
    assert (f"{pub['first_month']:%Y-%m}", f"{pub['last_month']:%Y-%m}") == ("2021-01", "2024-03")
    assert (f"{pub['run_first_month']:%Y-%m}", f"{pub['run_last_month']:%Y-%m}") == ("2024-03", "2024-03")


def test_reader_is_never_refused_and_sees_old_version_during_publish(tmp_path):
    wh, serve = tmp_path / "wh.duckdb", tmp_path / "serve"
    build_warehouse(wh, 10.0)
    publish_marts(wh, serve, run_id="v1")
    build_warehouse(wh, 20.0, rows=5)

    seen_during: list = []
    held = duckdb.connect(str(serve / "sop.duckdb"), read_only=True)  # a BI session open all along

    def while_half_published(tmp_file: Path) -> None:
        # the new file is complete but not swapped in: a new reader connects fine and sees v1
        with duckdb.connect(str(serve / "sop.duckdb"), read_only=True) as reader:
            seen_during.append(reader.execute("SELECT count(*), sum(amount) FROM revenue").fetchone())
            seen_during.append(reader.execute("SELECT run_id FROM sop_publication").fetchone()[0])
        seen_during.append(sorted(p.name for p in (serve / "parquet" / "current").iterdir()))

    publish_marts(wh, serve, run_id="v2", before_swap=while_half_published)

    assert seen_during[0] == (3, 30.0) and seen_during[1] == "v1"
    assert "revenue.parquet" in seen_during[2]
    # the held session still reads its version, consistently
    assert held.execute("SELECT count(*), sum(amount) FROM revenue").fetchone() == (3, 30.0)
    held.close()
    with duckdb.connect(str(serve / "sop.duckdb"), read_only=True) as reader:
        assert reader.execute("SELECT count(*), sum(amount) FROM revenue").fetchone() == (5, 100.0)
        assert reader.execute("SELECT run_id FROM sop_publication").fetchone()[0] == "v2"


def test_readers_hammering_during_publishes_always_see_a_whole_version(tmp_path):
    """Concurrent readers never fail to connect and never see a mix of two versions."""
    wh, serve = tmp_path / "wh.duckdb", tmp_path / "serve"
    build_warehouse(wh, 1.0)
    publish_marts(wh, serve, run_id="v0")
    errors: list[Exception] = []
    observations: list[tuple] = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                with duckdb.connect(str(serve / "sop.duckdb"), read_only=True) as con:
                    rev = con.execute("SELECT sum(amount) / count(*) FROM revenue").fetchone()[0]
                    pipe = con.execute("SELECT amount FROM pipeline").fetchone()[0]
                    observations.append((rev, pipe))
            except Exception as exc:  # noqa: BLE001 - any refusal is the failure under test
                errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for i in range(2, 8):
        build_warehouse(wh, float(i))
        publish_marts(wh, serve, run_id=f"v{i}")
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert len(observations) > 5
    assert all(pipe == 2 * rev for rev, pipe in observations), "a reader saw tables from two versions"


def test_old_parquet_versions_are_pruned(tmp_path):
    wh, serve = tmp_path / "wh.duckdb", tmp_path / "serve"
    build_warehouse(wh, 1.0)
    for i in range(5):
        publish_marts(wh, serve, run_id=f"v{i}")
    versions = [p for p in (serve / "parquet").iterdir() if p.is_dir() and not p.is_symlink()]
    assert len(versions) == 3
    assert not list(serve.glob(".*.tmp"))


def test_nothing_to_publish_is_an_error_and_keeps_the_last_version(tmp_path):
    wh, serve = tmp_path / "wh.duckdb", tmp_path / "serve"
    build_warehouse(wh, 1.0)
    publish_marts(wh, serve, run_id="good")
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(PublishError, match="nothing to publish"):
        publish_marts(empty, serve, run_id="bad")
    assert current_publication(serve / "sop.duckdb")["run_id"] == "good"
    assert not list(serve.glob(".*.tmp"))


def test_only_the_declared_tables_are_published_and_a_missing_one_stops_the_publication(tmp_path):
    wh = tmp_path / "wh.duckdb"
    build_warehouse(wh, 10.0)
    result = publish_marts(wh, tmp_path / "serve", run_id="r1", declared=["revenue"])
    assert set(result.tables) == {"revenue"}
    with duckdb.connect(str(result.serve_db), read_only=True) as con:
        published = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    assert "pipeline" not in published and "revenue" in published
    assert sorted(p.stem for p in result.parquet_dir.glob("*.parquet")) == ["revenue"]
    with pytest.raises(PublishError, match="declared tables missing .*marts.forecast_accuracy"):
        publish_marts(wh, tmp_path / "serve", run_id="r2", declared=["revenue", "forecast_accuracy"])
    with duckdb.connect(str(result.serve_db), read_only=True) as con:
        assert con.execute("SELECT run_id FROM sop_publication").fetchone()[0] == "r1"


def test_a_declared_table_of_another_schema_is_published_under_its_own_name(tmp_path):
    wh = tmp_path / "wh.duckdb"
    build_warehouse(wh, 10.0)
    with duckdb.connect(str(wh)) as con:
        con.execute("CREATE SCHEMA forecast")
        con.execute("CREATE TABLE forecast.demand_forecast AS SELECT 42 AS forecast_units")
        # a table of the same name in marts is not what was declared
        con.execute("CREATE TABLE marts.demand_forecast AS SELECT -1 AS forecast_units")
    result = publish_marts(wh, tmp_path / "serve", run_id="r1", declared=["revenue", "forecast.demand_forecast"])
    assert result.tables == {"demand_forecast": 1, "revenue": result.tables["revenue"]}
    with duckdb.connect(str(result.serve_db), read_only=True) as con:
        assert con.execute("SELECT forecast_units FROM demand_forecast").fetchone() == (42,)
    with pytest.raises(PublishError, match="declared tables missing .*forecast.revenue_forecast"):
        publish_marts(wh, tmp_path / "serve", run_id="r2", declared=["revenue", "forecast.revenue_forecast"])


def test_the_publication_table_is_declared_to_dbt_column_by_column(tmp_path):
    import yaml

    from orchestration.publishing import PUBLICATION_COLUMNS
    from orchestration.settings import DBT_PROJECT_DIR

    declared = yaml.safe_load((DBT_PROJECT_DIR / "models/staging/serving/_serving__sources.yml").read_text())
    (table,) = declared["sources"][0]["tables"]
    assert table["name"] == "sop_publication"
    assert [(c["name"], c["data_type"], c["description"]) for c in table["columns"]] == [
        (name, sql_type.lower(), text) for name, (sql_type, text) in PUBLICATION_COLUMNS.items()
    ]
    # and the table a publication writes has exactly those columns
    wh = tmp_path / "wh.duckdb"
    build_warehouse(wh, 1.0)
    result = publish_marts(wh, tmp_path / "serve", run_id="r1")
    with duckdb.connect(str(result.serve_db), read_only=True) as con:
        written = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'sop_publication' ORDER BY ordinal_position"
        ).fetchall()
    assert written == [(name, sql_type) for name, (sql_type, _) in PUBLICATION_COLUMNS.items()]
