"""Loading one month of one source entity into the warehouse's raw schema.

The raw layer keeps what the source delivered: CSV columns stay text exactly as written (so a
bad value is kept, not lost, and staging decides how to cast it), Parquet columns keep their
types. Every row gets lineage columns (partition month, load id, source file and row, load
time). A load replaces exactly its month: delete that month's rows, insert the new ones, in one
transaction — re-running a month gives the same raw table.

Where files come from is a ``SourceReader``. The default reads the landing folder, which the
demo generator (or a real export) fills; a real connector can serve one entity by registering
its own reader, and nothing downstream changes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from orchestration.sources import LINEAGE_COLUMNS, SourceEntity

RAW_SCHEMA = "raw"

#: The DuckDB type a Parquet column of each catalog type is stored as in raw.
PARQUET_RAW_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "boolean": "BOOLEAN",
}
LINEAGE_RAW_TYPES = {
    "_partition_month": "DATE",
    "_load_id": "VARCHAR",
    "_source_file": "VARCHAR",
    "_source_row": "BIGINT",
    "_loaded_at": "TIMESTAMP",
}


class IngestionError(Exception):
    """A month's extract cannot be loaded; the message names the entity, file and rule."""


class SourceReader(Protocol):
    """Finds the files that hold one month of one entity."""

    def files(self, entity: SourceEntity, month: str) -> list[Path]: ...

    def root(self) -> Path: ...


@dataclass(frozen=True)
class LandingFolderReader:
    """Reads extracts from ``<landing>/<system>/<entity>/<YYYY-MM>/``."""

    landing_root: Path

    def root(self) -> Path:
        return Path(self.landing_root)

    def files(self, entity: SourceEntity, month: str) -> list[Path]:
        folder = entity.landing_dir(self.landing_root, month)
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == entity.file_suffix)


@dataclass
class LoadResult:
    entity: str
    month: str
    rows: int
    files: list[str] = field(default_factory=list)
    load_id: str = ""
    seconds: float = 0.0


def raw_table(entity: SourceEntity) -> str:
    return f"{RAW_SCHEMA}.{entity.name}"


def raw_column_types(entity: SourceEntity) -> dict[str, str]:
    """Column name -> DuckDB type of the entity's raw table, lineage columns last."""
    if entity.file_format == "csv":
        cols = {c.name: "VARCHAR" for c in entity.columns}
    else:
        cols = {c.name: PARQUET_RAW_TYPES[c.type] for c in entity.columns}
    cols.update({c.name: LINEAGE_RAW_TYPES[c.name] for c in LINEAGE_COLUMNS})
    return cols


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def ensure_raw_table(con: duckdb.DuckDBPyConnection, entity: SourceEntity) -> None:
    """Create the raw table from the catalog, or fail if an existing one has drifted."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    wanted = raw_column_types(entity)
    existing = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [RAW_SCHEMA, entity.name],
    ).fetchall()
    if not existing:
        cols = ", ".join(f"{_quote(n)} {t}" for n, t in wanted.items())
        con.execute(f"CREATE TABLE {raw_table(entity)} ({cols})")
        return
    if [n for n, _ in existing] != list(wanted):
        raise IngestionError(
            f"{raw_table(entity)} has columns {[n for n, _ in existing]} but the source catalog "
            f"declares {list(wanted)}; migrate or drop the raw table before loading"
        )


def read_extract_file(entity: SourceEntity, path: Path, relative_to: Path) -> pa.Table:
    """Read one extract file into Arrow, checking the catalog's columns are all there.

    CSV is read as text (nothing coerced or lost); Parquet is cast to the raw types.
    """
    rel = _relative(path, relative_to)
    try:
        if entity.file_format == "csv":
            table = pacsv.read_csv(
                path,
                read_options=pacsv.ReadOptions(encoding="utf8"),
                parse_options=pacsv.ParseOptions(newlines_in_values=False),
                convert_options=pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in entity.column_names},
                    strings_can_be_null=False,
                ),
            )
        else:
            table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as exc:
        raise IngestionError(f"{entity.name}: cannot read {rel}: {exc}") from exc
    missing = [c for c in entity.column_names if c not in table.column_names]
    if missing:
        raise IngestionError(
            f"{entity.name}: {rel} lacks required column(s) {missing} "
            f"(rule: schema.required_columns; found {table.column_names})"
        )
    table = table.select(list(entity.column_names))
    if entity.file_format == "csv":
        # header-only CSVs come back with null-typed columns; keep raw text everywhere
        table = table.cast(pa.schema([(c, pa.string()) for c in entity.column_names]))
    return table


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)


def load_month(
    con: duckdb.DuckDBPyConnection,
    entity: SourceEntity,
    month: str,
    reader: SourceReader,
    load_id: str,
    loaded_at: datetime | None = None,
) -> LoadResult:
    """Replace ``month`` (``YYYY-MM``) of ``entity`` in raw with the month's extract files.

    Raises ``IngestionError`` (and leaves the raw table untouched) when the month has no
    file or a file cannot be read.
    """
    started = time.perf_counter()
    loaded_at = (loaded_at or datetime.now(timezone.utc)).replace(tzinfo=None)
    files = reader.files(entity, month)
    if not files:
        folder = entity.landing_dir(reader.root(), month)
        raise IngestionError(
            f"{entity.name}: no {entity.file_format} extract for {month} "
            f"(expected *{entity.file_suffix} in {folder}; rule: extract.present)"
        )
    partition_month = datetime.strptime(month, "%Y-%m").date()
    tables = []
    rel_files = []
    for path in files:
        rel = _relative(path, reader.root())
        rel_files.append(rel)
        t = read_extract_file(entity, path, reader.root())
        n = t.num_rows
        t = t.append_column("_partition_month", pa.array([partition_month] * n, pa.date32()))
        t = t.append_column("_load_id", pa.array([load_id] * n, pa.string()))
        t = t.append_column("_source_file", pa.array([rel] * n, pa.string()))
        t = t.append_column("_source_row", pa.array(range(1, n + 1), pa.int64()))
        t = t.append_column("_loaded_at", pa.array([loaded_at] * n, pa.timestamp("us")))
        tables.append(t)

    ensure_raw_table(con, entity)
    types = raw_column_types(entity)
    select = ", ".join(f"CAST({_quote(n)} AS {t}) AS {_quote(n)}" for n, t in types.items())
    rows = 0
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {raw_table(entity)} WHERE _partition_month = ?", [partition_month])
        for t in tables:
            con.register("_extract", t)
            try:
                con.execute(f"INSERT INTO {raw_table(entity)} SELECT {select} FROM _extract")
            except duckdb.Error as exc:
                raise IngestionError(
                    f"{entity.name}: {rel_files[tables.index(t)]} does not match the catalog "
                    f"types (rule: schema.types): {exc}"
                ) from exc
            finally:
                con.unregister("_extract")
            rows += t.num_rows
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return LoadResult(entity.name, month, rows, rel_files, load_id, time.perf_counter() - started)


def month_row_count(con: duckdb.DuckDBPyConnection, entity: SourceEntity, month: str) -> int:
    partition_month = datetime.strptime(month, "%Y-%m").date()
    return con.execute(
        f"SELECT count(*) FROM {raw_table(entity)} WHERE _partition_month = ?", [partition_month]
    ).fetchone()[0]
