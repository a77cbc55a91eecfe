"""Tombstones: the keys a source marked deleted, loaded next to the rows so staging leaves them out.

A connector that reads a source which marks deletes (an ERP's ``is_deleted``, Salesforce's
``IsDeleted``) writes them into the month's landing folder as ``_deleted.json`` (key and the
version that deleted it). Ingestion loads that file with the month's rows into
``raw.deleted_records``, replacing the month like the rows themselves, and every staging model
of a delta or event entity filters its source with the macro ``exclude_deleted``: a key is left
out when a tombstone's version is at least as recent as the row's. Raw keeps every row.

The table is created from Python (here) and from dbt (macro ``ensure_deleted_records_table``,
run ``on-run-start``) with the same statements, so staging finds it on a warehouse where no
connector ever delivered a delete.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.sources import RAW_SCHEMA, SourceEntity

DELETED_RECORDS_TABLE = f"{RAW_SCHEMA}.deleted_records"
#: the tombstones file a connector writes into a month's landing folder
DELETED_FILE = "_deleted.json"
#: separates the key's values in ``record_key`` (as the landing files write them)
KEY_SEPARATOR = "|"

#: Column name -> DuckDB type, in table order.
DELETED_RECORDS_COLUMNS: dict[str, str] = {
    "entity": "VARCHAR",
    "record_key": "VARCHAR",
    "deleted_version": "TIMESTAMP",
    "_partition_month": "DATE",
    "_load_id": "VARCHAR",
    "_source_file": "VARCHAR",
}

#: The statements that create the table; ``dbt_project/macros/ensure_deleted_records_table.sql``
#: runs the very same ones (checked by ``tests/unit/test_deleted_records.py``).
DELETED_RECORDS_DDL: tuple[str, ...] = (
    f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}",
    f"CREATE TABLE IF NOT EXISTS {DELETED_RECORDS_TABLE} ("
    + ", ".join(f"{name} {sql_type}" for name, sql_type in DELETED_RECORDS_COLUMNS.items())
    + ")",
)


def ensure_deleted_records_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``raw.deleted_records`` if it does not exist (idempotent)."""
    for statement in DELETED_RECORDS_DDL:
        con.execute(statement)


def read_tombstones(entity: SourceEntity, folder: Path) -> list[dict]:
    """The tombstones of one month's landing folder (``[]`` when it has none)."""
    path = Path(folder) / DELETED_FILE
    if not path.exists():
        return []
    payload = json.loads(path.read_text())
    if payload.get("entity") != entity.name:
        raise ValueError(f"{path}: tombstones of {payload.get('entity')!r} in the folder of {entity.name}")
    return payload["deleted"]


def record_key(entity: SourceEntity, record: dict) -> str:
    """The key of a tombstone as staging compares it: the key's values as written, ``|``-joined."""
    return KEY_SEPARATOR.join(str(record[k]) for k in entity.key)


def replace_deleted_records(
    con: duckdb.DuckDBPyConnection,
    entity: SourceEntity,
    month: str,
    records: list[dict],
    load_id: str,
    source_file: str,
) -> int:
    """Replace ``entity``'s tombstones of ``month`` with ``records``; returns their count."""
    ensure_deleted_records_table(con)
    partition_month = datetime.strptime(month, "%Y-%m").date()
    frame = pd.DataFrame(
        {
            "entity": [entity.name] * len(records),
            "record_key": [record_key(entity, r) for r in records],
            "deleted_version": [_timestamp(r[entity.updated_at]) for r in records],
            "_partition_month": [partition_month] * len(records),
            "_load_id": [load_id] * len(records),
            "_source_file": [source_file] * len(records),
        }
    )
    con.execute(
        f"DELETE FROM {DELETED_RECORDS_TABLE} WHERE entity = ? AND _partition_month = ?",
        [entity.name, partition_month],
    )
    if records:
        con.register("_tombstones", frame)
        try:
            con.execute(f"INSERT INTO {DELETED_RECORDS_TABLE} SELECT * FROM _tombstones")
        finally:
            con.unregister("_tombstones")
    return len(records)


def _timestamp(text: str) -> datetime:
    value = pd.Timestamp(text)
    if value.tzinfo is not None:
        value = value.tz_convert(None)
    return value.to_pydatetime()
