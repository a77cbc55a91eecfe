"""Where a Dagster run's time and memory go, step by step (``benchmarks/README.md``)::

    python -m orchestration.cli.run_profile record --trace T.csv -- sop demo --scale 10 --data-dir D
    python -m orchestration.cli.run_profile report --data-dir D --trace T.csv

``record`` runs the command and samples the resident memory of its process tree every
``--interval`` seconds. ``report`` reads the run's own step events from the data root's
Dagster instance (the newest run, or ``--run``): each step's seconds and, with a trace, its
peak memory (``orchestration.benchmarks.run_profile``).

Sampling every 2 s can miss a spike shorter than that; ``/usr/bin/time -v`` gives the one
exact peak of the largest process.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from orchestration.benchmarks.run_profile import record_memory, step_report, step_spans


def report(data_dir: str | None, trace_path: Path | None, run_id: str | None) -> pd.DataFrame:
    """The step report of run ``run_id`` (the newest run of the data root when None)."""
    from dagster import DagsterEventType

    from orchestration.runner import instance_for

    instance = instance_for(data_dir)
    if run_id is None:
        runs = instance.get_runs(limit=1)
        if not runs:
            raise SystemExit(f"no run in the Dagster instance of {data_dir or 'the default data root'}")
        run_id = runs[0].run_id
    kinds = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
    events = [
        (e.timestamp, e.step_key, e.dagster_event.event_type_value, e.dagster_event.pid)
        for e in instance.all_logs(run_id, of_type=kinds)
        if e.dagster_event is not None
    ]
    trace = pd.read_csv(trace_path) if trace_path else None
    return step_report(step_spans(events), trace)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.cli.run_profile", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="run a command and sample its process tree's memory")
    rec.add_argument("--trace", type=Path, required=True)
    rec.add_argument("--interval", type=float, default=2.0)
    rec.add_argument("cmd", nargs=argparse.REMAINDER)
    rep = sub.add_parser("report", help="each step's seconds and peak memory of a run")
    rep.add_argument("--data-dir")
    rep.add_argument("--trace", type=Path)
    rep.add_argument("--run")
    args = parser.parse_args(argv)
    if args.command == "record":
        cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
        if not cmd:
            parser.error("record: give the command after --")
        return record_memory(cmd, args.trace, args.interval)
    table = report(args.data_dir, args.trace, args.run)
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(table.sort_values("seconds", ascending=False).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
