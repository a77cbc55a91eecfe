"""Loading one month of one source entity into the warehouse's raw schema.

The raw layer keeps what the source delivered: CSV columns stay text exactly as written (so a
bad value is kept, not lost, and staging decides how to cast it), Parquet columns keep their
types. Every row gets lineage columns (partition month, load id, source file and row, load
time). A load replaces exactly its month: delete that month's rows, insert the new ones, in one
transaction — re-running a month gives the same raw table.

Bad input never passes silently and never costs a row:

- a file that cannot be loaded as a whole (absent, empty, not UTF-8, missing/renamed/extra
  columns, Parquet values of the wrong type) raises ``IngestionError`` naming the entity, the
  file, the row where there is one and the rule broken; raw keeps the month as it was;
- a CSV line that is not a well-formed record (wrong number of fields, a quote left open) is
  set aside: the good lines load, each bad line goes to the quarantine table (stage
  ``ingest``, rule ``csv.well_formed``, severity ``error``) with its file, 1-based data row and
  text, and the month's data-quality check then blocks it until the file is fixed.

The landing files themselves are only ever read.

Where files come from is a ``SourceReader``. The default reads the landing folder, which the
demo generator (or a real export) fills; a real connector can serve one entity by registering
its own reader, and nothing downstream changes.
"""

from __future__ import annotations

import csv
import difflib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from orchestration.deleted_records import DELETED_FILE, read_tombstones, replace_deleted_records
from orchestration.quality.quarantine import QUARANTINE_TABLE, replace_quarantine
from orchestration.sources import LINEAGE_COLUMNS, RAW_SCHEMA, SourceEntity

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


#: The rules ingestion enforces, and what each means.
INGEST_RULES = {
    "extract.present": "the month has an extract file",
    "extract.one_per_month": (
        "a month has one extract file per entity (or numbered parts of one: *part-1*, *part-2*, ...)"
    ),
    "extract.not_empty": "the file has a header (zero bytes means a failed export); a snapshot has rows",
    "file.encoding_utf8": "a CSV file is UTF-8 text",
    "file.readable": "a Parquet file can be opened",
    "schema.required_columns": "every column of the catalog is in the file",
    "schema.no_unexpected_columns": "the file has no column the catalog does not declare",
    "schema.types": "Parquet values have the catalog's types",
    "csv.well_formed": "every CSV line is one record with as many fields as the header",
    "tombstones.readable": "a connector's _deleted.json is JSON listing the entity's deleted keys and versions",
}
_LOG = logging.getLogger(__name__)

#: Quarantine stage and severity of the lines ingestion sets aside.
INGEST_STAGE = "ingest"
MALFORMED_RULE = "csv.well_formed"


class IngestionError(Exception):
    """A month's extract cannot be loaded.

    The message is one line, ``<entity>: <file>[ row <n>]: rule <rule> — <detail>``, the same
    shape the data-quality checks use, so the command line and the Dagster UI show every
    failure alike. The parts are also attributes (``entity``, ``file``, ``row``, ``rule``).
    """

    def __init__(
        self, message: str, *, entity: str = "", file: str = "", row: int | None = None, rule: str = ""
    ) -> None:
        super().__init__(message)
        self.entity, self.file, self.row, self.rule = entity, file, row, rule

    @classmethod
    def of(cls, entity: str, file: str, rule: str, detail: str, row: int | None = None) -> "IngestionError":
        where = file if row is None else f"{file} row {row}" + (" (header)" if row == 0 else "")
        return cls(f"{entity}: {where}: rule {rule} — {detail}", entity=entity, file=file, row=row, rule=rule)


@dataclass(frozen=True)
class RejectedLine:
    """A CSV line that is not a well-formed record: kept in quarantine, not loaded into raw."""

    source_file: str
    #: 1-based data row (the header is row 0), as raw's ``_source_row``
    source_row: int
    text: str
    reason: str


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


#: a file name that says it is one numbered part of a split export
PART_NAME = re.compile(r"(^|[^a-z0-9])part[-_ ]?\d+", re.IGNORECASE)


