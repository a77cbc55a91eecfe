"""The demo company's ERP as a PostgreSQL database, so the monthly cycle can be run from a real database.

The demo generator writes the ERP's monthly extracts as landing files. This module plays them back
into PostgreSQL as the ERP would have changed during each month, so ``PostgresConnector`` can
extract them again and anyone can see the cycle run from a live source:

- ``create_erp_schema`` creates one table per ERP entity of the source catalog, with the catalog's
  columns and types (``numeric(18, scale)`` for decimals, ``timestamp`` holding UTC), the entity key
  as primary key, a soft-delete flag ``is_deleted`` and an index on the ``updated_at`` column;
- ``load_erp_month`` applies one month of landing files in one transaction: a snapshot entity's table
  becomes the month's snapshot, a delta or event entity's rows are upserted on the key (bulk-loaded
  with ``COPY`` into a temporary table first);
- ``mark_deleted`` soft-deletes rows (a tombstone for the connector to deliver).

The landing files are only read: CSV text goes to the database exactly as written (PostgreSQL
parses it into the column types), Parquet keeps its types.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from psycopg import sql

from orchestration.connectors.postgres import IS_DELETED
from orchestration.sources import CATALOG, Column, SourceEntity
from orchestration.sources import entity as catalog_entity

#: PostgreSQL type of each catalog type (decimals: ``numeric(18, <scale>)``)
PG_TYPES: dict[str, str] = {
    "string": "text",
    "integer": "bigint",
    "date": "date",
    "timestamp": "timestamp",
    "boolean": "boolean",
}
#: bytes sent per ``COPY`` write
_COPY_BLOCK = 1 << 20

ERP_ENTITIES: tuple[SourceEntity, ...] = tuple(e for e in CATALOG if e.system == "erp")


def column_type(column: Column) -> str:
    """The PostgreSQL type of a catalog column."""
    return f"numeric(18, {column.scale})" if column.type == "decimal" else PG_TYPES[column.type]


def _table(entity: SourceEntity, schema: str) -> sql.Identifier:
    return sql.Identifier(schema, entity.entity)


def _names(names: Iterable[str]) -> sql.Composed:
    return sql.SQL(", ").join(sql.Identifier(n) for n in names)


def create_erp_schema(conn: psycopg.Connection, schema: str = "erp") -> None:
    """Create ``schema`` and one table per ERP entity of the catalog (module docstring); idempotent.

    Commits, unless the caller holds a transaction open (then it is part of it)."""
    with conn.transaction():
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        for e in ERP_ENTITIES:
            columns = [
                sql.SQL("{} {}{}").format(
                    sql.Identifier(c.name), sql.SQL(column_type(c)), sql.SQL("" if c.nullable else " NOT NULL")
                )
                for c in e.columns
            ]
            columns.append(sql.SQL("{} boolean NOT NULL DEFAULT false").format(sql.Identifier(IS_DELETED)))
            columns.append(sql.SQL("PRIMARY KEY ({})").format(_names(e.key)))
            conn.execute(
                sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(_table(e, schema), sql.SQL(", ").join(columns))
            )
            conn.execute(
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
                    sql.Identifier(f"{e.entity}_{e.updated_at}_idx"),
                    _table(e, schema),
                    sql.Identifier(e.updated_at),
                )
            )


def _month_files(e: SourceEntity, landing_root: Path, month: str) -> list[Path]:
    folder = e.landing_dir(landing_root, month)
    files = sorted(p for p in folder.glob(f"*{e.file_suffix}") if p.is_file()) if folder.is_dir() else []
    if not files:
        raise FileNotFoundError(
            f"{e.name}: no {e.file_format} extract for {month} (expected *{e.file_suffix} in {folder})"
        )
    return files


def _read_file(e: SourceEntity, path: Path) -> pa.Table:
    """The catalog's columns of one landing file: CSV as text exactly as written (empty is null), Parquet typed."""
    names = list(e.column_names)
    try:
        if e.file_format == "csv":
            options = pacsv.ConvertOptions(
                include_columns=names,
                column_types={n: pa.string() for n in names},
                null_values=[""],
                strings_can_be_null=True,
            )
            return pacsv.read_csv(path, convert_options=options)
        return pq.read_table(path, columns=names).select(names)
    except (pa.ArrowInvalid, KeyError) as exc:
        raise ValueError(f"{e.name}: {path} does not hold the catalog's columns {', '.join(names)}: {exc}") from None


def _copy_payload(e: SourceEntity, files: Sequence[Path]) -> tuple[bytes, int]:
    """The rows of ``files`` as CSV for ``COPY ... (FORMAT csv)``: null unquoted-empty, empty strings quoted."""
    buffer = io.BytesIO()
    rows = 0
    for path in files:
        table = _read_file(e, path)
        rows += table.num_rows
        if table.num_rows:
            pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False))
    return buffer.getvalue(), rows


