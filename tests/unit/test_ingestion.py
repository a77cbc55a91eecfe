"""Loading a month into raw: idempotent, lossless, and clear about bad files."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.ingestion import IngestionError, LandingFolderReader, load_month, raw_table
from orchestration.sources import BY_NAME, CATALOG, LINEAGE_COLUMNS

FX = BY_NAME["market_fx_rates"]
SHIPMENTS = BY_NAME["erp_shipments"]


def write_fx(landing: Path, month: str, rows: list[tuple[str, str]], header: str | None = None) -> Path:
    folder = FX.landing_dir(landing, month)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"fx_rates_{month.replace('-', '')}.csv"
    header = header or "rate_month,currency_code,usd_per_unit,published_at"
    body = "".join(f"{month}-01,{cur},{rate},{month}-28T06:00:00Z\n" for cur, rate in rows)
    path.write_text(header + "\n" + body)
    return path


def write_shipments(landing: Path, month: str, n: int) -> Path:
    folder = SHIPMENTS.landing_dir(landing, month)
    folder.mkdir(parents=True, exist_ok=True)
    d = datetime.strptime(month, "%Y-%m").date()
    table = pa.table({
        "shipment_number": [f"S{month}-{i}" for i in range(n)],
        "order_number": [f"O{i}" for i in range(n)],
        "line_number": pa.array(range(1, n + 1), pa.int64()),
        "ship_date": pa.array([d] * n, pa.date32()),
        "site_code": ["US01"] * n,
        "quantity_shipped": pa.array([float(i) for i in range(n)], pa.float64()),
        "updated_at": pa.array([datetime(d.year, d.month, 27)] * n, pa.timestamp("us")),
    })
    path = folder / f"shipments_{month.replace('-', '')}.parquet"
    pq.write_table(table, path)
    return path


def data_rows(con, entity, month):
    cols = ", ".join(f'"{c}"' for c in entity.column_names) + ", _partition_month, _source_file, _source_row"
    return con.execute(
        f"SELECT {cols} FROM {raw_table(entity)} WHERE _partition_month = ? ORDER BY _source_row",
        [date.fromisoformat(month + "-01")],
    ).fetchall()


def test_reloading_a_month_replaces_exactly_that_month(tmp_path):
    landing = tmp_path / "landing"
    write_fx(landing, "2024-01", [("EUR", "1.08"), ("GBP", "1.27")])
    write_fx(landing, "2024-02", [("EUR", "1.09"), ("GBP", "1.26"), ("JPY", "0.0068")])
    reader = LandingFolderReader(landing)
    con = duckdb.connect()
    load_month(con, FX, "2024-01", reader, "load-1")
    load_month(con, FX, "2024-02", reader, "load-1")
    before_jan, before_feb = data_rows(con, FX, "2024-01"), data_rows(con, FX, "2024-02")

    result = load_month(con, FX, "2024-02", reader, "load-2")

    assert result.rows == 3
    assert data_rows(con, FX, "2024-01") == before_jan
    assert data_rows(con, FX, "2024-02") == before_feb
    assert con.execute(f"SELECT count(*) FROM {raw_table(FX)}").fetchone()[0] == 5
    loads = con.execute(f"SELECT DISTINCT _load_id FROM {raw_table(FX)} WHERE _partition_month = '2024-02-01'").fetchall()
    assert loads == [("load-2",)]


def test_csv_values_are_kept_as_delivered_text(tmp_path):
    landing = tmp_path / "landing"
    write_fx(landing, "2024-01", [("EUR", "1.0800"), ("GBP", "not-a-number")])
    con = duckdb.connect()
    load_month(con, FX, "2024-01", LandingFolderReader(landing), "l")
    rows = con.execute(f"SELECT usd_per_unit, _source_file, _source_row FROM {raw_table(FX)} ORDER BY _source_row").fetchall()
    assert rows == [
        ("1.0800", "market/fx_rates/2024-01/fx_rates_202401.csv", 1),
        ("not-a-number", "market/fx_rates/2024-01/fx_rates_202401.csv", 2),
    ]


def test_parquet_keeps_types_and_lineage(tmp_path):
    landing = tmp_path / "landing"
    write_shipments(landing, "2024-03", 4)
    con = duckdb.connect()
    result = load_month(con, SHIPMENTS, "2024-03", LandingFolderReader(landing), "l")
    assert result.rows == 4
    types = dict(con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'erp_shipments'"
    ).fetchall())
    assert types["quantity_shipped"] == "DOUBLE" and types["ship_date"] == "DATE"
    assert types["_source_row"] == "BIGINT" and types["_loaded_at"] == "TIMESTAMP"
    assert con.execute(f"SELECT sum(quantity_shipped) FROM {raw_table(SHIPMENTS)}").fetchone()[0] == 6.0


def test_missing_month_names_the_folder_and_leaves_raw_untouched(tmp_path):
    landing = tmp_path / "landing"
    write_fx(landing, "2024-01", [("EUR", "1.08")])
    con = duckdb.connect()
    reader = LandingFolderReader(landing)
    load_month(con, FX, "2024-01", reader, "l")
    with pytest.raises(IngestionError, match=r"market_fx_rates: no csv extract for 2024-02 .*market/fx_rates/2024-02"):
        load_month(con, FX, "2024-02", reader, "l")
    assert con.execute(f"SELECT count(*) FROM {raw_table(FX)}").fetchone()[0] == 1


def test_missing_column_names_file_column_and_rule_and_keeps_last_load(tmp_path):
    landing = tmp_path / "landing"
    write_fx(landing, "2024-01", [("EUR", "1.08")])
    con = duckdb.connect()
    reader = LandingFolderReader(landing)
    load_month(con, FX, "2024-01", reader, "good")
    # the next delivery of the same month lost a column
    path = write_fx(landing, "2024-01", [], header="rate_month,currency_code,published_at")
    path.write_text("rate_month,currency_code,published_at\n2024-01-01,EUR,2024-01-28T06:00:00Z\n")
    with pytest.raises(IngestionError) as err:
        load_month(con, FX, "2024-01", reader, "bad")
    message = str(err.value)
    assert "fx_rates_202401.csv" in message and "usd_per_unit" in message and "schema.required_columns" in message
    assert con.execute(f"SELECT _load_id, usd_per_unit FROM {raw_table(FX)}").fetchall() == [("good", "1.08")]


def test_header_only_file_loads_zero_rows(tmp_path):
    landing = tmp_path / "landing"
    write_fx(landing, "2024-01", [])
    con = duckdb.connect()
    assert load_month(con, FX, "2024-01", LandingFolderReader(landing), "l").rows == 0


def test_every_catalog_entity_gets_its_columns_plus_lineage():
    con = duckdb.connect()
    from orchestration.ingestion import ensure_raw_table

    for entity in CATALOG:
        ensure_raw_table(con, entity)
        cols = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema='raw' AND table_name=? "
            "ORDER BY ordinal_position", [entity.name]).fetchall()]
        assert cols == list(entity.column_names) + [c.name for c in LINEAGE_COLUMNS]
    assert len({e.name for e in CATALOG}) == len(CATALOG) == 20
