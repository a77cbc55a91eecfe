"""Running the monthly S&OP job from code (the ``sop`` command, benchmarks and tests).

The job runs in this process against a Dagster instance (``$DAGSTER_HOME``, by default
``<data>/.dagster``), so the runs, materializations and check results show in the UI later.
A range of months is one run (single-run backfill), exactly like a backfill from the UI.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from dagster import AssetCheckSeverity, DagsterEventType, DagsterInstance
from dagster._core.utils import make_new_run_id

from orchestration.settings import data_paths

DAGSTER_YAML = """\
# Written by `sop`: the instance behind `sop run`, `sop demo` and `make dev`.
telemetry:
  enabled: false
concurrency:
  runs:
    # one run at a time writes the warehouse: a second one waits in the queue
    max_concurrent_runs: 1
  pools:
    # every step that writes the warehouse DuckDB file takes a slot of pool sop_warehouse
    default_limit: 1
"""


def ensure_dagster_home(data_dir=None) -> str:
    """Make ``<data>/.dagster`` with its dagster.yaml unless DAGSTER_HOME is already set."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        home = str(data_paths(data_dir).dagster_home)
        os.environ["DAGSTER_HOME"] = home
    os.makedirs(home, exist_ok=True)
    config = os.path.join(home, "dagster.yaml")
    if not os.path.exists(config):
        with open(config, "w") as fh:
            fh.write(DAGSTER_YAML)
    return home


@dataclass
class CycleRun:
    run_id: str
    success: bool
    steps_failed: list[str]
    #: checks of ERROR severity that failed: these block what depends on them
    failed_checks: list[str]
    #: checks of WARN severity that failed: reported, not blocking
    warned_checks: list[str]


class _StepProgress(threading.Thread):
    """Follows the run's step events in the instance and prints one short line per step."""

    TYPES = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}

    def __init__(self, instance: DagsterInstance, run_id: str, emit_line: Callable[[str], None]):
        super().__init__(daemon=True)
        self.instance, self.run_id, self.emit_line = instance, run_id, emit_line
        self.done = threading.Event()
        self.cursor = None

    def run(self) -> None:
        while not self.done.wait(0.5):
            self.drain()
        self.drain()

    def drain(self) -> None:
        try:
            conn = self.instance.get_records_for_run(self.run_id, cursor=self.cursor, of_type=self.TYPES)
        except Exception:  # noqa: BLE001 - the run may not be registered yet
            return
        self.cursor = conn.cursor
        for record in conn.records:
            event = record.event_log_entry.dagster_event
            if event.event_type == DagsterEventType.STEP_START:
                self.emit_line(f"  … {event.step_key}")
            elif event.event_type == DagsterEventType.STEP_SUCCESS:
                seconds = event.event_specific_data.duration_ms / 1000
                self.emit_line(f"  ✓ {event.step_key} ({seconds:.1f}s)")
            else:
                self.emit_line(f"  ✗ {event.step_key} failed")


def run_monthly_cycle(
    first_month: str,
    last_month: str,
    *,
    instance: DagsterInstance | None = None,
    progress: Callable[[str], None] | None = None,
    log_file: Path | None = None,
    console_log_level: str = "INFO",
) -> CycleRun:
    """Materialize the monthly job for the partitions ``first_month``..``last_month`` (``YYYY-MM``).

    ``progress`` gets a line per step as it starts and ends; ``log_file`` receives the run's
    full event log when it ends; ``console_log_level`` filters Dagster's own console lines.
    """
    from orchestration.definitions import defs

    job = defs.resolve_job_def("monthly_sop_cycle")
    tags = {
        "dagster/asset_partition_range_start": f"{first_month}-01",
        "dagster/asset_partition_range_end": f"{last_month}-01",
    }
    if instance is None:
        ensure_dagster_home()
        instance = DagsterInstance.get()
    run_id = make_new_run_id()
    follower = _StepProgress(instance, run_id, progress) if progress else None
    if follower:
        follower.start()
    try:
        result = job.execute_in_process(
            instance=instance,
            tags=tags,
            run_id=run_id,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": console_log_level}}}},
        )
    finally:
        if follower:
            follower.done.set()
            follower.join()
        if log_file is not None:
            write_run_log(instance, run_id, log_file)
    failed_steps = [e.step_key for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    failed = [
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION and not e.asset_check_evaluation_data.passed
    ]

    def label(evaluation) -> str:
        return f"{evaluation.asset_check_key.asset_key.to_user_string()}:{evaluation.asset_check_key.name}"

    return CycleRun(
        result.run_id,
        result.success,
        failed_steps,
        [label(e) for e in failed if e.severity == AssetCheckSeverity.ERROR],
        [label(e) for e in failed if e.severity != AssetCheckSeverity.ERROR],
    )


def write_run_log(instance: DagsterInstance, run_id: str, path: Path) -> None:
    """Append every event of the run to ``path``, one line each: time, level, step, message."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fh.write(f"--- event log of run {run_id} ---\n")
        for entry in instance.all_logs(run_id):
            stamp = datetime.fromtimestamp(entry.timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
            level = logging.getLevelName(entry.level)
            step = entry.step_key or "-"
            message = entry.dagster_event.message if entry.dagster_event and entry.dagster_event.message else entry.user_message
            fh.write(f"{stamp} {level:<7} {step:<40} {message}\n")