def check_one_extract(entity: SourceEntity, month: str, files: list[Path], root: Path) -> None:
    """Refuse a month delivered twice (e.g. ``orders_202201.parquet`` and ``orders_202201 (1).parquet``):
    loading both would count every row twice, and which one is right is the sender's call. Several
    files are one extract only when every one is named as a numbered part."""
    if len(files) < 2 or all(PART_NAME.search(p.stem) for p in files):
        return
    folder = _relative(files[0].parent, root)
    names = " and ".join(f"'{p.name}'" for p in files)
    raise IngestionError.of(
        entity.name,
        folder,
        "extract.one_per_month",
        f"{len(files)} extracts for {folder}: {names}; keep the one to load and move the "
        "others out (a split export names its files part-1, part-2, ...)",
    )


@dataclass
class LoadResult:
    entity: str
    month: str
    rows: int
    files: list[str] = field(default_factory=list)
    load_id: str = ""
    seconds: float = 0.0
    #: CSV lines set aside in quarantine (rule ``csv.well_formed``) instead of loaded
    rejected: list[RejectedLine] = field(default_factory=list)
    #: columns not in the catalog that were left out (only with ``allow_unexpected_columns``)
    ignored_columns: list[str] = field(default_factory=list)
    #: keys the source marked deleted in the month (``_deleted.json``), loaded into ``raw.deleted_records``
    deleted: int = 0


def raw_table(entity: SourceEntity) -> str:
    return entity.raw_table


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


@dataclass
class Extract:
    """One file read for loading: its rows as Arrow (catalog columns, in catalog order), the
    1-based data row of each, and the CSV lines that could not be read as a record."""

    table: pa.Table
    source_rows: list[int]
    rejected: list[RejectedLine] = field(default_factory=list)
    #: columns the file has and the catalog does not, left out (only when allowed)
    ignored_columns: list[str] = field(default_factory=list)


def read_extract_file(
    entity: SourceEntity, path: Path, relative_to: Path, *, allow_unexpected_columns: bool = False
) -> Extract:
    """Read one extract file, checking it against the catalog; the file is only read.

    CSV is read as text (nothing coerced or lost); malformed CSV lines come back in
    ``rejected``. Parquet keeps its types (checked when inserted). Raises ``IngestionError``
    when the file as a whole cannot be loaded; a column the catalog does not declare is such a
    case unless ``allow_unexpected_columns`` (then it is left out and listed in the result).
    """
    rel = _relative(path, relative_to)
    if entity.file_format == "csv":
        return _read_csv(entity, path, rel, allow_unexpected_columns)
    return _read_parquet(entity, path, rel, allow_unexpected_columns)


def _not_empty(entity: SourceEntity, rel: str, data_size: int) -> None:
    """A file without even a header line: an export that failed or was cut off, never a quiet month."""
    if data_size == 0:
        raise IngestionError.of(
            entity.name,
            rel,
            "extract.not_empty",
            "the file is empty (zero bytes, or blanks only), not even a header: the export failed "
            "or was cut off; ask the source for the file again",
        )


def _no_rows_in_snapshot(entity: SourceEntity, rel: str) -> None:
    """A delta or event extract may have no rows (a quiet month); a snapshot is a full copy, never empty."""
    if entity.extract == "snapshot":
        raise IngestionError.of(
            entity.name,
            rel,
            "extract.not_empty",
            f"the file has a header but no rows; a {entity.extract} extract is a full copy of "
            f"{entity.name} and cannot be empty",
        )


