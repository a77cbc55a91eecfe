"""Running the monthly S&OP job from code (the ``sop`` command, benchmarks and tests).

The job runs in this process against a Dagster instance (``$DAGSTER_HOME``, by default
``<data>/.dagster``), so the runs, materializations and check results show in the UI later.
A range of months is one run (single-run backfill), exactly like a backfill from the UI.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from dagster import AssetCheckSeverity, DagsterEventType, DagsterInstance

from orchestration.settings import PROJECT_ROOT, data_paths

DAGSTER_YAML = """\
# Written by `sop`: the instance behind `sop run`, `sop demo` and `make dev`.
telemetry:
  enabled: false
nux:
  # no first-visit newsletter dialog in the UI: it covers the page until dismissed
  enabled: false
concurrency:
  runs:
    # one run at a time writes the warehouse: a second one waits in the queue
    max_concurrent_runs: 1
  pools:
    # every step that writes the warehouse DuckDB file takes a slot of pool sop_warehouse
    default_limit: 1
python_logs:
  # what ingestion reports (malformed lines set aside, columns left out) shows in the run's log
  managed_python_loggers:
    - orchestration.ingestion
"""


def dagster_home(data_dir=None) -> Path:
    """The instance folder: ``$DAGSTER_HOME`` when set, else ``<data>/.dagster`` (made with its
    dagster.yaml if missing). Nothing is written to the process environment."""
    home = Path(os.environ.get("DAGSTER_HOME") or data_paths(data_dir).dagster_home)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return home


def instance_for(data_dir=None) -> DagsterInstance:
    """The Dagster instance of a data root: the one ``sop dev`` shows (see ``dagster_home``)."""
    return DagsterInstance.from_config(str(dagster_home(data_dir)))


#: The code location ``workspace.yaml`` defines, and the repository name Dagster gives a
#: ``Definitions`` object: a run recorded with this origin is listed under the job in the UI.
LOCATION_NAME = "sop"
REPOSITORY_NAME = "__repository__"
#: the run tag the UI filters a job's runs by (``<repository>@<location>``)
REPOSITORY_LABEL_TAG = ".dagster/repository"


def _record_origin(instance: DagsterInstance, run_id: str, job_name: str) -> None:
    """Record the code location as the run's origin, as if the UI had launched it.

    ``execute_in_process`` stores a run with no repository origin, so the UI's Runs tab of the
    job and the Overview timeline leave it out. The origin names the location of
    ``workspace.yaml``; its label tag is set at launch, the origin once the run is stored.
    """
    from dagster._core.remote_origin import ManagedGrpcPythonEnvCodeLocationOrigin, RemoteRepositoryOrigin
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    run = instance.get_run_by_id(run_id)
    if run is None:
        return
    location = ManagedGrpcPythonEnvCodeLocationOrigin(
        loadable_target_origin=LoadableTargetOrigin(
            executable_path=sys.executable,
            module_name="orchestration.definitions",
            working_directory=str(PROJECT_ROOT),
        ),
        location_name=LOCATION_NAME,
    )
    origin = RemoteRepositoryOrigin(code_location_origin=location, repository_name=REPOSITORY_NAME)
    instance.run_storage.replace_job_origin(run, origin.get_job_origin(job_name))


@dataclass(frozen=True)
class RunFailure:
    """One thing that went wrong in a run, as the run's event log tells it."""

    #: the asset (a raw, dbt or serving asset; for a failed step, the step's asset or op)
    asset: str
    #: the check's name, or None when the step itself failed (an exception)
    check: str | None
    step: str
    #: the error (a failed step) or the check's description: one line per problem, naming
    #: file, row and rule where there are ones
    message: str
    #: "ERROR" blocks what depends on it; "WARN" is reported only
    severity: str = "ERROR"
    #: the rows a failed check names, from its ``failures`` metadata: dicts with rule,
    #: source_file, source_row and value (at most a few per rule)
    samples: tuple = ()


