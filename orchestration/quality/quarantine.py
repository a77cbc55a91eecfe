"""The quarantine table: rows that broke a row-level rule, kept with the rule, file and load.

Nothing is dropped silently. Raw keeps every row it could parse; a row that breaks a
row-level rule is *also* written here, with the rule id, its severity, the file and 1-based
data row it came from and the load that inserted it. Staging views leave quarantined rows
out (macro ``exclude_quarantined``), so a WARN rule lets the good rows of a month go on
while the bad ones wait here for a fix. Lines that could not even be parsed (malformed CSV)
are written by ingestion with stage ``ingest``; rows found by the data-quality checks carry
stage ``check``.

A month is replaced, never appended twice: ``replace_quarantine`` deletes what the same
entity, month and stage wrote before and inserts the new rows in one transaction.

The table is created from Python (here) and from dbt (macro ``ensure_quarantine_table``,
run ``on-run-start``) with the same DDL, so either may run first; a unit test keeps the two
statements identical.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import duckdb
import pandas as pd

QUARANTINE_SCHEMA = "quarantine"
QUARANTINE_TABLE = "quarantine.quarantined_rows"

#: Column name -> DuckDB type, in table order.
QUARANTINE_COLUMNS: dict[str, str] = {
    "entity": "VARCHAR",
    "partition_month": "VARCHAR",
    "stage": "VARCHAR",
    "rule": "VARCHAR",
    "severity": "VARCHAR",
    "source_file": "VARCHAR",
    "source_row": "BIGINT",
    "load_id": "VARCHAR",
    "reason": "VARCHAR",
    "row_json": "VARCHAR",
    "quarantined_at": "TIMESTAMP",
}

#: Columns the caller of ``replace_quarantine`` supplies (the others are filled in).
ROW_COLUMNS: tuple[str, ...] = ("rule", "severity", "source_file", "source_row", "load_id", "reason", "row_json")

STAGES = ("ingest", "check", "flag")
SEVERITIES = ("error", "warn")

#: The statements that create the table; ``dbt_project/macros/ensure_quarantine_table.sql``
#: runs the very same ones (checked by ``tests/unit/test_quality_quarantine.py``).
QUARANTINE_DDL: tuple[str, ...] = (
    f"CREATE SCHEMA IF NOT EXISTS {QUARANTINE_SCHEMA}",
    f"CREATE TABLE IF NOT EXISTS {QUARANTINE_TABLE} ("
    + ", ".join(f"{name} {sql_type}" for name, sql_type in QUARANTINE_COLUMNS.items())
    + ")",
)

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def ensure_quarantine_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema ``quarantine`` and its table if they do not exist (idempotent)."""
    for statement in QUARANTINE_DDL:
        con.execute(statement)


def _check_scope(entity: str, month: str, stage: str) -> None:
    if not entity:
        raise ValueError("quarantine: entity must be named")
    if not _MONTH.match(month or ""):
        raise ValueError(f"quarantine: month must be YYYY-MM, got {month!r}")
    if stage not in STAGES:
        raise ValueError(f"quarantine: stage must be one of {STAGES}, got {stage!r}")


def replace_quarantine(con: duckdb.DuckDBPyConnection, entity: str, month: str, stage: str, rows: pd.DataFrame) -> int:
    """Replace what ``stage`` quarantined for ``entity`` × ``month`` with ``rows``; returns their count.

    ``rows`` has the columns ``rule, severity, source_file, source_row, load_id, reason,
    row_json`` (missing ones are stored as NULL); entity, month, stage and the time are
    filled in here. An empty frame just clears the earlier rows (the month is clean now).
    """
    _check_scope(entity, month, stage)
    ensure_quarantine_table(con)
    frame = pd.DataFrame(index=range(len(rows)))
    for column in ROW_COLUMNS:
        frame[column] = rows[column].to_numpy() if column in rows.columns else None
    if len(frame):
        bad = sorted(set(frame["severity"].dropna()) - set(SEVERITIES))
        if bad or frame["severity"].isna().any():
            raise ValueError(f"quarantine: severity must be one of {SEVERITIES}, got {bad or [None]}")
        if frame["rule"].isna().any():
            raise ValueError("quarantine: every row needs the rule it broke")
    frame["source_row"] = pd.array(frame["source_row"], dtype="Int64")
    for column in ("rule", "severity", "source_file", "load_id", "reason", "row_json"):
        frame[column] = frame[column].astype("object").where(frame[column].notna(), None)
        frame[column] = frame[column].map(lambda v: v if v is None else str(v))
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            f"DELETE FROM {QUARANTINE_TABLE} WHERE entity = ? AND partition_month = ? AND stage = ?",
            [entity, month, stage],
        )
        if len(frame):
            con.register("_quarantine_rows", frame)
            try:
                con.execute(
                    f"INSERT INTO {QUARANTINE_TABLE} ({', '.join(QUARANTINE_COLUMNS)}) "
                    "SELECT ?, ?, ?, rule, severity, source_file, CAST(source_row AS BIGINT), load_id, "
                    "reason, row_json, ? FROM _quarantine_rows",
                    [entity, month, stage, now],
                )
            finally:
                con.unregister("_quarantine_rows")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return len(frame)


def _table_exists(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [QUARANTINE_SCHEMA, QUARANTINE_TABLE.split(".")[1]],
        ).fetchone()[0]
    )


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in QUARANTINE_COLUMNS})


def quarantined_rows(
    con: duckdb.DuckDBPyConnection, entity: str | None = None, month: str | None = None
) -> pd.DataFrame:
    """The quarantined rows, optionally of one entity and/or month, oldest file row first.

    Works on a read-only connection; a warehouse without the table has no quarantined rows.
    """
    if not _table_exists(con):
        return _empty()
    where, params = [], []
    if entity is not None:
        where.append("entity = ?")
        params.append(entity)
    if month is not None:
        where.append("partition_month = ?")
        params.append(month)
    sql = f"SELECT * FROM {QUARANTINE_TABLE}"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY entity, partition_month, stage, source_file, source_row, rule"
    return con.execute(sql, params).df()


def ingest_error_rows(con: duckdb.DuckDBPyConnection, entity: str, months: list[str]) -> pd.DataFrame:
    """Error rows that ingestion quarantined for ``entity`` in ``months`` (they block the raw check)."""
    if not months or not _table_exists(con):
        return _empty()
    marks = ", ".join("?" for _ in months)
    return con.execute(
        f"SELECT * FROM {QUARANTINE_TABLE} WHERE entity = ? AND stage = 'ingest' AND severity = 'error' "
        f"AND partition_month IN ({marks}) ORDER BY partition_month, source_file, source_row",
        [entity, *months],
    ).df()