def _copy_into_temp(cursor: psycopg.Cursor, e: SourceEntity, schema: str, payload: bytes) -> sql.Identifier:
    incoming = sql.Identifier(f"_incoming_{e.entity}")
    cursor.execute(
        sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
            incoming, _names(e.column_names), _table(e, schema)
        )
    )
    with cursor.copy(sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(incoming, _names(e.column_names))) as copy:
        for start in range(0, len(payload), _COPY_BLOCK):
            copy.write(payload[start : start + _COPY_BLOCK])
    return incoming


def _apply(cursor: psycopg.Cursor, e: SourceEntity, schema: str, payload: bytes) -> int:
    """Apply one entity's month to its table; returns the rows written."""
    incoming = _copy_into_temp(cursor, e, schema, payload)
    table, columns = _table(e, schema), _names(e.column_names)
    if e.extract == "snapshot":
        cursor.execute(sql.SQL("DELETE FROM {}").format(table))
        cursor.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM {}").format(table, columns, columns, incoming))
        return cursor.rowcount
    others = [c for c in e.column_names if c not in e.key]
    updates = [sql.SQL("{} = EXCLUDED.{}").format(sql.Identifier(c), sql.Identifier(c)) for c in others]
    updates.append(sql.SQL("{} = false").format(sql.Identifier(IS_DELETED)))
    # a key twice in one file: its latest version wins (ON CONFLICT cannot touch a row twice)
    cursor.execute(
        sql.SQL(
            "INSERT INTO {table} ({columns}) SELECT DISTINCT ON ({key}) {columns} FROM {incoming} "
            "ORDER BY {key}, {version} DESC ON CONFLICT ({key}) DO UPDATE SET {updates}"
        ).format(
            table=table,
            columns=columns,
            key=_names(e.key),
            incoming=incoming,
            version=sql.Identifier(e.updated_at),
            updates=sql.SQL(", ").join(updates),
        )
    )
    return cursor.rowcount


def _selected(entities: Iterable[str | SourceEntity] | None) -> tuple[SourceEntity, ...]:
    if entities is None:
        return ERP_ENTITIES
    chosen = [e if isinstance(e, SourceEntity) else catalog_entity(e) for e in entities]
    foreign = [e.name for e in chosen if e.system != "erp"]
    if foreign:
        raise ValueError(f"not ERP entities: {', '.join(foreign)}")
    return tuple(chosen)


def load_erp_month(
    conn: psycopg.Connection,
    landing_root: Path,
    month: str,
    schema: str = "erp",
    entities: Iterable[str | SourceEntity] | None = None,
) -> dict[str, int]:
    """Apply ``month``'s ERP landing files to the database (module docstring) in one transaction.

    ``entities`` (names such as ``erp_items``; default every ERP entity) limits what is applied.
    Every file is read before the database is touched, so a missing or unreadable file changes
    nothing. Returns the rows applied per entity name. Commits, unless the caller holds a
    transaction open.
    """
    landing_root = Path(landing_root)
    payloads = {e: _copy_payload(e, _month_files(e, landing_root, month))[0] for e in _selected(entities)}
    applied: dict[str, int] = {}
    with conn.transaction(), conn.cursor() as cursor:
        for e, payload in payloads.items():
            applied[e.name] = _apply(cursor, e, schema, payload)
    return applied


def mark_deleted(
    conn: psycopg.Connection,
    entity: str | SourceEntity,
    keys: Iterable[object],
    at: datetime,
    schema: str = "erp",
) -> int:
    """Soft-delete the rows of ``keys`` (a value per row for a one-column key, else a tuple in key
    order): ``is_deleted = true`` and ``updated_at = at`` (UTC, no zone). Raises ``LookupError``
    (changing nothing) when a key is not in the table; returns the rows marked."""
    e = entity if isinstance(entity, SourceEntity) else catalog_entity(entity)
    where = sql.SQL(" AND ").join(sql.SQL("{} = %s").format(sql.Identifier(k)) for k in e.key)
    statement = sql.SQL("UPDATE {} SET {} = true, {} = %s WHERE {}").format(
        _table(e, schema), sql.Identifier(IS_DELETED), sql.Identifier(e.updated_at), where
    )
    marked = 0
    with conn.transaction(), conn.cursor() as cursor:
        for key in keys:
            values = tuple(key) if isinstance(key, (tuple, list)) else (key,)
            if len(values) != len(e.key):
                raise ValueError(f"{e.name}: key {values!r} does not match ({', '.join(e.key)})")
            cursor.execute(statement, (at, *values))
            if cursor.rowcount == 0:
                raise LookupError(f"{e.name}: no row with key {values!r}")
            marked += cursor.rowcount
    return marked
