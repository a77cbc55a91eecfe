"""Benchmark of the supply-planning step: ``plan_cycle`` on the demo company at a given scale.

What: the demo company is generated into a scratch folder (``orchestration.demo.generate_company``,
in a child process so that this process's peak RSS is the supply step's own), the cycle's
``CycleData`` is built straight from the landing files with DuckDB (``cycle_data_from_landing``:
no ingestion, no dbt, no Dagster), and ``plan_cycle`` runs once with the default ``Policy``. The
figures are the plan's size (SKUs, sites, SKU × site pairs, months, LP variables / constraints /
nonzeros), HiGHS's own solve time, the wall seconds of every stage of ``plan_cycle``
(``CycleResult.seconds``) and of the whole call, the peak RSS, the exceptions raised and the
solver status.

Why: the supply step runs inside every monthly close; this measures how it grows with the
company (``make bench`` runs it at scales 1 and 4) against its targets (benchmarks/supply_planning.md).

How the inputs match production: the ERP snapshots of the cycle month are read and cast as the
staging models do (CSV read as text; ``cast(nullif(trim(x), '') as <catalog type>)``; the
lineage columns ``_source_file`` / ``_source_row`` as ingestion sets them), then selected with
the column names and renames of ``orchestration.supply.warehouse.read_cycle_data``. The demand
history is the forecast bench's ``DEMAND_HISTORY_SQL`` (the grain and zero-filling of
``marts.demand_history_monthly``). The bench measures supply, not forecasting, so the consensus
demand is a stand-in: every SKU × region with demand in the last 12 months gets, for each of the
18 months after the cycle, the mean of its last 12 months (of the months its series has);
there are no stored forecast snapshots, so ``forecast_errors`` is empty and the safety stocks
use the naive-forecast error (as in a first cycle).

Usage: ``python -m orchestration.benchmarks.supply --scale 1 --scale 4 [--output-dir DIR]``; figures
go to ``<DIR>/supply_scale<S>.json`` (default ``$SOP_DATA_DIR/bench``, i.e. ``data/bench``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from multiprocessing import get_context
from pathlib import Path
from typing import Callable, Sequence

import duckdb
import pandas as pd

from orchestration.benchmarks.forecasting import DEMAND_HISTORY_SQL
from orchestration.benchmarks.rss import peak_rss_mb
from orchestration.sources import SourceEntity, entity
from orchestration.supply.cycle import CycleData, plan_cycle
from orchestration.supply.frames import SOURCE_FILE, SOURCE_ROW, add_months
from orchestration.supply.policy import Policy

#: the default company: two years of history ending at the cycle month (the cycle is the last month)
DEFAULT_SEED, DEFAULT_START, DEFAULT_THROUGH = 7, "2024-11", "2026-10"
#: months of history the stand-in consensus averages, and the months it plans
CONSENSUS_BASE_MONTHS, CONSENSUS_HORIZON = 12, 18

#: staging renames of the raw columns (everything else keeps its name), as in the stg_erp__* models
_STAGING_RENAMES = {"on_hand_qty": "on_hand_quantity", "description": "item_description"}
_LINEAGE = f"source_file AS {SOURCE_FILE}, source_row AS {SOURCE_ROW}"

# The SELECTs of orchestration.supply.warehouse.read_cycle_data on the staging views, without the
# snapshot_month filter (each view holds the cycle month's snapshot only).
_SELECTS = {
    "items": "SELECT sku, product_family AS family, CAST(standard_cost_usd AS DOUBLE) AS unit_cost, "
    "CAST(list_price_usd AS DOUBLE) AS unit_price, eol_date, lifecycle_status FROM stg_erp__items",
    "item_sites": "SELECT sku, site_code AS site, procurement_type, supplying_site_code AS supplying_site, "
    "lead_time_days, CAST(lead_time_std_days AS DOUBLE) AS lead_time_std_days, lot_rule, "
    "CAST(lot_size AS DOUBLE) AS lot_size, poq_periods AS periods, CAST(min_order_qty AS DOUBLE) AS moq, "
    f"CAST(order_multiple AS DOUBLE) AS multiple, {_LINEAGE} "
    "FROM stg_erp__item_sites ORDER BY source_file, source_row",
    "region_sites": "SELECT region_code AS region, site_code AS site, CAST(demand_share AS DOUBLE) AS share, "
    f"{_LINEAGE} FROM stg_erp__sourcing_rules ORDER BY source_file, source_row",
    "inventory": "SELECT snapshot_date, sku, site_code AS site, CAST(on_hand_quantity AS DOUBLE) AS on_hand "
    "FROM stg_erp__inventory_snapshots",
    "receipts": "SELECT receipt_id, sku, site_code AS site, due_date, CAST(quantity AS DOUBLE) AS quantity "
    "FROM stg_erp__scheduled_receipts",
    "capacity": "SELECT work_center_id AS work_center, site_code AS site, capacity_month AS month, "
    f"CAST(available_hours AS DOUBLE) AS available_hours, {_LINEAGE} "
    "FROM stg_erp__work_center_capacity ORDER BY source_file, source_row",
    "routings": "SELECT sku, work_center_id AS work_center, CAST(hours_per_unit AS DOUBLE) AS hours_per_unit, "
    f"{_LINEAGE} FROM stg_erp__routings ORDER BY source_file, source_row",
}
_ENTITIES = {
    "items": "erp_items",
    "item_sites": "erp_item_sites",
    "region_sites": "erp_sourcing_rules",
    "inventory": "erp_inventory_snapshots",
    "receipts": "erp_scheduled_receipts",
    "capacity": "erp_work_center_capacity",
    "routings": "erp_routings",
}


# ---------------------------------------------------------------- inputs from the landing files
def _month_files(landing: Path, source: SourceEntity, month: str) -> list[Path]:
    folder = source.landing_dir(landing, month)
    files = sorted(folder.glob(f"*{source.file_suffix}"))
    if not files:
        raise FileNotFoundError(
            f"{source.name}: no {source.file_format} extract for {month} (expected *{source.file_suffix} in {folder})"
        )
    return files


def _staging_view(con: duckdb.DuckDBPyConnection, landing: Path, source: SourceEntity, month: str) -> None:
    """``stg_<system>__<entity>``: the cycle month's extract of ``source`` as its staging model has it.

    CSV: every field read as text and cast with ``cast(nullif(trim(x), '') as <type>)`` (the
    ``cast_csv_field`` macro); ``source_file`` is the path relative to the landing root and
    ``source_row`` the 1-based data row of the file, as the ingestion step records them.
    """
    files = [p.resolve().as_posix() for p in _month_files(landing, source, month)]
    root = landing.resolve().as_posix().rstrip("/") + "/"
    if source.file_format == "csv":
        fields = ", ".join(
            f"cast(nullif(trim(\"{c.name}\"), '') as {c.sql_type}) as {_STAGING_RENAMES.get(c.name, c.name)}"
            for c in source.columns
        )
        # a single file is scanned in order (insertion order is preserved), so row_number is the data row
        raw = (
            f"select *, row_number() over (partition by filename) as _row "
            f"from read_csv({files!r}, all_varchar = true, header = true, filename = true)"
        )
    else:
        fields = ", ".join(
            f'cast("{c.name}" as {c.sql_type}) as {_STAGING_RENAMES.get(c.name, c.name)}' for c in source.columns
        )
        raw = (
            "select *, file_row_number + 1 as _row "
            f"from read_parquet({files!r}, filename = true, file_row_number = true)"
        )
    con.execute(
        f"create or replace temp table stg_{source.system}__{source.entity} as "
        f"select {fields}, date '{month}-01' as snapshot_month, "
        f"replace(filename, '{root}', '') as source_file, _row as source_row from ({raw})"
    )


def demand_history(con: duckdb.DuckDBPyConnection, landing: Path, cycle: pd.Timestamp) -> pd.DataFrame:
    """sku, region, family, ds, y up to ``cycle`` (``marts.demand_history_monthly``'s ordered units;
    the family from the item master of the cycle, as ``dim_product``)."""
    con.execute(
        f"create or replace temp view demand_history as {DEMAND_HISTORY_SQL.format(landing=landing.as_posix())}"
    )
    history = con.execute(
        "SELECT split_part(h.unique_id, '|', 1) AS sku, nullif(split_part(h.unique_id, '|', 2), 'UNKNOWN') AS region, "
        "i.product_family AS family, CAST(h.ds AS DATE) AS ds, h.y FROM demand_history h "
        "LEFT JOIN stg_erp__items i ON split_part(h.unique_id, '|', 1) = i.sku "
        "WHERE CAST(h.ds AS DATE) <= ? ORDER BY sku, region, ds",
        [cycle.date()],
    ).df()
    history["ds"] = pd.to_datetime(history["ds"])
    return history


def stand_in_consensus(history: pd.DataFrame, cycle: pd.Timestamp) -> pd.DataFrame:
    """``forecast.consensus_demand`` sku_region rows of ``cycle``: each SKU × region with demand in the
    last 12 months gets the mean of those months (the months its series has) for each of the 18
    months after the cycle."""
    first = add_months(cycle, -(CONSENSUS_BASE_MONTHS - 1))
    recent = history[(history["ds"] >= first) & (history["ds"] <= cycle) & history["region"].notna()]
    base = recent.groupby(["sku", "region"], as_index=False).agg(
        family=("family", "first"), total=("y", "sum"), mean=("y", "mean")
    )
    base = base[base["total"] > 0].reset_index(drop=True)
    steps = pd.DataFrame({"horizon_step": range(1, CONSENSUS_HORIZON + 1)})
    rows = base.merge(steps, how="cross")
    units = rows["mean"].round(2).astype(float)
    return pd.DataFrame(
        {
            "cycle_month": cycle,
            "series_id": "sku=" + rows["sku"] + "|region=" + rows["region"],
            "level": "sku_region",
            "region_code": rows["region"],
            "product_family": rows["family"],
            "sku": rows["sku"],
            "forecast_month": [add_months(cycle, int(k)) for k in rows["horizon_step"]],
            "horizon_step": rows["horizon_step"].astype(int),
            "statistical_units": units,
            "consensus_units": units,
            "override_units": 0.0,
            "overridden_series": 0,
            "override_rows": None,
        }
    )


def cycle_data_from_landing(landing, cycle) -> CycleData:
    """Everything ``plan_cycle`` needs for ``cycle`` (``YYYY-MM`` or a date in the month), read from
    the demo's landing files: the ERP snapshots of the cycle month, the demand history up to it and
    the stand-in consensus (module doc); no forecast errors."""
    landing = Path(landing)
    cycle = pd.Timestamp(cycle).to_period("M").to_timestamp()
    month = f"{cycle:%Y-%m}"
    with duckdb.connect() as con:
        for name in _ENTITIES.values():
            _staging_view(con, landing, entity(name), month)
        frames = {key: con.execute(sql).df() for key, sql in _SELECTS.items()}
        history = demand_history(con, landing, cycle)
    frames["items"]["eol_date"] = pd.to_datetime(frames["items"]["eol_date"])
    return CycleData(
        cycle=cycle,
        consensus=stand_in_consensus(history, cycle),
        history=history,
        forecast_errors=pd.DataFrame(columns=["sku", "region", "ds", "error"]),
        **frames,
    )


# ---------------------------------------------------------------- the benchmark
def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        return None


def _generate(landing: str, seed: int, scale: float, start: str, through: str) -> dict:
    from orchestration.demo import generate_company

    summary = generate_company(Path(landing), seed=seed, scale=scale, start=start, through=through)
    return {"rows": summary.total_rows, "seconds": summary.seconds, "peak_rss_mb": peak_rss_mb()}


def run_supply_benchmark(
    scale: float,
    seed: int = DEFAULT_SEED,
    work_dir=None,
    say: Callable[[str], None] = print,
    *,
    start: str = DEFAULT_START,
    through: str = DEFAULT_THROUGH,
    policy: Policy | None = None,
) -> dict:
    """Generate the demo company at ``scale`` (``start`` .. ``through``), plan the cycle ``through``
    once and return the figures. ``work_dir`` keeps the landing files (``<work_dir>/landing``);
    without it a temporary folder is used and removed.
    """
    scratch = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix=f"sop-supply-bench-{scale:g}-"))
    landing = scratch / "landing"
    figures: dict = {"scale": scale, "seed": seed, "first_month": start, "cycle": through}
    try:
        say(f"Generating the demo company at scale {scale:g} ({start} .. {through}) in {scratch}")
        t0 = time.perf_counter()
        # in a child process: the generator's memory does not count in this process's peak RSS
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            generated = pool.submit(_generate, str(landing), seed, scale, start, through).result()
        figures["generate_seconds"] = round(time.perf_counter() - t0, 2)
        figures["generate_peak_rss_mb"] = generated["peak_rss_mb"]
        t0 = time.perf_counter()
        data = cycle_data_from_landing(landing, through)
        figures["load_seconds"] = round(time.perf_counter() - t0, 2)
    finally:
        if not work_dir:
            shutil.rmtree(scratch, ignore_errors=True)
    figures["rss_before_plan_mb"] = peak_rss_mb()
    say(
        f"Planning cycle {through}: {data.items['sku'].nunique():,} SKUs, "
        f"{data.consensus['series_id'].nunique():,} SKU × region series ..."
    )
    figures["load_before"] = _load_average()
    t0 = time.perf_counter()
    result = plan_cycle(data, policy or Policy())
    figures["plan_cycle_seconds"] = round(time.perf_counter() - t0, 3)
    figures["load_after"] = _load_average()
    figures["peak_rss_mb"] = peak_rss_mb()
    plan = result.supply_plan
    figures.update(
        {
            "skus": int(data.items["sku"].nunique()),
            "skus_planned": int(plan["sku"].nunique()),
            "sites": int(data.item_sites["site"].nunique()),
            "series": int(data.consensus["series_id"].nunique()),
            "pairs_planned": int(plan[["sku", "site"]].drop_duplicates().shape[0]),
            "months": len(result.months),
            "lp": dict(result.model_size),
            "highs_status": result.plan.status,
            "highs_solve_seconds": round(float(result.plan.seconds), 3),
            "stage_seconds": {k: round(float(v), 4) for k, v in result.seconds.items()},
            "exceptions": int(len(result.exceptions)),
            "exceptions_by_kind": {str(k): int(v) for k, v in result.exceptions["exception"].value_counts().items()}
            if not result.exceptions.empty
            else {},
            "objective": round(float(result.plan.objective), 2),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
            "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
    )
    return figures


def format_line(f: dict) -> str:
    """One line of figures for a scale."""
    lp = f["lp"]
    return (
        f"scale {f['scale']:g}: {f['skus']:,} SKUs × {f['sites']} sites, {f['pairs_planned']:,} pairs, "
        f"{f['months']} months | LP {lp['variables']:,} vars, {lp['constraints']:,} rows, {lp['nonzeros']:,} nz | "
        f"HiGHS {f['highs_solve_seconds']:.2f} s ({f['highs_status']}) | plan_cycle {f['plan_cycle_seconds']:.2f} s | "
        f"peak RSS {f['peak_rss_mb']:,.0f} MB | {f['exceptions']:,} exceptions | "
        + ", ".join(f"{k} {v:.2f}" for k, v in f["stage_seconds"].items())
    )


def _progress(line: str) -> None:
    """Progress goes to stderr; stdout gets one line of figures per scale."""
    print(line, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    from orchestration.settings import data_dir

    parser = argparse.ArgumentParser(
        prog="python -m orchestration.benchmarks.supply",
        description="Time the supply-planning step (plan_cycle) on the demo company.",
    )
    parser.add_argument("--scale", type=float, action="append", help="scale to measure (repeatable; default 1)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--start", default=DEFAULT_START, help=f"first generated month (default {DEFAULT_START})")
    parser.add_argument(
        "--through",
        default=DEFAULT_THROUGH,
        help=f"last generated month, the cycle planned (default {DEFAULT_THROUGH})",
    )
    parser.add_argument("--output-dir", help="folder for supply_scale<S>.json (default: $SOP_DATA_DIR/bench)")
    parser.add_argument(
        "--work-dir",
        help="keep the generated landing files in <work-dir>/scale<S> (default: a temporary folder, removed)",
    )
    args = parser.parse_args(argv)
    out_dir = Path(args.output_dir) if args.output_dir else data_dir() / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    for scale in args.scale or [1.0]:
        work = Path(args.work_dir) / f"scale{scale:g}" if args.work_dir else None
        figures = run_supply_benchmark(scale, args.seed, work, _progress, start=args.start, through=args.through)
        out = out_dir / f"supply_scale{scale:g}.json"
        out.write_text(json.dumps(figures, indent=2) + "\n")
        print(format_line(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