@dataclass
class CycleRun:
    run_id: str
    success: bool
    steps_failed: list[str]
    #: checks of ERROR severity that failed: these block what depends on them
    failed_checks: list[str]
    #: checks of WARN severity that failed: reported, not blocking
    warned_checks: list[str]
    #: every failed step's error and every failed ERROR check's description
    failures: list[RunFailure] = field(default_factory=list)
    #: the description of every failed WARN check
    warnings: list[RunFailure] = field(default_factory=list)


class _StepProgress(threading.Thread):
    """Follows the run in the instance and prints short progress lines as it goes.

    One line per step as it starts and ends; inside the dbt step one line per model built
    (``k of N``), so its minutes are not silent; the info lines the forecast and publishing
    steps log (one per forecast cycle). Raw steps' own log lines (one per set-aside line of a
    malformed extract) stay in the log file.
    """

    STEPS = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}

    def __init__(self, instance: DagsterInstance, run_id: str, emit_line: Callable[[str], None]):
        super().__init__(daemon=True)
        self.instance, self.run_id, self.emit_line = instance, run_id, emit_line
        self.done = threading.Event()
        self.cursor = None
        #: per step, the assets it is planned to materialize and those it has (a range run
        #: materializes each asset once per partition: counted once)
        self.planned: dict[str, set] = {}
        self.built: dict[str, set] = {}

    def run(self) -> None:
        while not self.done.wait(0.5):
            self.drain()
        self.drain()

    def drain(self) -> None:
        try:
            conn = self.instance.get_records_for_run(self.run_id, cursor=self.cursor)
        except Exception:  # noqa: BLE001 - the run may not be registered yet
            return
        self.cursor = conn.cursor
        for record in conn.records:
            for line in self.lines_for(record.event_log_entry):
                self.emit_line(line)

    def lines_for(self, entry) -> list[str]:
        event = entry.dagster_event
        step = entry.step_key or ""
        if event is None:
            if (
                entry.level >= logging.INFO
                and step
                and entry.user_message
                and not step.startswith("raw_")
                and "dbt" not in step
            ):
                return [f"      {entry.user_message}"]
            return []
        kind = event.event_type
        if kind == DagsterEventType.ASSET_MATERIALIZATION_PLANNED:
            self.planned.setdefault(step, set()).add(event.asset_key)
        elif kind == DagsterEventType.ASSET_MATERIALIZATION and "dbt" in step and len(self.planned.get(step, ())) > 1:
            built = self.built.setdefault(step, set())
            if event.asset_key in built:
                return []
            built.add(event.asset_key)
            return [f"      built {event.asset_key.to_user_string()} ({len(built)} of {len(self.planned[step])})"]
        elif kind == DagsterEventType.STEP_START:
            return [f"  … {event.step_key}"]
        elif kind == DagsterEventType.STEP_SUCCESS:
            seconds = event.event_specific_data.duration_ms / 1000
            return [f"  ✓ {event.step_key} ({seconds:.1f}s)"]
        elif kind == DagsterEventType.STEP_FAILURE:
            return [f"  ✗ {event.step_key} failed"]
        return []


@dataclass(frozen=True)
class RunSummary:
    """One run of the monthly job, as ``sop status`` reports it."""

    run_id: str
    first_month: str
    last_month: str
    #: Dagster's run status: SUCCESS, FAILURE, STARTED, CANCELED, ...
    status: str
    started_at: datetime | None
    seconds: float | None


def monthly_runs(instance: DagsterInstance, limit: int = 200) -> list[RunSummary]:
    """The monthly job's runs, newest first, with the months each one covered."""
    from dagster import RunsFilter

    records = instance.get_run_records(filters=RunsFilter(job_name="monthly_sop_cycle"), limit=limit)
    out = []
    for record in records:
        run = record.dagster_run
        start = run.tags.get("dagster/asset_partition_range_start") or run.tags.get("dagster/partition")
        end = run.tags.get("dagster/asset_partition_range_end") or start
        began, ended = record.start_time, record.end_time
        out.append(
            RunSummary(
                run.run_id,
                (start or "")[:7],
                (end or "")[:7],
                run.status.value,
                datetime.fromtimestamp(began, timezone.utc) if began else None,
                (ended - began) if began and ended else None,
            )
        )
    return out