def check_columns(entity: SourceEntity, rel: str, found: list[str], allow_unexpected: bool = False) -> list[str]:
    """The file's columns must be exactly the catalog's (any order).

    A missing column fails ``schema.required_columns``; when an unexpected column looks like
    it (same letters ignoring case and underscores, or a close spelling) the message says so,
    because a renamed column is the usual cause. Any other column fails
    ``schema.no_unexpected_columns``: a source that changes its layout must be looked at
    before its data is trusted (unless ``allow_unexpected``). Returns the unexpected columns.
    """
    expected = list(entity.column_names)
    missing = [c for c in expected if c not in found]
    unexpected = [c for c in found if c not in expected]
    duplicated = sorted({c for c in found if found.count(c) > 1})
    if missing:
        hints = []
        for column in missing:
            lookalike = _lookalike(column, unexpected)
            if lookalike:
                hints.append(f"column {lookalike!r} looks like {column!r} renamed")
        detail = f"missing column(s) {', '.join(missing)}"
        if hints:
            detail += "; " + "; ".join(hints)
        raise IngestionError.of(entity.name, rel, "schema.required_columns", f"{detail} (found: {', '.join(found)})")
    if unexpected and not allow_unexpected:
        raise IngestionError.of(
            entity.name,
            rel,
            "schema.no_unexpected_columns",
            f"unexpected column(s) {', '.join(unexpected)} not in the catalog of {entity.name}; "
            "declare them in orchestration/sources.py or have the source drop them",
        )
    if duplicated:
        raise IngestionError.of(
            entity.name, rel, "schema.no_unexpected_columns", f"column(s) {', '.join(duplicated)} appear more than once"
        )
    return unexpected


def _lookalike(column: str, candidates: list[str]) -> str | None:
    def norm(name: str) -> str:
        return name.replace("_", "").lower()

    for candidate in candidates:
        if norm(candidate) == norm(column):
            return candidate
    close = difflib.get_close_matches(norm(column), [norm(c) for c in candidates], n=1, cutoff=0.75)
    if close:
        return next(c for c in candidates if norm(c) == close[0])
    return None


def _decode_utf8(entity: SourceEntity, rel: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 4].hex(" ")
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            guess = "it starts with a UTF-16 byte-order mark: the file is UTF-16"
        else:
            guess = "a single-byte code page such as cp1252/latin-1 writes accented letters like this"
        raise IngestionError.of(
            entity.name,
            rel,
            "file.encoding_utf8",
            f"not UTF-8 at byte {exc.start} (line {line} of the file, bytes {bad}); {guess}; "
            "re-export the file as UTF-8",
            row=line - 1,
        ) from None


def _split_fields(line: str) -> list[str] | None:
    """The fields of one CSV line, or None when the line is not a complete record by itself."""
    if '"' not in line:
        return line.split(",")
    try:
        return next(csv.reader([line], strict=True))
    except csv.Error:
        return None


def _read_csv(entity: SourceEntity, path: Path, rel: str, allow_unexpected: bool) -> Extract:
    data = Path(path).read_bytes()
    _not_empty(entity, rel, len(data.strip()))
    text = _decode_utf8(entity, rel, data)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    header = _split_fields(lines[0])
    if header is None:
        raise IngestionError.of(entity.name, rel, MALFORMED_RULE, "the header line is not valid CSV", row=0)
    ignored = check_columns(entity, rel, header, allow_unexpected)

    good, source_rows, rejected = [lines[0]], [], []
    width = len(header)
    for row, line in enumerate(lines[1:], start=1):
        if not line.strip():
            continue  # a blank line holds no record
        fields = _split_fields(line)
        if fields is None:
            reason = f"line {row + 1} opens a quoted field that does not close on the line"
        elif len(fields) != width:
            reason = f"line {row + 1} has {len(fields)} fields, the header has {width}"
        else:
            good.append(line)
            source_rows.append(row)
            continue
        rejected.append(RejectedLine(rel, row, line, reason))
    if not source_rows and not rejected:
        _no_rows_in_snapshot(entity, rel)

    unreadable = []
    table = pacsv.read_csv(
        pa.BufferReader(("\n".join(good) + "\n").encode("utf-8")),
        read_options=pacsv.ReadOptions(use_threads=False),
        parse_options=pacsv.ParseOptions(
            newlines_in_values=False,
            ignore_empty_lines=False,
            invalid_row_handler=lambda r: unreadable.append(r) or "skip",
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in header},
            strings_can_be_null=False,
        ),
    )
    if unreadable or table.num_rows != len(source_rows):  # pragma: no cover - the line check above agrees
        raise IngestionError.of(
            entity.name, rel, MALFORMED_RULE, f"{len(source_rows)} well-formed lines gave {table.num_rows} records"
        )
    table = table.select(list(entity.column_names))
    return Extract(table, source_rows, rejected, ignored)


