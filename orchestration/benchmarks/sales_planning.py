"""Benchmark of the sales-planning step: the whole step at scale 1, and the territory rebalancing at scale 1 and 4.

What: on a copy of a built warehouse (``make demo`` leaves one in ``$SOP_DATA_DIR/warehouse``) the last closed
month is planned again with the demo's planner files (``docs/examples``): reading the marts, the quota plan
with bottom-up and headcount, the territory balance and rebalancing MIP (HiGHS), payouts with their forecast and
the what-if, and storing the tables, each timed. The rebalancing is then solved alone on the same book and on a
book four times as large (every account and rep copied four times within its region: scale 4's shape, ~8,000
accounts and ~240 reps), the case the territory target is set for.

Why: the step runs in every monthly close; the targets are under 20 s for the step and under 10 s for the
rebalancing on 2 cores (docs/sales_planning.md).

Usage: ``python -m orchestration.benchmarks.sales_planning [--data-dir DIR] [--output FILE]``; the figures go to
``<data>/bench/sales_planning.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.demo.planner_files import EXAMPLES_DIR
from orchestration.forecasting import warehouse as forecast_wh
from orchestration.sales_planning import plan, rebalance
from orchestration.sales_planning import warehouse as sales_wh
from orchestration.settings import data_paths

STEP_TARGET_S, REBALANCE_TARGET_S = 20.0, 10.0


def scaled_book(book: pd.DataFrame, reps: pd.DataFrame, copies: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``copies`` copies of every account and rep, ids suffixed, each copy's accounts owned by its own reps."""
    books, teams = [], []
    for k in range(copies):
        b = book.copy()
        b["account_id"] = b["account_id"] + f"-{k}"
        b["owner_rep_id"] = b["owner_rep_id"] + f"-{k}"
        r = reps.copy()
        r["rep_id"] = r["rep_id"] + f"-{k}"
        books.append(b)
        teams.append(r)
    return pd.concat(books, ignore_index=True), pd.concat(teams, ignore_index=True)


def _solve(book: pd.DataFrame, reps: pd.DataFrame, policy: rebalance.RebalancePolicy) -> dict:
    started = time.perf_counter()
    result = rebalance.propose_rebalance(book, reps, policy)
    return {
        "accounts": int(len(book)),
        "reps": int(len(reps)),
        "seconds": round(time.perf_counter() - started, 2),
        "highs_seconds": round(float(result.solve_seconds), 2),
        "moves": int(len(result.moves)),
        "variables": int(result.variables),
        "constraints": int(result.constraints),
        "status": result.status,
        "cv_before": float(result.before.set_index("region_code").loc["total", "potential_cv"]),
        "cv_after": float(result.after.set_index("region_code").loc["total", "potential_cv"]),
    }


def measure(warehouse_db: Path, work: Path) -> dict:
    db = work / "warehouse.duckdb"
    shutil.copy(warehouse_db, db)
    seconds: dict[str, float] = {}
    with duckdb.connect(str(db)) as con:
        cycle = forecast_wh.last_history_month(con)
        if cycle is None:
            raise SystemExit(f"{warehouse_db} has no history: run `make demo` first")
        started = time.perf_counter()
        data = sales_wh.read_plan_data(con, cycle)
        seconds["read_marts"] = time.perf_counter() - started
        policy = plan.SalesPlanningPolicy()
        started = time.perf_counter()
        q = plan.plan_quotas(data, EXAMPLES_DIR / "sales_targets.csv", policy)
        seconds["quotas_and_headcount"] = time.perf_counter() - started
        started = time.perf_counter()
        plan.plan_territories(data, q["accounts"], EXAMPLES_DIR / plan.DECISIONS_FILE, policy)
        seconds["territories"] = time.perf_counter() - started
        started = time.perf_counter()
        plan.plan_payouts(data, EXAMPLES_DIR / plan.COMP_PLANS_FILE, EXAMPLES_DIR / plan.WHAT_IF_FILE, [])
        seconds["payouts"] = time.perf_counter() - started
        started = time.perf_counter()
        sales_plan = plan.plan_sales(data, EXAMPLES_DIR, policy)
        stored = sales_wh.write_plan(con, cycle, sales_plan.tables)
        seconds["whole_step_with_store"] = time.perf_counter() - started
        seconds["whole_step_with_read"] = seconds["whole_step_with_store"] + seconds["read_marts"]
    book = q["accounts"]
    reps = data.reps[["rep_id", "territory_id", "region_code"]]
    rebalancing = {"scale_1": _solve(book, reps, policy.rebalance)}
    rebalancing["scale_4"] = _solve(*scaled_book(book, reps, 4), policy.rebalance)
    return {
        "cycle": f"{pd.Timestamp(cycle):%Y-%m}",
        "rows": stored,
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
        "rebalancing": rebalancing,
        "targets": {"step_s": STEP_TARGET_S, "rebalancing_s": REBALANCE_TARGET_S},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="data root (default: $SOP_DATA_DIR or ./data)")
    parser.add_argument("--output", default=None, help="JSON file (default: <data>/bench/sales_planning.json)")
    args = parser.parse_args(argv)
    paths = data_paths(args.data_dir)
    if not paths.warehouse_db.exists():
        print(f"no warehouse at {paths.warehouse_db}: run `make demo` first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        figures = measure(paths.warehouse_db, Path(tmp))
    figures.update(
        {
            "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": {"python": platform.python_version(), "processor": platform.machine()},
        }
    )
    output = Path(args.output) if args.output else paths.root / "bench" / "sales_planning.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    s, r = figures["seconds"], figures["rebalancing"]
    print(
        f"sales planning {figures['cycle']}: whole step {s['whole_step_with_read']:.1f} s "
        f"(target {STEP_TARGET_S:.0f} s); rebalancing {r['scale_1']['seconds']:.1f} s at scale 1, "
        f"{r['scale_4']['seconds']:.1f} s at scale 4 (target {REBALANCE_TARGET_S:.0f} s) -> {output}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