def blocked_months(runs: list[RunSummary]) -> list[str]:
    """Months whose latest finished run failed (newest-first ``runs``): closed by nobody since."""
    latest: dict[str, str] = {}
    for run in runs:
        if run.status not in ("SUCCESS", "FAILURE") or not run.first_month:
            continue
        y, m = map(int, run.first_month.split("-"))
        while f"{y:04d}-{m:02d}" <= run.last_month:
            latest.setdefault(f"{y:04d}-{m:02d}", run.status)
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return sorted(month for month, status in latest.items() if status == "FAILURE")


def cycle_run_config(data_dir=None, forecast_cycles: int | None = None, console_log_level: str = "INFO") -> dict:
    """The run config of a monthly run: the data root and the forecast cycles as resource config
    (what the launchpad shows), and the console log level."""
    resources: dict = {}
    if data_dir is not None:
        resources["sop_data"] = {"config": {"data_dir": str(Path(data_dir).expanduser().resolve())}}
    if forecast_cycles is not None:
        resources["forecast_settings"] = {"config": {"backfill_cycles": int(forecast_cycles)}}
    run_config: dict = {"loggers": {"console": {"config": {"log_level": console_log_level}}}}
    if resources:
        run_config["resources"] = resources
    return run_config


def run_monthly_cycle(
    first_month: str,
    last_month: str,
    *,
    data_dir: str | os.PathLike | None = None,
    forecast_cycles: int | None = None,
    instance: DagsterInstance | None = None,
    progress: Callable[[str], None] | None = None,
    log_file: Path | None = None,
    console_log_level: str = "INFO",
) -> CycleRun:
    """Materialize the monthly job for the partitions ``first_month``..``last_month`` (``YYYY-MM``).

    ``data_dir`` is the data root (default ``$SOP_DATA_DIR`` or ``./data``) and ``forecast_cycles``
    the forecast cycles of a range run (default: ``ForecastSettings``'), both passed to the run as
    resource config, so they show in the run's config in the UI. ``instance`` defaults to the data
    root's (``instance_for``).
    ``progress`` gets a line per step as it starts and ends; ``log_file`` receives the run's
    full event log when it ends; ``console_log_level`` filters Dagster's own console lines.
    """
    from orchestration.definitions import defs

    job = defs.resolve_job_def("monthly_sop_cycle")
    tags = {
        "dagster/asset_partition_range_start": f"{first_month}-01",
        "dagster/asset_partition_range_end": f"{last_month}-01",
        REPOSITORY_LABEL_TAG: f"{REPOSITORY_NAME}@{LOCATION_NAME}",
    }
    if instance is None:
        instance = instance_for(data_dir)
    run_config = cycle_run_config(data_dir, forecast_cycles, console_log_level)
    run_id = str(uuid.uuid4())
    follower = _StepProgress(instance, run_id, progress) if progress else None
    if follower:
        follower.start()
    try:
        result = job.execute_in_process(
            instance=instance,
            tags=tags,
            run_id=run_id,
            raise_on_error=False,
            run_config=run_config,
        )
    finally:
        _record_origin(instance, run_id, job.name)
        if follower:
            follower.done.set()
            follower.join()
        if log_file is not None:
            write_run_log(instance, run_id, log_file)
    failures, warnings = run_failures(instance, run_id)

    def label(failure: RunFailure) -> str:
        return f"{failure.asset}:{failure.check}"

    return CycleRun(
        result.run_id,
        result.success,
        [e.step_key for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE],
        [label(f) for f in failures if f.check is not None],
        [label(f) for f in warnings],
        failures,
        warnings,
    )


