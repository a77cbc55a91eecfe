"""Benchmark of the S&OP cycle's outputs for one cycle: scorecard, plan comparison, register, pack and summary.

What: on a copy of a built warehouse (``make demo`` leaves one in ``$SOP_DATA_DIR/warehouse``), the last
stored cycle is closed again: ``store_cycle_tables`` (KPI actuals, scorecard, plan comparison, snapshots,
action history), the dbt build of the ``sop_cycle`` marts (``dbt build -s path:models/staging/sop_cycle
path:models/marts/sop_cycle``, tests included) and ``write_cycle_reports`` (pack with its charts, summary .md and
.eml), each timed. The planner files are the demo's (``docs/examples``).

Why: these steps run in every monthly close after the forecasts and the supply plan; the target for the
three together is under 15 s at scale 1 (docs/sop_cycle.md).

Usage: ``python -m orchestration.benchmarks.sop_cycle [--data-dir DIR] [--output FILE]``; the figures go to
``<data>/bench/sop_cycle.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.demo.planner_files import write_planner_examples
from orchestration.settings import DBT_PROJECT_DIR, data_paths
from orchestration.sop_cycle.cycle import store_cycle_tables, write_cycle_reports


def measure(warehouse_db: Path, work: Path) -> dict:
    """Time the three steps for the last stored cycle on a copy of ``warehouse_db`` in ``work``."""
    db = work / "warehouse.duckdb"
    shutil.copy(warehouse_db, db)
    inputs = work / "inputs"
    write_planner_examples(inputs)
    with duckdb.connect(str(db)) as con:
        last = con.execute("SELECT max(cycle_month) FROM forecast.forecast_snapshots").fetchone()[0]
        previous = con.execute(
            "SELECT max(cycle_month) FROM forecast.forecast_snapshots WHERE cycle_month < ?", [last]
        ).fetchone()[0]
        cycles = [pd.Timestamp(c) for c in (previous, last) if c is not None][-1:]
        started = time.perf_counter()
        stored = store_cycle_tables(con, inputs, cycles, pd.Timestamp(datetime.now(timezone.utc)).tz_localize(None))
        tables_s = time.perf_counter() - started
    started = time.perf_counter()
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run(
        [
            str(dbt),
            "build",
            "--quiet",
            "--profiles-dir",
            ".",
            "--target-path",
            str(db.parent / "dbt-bench"),
            "-s",
            "path:models/staging/sop",
            "path:models/marts/sop",
            "--vars",
            json.dumps({"warehouse_db": str(db)}),
        ],
        cwd=DBT_PROJECT_DIR,
        check=True,
    )
    dbt_s = time.perf_counter() - started
    with duckdb.connect(str(db)) as con:
        started = time.perf_counter()
        reports = write_cycle_reports(con, cycles[-1], work / "reports", sender="bench@localhost", recipients=[])
        reports_s = time.perf_counter() - started
    return {
        "cycle": f"{cycles[-1]:%Y-%m}",
        "rows": stored.rows,
        "seconds": {
            "sop_tables": round(tables_s, 2),
            "dbt_sop_marts": round(dbt_s, 2),
            "pack_and_summary": round(reports_s, 2),
            "total": round(tables_s + dbt_s + reports_s, 2),
        },
        "pack_bytes": reports.pack.stat().st_size,
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="data root of a built demo (default: $SOP_DATA_DIR or ./data)")
    parser.add_argument("--output", help="JSON file (default: <data>/bench/sop_cycle.json)")
    args = parser.parse_args(argv)
    paths = data_paths(args.data_dir)
    if not paths.warehouse_db.exists():
        print(f"no built warehouse at {paths.warehouse_db}: run `make demo` first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as work:
        figures = measure(paths.warehouse_db, Path(work))
    out = Path(args.output) if args.output else paths.root / "bench" / "sop_cycle.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    s = figures["seconds"]
    print(
        f"S&OP cycle {figures['cycle']}: tables {s['sop_tables']}s, dbt {s['dbt_sop_marts']}s, "
        f"pack + summary {s['pack_and_summary']}s, total {s['total']}s -> {out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
