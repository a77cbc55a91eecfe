"""The PostgreSQL connector against a real server: what lands, exactly once, in chunks, after failures,
with deletes, without leaking the password, and the demo ERP replayed from a database.

Every test gets a fresh database on one throwaway server (``postgres_fixtures``). Expected rows are
written by hand in the tests, or read from the demo generator's own landing files with pandas.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import psycopg
import pytest
from psycopg import sql

from orchestration.connectors.errors import ConnectorError
from orchestration.connectors.extract import extract_month
from orchestration.connectors.postgres import PostgresConnection, PostgresConnector
from orchestration.demo import generate_company
from orchestration.demo.erp_database import create_erp_schema, load_erp_month, mark_deleted
from orchestration.demo.local_postgres import free_port
from orchestration.ingestion import LandingFolderReader, load_month
from orchestration.sources import CATALOG, SourceEntity, entity
from tests.integration.postgres_fixtures import erp_database, postgres_server  # noqa: F401

pytestmark = pytest.mark.xdist_group("postgres")

LAG = timedelta(hours=3)
CUSTOMERS = entity("erp_customers")
ORDER_LINES = entity("erp_sales_order_lines")
ERP = [e for e in CATALOG if e.system == "erp"]


# ---------------------------------------------------------------- helpers
@pytest.fixture
def erp(erp_database: PostgresConnection) -> PostgresConnection:  # noqa: F811
    """A fresh database holding the empty ERP schema."""
    with psycopg.connect(erp_database.conninfo()) as conn:
        create_erp_schema(conn)
    return erp_database


def insert(connection: PostgresConnection, source: SourceEntity, rows: list[dict]) -> None:
    """Commit hand-written rows into the entity's table, as the ERP would."""
    names = list(rows[0])
    statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier("erp", source.entity),
        sql.SQL(", ").join(map(sql.Identifier, names)),
        sql.SQL(", ").join(sql.Placeholder() * len(names)),
    )
    with psycopg.connect(connection.conninfo()) as conn, conn.cursor() as cursor:
        cursor.executemany(statement, [[row[n] for n in names] for row in rows])


def execute(connection: PostgresConnection, statement: str, params: tuple = ()) -> None:
    with psycopg.connect(connection.conninfo()) as conn:
        conn.execute(statement, params)


def customer(number: str, updated_at: str, name: str | None = None) -> dict:
    return {
        "customer_number": number,
        "customer_name": name or f"Customer {number}",
        "country_code": "DE",
        "region_code": "EUR",
        "currency_code": "EUR",
        "payment_terms": "NET30",
        "created_at": datetime(2020, 5, 4, 3, 2, 1),
        "updated_at": datetime.fromisoformat(updated_at),
    }


def order_line(order: str, line: int, updated_at: str, promo: str | None = None) -> dict:
    return {
        "order_number": order,
        "line_number": line,
        "order_date": datetime.fromisoformat(updated_at).date(),
        "customer_number": "C1",
        "sku": f"SKU-{line}",
        "quantity": 3 + line,
        "unit_price": 19.99,
        "currency_code": "EUR",
        "requested_date": date(2024, 5, 1),
        "promo_code": promo,
        "crm_opportunity_id": None,
        "updated_at": datetime.fromisoformat(updated_at),
    }


def csv_rows(root: Path, source: SourceEntity, month: str) -> list[list[str]]:
    """The month's CSV data rows exactly as written."""
    (path,) = source.landing_dir(root, month).glob("*.csv")
    return pd.read_csv(path, dtype=str, keep_default_na=False).values.tolist()


def folder_bytes(root: Path, source: SourceEntity, month: str) -> dict[str, bytes]:
    folder = source.landing_dir(root, month)
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def manifest(root: Path, source: SourceEntity, month: str) -> dict:
    return json.loads((source.landing_dir(root, month) / "_extract.json").read_text())


