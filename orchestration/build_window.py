"""The months an orchestrated dbt build rebuilds, handed to dbt in a table rather than as vars.

dbt keeps a partially parsed project between invocations only while the vars stay the same:
any change of ``--vars`` re-parses every file of the project. Passing each run's months as
vars therefore cost a full parse in every dbt step. The orchestration writes the range into
``pipeline.build_window`` just before its dbt step instead, and clears it right after; the
incremental facts read it (macro ``in_partition_range``). An empty table means every month, so
a ``dbt build`` by hand rebuilds the whole history, as before; ``--vars '{min_month: ...,
max_month: ...}'`` by hand still wins over the table.

The table is created from Python (here) and from dbt (macro ``ensure_build_window_table``, run
``on-run-start``) with the same statements (``tests/unit/test_build_window.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb

BUILD_WINDOW_SCHEMA = "pipeline"
BUILD_WINDOW_TABLE = f"{BUILD_WINDOW_SCHEMA}.build_window"
BUILD_WINDOW_DDL: tuple[str, ...] = (
    f"CREATE SCHEMA IF NOT EXISTS {BUILD_WINDOW_SCHEMA}",
    f"CREATE TABLE IF NOT EXISTS {BUILD_WINDOW_TABLE} (min_month DATE, max_month DATE)",
)


def ensure_build_window_table(con: duckdb.DuckDBPyConnection) -> None:
    for statement in BUILD_WINDOW_DDL:
        con.execute(statement)


def set_build_window(con: duckdb.DuckDBPyConnection, min_month: date | None, max_month: date | None) -> None:
    """Make ``min_month`` .. ``max_month`` (first days of months) the range of the next build;
    ``None`` clears it (every month)."""
    ensure_build_window_table(con)
    con.execute(f"DELETE FROM {BUILD_WINDOW_TABLE}")
    if min_month is not None and max_month is not None:
        con.execute(f"INSERT INTO {BUILD_WINDOW_TABLE} VALUES (?, ?)", [min_month, max_month])


@contextmanager
def build_window(warehouse_db: Path, min_month: date, max_month: date) -> Iterator[None]:
    """The range set for the duration of the block (the dbt step), cleared after it whatever happens.

    The connection is closed inside the block: dbt opens the same DuckDB file, and DuckDB allows
    one writing process."""
    with duckdb.connect(str(warehouse_db)) as con:
        set_build_window(con, min_month, max_month)
    try:
        yield
    finally:
        with duckdb.connect(str(warehouse_db)) as con:
            set_build_window(con, None, None)
