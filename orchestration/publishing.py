"""Publishing the marts to what BI tools read, without ever locking a reader out.

DuckDB lets one process write a file and nobody read it meanwhile, so BI never opens the
build database. Publishing instead:

1. copies the declared tables of the build database (the dbt marts and seeds of schema
   ``marts``, and the forecast tables of schema ``forecast`` declared as the dbt source
   ``forecasting``: the serving asset passes the list) into a *new* DuckDB file next to the
   serving file, each under its own table name, checkpoints and closes it. A declared table
   that is missing stops the publication; a table nobody declared is not published;
2. renames it over ``serve/sop.duckdb`` (``os.replace``: atomic on POSIX). A reader that is
   connected keeps the old file (its open inode) until it reconnects; a new reader gets the
   new one; nobody ever sees half a publication;
3. writes each table as Parquet into a new version folder ``serve/parquet/v<stamp>/`` and
   swaps the ``serve/parquet/current`` symlink to it, again by an atomic rename. The last few
   versions are kept so a reader in the middle of a scan is not cut off.

The serving file also holds ``sop_publication``: when, by which run, which months the marts
hold (``first_month``..``last_month``, read from the published revenue mart, whatever range the
run rebuilt) and which months the run rebuilt (``run_first_month``..``run_last_month``), and the
row count of each table, so an analyst can tell which version they are reading.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

MARTS_SCHEMA = "marts"
PUBLICATION_TABLE = "sop_publication"
#: the columns of ``sop_publication`` (one row: the publication in the file), with what each means;
#: declared to dbt as the source ``serving`` (``dbt_project/models/staging/serving/_serving__sources.yml``,
#: kept equal by ``tests/unit/test_publishing.py``)
PUBLICATION_COLUMNS: dict[str, tuple[str, str]] = {
    "published_at": ("TIMESTAMP", "UTC time the publication was made."),
    "version": (
        "VARCHAR",
        "Version of the publication, v<UTC stamp>: also the Parquet folder serve/parquet/<version>.",
    ),
    "run_id": ("VARCHAR", "Dagster run that built and published it."),
    "first_month": ("DATE", "First month the published marts hold (revenue_by_region_family_monthly)."),
    "last_month": ("DATE", "Last month the published marts hold: the latest closed month."),
    "run_first_month": ("DATE", "First month the publishing run rebuilt."),
    "run_last_month": ("DATE", "Last month the publishing run rebuilt."),
    "tables": ("JSON", "Every published table with its row count, as a JSON object."),
}
PARQUET_VERSIONS_KEPT = 3
#: the mart and column whose months are the months a publication holds (one row per closed month)
MONTHS_HELD = ("revenue_by_region_family_monthly", "revenue_month")


@dataclass
class PublishResult:
    serve_db: Path
    parquet_dir: Path
    version: str
    tables: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


class PublishError(Exception):
    pass


def _safe_identifier(name: str) -> str:
    """Table names come from the database; still, only plain identifiers go into SQL."""
    if not name.replace("_", "").isalnum():
        raise PublishError(f"refusing to publish table with unsafe name {name!r}")
    return name


def mart_tables(con: duckdb.DuckDBPyConnection, catalog: str, schema: str = MARTS_SCHEMA) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_catalog = ? AND table_schema = ? AND table_type = 'BASE TABLE' "
        "ORDER BY table_name",
        [catalog, schema],
    ).fetchall()
    return [_safe_identifier(r[0]) for r in rows]


def _published_sources(con: duckdb.DuckDBPyConnection, declared: Sequence[str] | None) -> dict[str, str]:
    """Published table name -> its schema in the attached warehouse. A declared name is a table of
    ``marts`` or ``<schema>.<table>``; without a declaration, every table of ``marts``."""
    if declared is None:
        return {name: MARTS_SCHEMA for name in mart_tables(con, "warehouse")}
    wanted: dict[str, str] = {}
    for entry in declared:
        schema, _, name = entry.rpartition(".")
        wanted[name] = schema or MARTS_SCHEMA
    held = {(schema, name) for schema in set(wanted.values()) for name in mart_tables(con, "warehouse", schema)}
    missing = sorted(f"{schema}.{name}" for name, schema in wanted.items() if (schema, name) not in held)
    if missing:
        raise PublishError(f"declared tables missing from the build database: {', '.join(missing)}")
    return dict(sorted(wanted.items()))


def publish_marts(
    warehouse_db: Path,
    serve_dir: Path,
    *,
    run_id: str = "",
    months: tuple[str, str] | None = None,
    before_swap: Callable[[Path], None] | None = None,
    declared: Sequence[str] | None = None,
    memory_limit: str | None = None,
) -> PublishResult:
    """Publish the ``declared`` tables of ``warehouse_db`` (``table`` of schema ``marts``, or
    ``schema.table``) to ``serve_dir`` under their table names (every table of ``marts`` when
    ``declared`` is None).

    ``months`` is the (first, last) partition month the run built; the publication table records
    it beside the months the published marts hold (``MONTHS_HELD``). ``before_swap`` is called with
    the finished temporary file just before it replaces the serving file (tests use it to hold a
    publish half way). ``memory_limit`` caps DuckDB's memory while it copies (DuckDB's default:
    80% of RAM).
    """
    started = time.perf_counter()
    serve_dir = Path(serve_dir)
    serve_dir.mkdir(parents=True, exist_ok=True)
    published_at = datetime.now(timezone.utc)
    version = published_at.strftime("v%Y%m%dT%H%M%S%fZ")
    serve_db = serve_dir / "sop.duckdb"
    tmp_db = serve_dir / f".sop.duckdb.{uuid.uuid4().hex}.tmp"
    parquet_root = serve_dir / "parquet"
    version_dir = parquet_root / version
    tmp_version_dir = parquet_root / f".{version}.tmp"

    tables: dict[str, int] = {}
    con = duckdb.connect(str(tmp_db), config={"memory_limit": memory_limit} if memory_limit else {})
    try:
        con.execute(f"ATTACH '{_sql_path(warehouse_db)}' AS warehouse (READ_ONLY)")
        sources = _published_sources(con, declared)
        if not sources:
            raise PublishError(f"no tables in schema {MARTS_SCHEMA!r} of {warehouse_db}: nothing to publish")
        tmp_version_dir.mkdir(parents=True, exist_ok=True)
        for name, schema in sources.items():
            con.execute(f"CREATE TABLE main.{name} AS SELECT * FROM warehouse.{schema}.{name}")
            tables[name] = con.execute(f"SELECT count(*) FROM main.{name}").fetchone()[0]
            con.execute(
                f"COPY main.{name} TO '{_sql_path(tmp_version_dir / (name + '.parquet'))}' "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
        held_table, held_column = MONTHS_HELD
        held = (
            con.execute(f"SELECT min({held_column}), max({held_column}) FROM main.{held_table}").fetchone()
            if held_table in tables
            else (None, None)
        )
        columns = ", ".join(f"{name} {sql_type}" for name, (sql_type, _) in PUBLICATION_COLUMNS.items())
        con.execute(f"CREATE TABLE main.{PUBLICATION_TABLE} ({columns})")
        con.execute(
            f"INSERT INTO main.{PUBLICATION_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                published_at.replace(tzinfo=None),
                version,
                run_id,
                held[0],
                held[1],
                months[0] if months else None,
                months[1] if months else None,
                json.dumps(tables),
            ],
        )
        con.execute("DETACH warehouse")
        con.execute("CHECKPOINT")
    except BaseException:
        con.close()
        tmp_db.unlink(missing_ok=True)
        shutil.rmtree(tmp_version_dir, ignore_errors=True)
        raise
    con.close()
    _fsync(tmp_db)
    (tmp_version_dir / "_publication.json").write_text(
        json.dumps({"version": version, "run_id": run_id, "months": months, "tables": tables}, indent=2)
    )

    if before_swap is not None:
        before_swap(tmp_db)
    os.replace(tmp_db, serve_db)
    os.replace(tmp_version_dir, version_dir)
    _swap_symlink(parquet_root / "current", version)
    _prune_versions(parquet_root, keep=PARQUET_VERSIONS_KEPT)
    return PublishResult(serve_db, parquet_root / "current", version, tables, time.perf_counter() - started)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _swap_symlink(link: Path, target: str) -> None:
    tmp = link.with_name(f".{link.name}.{uuid.uuid4().hex}")
    os.symlink(target, tmp)
    os.replace(tmp, link)


def _prune_versions(parquet_root: Path, keep: int) -> None:
    versions = sorted(p for p in parquet_root.iterdir() if p.is_dir() and not p.is_symlink() and p.name.startswith("v"))
    for old in versions[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def current_publication(serve_db: Path) -> dict | None:
    """The serving file's publication record, read through a read-only connection."""
    if not Path(serve_db).exists():
        return None
    with duckdb.connect(str(serve_db), read_only=True) as con:
        cursor = con.execute(f"SELECT * FROM {PUBLICATION_TABLE}")
        row = cursor.fetchone()
        keys = [d[0] for d in cursor.description]
    record = dict(zip(keys, row))
    # a file published before the run's range was recorded apart
    record.setdefault("run_first_month", None)
    record.setdefault("run_last_month", None)
    record["tables"] = json.loads(record["tables"])
    return record
