"""Benchmark of the connectors on the scale-1 demo company: the PostgreSQL ERP and the CRM API.

What: one demo company (default scale 1, all history through the last complete month) is
generated into a scratch folder unless ``--landing`` names one, then ``connector_postgres``
(order lines: one monthly close and the whole history as a backfill, from a throwaway
PostgreSQL server) and ``connector_crm`` (opportunities and their history, every month, from the
local Salesforce-shaped API) run on it. The figures go to ``<data>/bench/connector_postgres.json``
and ``<data>/bench/connector_crm.json``.

Why: ``make bench`` measures the connectors against their targets (docs/connectors.md): one month
of order lines under 10 s, the whole history under 2 minutes, the CRM at 2,000 records/s or more.

Usage: ``python -m orchestration.benchmarks.connectors [--scale 1] [--landing DIR] [--data-dir DIR]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from orchestration.benchmarks import connector_crm, connector_postgres
from orchestration.clock import last_complete_month
from orchestration.demo import generate_company
from orchestration.settings import data_paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.benchmarks.connectors", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--scale", type=float, default=1.0, help="scale of the generated company (default 1)")
    parser.add_argument("--landing", help="use this demo company's landing folder instead of generating one")
    parser.add_argument("--data-dir", help="data root for the figures (default: $SOP_DATA_DIR or ./data)")
    args = parser.parse_args(argv)
    out = data_paths(args.data_dir).root / "bench"
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="sop-connectors-bench-"))
    try:
        landing = Path(args.landing) if args.landing else scratch / "landing"
        if not args.landing:
            started = time.perf_counter()
            through = last_complete_month()
            print(f"Generating the demo company at scale {args.scale} through {through} ...", flush=True)
            generate_company(landing, seed=7, scale=args.scale, through=through)
            print(f"  generated in {time.perf_counter() - started:.0f}s", flush=True)
        figures = connector_postgres.measure(landing, scratch / "postgres", say=print)
        (out / "connector_postgres.json").write_text(json.dumps(figures, indent=2) + "\n")
        print(connector_postgres.format_line(figures), flush=True)
        figures = connector_crm.run_connector_benchmark(landing, say=print, work_dir=scratch / "crm")
        (out / "connector_crm.json").write_text(json.dumps(figures, indent=2) + "\n")
        print(connector_crm.format_line(figures), flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
