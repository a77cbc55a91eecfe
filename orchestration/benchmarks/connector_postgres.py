"""Benchmark of the PostgreSQL connector: extracting the demo ERP's order lines from a real database.

What: a throwaway PostgreSQL server is started (``orchestration.demo.local_postgres``), the ERP schema
created and the order-line history of a demo company's landing files (``erp/sales_order_lines``, every
month found) applied to it month by month (``load_erp_month``), as the ERP would hold it. Then, each in
a child process so that its peak RSS is its own: the backfill, every month extracted in order through
``PostgresConnector`` into a scratch landing zone (``extract_month``, lag window 3 h), and one monthly
close, the last month extracted again with the month before it in place (its window bounded by the
lag, the exactly-once check reading the previous month's file). The figures are the seconds, rows,
rows per second, chunks and peak RSS of each, the load time, and two checks: the backfill delivered
every loaded row exactly once, and the repeated month wrote the same bytes.

Why: the connector runs in every monthly close, and a first adoption backfills the whole history;
the targets are one month under 10 s and the whole history (~70 months, ~1M lines at scale 1) under
2 minutes on 2 cores.

Usage: ``python -m orchestration.benchmarks.connector_postgres [--landing DIR] [--chunk-rows N]
[--output FILE]``; the landing root defaults to ``$SOP_DATA_DIR/landing`` and the figures go to
``<data>/bench/connector_postgres.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta, timezone
from multiprocessing import get_context
from pathlib import Path
from typing import Callable

import psycopg

from orchestration.benchmarks.rss import peak_rss_mb
from orchestration.connectors.extract import extract_month
from orchestration.connectors.postgres import PostgresConnection, PostgresConnector
from orchestration.demo.erp_database import create_erp_schema, load_erp_month
from orchestration.demo.local_postgres import LocalPostgres
from orchestration.settings import data_paths
from orchestration.sources import entity

ORDER_LINES = entity("erp_sales_order_lines")
ONE_MONTH_TARGET_S, ALL_MONTHS_TARGET_S = 10.0, 120.0
LAG = timedelta(hours=3)


def landing_months(landing: Path) -> list[str]:
    """The months of ``landing`` holding an order-line extract, in order."""
    root = Path(landing) / ORDER_LINES.system / ORDER_LINES.entity
    months = sorted(p.name for p in root.iterdir() if p.is_dir() and any(p.glob(f"*{ORDER_LINES.file_suffix}")))
    if not months:
        raise FileNotFoundError(f"no order-line extracts under {root}: generate a demo company first (sop demo)")
    return months


def _extract_months(connection: PostgresConnection, months: list[str], landing: str, chunk_rows: int) -> dict:
    """Extract ``months`` of order lines in order (run in a child process); the figures."""
    connector = PostgresConnector(connection, chunk_rows=chunk_rows)
    rows = chunks = 0
    slowest = 0.0
    started = time.perf_counter()
    for month in months:
        t0 = time.perf_counter()
        result = extract_month(connector, ORDER_LINES, month, Path(landing), LAG)
        slowest = max(slowest, time.perf_counter() - t0)
        rows += result.rows
        chunks += result.chunks
    seconds = time.perf_counter() - started
    return {
        "months": len(months),
        "rows": rows,
        "chunks": chunks,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds) if seconds else None,
        "slowest_month_seconds": round(slowest, 2),
        "peak_rss_mb": peak_rss_mb(),
    }


def _in_child(connection: PostgresConnection, months: list[str], landing: Path, chunk_rows: int) -> dict:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(_extract_months, connection, months, str(landing), chunk_rows).result()


def _folder_bytes(landing: Path, month: str) -> dict[str, bytes]:
    folder = ORDER_LINES.landing_dir(landing, month)
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def measure(landing: Path, work: Path, chunk_rows: int = 50_000, say: Callable[[str], None] = print) -> dict:
    """Load ``landing``'s order-line history into a local PostgreSQL server under ``work`` and time the
    backfill and one monthly extract (module docstring)."""
    landing = Path(landing)
    months = landing_months(landing)
    extracted = work / "landing"
    figures: dict = {"landing": str(landing), "first_month": months[0], "last_month": months[-1]}
    figures["chunk_rows"] = chunk_rows
    with LocalPostgres(work / "postgres", secrets.token_urlsafe(24)) as server:
        connection = server.create_database("erp")
        say(f"Loading {len(months)} months of order lines into {connection.describe()} ...")
        started = time.perf_counter()
        loaded = 0
        with psycopg.connect(connection.conninfo(), autocommit=True) as conn:
            create_erp_schema(conn)
            for month in months:
                loaded += load_erp_month(conn, landing, month, entities=[ORDER_LINES])[ORDER_LINES.name]
            conn.execute("VACUUM ANALYZE erp.sales_order_lines")
        figures["load"] = {"rows": loaded, "seconds": round(time.perf_counter() - started, 2)}
        figures["load"]["peak_rss_mb"] = peak_rss_mb()

        say(f"Backfill: extracting {len(months)} months ...")
        figures["all_months"] = _in_child(connection, months, extracted, chunk_rows)
        last = _folder_bytes(extracted, months[-1])
        say(f"Monthly close: extracting {months[-1]} again ...")
        figures["one_month"] = {"month": months[-1], **_in_child(connection, months[-1:], extracted, chunk_rows)}
        figures["checks"] = {
            "backfill_delivered_every_row_once": figures["all_months"]["rows"] == loaded,
            "month_again_same_bytes": _folder_bytes(extracted, months[-1]) == last,
        }
    figures["targets"] = {
        "one_month_seconds": ONE_MONTH_TARGET_S,
        "all_months_seconds": ALL_MONTHS_TARGET_S,
        "met": figures["one_month"]["seconds"] < ONE_MONTH_TARGET_S
        and figures["all_months"]["seconds"] < ALL_MONTHS_TARGET_S,
    }
    figures["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    figures["measured_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return figures


def format_line(f: dict) -> str:
    """One line of figures."""
    one, every = f["one_month"], f["all_months"]
    return (
        f"PostgreSQL connector, order lines: one month ({one['month']}) {one['rows']:,} rows in {one['seconds']:.2f} s "
        f"({one['rows_per_second']:,} rows/s, peak RSS {one['peak_rss_mb']:,.0f} MB) | all {every['months']} months "
        f"{every['rows']:,} rows in {every['seconds']:.1f} s ({every['rows_per_second']:,} rows/s, slowest month "
        f"{every['slowest_month_seconds']:.2f} s, peak RSS {every['peak_rss_mb']:,.0f} MB) | "
        f"load {f['load']['seconds']:.1f} s | targets {'met' if f['targets']['met'] else 'MISSED'} | checks "
        + ", ".join(f"{k} {'ok' if v else 'FAILED'}" for k, v in f["checks"].items())
    )


def _progress(line: str) -> None:
    """Progress goes to stderr; stdout gets the line of figures."""
    print(line, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.benchmarks.connector_postgres", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--data-dir", help="data root (default: $SOP_DATA_DIR or ./data)")
    parser.add_argument("--landing", help="landing root of a demo company (default: <data>/landing)")
    parser.add_argument("--chunk-rows", type=int, default=50_000, help="rows per cursor chunk (default 50000)")
    parser.add_argument("--output", help="JSON file (default: <data>/bench/connector_postgres.json)")
    args = parser.parse_args(argv)
    paths = data_paths(args.data_dir)
    landing = Path(args.landing) if args.landing else paths.landing
    if not (landing / ORDER_LINES.system / ORDER_LINES.entity).is_dir():
        print(f"no demo company in {landing}: run `sop demo` first or pass --landing", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="sop-connector-bench-") as work:
        figures = measure(landing, Path(work), args.chunk_rows, _progress)
    out = Path(args.output) if args.output else paths.root / "bench" / "connector_postgres.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(format_line(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