# ---------------------------------------------------------------- what lands
def test_a_month_of_hand_written_rows_lands_exactly(erp, tmp_path):
    insert(
        erp,
        CUSTOMERS,
        [
            customer("C1", "2024-02-10T08:00:00"),
            customer("C2", "2024-03-05T12:30:00"),
            customer("C3", "2024-03-31T23:59:59", name='Smith, "Junior" & Co'),
            customer("C4", "2024-04-01T00:00:00"),
        ],
    )
    insert(
        erp,
        ORDER_LINES,
        [
            order_line("SO1", 1, "2024-03-02T09:15:00", promo="SPRING"),
            order_line("SO1", 2, "2024-03-02T09:15:00"),
            order_line("SO2", 1, "2024-03-31T22:15:30"),
            order_line("SO3", 1, "2024-04-02T10:00:00"),
        ],
    )
    connector = PostgresConnector(erp)
    extract_month(connector, CUSTOMERS, "2024-02", tmp_path, LAG)
    extract_month(connector, CUSTOMERS, "2024-03", tmp_path, LAG)
    extract_month(connector, ORDER_LINES, "2024-03", tmp_path, LAG)

    assert csv_rows(tmp_path, CUSTOMERS, "2024-02") == [
        ["C1", "Customer C1", "DE", "EUR", "EUR", "NET30", "2020-05-04T03:02:01Z", "2024-02-10T08:00:00Z"]
    ]
    assert csv_rows(tmp_path, CUSTOMERS, "2024-03") == [
        ["C2", "Customer C2", "DE", "EUR", "EUR", "NET30", "2020-05-04T03:02:01Z", "2024-03-05T12:30:00Z"],
        ["C3", 'Smith, "Junior" & Co', "DE", "EUR", "EUR", "NET30", "2020-05-04T03:02:01Z", "2024-03-31T23:59:59Z"],
    ]
    march = manifest(tmp_path, CUSTOMERS, "2024-03")
    assert (march["since"], march["until"], march["cursor"]) == (
        "2024-02-29T21:00:00",
        "2024-04-01T00:00:00",
        "2024-03-31T23:59:59",
    )
    assert (march["rows"], march["deleted"], march["connector"]) == (2, 0, "postgresql")
    assert march["source"] == f"postgresql://sop@127.0.0.1:{erp.port}/{erp.database} erp.customers"
    assert march["files"] == ["erp/customers/2024-03/customers_202403.csv"]

    (parquet,) = ORDER_LINES.landing_dir(tmp_path, "2024-03").glob("*.parquet")
    lines = pd.read_parquet(parquet)
    assert list(lines.columns) == list(ORDER_LINES.column_names)
    assert lines.to_dict("records") == [
        {**order_line("SO1", 1, "2024-03-02T09:15:00", promo="SPRING"), "quantity": 4.0},
        {**order_line("SO1", 2, "2024-03-02T09:15:00"), "quantity": 5.0},
        {**order_line("SO2", 1, "2024-03-31T22:15:30"), "quantity": 4.0},
    ]
    first = manifest(tmp_path, ORDER_LINES, "2024-03")
    assert (first["since"], first["until"], first["cursor"], first["rows"]) == (
        None,
        "2024-04-01T00:00:00",
        "2024-03-31T22:15:30",
        3,
    )


def test_each_version_is_delivered_exactly_once(erp, tmp_path):
    insert(
        erp,
        CUSTOMERS,
        [
            customer("A", "2024-03-10T10:00:00"),
            customer("B", "2024-03-31T22:00:00"),  # inside April's lag window
            customer("C", "2024-03-15T09:00:00"),
        ],
    )
    connector = PostgresConnector(erp)
    extract_month(connector, CUSTOMERS, "2024-03", tmp_path, LAG)
    march = folder_bytes(tmp_path, CUSTOMERS, "2024-03")
    extract_month(connector, CUSTOMERS, "2024-03", tmp_path, LAG)
    assert folder_bytes(tmp_path, CUSTOMERS, "2024-03") == march

    # committed after March's extract, with a version inside March's last hour: a late transaction
    insert(erp, CUSTOMERS, [customer("D", "2024-03-31T23:30:00")])
    execute(
        erp,
        "UPDATE erp.customers SET customer_name = 'C renamed', updated_at = '2024-04-05 10:00:00' "
        "WHERE customer_number = 'C'",
    )
    extract_month(connector, CUSTOMERS, "2024-04", tmp_path, LAG)
    extract_month(connector, CUSTOMERS, "2024-05", tmp_path, LAG)

    assert [r[0] for r in csv_rows(tmp_path, CUSTOMERS, "2024-03")] == ["A", "B", "C"]
    assert [(r[0], r[1], r[7]) for r in csv_rows(tmp_path, CUSTOMERS, "2024-04")] == [
        ("C", "C renamed", "2024-04-05T10:00:00Z"),
        ("D", "Customer D", "2024-03-31T23:30:00Z"),
    ]
    assert manifest(tmp_path, CUSTOMERS, "2024-04")["already_delivered"] == 1  # B, read again by the lag window
    assert csv_rows(tmp_path, CUSTOMERS, "2024-05") == []
    assert folder_bytes(tmp_path, CUSTOMERS, "2024-03") == march