def _read_parquet(entity: SourceEntity, path: Path, rel: str, allow_unexpected: bool) -> Extract:
    _not_empty(entity, rel, Path(path).stat().st_size)
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise IngestionError.of(entity.name, rel, "file.readable", f"not a readable Parquet file: {exc}") from exc
    ignored = check_columns(entity, rel, table.column_names, allow_unexpected)
    if table.num_rows == 0:
        _no_rows_in_snapshot(entity, rel)
    table = table.select(list(entity.column_names))
    return Extract(table, list(range(1, table.num_rows + 1)), [], ignored)


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)


def _type_error(con: duckdb.DuckDBPyConnection, entity: SourceEntity, rel: str, exc: Exception) -> IngestionError:
    """Name the column, rows and values that do not cast to the catalog's type (``_extract`` is registered)."""
    types = raw_column_types(entity)
    for column in entity.column_names:
        q = _quote(column)
        bad = con.execute(
            f"SELECT _source_row, CAST({q} AS VARCHAR) FROM _extract "
            f"WHERE {q} IS NOT NULL AND TRY_CAST({q} AS {types[column]}) IS NULL ORDER BY _source_row"
        ).fetchall()
        if bad:
            samples = ", ".join(f"row {r}: {v!r}" for r, v in bad[:5])
            return IngestionError.of(
                entity.name,
                rel,
                "schema.types",
                f"column {column} must be {types[column]}; {len(bad)} value(s) are not ({samples})",
                row=bad[0][0],
            )
    return IngestionError.of(entity.name, rel, "schema.types", f"does not match the catalog types: {exc}")


def _has_ingest_quarantine(con: duckdb.DuckDBPyConnection, entity: SourceEntity, month: str) -> bool:
    """Whether an earlier load set lines of this entity-month aside (then a clean load clears them)."""
    schema, table = QUARANTINE_TABLE.split(".")
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, table]
    ).fetchone()[0]
    if not exists:
        return False
    return (
        con.execute(
            f"SELECT count(*) FROM {QUARANTINE_TABLE} WHERE entity = ? AND partition_month = ? AND stage = ?",
            [entity.name, month, INGEST_STAGE],
        ).fetchone()[0]
        > 0
    )


def _rejected_frame(rejected: list[RejectedLine], load_id: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rule": [MALFORMED_RULE] * len(rejected),
            "severity": ["error"] * len(rejected),
            "source_file": [r.source_file for r in rejected],
            "source_row": [r.source_row for r in rejected],
            "load_id": [load_id] * len(rejected),
            "reason": [r.reason for r in rejected],
            "row_json": [r.text for r in rejected],
        }
    )


