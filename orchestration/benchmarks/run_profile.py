"""Where a Dagster run's time and memory go, step by step.

Two commands, used together to measure a whole run (``benchmarks/README.md``)::

    python -m orchestration.benchmarks.run_profile record --trace T.csv -- sop demo --scale 10 --data-dir D
    python -m orchestration.benchmarks.run_profile report --data-dir D --trace T.csv

``record`` runs the command and samples the resident memory of every process of its tree
every ``--interval`` seconds (CSV: ``t, pid, ppid, rss_mb, dbt``). ``report`` reads the
run's own events from the data root's Dagster instance: each step's wall time (its
STEP_START to its STEP_SUCCESS or STEP_FAILURE), and with a trace, the peak memory of the
step's process and everything it started (dbt's process counted apart), and of the whole
tree while the step ran (other steps running at the same time included).

Sampling every 2 s can miss a spike shorter than that; ``/usr/bin/time -v`` gives the one
exact peak of the largest process.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

TRACE_COLUMNS = ["t", "pid", "ppid", "rss_mb", "dbt"]


@dataclass(frozen=True)
class StepSpan:
    """One step of a run: its key, the process it ran in, when it started and ended (epoch seconds)."""

    step: str
    pid: int | None
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def step_spans(events) -> list[StepSpan]:
    """The steps of a run from its event log entries (``timestamp``, ``step_key``, ``dagster_event``),
    in the order they started; a step with no end event ends at the run's last event."""
    from dagster import DagsterEventType

    starts: dict[str, tuple[float, int | None]] = {}
    ends: dict[str, float] = {}
    last = 0.0
    for entry in events:
        last = max(last, entry.timestamp)
        event = entry.dagster_event
        if event is None or not entry.step_key:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            starts[entry.step_key] = (entry.timestamp, event.pid)
        elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            ends[entry.step_key] = entry.timestamp
    spans = [StepSpan(step, pid, start, ends.get(step, last)) for step, (start, pid) in starts.items()]
    return sorted(spans, key=lambda s: s.start)


def subtree_rss(samples: pd.DataFrame, root: int) -> pd.DataFrame:
    """Per sample time: the memory of ``root`` and its descendants (``rss_mb``) and of the dbt
    processes among them (``dbt_mb``), from a trace's rows (columns ``TRACE_COLUMNS``)."""
    rows = []
    for t, at in samples.groupby("t", sort=True):
        children: dict[int, list[int]] = {}
        for pid, ppid in zip(at["pid"], at["ppid"]):
            children.setdefault(int(ppid), []).append(int(pid))
        tree, todo = set(), [root]
        while todo:
            pid = todo.pop()
            if pid not in tree:
                tree.add(pid)
                todo.extend(children.get(pid, []))
        mine = at[at["pid"].isin(tree)]
        rows.append(
            {"t": t, "rss_mb": mine["rss_mb"].sum(), "dbt_mb": mine.loc[mine["dbt"].astype(bool), "rss_mb"].sum()}
        )
    return pd.DataFrame(rows, columns=["t", "rss_mb", "dbt_mb"])


def step_report(spans: list[StepSpan], trace: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per step: seconds, and with a trace the peaks (MB) of the step's own process tree
    (``step_peak_mb``, of which ``dbt_peak_mb``) and of all processes (``total_peak_mb``) while it ran."""
    totals = trace.groupby("t")["rss_mb"].sum() if trace is not None and len(trace) else None
    rows = []
    for span in spans:
        row = {"step": span.step, "seconds": round(span.seconds, 1)}
        if totals is not None:
            during = trace[(trace["t"] >= span.start) & (trace["t"] <= span.end)]
            own = subtree_rss(during, span.pid) if span.pid is not None and len(during) else None
            window = totals[(totals.index >= span.start) & (totals.index <= span.end)]
            row["step_peak_mb"] = round(own["rss_mb"].max(), 0) if own is not None and len(own) else None
            row["dbt_peak_mb"] = round(own["dbt_mb"].max(), 0) if own is not None and len(own) else None
            row["total_peak_mb"] = round(window.max(), 0) if len(window) else None
        rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------ commands
def record(command: list[str], trace_path: Path, interval: float = 2.0) -> int:
    """Run ``command``, writing a memory sample of its process tree every ``interval`` seconds; its exit code."""
    import psutil

    child = subprocess.Popen(command)
    root = psutil.Process(child.pid)
    trace_path.parent.mkdir(parents=True, exist_ok=True)
    with trace_path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(TRACE_COLUMNS)
        while child.poll() is None:
            t = round(time.time(), 1)
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            for p in processes:
                try:
                    with p.oneshot():
                        rss = p.memory_info().rss / 2**20
                        is_dbt = any("dbt" in Path(part).name for part in p.cmdline()[:2])
                        writer.writerow([t, p.pid, p.ppid(), round(rss, 1), int(is_dbt)])
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
            fh.flush()
            time.sleep(interval)
    return child.wait()


def report(data_dir: str | None, trace_path: Path | None, run_id: str | None) -> pd.DataFrame:
    """The step report of run ``run_id`` (the newest run of the data root when None)."""
    from orchestration.runner import instance_for

    instance = instance_for(data_dir)
    if run_id is None:
        runs = instance.get_runs(limit=1)
        if not runs:
            raise SystemExit(f"no run in the Dagster instance of {data_dir or 'the default data root'}")
        run_id = runs[0].run_id
    from dagster import DagsterEventType

    kinds = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
    spans = step_spans(instance.all_logs(run_id, of_type=kinds))
    trace = pd.read_csv(trace_path) if trace_path else None
    return step_report(spans, trace)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.benchmarks.run_profile", description=__doc__)
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
        return record(cmd, args.trace, args.interval)
    table = report(args.data_dir, args.trace, args.run)
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(table.sort_values("seconds", ascending=False).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