def test_chunks_of_three_rows_give_the_same_file_as_one_chunk(erp, tmp_path):
    insert(erp, ORDER_LINES, [order_line(f"SO{n:02d}", 1, f"2024-03-{n + 1:02d}T08:00:00") for n in range(10)])
    extract_month(PostgresConnector(erp, chunk_rows=3), ORDER_LINES, "2024-03", tmp_path / "small", LAG)
    extract_month(PostgresConnector(erp), ORDER_LINES, "2024-03", tmp_path / "whole", LAG)

    small, whole = (
        manifest(tmp_path / "small", ORDER_LINES, "2024-03"),
        manifest(tmp_path / "whole", ORDER_LINES, "2024-03"),
    )
    assert (small["chunks"], whole["chunks"], small["rows"], whole["rows"]) == (4, 1, 10, 10)
    name = "sales_order_lines_202403.parquet"
    assert (
        folder_bytes(tmp_path / "small", ORDER_LINES, "2024-03")[name]
        == folder_bytes(tmp_path / "whole", ORDER_LINES, "2024-03")[name]
    )
    assert pd.read_parquet(ORDER_LINES.landing_dir(tmp_path / "small", "2024-03") / name)["order_number"].tolist() == [
        f"SO{n:02d}" for n in range(10)
    ]


class TerminatedAfterFirstChunk:
    """The real connector, whose server session is killed (``pg_terminate_backend``, from a second
    session) once it has delivered its first chunk."""

    kind = "postgresql"

    def __init__(self, connection: PostgresConnection, chunk_rows: int) -> None:
        self.admin = connection
        self.name = f"victim-{uuid.uuid4().hex[:8]}"
        self.connector = PostgresConnector(dataclasses.replace(connection, application_name=self.name), chunk_rows)
        self.terminated: list[bool] = []

    def describe(self, source: SourceEntity) -> str:
        return self.connector.describe(source)

    def secrets(self) -> tuple[str, ...]:
        return self.connector.secrets()

    def fetch(self, source, window):
        chunks = self.connector.fetch(source, window)
        yield next(chunks)
        with psycopg.connect(self.admin.conninfo(), autocommit=True) as admin:
            self.terminated = [
                ok
                for (ok,) in admin.execute(
                    "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE application_name = %s",
                    [self.name],
                ).fetchall()
            ]
        yield from chunks


def test_a_session_killed_mid_extract_changes_nothing_and_a_rerun_succeeds(erp, tmp_path):
    root, month = tmp_path / "landing", "2024-03"
    insert(erp, ORDER_LINES, [order_line(f"SO{n}", 1, f"2024-03-{n + 1:02d}T08:00:00") for n in range(7)])
    extract_month(PostgresConnector(erp, chunk_rows=3), ORDER_LINES, month, root, LAG)
    before = folder_bytes(root, ORDER_LINES, month)
    insert(erp, ORDER_LINES, [order_line(f"SO{n}", 1, f"2024-03-{n + 1:02d}T08:00:00") for n in range(7, 10)])

    killer = TerminatedAfterFirstChunk(erp, chunk_rows=3)
    with pytest.raises(ConnectorError) as failure:
        extract_month(killer, ORDER_LINES, month, root, LAG)
    assert killer.terminated == [True]
    assert (failure.value.entity, failure.value.month, failure.value.where) == (
        "erp_sales_order_lines",
        month,
        "chunk 2 (rows 4-6)",
    )
    assert str(failure.value).startswith("erp_sales_order_lines 2024-03: chunk 2 (rows 4-6): ")
    assert folder_bytes(root, ORDER_LINES, month) == before
    assert sorted(p.name for p in ORDER_LINES.landing_dir(root, month).parent.iterdir()) == [month]

    extract_month(PostgresConnector(erp, chunk_rows=3), ORDER_LINES, month, root, LAG)
    extract_month(PostgresConnector(erp, chunk_rows=3), ORDER_LINES, month, tmp_path / "undisturbed", LAG)
    after = folder_bytes(root, ORDER_LINES, month)
    assert after == folder_bytes(tmp_path / "undisturbed", ORDER_LINES, month)
    assert after != before
    assert manifest(root, ORDER_LINES, month)["rows"] == 10


def test_a_row_marked_deleted_becomes_a_tombstone_of_the_next_month(erp, tmp_path):
    insert(erp, CUSTOMERS, [customer("A", "2024-03-10T10:00:00"), customer("B", "2024-03-11T10:00:00")])
    connector = PostgresConnector(erp)
    extract_month(connector, CUSTOMERS, "2024-03", tmp_path, LAG)
    with psycopg.connect(erp.conninfo()) as conn:
        assert mark_deleted(conn, CUSTOMERS, ["A"], datetime(2024, 4, 2, 8, 0)) == 1
    extract_month(connector, CUSTOMERS, "2024-04", tmp_path, LAG)

    folder = CUSTOMERS.landing_dir(tmp_path, "2024-04")
    tombstones = json.loads((folder / "_deleted.json").read_text())
    assert tombstones["deleted"] == [{"customer_number": "A", "updated_at": "2024-04-02T08:00:00Z"}]
    assert csv_rows(tmp_path, CUSTOMERS, "2024-04") == []
    assert manifest(tmp_path, CUSTOMERS, "2024-04")["deleted"] == 1
    assert not (CUSTOMERS.landing_dir(tmp_path, "2024-03") / "_deleted.json").exists()


