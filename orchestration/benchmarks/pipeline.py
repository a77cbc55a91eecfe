"""``sop bench``: time each stage of building the history at a given scale.

Stages are timed on the plain domain functions (no Dagster in the way), in a scratch data
root: generate the demo company, ingest every entity and month into raw, ``dbt build``
(models and tests), publish. Then the cost of data quality: ``close_month`` closes the last
month again (re-ingest its extracts, ``dbt build`` for that month) and ``quality`` runs every
GX suite for that month (raw entities, cross-table controls, marts, with quarantine and Data
Docs), in this process from cold (GX import and suite set-up included);
``quality.ratio_to_close_month`` is the share the checks add to closing a month (target
< 0.20). Figures (seconds, rows, rows per second, peak memory) are printed and written as
JSON so they can be compared between commits and machines.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from orchestration.build_window import build_window
from orchestration.ingestion import LandingFolderReader, load_month
from orchestration.publishing import publish_marts
from orchestration.settings import DBT_PROJECT_DIR, data_paths
from orchestration.sources import CATALOG


def default_results_dir(data_dir=None) -> Path:
    """``<data root>/bench``: figures of this machine, next to its data, out of the work tree."""
    return data_paths(data_dir).root / "bench"


def months_between(first: str, last: str) -> list[str]:
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def dbt_build(warehouse_db: Path, first_month: str, last_month: str) -> None:
    """``dbt build`` of the whole project against ``warehouse_db`` for ``first_month`` ..
    ``last_month``, the range handed over in ``pipeline.build_window`` as the orchestration does;
    raises on failure.

    Every build of one warehouse uses one target folder next to it and the same vars, so dbt keeps
    its partially parsed project between builds as a monthly run does. The manifest is never
    written into the project's ``target/``: other processes (every run, ``sop dev``) read it."""
    dbt = Path(sys.executable).with_name("dbt")
    with build_window(warehouse_db, date.fromisoformat(f"{first_month}-01"), date.fromisoformat(f"{last_month}-01")):
        proc = subprocess.run(
            [
                str(dbt),
                "build",
                "--vars",
                json.dumps({"warehouse_db": str(warehouse_db)}),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
                "--target-path",
                str(warehouse_db.parent / "dbt-bench"),
                "--quiet",
            ],
            cwd=DBT_PROJECT_DIR,
            capture_output=True,
            text=True,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"dbt build failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")


def quality_cost_stages(paths, month: str, say: Callable[[str], None]) -> dict[str, dict]:
    """Time closing ``month`` again (ingest + dbt build) and then every GX suite for it."""
    reader = LandingFolderReader(paths.landing)
    t0 = time.perf_counter()
    rows = 0
    with duckdb.connect(str(paths.warehouse_db)) as con:
        for entity in CATALOG:
            rows += load_month(con, entity, month, reader, load_id=f"bench-close:{entity.name}").rows
    dbt_build(paths.warehouse_db, month, month)
    close = {"seconds": time.perf_counter() - t0, "rows": rows}
    say(f"  close {month} {close['seconds']:8.1f}s  {rows:>12,} rows (re-ingest + dbt build of the month)")

    t0 = time.perf_counter()
    from orchestration.quality.engine import run_all_suites
    from orchestration.quality.validation import runner

    runner()
    init = time.perf_counter() - t0
    with duckdb.connect(str(paths.warehouse_db)) as con:
        outcomes = run_all_suites(con, [month], paths.reports)
    seconds = time.perf_counter() - t0
    quality = {
        "seconds": seconds,
        "rows": sum(o.rows_validated for o in outcomes),
        "suites": len(outcomes),
        "expectations": sum(o.expectations for o in outcomes),
        "failed_suites": sorted(o.suite for o in outcomes if not o.passed),
        "gx_setup_seconds": round(init, 2),
        "ratio_to_close_month": round(seconds / close["seconds"], 3),
    }
    say(
        f"  quality   {seconds:8.1f}s  {quality['suites']} suites, {quality['expectations']} expectations "
        f"= {quality['ratio_to_close_month']:.0%} of closing the month (GX set-up {init:.1f}s)"
    )
    return {"close_month": close, "quality": quality}


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def run_benchmark(
    *,
    scale: float,
    seed: int,
    start: str,
    through: str,
    work_dir: Path | None = None,
    output: Path | None = None,
    data_dir: Path | None = None,
    say: Callable[[str], None] = print,
) -> dict:
    from orchestration.demo import generate_company

    scratch = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix=f"sop-bench-{scale}-"))
    paths = data_paths(scratch)
    months = months_between(start, through)
    stages: dict[str, dict] = {}
    say(f"Benchmark at scale {scale}: {len(months)} months ({start} .. {through}) in {scratch}")
    try:
        t0 = time.perf_counter()
        summary = generate_company(paths.landing, seed=seed, scale=scale, start=start, through=through)
        rows_generated = sum(summary.rows.values())
        stages["generate"] = {"seconds": time.perf_counter() - t0, "rows": rows_generated}
        say(f"  generate  {stages['generate']['seconds']:8.1f}s  {rows_generated:>12,} rows")

        t0 = time.perf_counter()
        reader = LandingFolderReader(paths.landing)
        paths.warehouse_dir.mkdir(parents=True, exist_ok=True)
        loaded = 0
        with duckdb.connect(str(paths.warehouse_db)) as con:
            for entity in CATALOG:
                for month in months:
                    loaded += load_month(con, entity, month, reader, load_id=f"bench:{entity.name}").rows
        stages["ingest"] = {"seconds": time.perf_counter() - t0, "rows": loaded}
        say(f"  ingest    {stages['ingest']['seconds']:8.1f}s  {loaded:>12,} rows")

        t0 = time.perf_counter()
        dbt_build(paths.warehouse_db, start, through)
        stages["dbt_build"] = {"seconds": time.perf_counter() - t0}
        say(f"  dbt build {stages['dbt_build']['seconds']:8.1f}s")

        stages.update(quality_cost_stages(paths, through, say))

        t0 = time.perf_counter()
        published = publish_marts(
            paths.warehouse_db, paths.serve_dir, run_id="bench", months=(f"{start}-01", f"{through}-01")
        )
        stages["publish"] = {"seconds": time.perf_counter() - t0, "rows": sum(published.tables.values())}
        say(f"  publish   {stages['publish']['seconds']:8.1f}s  {stages['publish']['rows']:>12,} rows")
        warehouse_mb = round(paths.warehouse_db.stat().st_size / 2**20, 1)
    finally:
        if not work_dir:
            shutil.rmtree(scratch, ignore_errors=True)

    for stage in stages.values():
        stage["seconds"] = round(stage["seconds"], 2)
        if "rows" in stage and stage["seconds"]:
            stage["rows_per_second"] = round(stage["rows"] / stage["seconds"])
    total = round(sum(s["seconds"] for s in stages.values()), 2)
    figures = {
        "scale": scale,
        "seed": seed,
        "months": len(months),
        "first_month": start,
        "last_month": through,
        "stages": stages,
        "total_seconds": total,
        "peak_rss_mb": _peak_rss_mb(),
        "warehouse_mb": warehouse_mb,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    say(f"  total     {total:8.1f}s  peak RSS {figures['peak_rss_mb']} MB, warehouse {warehouse_mb} MB")
    out = Path(output) if output else default_results_dir(data_dir) / f"bench-scale{scale:g}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    say(f"  figures written to {out}")
    return figures