def load_month(
    con: duckdb.DuckDBPyConnection,
    entity: SourceEntity,
    month: str,
    reader: SourceReader,
    load_id: str,
    loaded_at: datetime | None = None,
    log: Callable[[str], None] | None = None,
    *,
    allow_unexpected_columns: bool = False,
) -> LoadResult:
    """Replace ``month`` (``YYYY-MM``) of ``entity`` in raw with the month's extract files.

    Raises ``IngestionError`` (and leaves raw and quarantine untouched) when the month has no
    file or a file cannot be loaded as a whole. Malformed CSV lines do not stop the load: they
    replace the month's ``ingest`` quarantine (an empty list clears it, so a fixed file clears
    its month), are returned in ``LoadResult.rejected`` and reported to ``log`` one line each
    (default: the ``orchestration.ingestion`` logger, which the Dagster instance written by
    ``sop`` captures into the run's event log). A column the catalog does not declare fails the load unless
    ``allow_unexpected_columns`` (then it is left out, and named in the result and the log).
    """
    started = time.perf_counter()
    loaded_at = (loaded_at or datetime.now(timezone.utc)).replace(tzinfo=None)
    log = log or _LOG.warning
    files = reader.files(entity, month)
    if not files:
        folder = entity.landing_dir(reader.root(), month)
        pattern = _relative(folder, reader.root()) + f"/*{entity.file_suffix}"
        raise IngestionError.of(
            entity.name,
            pattern,
            "extract.present",
            f"no {entity.file_format} extract for {month} (expected *{entity.file_suffix} in {folder})",
        )
    check_one_extract(entity, month, files, reader.root())
    folder = files[0].parent
    try:
        tombstones = read_tombstones(entity, folder)
    except (ValueError, KeyError) as exc:
        raise IngestionError.of(
            entity.name, _relative(folder / DELETED_FILE, reader.root()), "tombstones.readable", str(exc)
        ) from exc
    partition_month = datetime.strptime(month, "%Y-%m").date()
    tables, rel_files, rejected, ignored = [], [], [], []
    for path in files:
        rel = _relative(path, reader.root())
        rel_files.append(rel)
        extract = read_extract_file(entity, path, reader.root(), allow_unexpected_columns=allow_unexpected_columns)
        rejected.extend(extract.rejected)
        if extract.ignored_columns:
            log(
                f"{entity.name}: {rel}: columns {', '.join(extract.ignored_columns)} are not in the catalog; "
                "left out (unexpected columns allowed)"
            )
        ignored.extend(c for c in extract.ignored_columns if c not in ignored)
        t, n = extract.table, extract.table.num_rows
        t = t.append_column("_partition_month", pa.array([partition_month] * n, pa.date32()))
        t = t.append_column("_load_id", pa.array([load_id] * n, pa.string()))
        t = t.append_column("_source_file", pa.array([rel] * n, pa.string()))
        t = t.append_column("_source_row", pa.array(extract.source_rows, pa.int64()))
        t = t.append_column("_loaded_at", pa.array([loaded_at] * n, pa.timestamp("us")))
        tables.append((rel, t))

    ensure_raw_table(con, entity)
    types = raw_column_types(entity)
    select = ", ".join(f"CAST({_quote(n)} AS {t}) AS {_quote(n)}" for n, t in types.items())
    # quarantine first: if anything stops between the two writes, the month stays blocked
    if rejected or _has_ingest_quarantine(con, entity, month):
        replace_quarantine(con, entity.name, month, INGEST_STAGE, _rejected_frame(rejected, load_id))
    rows, failure = 0, None
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {raw_table(entity)} WHERE _partition_month = ?", [partition_month])
        if entity.extract != "snapshot":
            replace_deleted_records(
                con, entity, month, tombstones, load_id, _relative(folder / DELETED_FILE, reader.root())
            )
        for rel, t in tables:
            con.register("_extract", t)
            try:
                con.execute(f"INSERT INTO {raw_table(entity)} SELECT {select} FROM _extract")
            except duckdb.Error as exc:
                failure = (rel, t, exc)
                break
            con.unregister("_extract")
            rows += t.num_rows
        con.execute("ROLLBACK" if failure else "COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    if failure:
        rel, t, exc = failure
        con.register("_extract", t)  # again: the rollback dropped it
        try:
            raise _type_error(con, entity, rel, exc) from exc
        finally:
            con.unregister("_extract")
    for r in rejected:
        log(
            f"{entity.name}: {r.source_file} row {r.source_row}: rule {MALFORMED_RULE} — {r.reason}; "
            f"line set aside in quarantine: {r.text[:200]}"
        )
    return LoadResult(
        entity.name, month, rows, rel_files, load_id, time.perf_counter() - started, rejected, ignored, len(tombstones)
    )


def month_row_count(con: duckdb.DuckDBPyConnection, entity: SourceEntity, month: str) -> int:
    partition_month = datetime.strptime(month, "%Y-%m").date()
    return con.execute(
        f"SELECT count(*) FROM {raw_table(entity)} WHERE _partition_month = ?", [partition_month]
    ).fetchone()[0]