# ---------------------------------------------------------------- secrets
def test_the_password_never_shows(erp, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    password = erp.password
    insert(erp, CUSTOMERS, [customer("A", "2024-03-10T10:00:00")])

    from_url = PostgresConnection.from_url(
        f"postgresql://sop:{password}@127.0.0.1:{erp.port}/{erp.database}?schema=erp"
    )
    assert from_url == erp
    assert password not in repr(from_url) and password not in from_url.describe()
    extract_month(PostgresConnector(from_url), CUSTOMERS, "2024-03", tmp_path / "ok", LAG)
    assert password not in (CUSTOMERS.landing_dir(tmp_path / "ok", "2024-03") / "_extract.json").read_text()

    wrong_password = dataclasses.replace(erp, password=f"wrong-{password}")
    cases = {
        "wrong port": (dataclasses.replace(erp, port=free_port()), "refused"),
        "wrong host": (dataclasses.replace(erp, host="127.0.0.2"), "refused"),
        "wrong password": (wrong_password, "password authentication failed"),
    }
    for case, (connection, symptom) in cases.items():
        with pytest.raises(ConnectorError) as failure:
            extract_month(PostgresConnector(connection), CUSTOMERS, "2024-03", tmp_path / "failed", LAG)
        message = str(failure.value)
        assert failure.value.where == "connect", case
        assert symptom in message, (case, message)
        assert password not in message and password not in repr(failure.value.args), case
        assert not (tmp_path / "failed").exists(), case
    assert "erp_customers 2024-03" in caplog.text  # the connector did log, at DEBUG
    assert password not in caplog.text


# ---------------------------------------------------------------- the demo ERP from a database
def _sorted(frame: pd.DataFrame, source: SourceEntity) -> pd.DataFrame:
    return frame.sort_values(list(source.key), kind="stable").reset_index(drop=True)


def _demo_file(root: Path, source: SourceEntity, month: str) -> pd.DataFrame:
    (path,) = source.landing_dir(root, month).glob(f"*{source.file_suffix}")
    if source.file_format == "csv":
        return _sorted(pd.read_csv(path, dtype=str, keep_default_na=False), source)
    return _sorted(pd.read_parquet(path), source)


def _raw_month(root: Path, source: SourceEntity, month: str) -> pd.DataFrame:
    with duckdb.connect() as con:
        loaded = load_month(
            con, source, month, LandingFolderReader(root), load_id="test", loaded_at=datetime(2024, 1, 1)
        )
        columns = ", ".join(f'"{c}"' for c in (*source.column_names, "_partition_month", "_source_file"))
        frame = con.execute(f"SELECT {columns} FROM {source.raw_table}").df()
    assert loaded.rows == len(frame)
    return _sorted(frame, source)


def test_the_demo_erp_replayed_from_a_database_extracts_to_the_demo_files(erp, tmp_path):
    demo, extracted = tmp_path / "demo", tmp_path / "extracted"
    months = ["2021-01", "2021-02", "2021-03"]
    generate_company(demo, seed=11, scale=0.02, start=months[0], through=months[-1])

    with psycopg.connect(erp.conninfo()) as conn:
        for month in months:
            applied = load_erp_month(conn, demo, month)
            assert applied == {e.name: len(_demo_file(demo, e, month)) for e in ERP}, month
            for source in ERP:
                extract_month(PostgresConnector(erp), source, month, extracted, LAG)

    upserted = 0
    for source in ERP:
        for month in months:
            expected, got = _demo_file(demo, source, month), _demo_file(extracted, source, month)
            pd.testing.assert_frame_equal(got, expected, obj=f"{source.name} {month}")
            raw_expected, raw_got = _raw_month(demo, source, month), _raw_month(extracted, source, month)
            pd.testing.assert_frame_equal(raw_got, raw_expected, obj=f"raw {source.name} {month}")
        if source.extract == "delta":
            keys = pd.concat([_demo_file(demo, source, m) for m in months])[list(source.key)]
            upserted += int(keys.duplicated().sum())
    assert upserted > 0  # the tiny company does change a customer twice: the upsert was exercised
