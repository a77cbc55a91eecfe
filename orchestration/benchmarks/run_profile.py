"""Where a Dagster run's time and memory go, step by step.

The arithmetic of ``python -m orchestration.cli.run_profile`` (``record`` a command's memory
trace, ``report`` a run's steps): ``record_memory`` samples the resident memory of every
process of a command's tree every few seconds (CSV: ``t, pid, ppid, rss_mb, dbt``);
``step_spans`` times each step from its STEP_START to its STEP_SUCCESS or STEP_FAILURE
event; ``step_report`` gives each step's peak memory: its process and everything it started
(dbt's process counted apart), and the whole tree while it ran (other steps running at the
same time included).

Sampling every 2 s can miss a spike shorter than that; ``/usr/bin/time -v`` gives the one
exact peak of the largest process.
"""

from __future__ import annotations

import csv
import subprocess
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
    """The steps of a run from its events, ``(timestamp, step key, event type name, pid)``, in
    the order they started; a step with no end event ends at the run's last event."""
    starts: dict[str, tuple[float, int | None]] = {}
    ends: dict[str, float] = {}
    last = 0.0
    for timestamp, step, kind, pid in events:
        last = max(last, timestamp)
        if not step:
            continue
        if kind == "STEP_START":
            starts[step] = (timestamp, pid)
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            ends[step] = timestamp
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


def record_memory(command: list[str], trace_path: Path, interval: float = 2.0) -> int:
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
