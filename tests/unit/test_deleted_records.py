"""Tombstones: one DDL for Python and dbt, loaded with their month, honoured by every staging model."""

from __future__ import annotations

import json
import re

import duckdb
import jinja2
import pandas as pd

from orchestration.connectors.landing_files import write_extract
from orchestration.deleted_records import (
    DELETED_FILE,
    DELETED_RECORDS_COLUMNS,
    DELETED_RECORDS_DDL,
    DELETED_RECORDS_TABLE,
    ensure_deleted_records_table,
)
from orchestration.ingestion import IngestionError, LandingFolderReader, load_month
from orchestration.settings import DBT_PROJECT_DIR
from orchestration.sources import BY_NAME, CATALOG

ORDER_LINES = BY_NAME["erp_sales_order_lines"]
CUSTOMERS = BY_NAME["erp_customers"]


def test_dbt_macro_runs_the_same_ddl_as_python():
    text = (DBT_PROJECT_DIR / "macros" / "ensure_deleted_records_table.sql").read_text()
    body = re.search(r"-- ddl:begin\n(.*?)-- ddl:end", text, re.S).group(1)
    assert [s.strip() for s in body.split(";") if s.strip()] == list(DELETED_RECORDS_DDL)
    hooks = (DBT_PROJECT_DIR / "dbt_project.yml").read_text()
    assert "ensure_deleted_records_table()" in hooks.split("on-run-start:")[1].split("\n\n")[0]


def test_table_has_the_agreed_columns_and_creation_is_idempotent():
    con = duckdb.connect()
    ensure_deleted_records_table(con)
    ensure_deleted_records_table(con)
    cols = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'raw' and table_name = 'deleted_records' order by ordinal_position"
    ).fetchall()
    assert cols == list(DELETED_RECORDS_COLUMNS.items())


def test_every_delta_and_event_staging_model_leaves_out_deleted_keys():
    staging = DBT_PROJECT_DIR / "models" / "staging"
    for entity in CATALOG:
        sql = "".join((staging / entity.system / f"stg_{entity.system}__{entity.entity}.sql").read_text().split())
        keys = ",".join(f"'{k}'" for k in entity.key)
        call = f"exclude_deleted('{entity.name}',[{keys}],'{entity.updated_at}')"
        assert sql.count(call) == (0 if entity.extract == "snapshot" else 1), entity.name


def _order_lines(rows: list[tuple[str, int, str]]) -> pd.DataFrame:
    """(order number, line number, updated_at) -> a month of order lines."""
    return pd.DataFrame(
        {
            "order_number": [r[0] for r in rows],
            "line_number": [r[1] for r in rows],
            "order_date": pd.to_datetime(["2024-03-04"] * len(rows)),
            "customer_number": ["C1"] * len(rows),
            "sku": ["SKU-1"] * len(rows),
            "quantity": [2.0] * len(rows),
            "unit_price": [10.0] * len(rows),
            "currency_code": ["USD"] * len(rows),
            "requested_date": pd.to_datetime(["2024-03-20"] * len(rows)),
            "promo_code": [None] * len(rows),
            "crm_opportunity_id": [None] * len(rows),
            "updated_at": pd.to_datetime([r[2] for r in rows]),
        }
    )


def _tombstones(folder, entity, records):
    (folder / DELETED_FILE).write_text(json.dumps({"entity": entity.name, "key": list(entity.key), "deleted": records}))


def _exclude_condition(entity) -> str:
    text = (DBT_PROJECT_DIR / "macros" / "exclude_deleted.sql").read_text()
    module = jinja2.Environment().from_string(text).module
    return str(module.exclude_deleted(entity.name, list(entity.key), entity.updated_at, "raw_rows"))


def test_a_month_loads_its_tombstones_and_staging_leaves_out_keys_deleted_at_or_after_the_row(tmp_path):
    con = duckdb.connect()
    lines = _order_lines(
        [("SO1", 1, "2024-03-05 10:00:00"), ("SO1", 2, "2024-03-05 10:00:00"), ("SO2", 1, "2024-03-06 09:00:00")]
    )
    path = write_extract(tmp_path, ORDER_LINES, "2024-03", lines)
    # SO1/2 deleted after it was written: gone; SO2/1 "deleted" before its own version: it was re-created, kept
    _tombstones(
        path.parent,
        ORDER_LINES,
        [
            {"order_number": "SO1", "line_number": "2", "updated_at": "2024-03-07T08:00:00Z"},
            {"order_number": "SO2", "line_number": "1", "updated_at": "2024-03-01T00:00:00Z"},
        ],
    )
    result = load_month(con, ORDER_LINES, "2024-03", LandingFolderReader(tmp_path), "run1")
    assert (result.rows, result.deleted) == (3, 2)
    kept = con.execute(
        f"select order_number, line_number from {ORDER_LINES.raw_table} as raw_rows "
        f"where {_exclude_condition(ORDER_LINES)} order by 1, 2"
    ).fetchall()
    assert kept == [("SO1", 1), ("SO2", 1)]

    # the month re-delivered without tombstones: its tombstones are replaced, not kept
    (path.parent / DELETED_FILE).unlink()
    assert load_month(con, ORDER_LINES, "2024-03", LandingFolderReader(tmp_path), "run2").deleted == 0
    assert con.execute(f"select count(*) from {DELETED_RECORDS_TABLE}").fetchone() == (0,)


def test_csv_keys_and_versions_compare_as_the_landing_file_writes_them(tmp_path):
    con = duckdb.connect()
    customers = pd.DataFrame(
        {
            "customer_number": ["C1", "C2"],
            "customer_name": ["Acme", "Bolt"],
            "country_code": ["US", "US"],
            "region_code": ["NAM", "NAM"],
            "currency_code": ["USD", "USD"],
            "payment_terms": ["N30", "N30"],
            "created_at": pd.to_datetime(["2024-01-01", "2024-01-01"]),
            "updated_at": pd.to_datetime(["2024-03-02 10:00:00", "2024-03-02 10:00:00"]),
        }
    )
    path = write_extract(tmp_path, CUSTOMERS, "2024-03", customers)
    _tombstones(path.parent, CUSTOMERS, [{"customer_number": "C2", "updated_at": "2024-03-02T10:00:00Z"}])
    load_month(con, CUSTOMERS, "2024-03", LandingFolderReader(tmp_path), "run1")
    kept = con.execute(
        f"select customer_number from {CUSTOMERS.raw_table} as raw_rows where {_exclude_condition(CUSTOMERS)}"
    ).fetchall()
    assert kept == [("C1",)]


def test_unreadable_tombstones_name_the_file_and_rule_and_load_nothing(tmp_path):
    con = duckdb.connect()
    path = write_extract(tmp_path, ORDER_LINES, "2024-03", _order_lines([("SO1", 1, "2024-03-05 10:00:00")]))
    (path.parent / DELETED_FILE).write_text(json.dumps({"entity": "erp_invoices", "deleted": []}))
    try:
        load_month(con, ORDER_LINES, "2024-03", LandingFolderReader(tmp_path), "run1")
    except IngestionError as exc:
        assert exc.rule == "tombstones.readable"
        assert exc.file == "erp/sales_order_lines/2024-03/_deleted.json"
    else:
        raise AssertionError("a tombstones file of another entity was accepted")
    assert con.execute("select count(*) from information_schema.tables where table_schema = 'raw'").fetchone() == (0,)
