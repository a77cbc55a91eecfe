"""The demo company's ERP history, run through a real PostgreSQL database one month at a time.

A company that adopts the platform has its ERP in a database and closes each month by extracting
it. ``replay_erp`` shows that path end to end on the demo company: for each month it applies the
month's changes to the ERP database (``erp_database.load_erp_month``: orders entered, customers
changed, the month-end snapshots of items and inventory), then extracts every ERP entity's month
through the PostgreSQL connector into the landing zone, as the month's close would. The pipeline
then runs from the landing zone exactly as it does from the demo files, so the marts it builds
can be compared with the ones built from the files, row for row.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import psycopg

from orchestration.connectors.extract import extract_month
from orchestration.connectors.postgres import PostgresConnector
from orchestration.demo.erp_database import create_erp_schema, load_erp_month
from orchestration.sources import CATALOG

ERP = [e for e in CATALOG if e.system == "erp"]


@dataclass
class ReplaySummary:
    months: int = 0
    rows_applied: int = 0
    rows_extracted: dict[str, int] = field(default_factory=dict)
    load_seconds: float = 0.0
    extract_seconds: float = 0.0


def replay_erp(
    connector: PostgresConnector,
    export_root: Path,
    landing_root: Path,
    months: list[str],
    lag: timedelta,
    progress: Callable[[str], None] | None = None,
) -> ReplaySummary:
    """Apply each of ``months`` (in order) from the ERP export under ``export_root`` to the database
    ``connector`` reads, then extract that month of every ERP entity into ``landing_root``.

    The schema ``connector.connection.schema`` is dropped and created anew: it is the demo's own."""
    summary = ReplaySummary()
    connection = connector.connection
    with psycopg.connect(connection.conninfo(), autocommit=True) as conn:
        conn.execute(
            psycopg.sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(psycopg.sql.Identifier(connection.schema))
        )
        create_erp_schema(conn, connection.schema)
        for index, month in enumerate(months, start=1):
            started = time.perf_counter()
            applied = load_erp_month(conn, export_root, month, connection.schema)
            summary.rows_applied += sum(applied.values())
            summary.load_seconds += time.perf_counter() - started
            started = time.perf_counter()
            for entity in ERP:
                result = extract_month(connector, entity, month, landing_root, lag)
                summary.rows_extracted[entity.name] = summary.rows_extracted.get(entity.name, 0) + result.rows
            summary.extract_seconds += time.perf_counter() - started
            summary.months += 1
            if progress and (index % 12 == 0 or index == len(months)):
                progress(f"{month}: {index}/{len(months)} months applied and extracted")
    return summary