def run_failures(instance: DagsterInstance, run_id: str) -> tuple[list[RunFailure], list[RunFailure]]:
    """(failures, warnings) of a run, read from its event log.

    A failure is a step that raised (its own error message, not Dagster's wrapper) or a
    check that failed with ERROR severity (its description). A step that failed only because
    one of its blocking checks failed is not listed twice: the check says why.
    """
    failures, warnings = [], []
    types = {DagsterEventType.STEP_FAILURE, DagsterEventType.ASSET_CHECK_EVALUATION}
    for entry in instance.all_logs(run_id, of_type=types):
        event = entry.dagster_event
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.asset_check_evaluation_data
            if evaluation.passed:
                continue
            failure = RunFailure(
                asset=evaluation.asset_check_key.asset_key.to_user_string(),
                check=evaluation.asset_check_key.name,
                step=event.step_key or "",
                message=(evaluation.description or _spec_description(evaluation)).strip(),
                severity="ERROR" if evaluation.severity == AssetCheckSeverity.ERROR else "WARN",
                samples=_samples(evaluation.metadata.get("failures")),
            )
            (failures if failure.severity == "ERROR" else warnings).append(failure)
            continue
        error = event.step_failure_data.error
        if error is not None and "DagsterAssetCheckFailedError" in _chain(error):
            continue
        message = _error_text(error) if error is not None else "failed"
        asset, check = _step_target(instance, run_id, event.step_key)
        failures.append(RunFailure(asset=asset, check=check, step=event.step_key, message=message))
    return failures, warnings


def _spec_description(evaluation) -> str:
    """A check evaluated without a description of its own (a dbt test): what the check checks,
    from its spec, and how many rows failed."""
    from orchestration.definitions import defs

    key = evaluation.asset_check_key
    try:
        spec = defs.resolve_asset_graph().get_check_spec(key)
        text = spec.description or f"check {key.name} failed"
    except Exception:  # noqa: BLE001 - a check of another code version: say what is known
        text = f"check {key.name} failed"
    failed = evaluation.metadata.get("dagster_dbt/failed_row_count")
    if failed is not None:
        text += f" Failed rows: {getattr(failed, 'value', failed)}."
    return text


def _step_target(instance: DagsterInstance, run_id: str, step_key: str) -> tuple[str, str | None]:
    """(asset, check) a step was planned to produce when it is exactly one; else (step key, None)."""
    checks, assets = set(), set()
    types = {DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED, DagsterEventType.ASSET_MATERIALIZATION_PLANNED}
    for entry in instance.all_logs(run_id, of_type=types):
        event = entry.dagster_event
        if event.step_key != step_key:
            continue
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED:
            planned = event.asset_check_planned_data
            checks.add((planned.asset_key.to_user_string(), planned.check_name))
        else:
            assets.add(event.asset_materialization_planned_data.asset_key.to_user_string())
    if len(assets) == 1 and not checks:
        return assets.pop(), None
    if len(checks) == 1 and not assets:
        return checks.pop()
    return step_key, None


def _samples(failures) -> tuple:
    """Flatten a check's ``failures`` metadata (a JSON list per failed expectation) to sample rows."""
    value = getattr(failures, "value", failures)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return ()
    rows = []
    for failure in value if isinstance(value, list) else []:
        if not isinstance(failure, dict):
            continue
        for sample in failure.get("samples") or []:
            if isinstance(sample, dict):
                rows.append(
                    {
                        "rule": failure.get("rule"),
                        "source_file": sample.get("source_file"),
                        "source_row": sample.get("source_row"),
                        "value": sample.get("value"),
                    }
                )
    return tuple(rows)


def _chain(error) -> list[str]:
    names = []
    while error is not None:
        names.append(error.cls_name)
        error = error.cause
    return names


def _error_text(error) -> str:
    """The message of the first exception below Dagster's wrappers, without its class path."""
    while error.cause is not None and (error.cls_name or "").startswith("Dagster"):
        error = error.cause
    text = error.message.strip()
    prefix, sep, rest = text.partition(": ")
    if sep and prefix.split(".")[-1] == error.cls_name:
        text = rest
    return text


def write_run_log(instance: DagsterInstance, run_id: str, path: Path) -> None:
    """Append every event of the run to ``path``, one line each: time, level, step, message."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fh.write(f"--- event log of run {run_id} ---\n")
        for entry in instance.all_logs(run_id):
            stamp = datetime.fromtimestamp(entry.timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
            level = logging.getLevelName(entry.level)
            step = entry.step_key or "-"
            message = (
                entry.dagster_event.message
                if entry.dagster_event and entry.dagster_event.message
                else entry.user_message
            )
            fh.write(f"{stamp} {level:<7} {step:<40} {message}\n")
