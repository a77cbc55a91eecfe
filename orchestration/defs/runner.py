"""Running the monthly S&OP job from code (the ``sop`` command, benchmarks and tests).

The job runs in this process against a Dagster instance (``$DAGSTER_HOME``, by default
``<data>/.dagster``), so the runs, materializations and check results show in the UI later.
A range of months is one run (single-run backfill), exactly like a backfill from the UI.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from dagster import DagsterEventType, DagsterInstance

from orchestration.settings import data_paths

DAGSTER_YAML = """\
# Written by `sop`: the instance behind `sop run`, `sop demo` and `make dev`.
telemetry:
  enabled: false
concurrency:
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
    failed_checks: list[str]


class _StepProgress(logging.Handler):
    """Turns Dagster's step events into one short line each."""

    def __init__(self, emit_line: Callable[[str], None]):
        super().__init__(level=logging.DEBUG)
        self.emit_line = emit_line

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None)
        event = getattr(meta, "dagster_event", None) if meta is not None else None
        if event is None:
            return
        if event.event_type == DagsterEventType.STEP_START:
            self.emit_line(f"  … {event.step_key}")
        elif event.event_type == DagsterEventType.STEP_SUCCESS:
            seconds = event.event_specific_data.duration_ms / 1000
            self.emit_line(f"  ✓ {event.step_key} ({seconds:.1f}s)")
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            self.emit_line(f"  ✗ {event.step_key} failed")


def run_monthly_cycle(
    first_month: str,
    last_month: str,
    *,
    instance: DagsterInstance | None = None,
    progress: Callable[[str], None] | None = None,
) -> CycleRun:
    """Materialize the monthly job for the partitions ``first_month``..``last_month`` (``YYYY-MM``)."""
    from orchestration.definitions import defs

    job = defs.get_job_def("monthly_sop_cycle")
    tags = {
        "dagster/asset_partition_range_start": f"{first_month}-01",
        "dagster/asset_partition_range_end": f"{last_month}-01",
    }
    handler = _StepProgress(progress) if progress else None
    dagster_logger = logging.getLogger("dagster")
    if handler:
        dagster_logger.addHandler(handler)
    try:
        if instance is None:
            ensure_dagster_home()
            instance = DagsterInstance.get()
        result = job.execute_in_process(instance=instance, tags=tags, raise_on_error=False)
    finally:
        if handler:
            dagster_logger.removeHandler(handler)
    failed_steps = [e.step_key for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    failed_checks = [
        f"{e.asset_check_evaluation_data.asset_check_key.asset_key.to_user_string()}:"
        f"{e.asset_check_evaluation_data.asset_check_key.name}"
        for e in result.all_events
        if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION and not e.asset_check_evaluation_data.passed
    ]
    return CycleRun(result.run_id, result.success, failed_steps, failed_checks)
