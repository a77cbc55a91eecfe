"""Benchmark of the CRM connector: every month of the demo CRM extracted through the Salesforce-shaped API.

What: the demo company's CRM (``opportunities`` and ``opportunity_history``, every month of the
landing zone given) is loaded into the local Salesforce-shaped server
(``orchestration.demo.crm_api_server``), then every month of ``opportunity_history`` and of
``opportunities`` is extracted with ``SalesforceConnector`` and ``extract_month`` into a scratch
landing zone, in month order, as the monthly job would (lag window 3 h, page size 2000, no rate
limit). The figures are the records the API delivered (rows written, tombstones, rows of the lag
window already delivered, rows after the window, versions merged), the pages, the requests, the
wall seconds of the extracts and records per second (target: at least 2,000), per entity and in all.

Why: a monthly close extracts the CRM through the API; this says how long that takes for the demo
company's volumes, and whether the client (JSON pages to DataFrames) or the framework (coerce,
merge, write) is the bottleneck at Salesforce's largest page.

How it relates to production: the server runs in a child process (so that its JSON encoding does
not share this process's interpreter lock), on 127.0.0.1: no network latency, no Salesforce
throttling, so the figure is the connector's own throughput, an upper bound of what a real org
gives. The server holds the CRM as of the last month (each opportunity in its latest version), so
an opportunity's month is the month it last changed; every history row is in its own month.

Usage: ``python -m orchestration.benchmarks.connector_crm --landing /tmp/sp_demo/landing
[--page-size 2000] [--output-dir DIR]``; figures go to ``<DIR>/connector_crm.json`` (default
``$SOP_DATA_DIR/bench``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from multiprocessing import get_context
from pathlib import Path

from orchestration.connectors.extract import extract_month
from orchestration.connectors.salesforce import SalesforceConnection, SalesforceConnector
from orchestration.sources import entity

#: the entities extracted, in this order
ENTITIES = ("crm_opportunity_history", "crm_opportunities")
TARGET_RECORDS_PER_SECOND = 2000.0
LAG = timedelta(hours=3)
_CLIENT_ID = "bench-client"
_MONTH = re.compile(r"^\d{4}-\d{2}$")


def landing_months(landing, entity_name: str) -> list[str]:
    """The months (``YYYY-MM``) ``entity_name`` has a landing folder for, in order."""
    folder = Path(landing) / entity(entity_name).system / entity(entity_name).entity
    months = sorted(p.name for p in folder.iterdir() if p.is_dir() and _MONTH.match(p.name)) if folder.is_dir() else []
    if not months:
        raise FileNotFoundError(f"no landing months of {entity_name} under {folder}")
    return months


def _serve(landing: str, months: list[str], client_secret: str, connection) -> None:
    """Child process: load the CRM into the server, send its URL, serve until told to stop."""
    from orchestration.demo.crm_api_server import CrmApiServer, records_from_landing

    started = time.perf_counter()
    records = records_from_landing(landing, months, [entity(name) for name in ENTITIES])
    load_seconds = round(time.perf_counter() - started, 2)
    with CrmApiServer(records, _CLIENT_ID, client_secret, max_requests=1_000_000, request_timeout=60) as server:
        connection.send(
            {"url": server.url, "load_seconds": load_seconds, "records": {k: len(v) for k, v in records.items()}}
        )
        connection.recv()  # anything: stop
        connection.send({"requests": len(server.requests)})


def run_connector_benchmark(landing, page_size: int = 2000, say: Callable[[str], None] = print, work_dir=None) -> dict:
    """Serve ``landing``'s CRM from a child process and extract every month of ``ENTITIES``
    through it into ``work_dir`` (default: a temporary folder, removed); returns the figures."""
    landing = Path(landing)
    months = landing_months(landing, ENTITIES[0])
    scratch = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="sop-connector-bench-"))
    client_secret = secrets.token_hex(16)
    figures: dict = {"landing": str(landing), "months": len(months), "first_month": months[0]}
    figures.update({"last_month": months[-1], "page_size": page_size, "lag_hours": LAG.total_seconds() / 3600})
    parent, child = get_context("spawn").Pipe()
    server = get_context("spawn").Process(target=_serve, args=(str(landing), months, client_secret, child))
    server.start()
    try:
        say(f"Loading {len(months)} months of {', '.join(ENTITIES)} into the CRM API server ...")
        server_info = parent.recv() if parent.poll(600) else None
        if not server_info:
            raise RuntimeError("the CRM API server did not start")
        figures["server_load_seconds"] = server_info["load_seconds"]
        figures["server_records"] = server_info["records"]
        connection = SalesforceConnection(
            server_info["url"], _CLIENT_ID, client_secret, page_size=page_size, max_requests_per_second=0
        )
        connector = SalesforceConnector(connection)
        per_entity, total_records, total_seconds = {}, 0, 0.0
        for name in ENTITIES:
            source = entity(name)
            say(f"Extracting {len(months)} months of {name} ...")
            records = rows = pages = 0
            started = time.perf_counter()
            for month in months:
                result = extract_month(connector, source, month, scratch / "landing", LAG)
                rows += result.rows
                pages += result.chunks
                records += (
                    result.rows
                    + result.deleted
                    + result.already_delivered
                    + result.after_window
                    + result.merged_versions
                )
            seconds = time.perf_counter() - started
            per_entity[name] = {
                "records": records,
                "rows_written": rows,
                "pages": pages,
                "seconds": round(seconds, 2),
                "records_per_second": round(records / seconds, 1) if seconds else None,
            }
            total_records += records
            total_seconds += seconds
        connector.close()
        parent.send("stop")
        figures["requests"] = parent.recv()["requests"] if parent.poll(30) else None
    finally:
        server.join(timeout=30)
        if server.is_alive():
            server.terminate()
        if not work_dir:
            shutil.rmtree(scratch, ignore_errors=True)
    figures.update(
        {
            "entities": per_entity,
            "records": total_records,
            "seconds": round(total_seconds, 2),
            "records_per_second": round(total_records / total_seconds, 1),
            "target_records_per_second": TARGET_RECORDS_PER_SECOND,
            "meets_target": total_records / total_seconds >= TARGET_RECORDS_PER_SECOND,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
            "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
    )
    return figures


def format_line(f: dict) -> str:
    """One line of figures."""
    parts = [
        f"{name}: {e['records']:,} records in {e['pages']:,} pages, {e['seconds']:.1f} s, "
        f"{e['records_per_second']:,.0f} records/s"
        for name, e in f["entities"].items()
    ]
    verdict = "meets" if f["meets_target"] else "MISSES"
    return (
        f"CRM connector, {f['months']} months, page size {f['page_size']}: {f['records']:,} records in "
        f"{f['seconds']:.1f} s = {f['records_per_second']:,.0f} records/s ({verdict} the target of "
        f"{f['target_records_per_second']:,.0f}) | " + " | ".join(parts)
    )


def _progress(line: str) -> None:
    """Progress goes to stderr; stdout gets the line of figures."""
    print(line, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    from orchestration.settings import data_dir

    parser = argparse.ArgumentParser(
        prog="python -m orchestration.benchmarks.connector_crm",
        description="Time the CRM connector extracting the demo CRM through the local Salesforce-shaped API.",
    )
    parser.add_argument("--landing", required=True, help="the demo company's landing folder (e.g. from `sop demo`)")
    parser.add_argument("--page-size", type=int, default=2000, help="records per page (default 2000)")
    parser.add_argument("--output-dir", help="folder for connector_crm.json (default: $SOP_DATA_DIR/bench)")
    parser.add_argument("--work-dir", help="keep the extracted landing files here (default: a temporary folder)")
    args = parser.parse_args(argv)
    out_dir = Path(args.output_dir) if args.output_dir else data_dir() / "bench"
    figures = run_connector_benchmark(args.landing, args.page_size, _progress, args.work_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "connector_crm.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(format_line(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
