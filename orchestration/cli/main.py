"""``sop``: the command for what people run by hand.

    sop demo      generate the demo company, build all history, publish, print headlines
    sop generate  write the demo company's extracts into the landing folder (with faults)
    sop run       run the monthly S&OP cycle for one month or a range, in this process
    sop status    where everything is, and what is published
    sop bench     time each stage (generate, ingest, dbt, checks, publish) at one or more scales
    sop forecast  evaluate the forecast model selection on a CSV; benchmark the forecast step
    sop actions   the S&OP action register: list, add, update, close, check (inputs/sop_actions.csv)
    sop dev       the Dagster UI on localhost:3000

Every subcommand has ``--help``. ``--data-dir`` (or ``$SOP_DATA_DIR``, default ``./data``)
chooses the data root.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import time
from pathlib import Path

from orchestration.cli.arguments import month as _month
from orchestration.cli.arguments import positive_int as _positive_int
from orchestration.clock import last_complete_month
from orchestration.settings import PROJECT_ROOT, data_paths, history_start


def _say(line: str) -> None:
    print(line, flush=True)


def _use_data_dir(args) -> Path:
    """The chosen data root (made if missing); it is passed on explicitly, never through the environment."""
    root = data_paths(args.data_dir)
    root.root.mkdir(parents=True, exist_ok=True)
    return root.root


# ---------------------------------------------------------------- generate
def _parse_fault(text: str):
    from orchestration.demo import Fault

    try:
        kind, entity, month = text.split(":")
    except ValueError:
        raise argparse.ArgumentTypeError(f"fault {text!r} must be KIND:ENTITY:YYYY-MM") from None
    return Fault(kind=kind, entity=entity, month=_month(month))


def cmd_generate(args) -> int:
    from orchestration.demo import generate_company

    root = _use_data_dir(args)
    paths = data_paths(root)
    _say(
        f"Generating the demo company (seed {args.seed}, scale {args.scale}, "
        f"{args.start} .. {args.through}) into {paths.landing}"
    )
    summary = generate_company(
        paths.landing,
        seed=args.seed,
        scale=args.scale,
        start=args.start,
        through=args.through,
        faults=args.fault or (),
        progress=lambda line: _say(f"  {line}"),
    )
    _say(f"Wrote {summary.files:,} files, {sum(summary.rows.values()):,} rows in {summary.seconds:.1f}s")
    return 0


# ---------------------------------------------------------------- run
#: lines of a warning (a failed WARN check) printed on the terminal; the log has them all
WARNING_LINES_SHOWN = 5


def _run_cycle(
    first: str,
    last: str,
    log_path: Path,
    paths,
    forecast_cycles: int | None = None,
    started: float | None = None,
    verdict: bool = True,
) -> int:
    """Run the months, print warnings, the blocked report if any, and (``verdict``) the one-line answer."""
    from orchestration.runner import run_monthly_cycle

    started = time.perf_counter() if started is None else started
    log_path.parent.mkdir(parents=True, exist_ok=True)
    terminal = sys.stdout

    def progress(line: str) -> None:
        print(line, file=terminal, flush=True)

    # dbt's own output (printed by dagster-dbt) and Dagster's tracebacks go to the log file; the
    # terminal gets one line per step and, if the run fails, one block per problem
    with open(log_path, "w") as log, contextlib.redirect_stdout(log):
        run = run_monthly_cycle(
            first,
            last,
            data_dir=paths.root,
            forecast_cycles=forecast_cycles,
            progress=progress,
            log_file=log_path,
            console_log_level="CRITICAL",
        )
    for warning in run.warnings:
        _complain(f"Warning from {warning.asset}:{warning.check} (does not block):")
        lines = warning.message.splitlines()
        for line in lines[:WARNING_LINES_SHOWN]:
            _complain(f"    {line}")
        if len(lines) > WARNING_LINES_SHOWN:
            _complain(f"    … {len(lines) - WARNING_LINES_SHOWN} more in {log_path}")
    if not run.success:
        _complain(blocked_report(run, first, last, _publication_line(paths.serve_db), log_path))
        _say(verdict_line(False, first, last, paths.serve_db, time.perf_counter() - started, len(run.failures)))
        return 1
    if verdict:
        _say(verdict_line(True, first, last, paths.serve_db, time.perf_counter() - started))
    return 0


def _months(first, last) -> str:
    first, last = (f"{m:%Y-%m}" if hasattr(m, "strftime") else str(m)[:7] for m in (first, last))
    return first if first == last else f"{first} .. {last}"


def verdict_line(success: bool, first: str, last: str, serve_db: Path, seconds: float, failures: int = 0) -> str:
    """The last line of ``sop run`` and ``sop demo``: published version or BLOCKED, months, total time."""
    from orchestration.publishing import current_publication

    try:
        pub = current_publication(serve_db)
    except Exception:  # noqa: BLE001 - the verdict must still be printed
        pub = None
    held = (
        f"{pub['version']} (months {_months(pub['first_month'], pub['last_month'])})"
        if pub and pub["first_month"] is not None
        else pub["version"]
        if pub
        else None
    )
    if success:
        return f"PUBLISHED {held or '-'}: built {_months(first, last)} in {seconds:.0f}s"
    stays = f"{held} stays published" if held else "nothing is published"
    return f"BLOCKED {_months(first, last)}: {failures} failure(s), {stays}; {seconds:.0f}s"


def _complain(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


#: ``[<entity>: ]<file> row <n>: rule <rule> <detail>``: how ingestion errors and check descriptions name a
#: problem; the file may hold spaces, brackets or any other character (``sales_order_lines (1).parquet``)
_PROBLEM = re.compile(
    r"^(?:[a-z0-9_]+: (?=\S*/))?(?P<file>\S.*?)(?: row (?P<row>\d+)(?P<row_note> \([^)]*\))?)?: rule (?P<rule>[\w.]+)"
    r"(?P<detail>.*)$"
)


def problem_blocks(asset: str, check: str | None, message: str, samples=()) -> list[str]:
    """One block of text per problem in a failure message: asset, rule, file, row, detail.

    Each line of ``message`` naming ``<file> row <n>: rule <rule>`` becomes its own block; the
    check's sample rows of the same rule and file (``samples``, from its metadata) are listed
    with the row. A message without such a line (a crashed step) is shown whole.
    """
    where = f"{asset} (check {check})" if check else f"{asset} (step failed)"
    blocks = []
    lines = [line.strip() for line in message.splitlines() if line.strip()] or ["failed"]
    for line in lines:
        found = _PROBLEM.search(line)
        if not found:
            continue
        detail = found["detail"].strip().lstrip("—-:; ").strip()
        rows = [str(found["row"])] if found["row"] else []
        for sample in samples:
            row = sample.get("source_row")
            if (
                sample.get("rule") == found["rule"]
                and sample.get("source_file") == found["file"]
                and row is not None
                and str(row) not in rows
            ):
                rows.append(str(row))
        if found["row"] and found["row_note"]:
            rows[0] += found["row_note"]
        counted = re.search(r";\s*(\d+) rows\b", detail)
        note = (
            f" ({len(rows)} of {int(counted[1])} rows shown)"
            if counted and rows and int(counted[1]) > len(rows)
            else ""
        )
        blocks.append(
            "\n".join(
                [
                    f"  ✗ {where}",
                    f"      rule    {found['rule']}",
                    f"      file    {found['file']}",
                    f"      row     {', '.join(rows) or '-'}{note}",
                    f"      detail  {detail or line}",
                ]
            )
        )
    if not blocks:
        body = "\n".join(f"      {line}" for line in lines[:40])
        blocks.append(f"  ✗ {where}\n{body}")
    return blocks


def blocked_report(run, first: str, last: str, publication: str, log_path: Path) -> str:
    """What the terminal says when a run fails: every problem, what is blocked, what stays published."""
    months = first if first == last else f"{first} .. {last}"
    failures = run.failures or []
    out = [
        f"Month {months} is BLOCKED: {len(failures)} failure(s) in run {run.run_id}; nothing downstream of "
        "them was built and nothing was published."
    ]
    for failure in failures:
        out.extend(problem_blocks(failure.asset, failure.check, failure.message, failure.samples))
    if not failures:
        out.append(f"  ✗ steps {run.steps_failed or '-'}; failed checks {run.failed_checks or '-'}")
    out.append(publication)
    out.append(
        f"Fix the input files named above and re-run: sop run --month {last}"
        if first == last
        else f"Fix the input files named above and re-run: sop run --from {first} --to {last}"
    )
    out.append(f"Details: {log_path} (and the run in the Dagster UI: make dev)")
    return "\n".join(out)


def _publication_line(serve_db: Path) -> str:
    from orchestration.publishing import current_publication

    try:
        pub = current_publication(serve_db)
    except Exception as exc:  # noqa: BLE001 - the report must still be printed
        return f"Published version: cannot read {serve_db} ({exc})"
    if pub is None:
        return "Published version: nothing is published yet."
    months = " .. ".join(f"{m:%Y-%m}" for m in (pub["first_month"], pub["last_month"]) if m is not None)
    return (
        f"Published version {pub['version']} stays current (months {months or '-'}, "
        f"published {pub['published_at']:%Y-%m-%d %H:%M} UTC)."
    )


def cmd_run(args) -> int:
    started = time.perf_counter()
    root = _use_data_dir(args)
    first = args.month or args.first or last_complete_month()
    last = args.month or args.last or first
    if first > last:
        _say(f"--from {first} is after --to {last}")
        return 2
    log_path = data_paths(root).logs / f"run-{first}-{last}-{time.strftime('%Y%m%dT%H%M%S')}.log"
    _say(f"Running the monthly S&OP cycle for {first} .. {last} (log: {log_path})")
    return _run_cycle(first, last, log_path, data_paths(root), args.forecast_cycles, started=started)


# ---------------------------------------------------------------- demo
def cmd_demo(args) -> int:
    started = time.perf_counter()
    root = _use_data_dir(args)
    paths = data_paths(root)
    _say(f"[1/3] Generating the demo company into {paths.landing}")
    rc = cmd_generate(args)
    if rc:
        return rc
    from orchestration.demo.planner_files import write_planner_examples

    for path in write_planner_examples(paths.inputs):
        _say(f"      planner file for the demo: {path} (edit it, or `sop actions` for the register)")
    if args.erp:
        _erp_through_postgres(args.erp, paths, args.start, args.through)
    t_gen = time.perf_counter() - started
    log_path = paths.logs / f"demo-{time.strftime('%Y%m%dT%H%M%S')}.log"
    cycles = args.forecast_cycles or DEMO_FORECAST_CYCLES
    _say(
        f"[2/3] Building all history {args.start} .. {args.through} in one run, forecasting its last "
        f"{cycles} months (log: {log_path})"
    )
    rc = _run_cycle(args.start, args.through, log_path, paths, cycles, started=started, verdict=False)
    if rc:
        return rc
    _say("[3/3] Published. Headline numbers from the serving file:")
    _print_headlines(paths.serve_db)
    total = time.perf_counter() - started
    _say("")
    _say(f"Serving DuckDB (read-only for BI): {paths.serve_db}")
    _say(f"Parquet files:                     {paths.serve_parquet}/")
    _say(f"Logs:                              {log_path}")
    packs = sorted(paths.reports.glob("*/sop_pack.html"))
    if packs:
        _say(f"S&OP meeting pack:                 {packs[-1]}")
    _say("Dagster UI with these runs:        make dev  (http://localhost:3000)")
    _say(f"Done in {total:.0f}s (generate {t_gen:.0f}s, pipeline {total - t_gen:.0f}s)")
    _say(verdict_line(True, args.start, args.through, paths.serve_db, total))
    return 0


#: the schema ``sop demo --erp <url>`` writes the demo ERP into, unless the URL names one (it is dropped first)
DEMO_ERP_SCHEMA = "sop_demo_erp"


def _erp_through_postgres(target: str, paths, start: str, through: str) -> None:
    """Move the demo's ERP files aside as the ERP's own data, replay them month by month into
    PostgreSQL (``local``: a throwaway server under the data root) and extract every month back
    into the landing zone through the PostgreSQL connector (``orchestration.demo.erp_replay``)."""
    import dataclasses
    import secrets
    import shutil
    from datetime import timedelta

    from orchestration.connectors.postgres import PostgresConnection, PostgresConnector
    from orchestration.demo.calendar import months_between
    from orchestration.demo.erp_replay import replay_erp
    from orchestration.demo.local_postgres import LocalPostgres

    export = paths.root / "demo_erp_export"
    shutil.rmtree(export, ignore_errors=True)
    export.mkdir(parents=True)
    shutil.move(str(paths.landing / "erp"), str(export / "erp"))
    server = None
    if target == "local":
        server = LocalPostgres(paths.root / "erp_postgres", password=secrets.token_urlsafe(24)).start()
        connection = dataclasses.replace(server.create_database("erp"), schema="erp")
    else:
        connection = PostgresConnection.from_url(target, password=os.environ.get("SOP_ERP_DATABASE_PASSWORD"))
        if "schema=" not in target:
            connection = dataclasses.replace(connection, schema=DEMO_ERP_SCHEMA)
    _say(
        f"      the ERP in PostgreSQL: {connection.describe()} schema {connection.schema}; "
        "each month applied to it, then extracted into the landing zone"
    )
    try:
        summary = replay_erp(
            PostgresConnector(connection),
            export,
            paths.landing,
            months_between(start, through),
            timedelta(hours=3),
            progress=lambda line: _say(f"      {line}"),
        )
    finally:
        if server is not None:
            server.stop()
    _say(
        f"      {summary.rows_applied:,} rows applied in {summary.load_seconds:.0f}s, "
        f"{sum(summary.rows_extracted.values()):,} extracted in {summary.extract_seconds:.0f}s "
        f"(landing/erp/*/<month>/_extract.json records each extract)"
    )


#: the demo forecasts its last 4 months, so that the first cycle has a lag-3 actual and the
#: accuracy marts show both lags
DEMO_FORECAST_CYCLES = 4


def _print_headlines(serve_db: Path) -> None:
    import duckdb

    with duckdb.connect(str(serve_db), read_only=True) as con:
        last = con.execute("SELECT max(revenue_month) FROM revenue_by_region_family_monthly").fetchone()[0]
        rows = con.execute(
            """
            SELECT region_code, sum(billings_usd), sum(orders_usd), sum(bookings_usd)
            FROM revenue_by_region_family_monthly
            WHERE revenue_month > ? - INTERVAL 12 MONTH
            GROUP BY region_code ORDER BY 2 DESC
            """,
            [last],
        ).fetchall()
        opp = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = 'won'), "
            "count(*) FILTER (WHERE status = 'lost'), count(*) FILTER (WHERE status = 'open') "
            "FROM opportunity_enhanced"
        ).fetchone()
        months = con.execute("SELECT count(DISTINCT revenue_month) FROM revenue_by_region_family_monthly").fetchone()[0]
    _say(f"  {months} months published, through {last:%Y-%m}")
    _say(f"  last 12 months, USD:  {'region':<6} {'billings':>16} {'orders':>16} {'bookings':>16}")
    for region, billings, orders, bookings in rows:
        _say(f"                        {region:<6} {billings:>16,.0f} {orders:>16,.0f} {bookings:>16,.0f}")
    won, lost = opp[1], opp[2]
    win_rate = won / (won + lost) if won + lost else 0
    _say(f"  opportunities: {opp[0]:,} ({opp[3]:,} open), win rate {win_rate:.1%}")


# ---------------------------------------------------------------- status
def cmd_status(args) -> int:
    """Where everything is, what is published, the last run and its result, blocked months,
    the forecast cycles and where the Data Docs and reports are."""
    from orchestration.publishing import current_publication
    from orchestration.runner import blocked_months, dagster_home, instance_for, monthly_runs

    root = _use_data_dir(args)
    paths = data_paths(root)
    _say(f"data root        {paths.root}")
    _say(f"landing          {paths.landing}")
    _say(f"build warehouse  {paths.warehouse_db}")
    _say(f"serving DuckDB   {paths.serve_db}")
    _say(f"serving Parquet  {paths.serve_parquet}")
    _say(f"logs             {paths.logs}")
    _say(f"DAGSTER_HOME     {dagster_home(paths.root)}")
    pub = current_publication(paths.serve_db)
    if pub is None:
        _say("published        nothing yet (run `sop demo` or `sop run`)")
    else:
        held = _months(pub["first_month"], pub["last_month"]) if pub["first_month"] is not None else "-"
        _say(f"published        {pub['version']} at {pub['published_at']:%Y-%m-%d %H:%M} UTC, months {held}")
        _say(f"forecast cycles  {', '.join(_forecast_cycles(paths.serve_db)) or 'none'}")
    runs = monthly_runs(instance_for(paths.root))
    if not runs:
        _say("last run         none yet")
    else:
        last = runs[0]
        took = f", {last.seconds:.0f}s" if last.seconds is not None else ""
        when = f" at {last.started_at:%Y-%m-%d %H:%M} UTC" if last.started_at else ""
        _say(
            f"last run         {last.status} {_months(last.first_month, last.last_month)}{when}{took} "
            f"(run {last.run_id})"
        )
    blocked = blocked_months(runs)
    _say(f"blocked months   {', '.join(blocked) if blocked else 'none'}")
    reports = sorted(p.parent.parent.name for p in paths.reports.glob("*/data_docs/index.html"))
    if reports:
        _say(f"Data Docs        {paths.reports / reports[-1] / 'data_docs' / 'index.html'}")
    else:
        _say("Data Docs        none yet")
    _say(f"reports          {paths.reports}")
    if pub is not None:
        _say("tables")
        for table, n in pub["tables"].items():
            _say(f"                 {table}: {n:,} rows")
    return 0


def _forecast_cycles(serve_db: Path) -> list[str]:
    """The forecast cycles the published demand forecast holds (``YYYY-MM``)."""
    import duckdb

    with duckdb.connect(str(serve_db), read_only=True) as con:
        has = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'demand_forecast'"
        ).fetchone()[0]
        if not has:
            return []
        return [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT strftime(cycle_month, '%Y-%m') FROM demand_forecast ORDER BY 1"
            ).fetchall()
        ]


# ---------------------------------------------------------------- bench
def cmd_bench(args) -> int:
    from orchestration.benchmarks.pipeline import run_benchmark

    root = _use_data_dir(args)
    output = Path(args.output) if args.output else None
    for scale in args.scale or [1.0]:
        run_benchmark(
            scale=scale,
            seed=args.seed,
            start=args.start,
            through=args.through,
            work_dir=Path(args.work_dir) if args.work_dir else None,
            output=output,
            data_dir=root,
            say=_say,
        )
    return 0


# ---------------------------------------------------------------- dev
def dev_environment(root: Path, environ=None) -> dict[str, str]:
    """The environment ``dagster dev`` is started with: this data root and its instance, and this
    environment's ``bin`` first on PATH, so the code location finds ``dbt`` without an activated
    virtualenv."""
    from orchestration.runner import dagster_home

    env = dict(os.environ if environ is None else environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bin_dir, *(p for p in env.get("PATH", "").split(os.pathsep) if p and p != bin_dir)])
    env["SOP_DATA_DIR"] = str(root)
    env["DAGSTER_HOME"] = str(dagster_home(root))
    return env


def cmd_dev(args) -> int:
    root = _use_data_dir(args)
    env = dev_environment(root)
    workspace = PROJECT_ROOT / "workspace.yaml"
    dagster = Path(sys.executable).with_name("dagster")
    _say(f"Dagster UI on http://{args.host}:{args.port} (DAGSTER_HOME={env['DAGSTER_HOME']})")
    sys.stdout.flush()
    os.execve(str(dagster), [str(dagster), "dev", "-w", str(workspace), "-p", str(args.port), "-h", args.host], env)
    return 0  # pragma: no cover


def _plain(text: str) -> str:
    """Help text without reST markup (double backquotes)."""
    return text.replace("``", "")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sop-platform")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sop", description=_plain(__doc__), formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"sop {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    default_start = history_start()[:7]

    def common(p, company=False):
        p.add_argument("--data-dir", help="data root (default: $SOP_DATA_DIR or ./data)")
        if company:
            p.add_argument("--seed", type=int, default=7, help="random seed of the demo company (default 7)")
            p.add_argument("--scale", type=float, default=1.0, help="volume multiplier (default 1: ~1M order lines)")
            p.add_argument("--start", type=_month, default=default_start, help=f"first month (default {default_start})")
            p.add_argument(
                "--through",
                type=_month,
                default=last_complete_month(),
                help="last month (default: the last complete month)",
            )

    p = sub.add_parser(
        "demo",
        help="generate the demo company, build all history, publish",
        description="Generate the demo company, materialize every month through --through "
        "in one run, publish the marts and print where they are with headline numbers.",
    )
    common(p, company=True)
    p.add_argument(
        "--forecast-cycles",
        type=_positive_int,
        default=None,
        metavar="N",
        help=f"forecast the last N months of the history as S&OP cycles (default "
        f"{DEMO_FORECAST_CYCLES}: lag-1 and lag-3 accuracy)",
    )
    p.add_argument(
        "--erp",
        metavar="local|URL",
        default=None,
        help="run the ERP through PostgreSQL: 'local' starts a throwaway server under the data root, or "
        "postgresql://user@host:port/db[?schema=...] (password from SOP_ERP_DATABASE_PASSWORD); each month "
        "is applied to the database and extracted back through the connector",
    )
    p.set_defaults(func=cmd_demo, fault=None)

    p = sub.add_parser(
        "generate",
        help="write the demo company's source extracts",
        description="Write the demo company's CRM, ERP and market extracts, month by month, "
        "into <data>/landing. Same seed and arguments give byte-identical files.",
    )
    common(p, company=True)
    p.add_argument(
        "--fault",
        action="append",
        type=_parse_fault,
        metavar="KIND:ENTITY:YYYY-MM",
        help="inject a named fault into one month's extract (repeatable), e.g. "
        "negative_amounts:erp_invoice_lines:2024-03",
    )
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser(
        "run",
        help="run the monthly S&OP cycle for a month or a range",
        description="Ingest, build, test and publish: the monthly_sop_cycle job, in this process, "
        "recorded in the Dagster instance. A range is one run.",
    )
    common(p)
    p.add_argument("--month", type=_month, help="the month to close (default: the last complete month)")
    p.add_argument("--from", dest="first", type=_month, help="first month of a range")
    p.add_argument("--to", dest="last", type=_month, help="last month of a range")
    p.add_argument(
        "--forecast-cycles",
        type=_positive_int,
        default=None,
        metavar="N",
        help="forecast cycles of a range: its last N months (default 3; one month is one cycle)",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "status",
        help="where everything is and what is published",
        description="Print the data paths and the current publication of the serving file.",
    )
    common(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser(
        "bench",
        help="time each stage at one or more scales",
        description="Time generate, ingest, dbt build and publish at each --scale in a scratch "
        "data directory, and write the figures as JSON.",
    )
    common(p)
    p.add_argument("--scale", type=float, action="append", help="scale to measure (repeatable; default 1)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--start", type=_month, default=default_start, help=f"first month (default {default_start})")
    p.add_argument("--through", type=_month, default=last_complete_month(), help="last month (default: last complete)")
    p.add_argument("--work-dir", help="scratch data root (default: a temporary directory, removed afterwards)")
    p.add_argument("--output", help="JSON file for the figures (default: <data>/bench/bench-scale<S>.json)")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser(
        "dev",
        help="the Dagster UI on localhost:3000",
        description="Start `dagster dev` on workspace.yaml with DAGSTER_HOME in the data root.",
    )
    common(p)
    p.add_argument("--port", type=int, default=3000, help="port (default 3000)")
    p.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    p.set_defaults(func=cmd_dev)

    from orchestration.cli.forecast import add_forecast_commands

    add_forecast_commands(sub)
    from orchestration.cli.actions import add_actions_commands

    add_actions_commands(sub)
    return parser


def _quiet_known_warnings() -> None:
    """Single-run backfills and partitioned checks are Dagster beta/preview features.

    Their warnings say nothing to a user.
    """
    import warnings

    from dagster import BetaWarning, PreviewWarning

    warnings.filterwarnings("ignore", category=BetaWarning)
    warnings.filterwarnings("ignore", category=PreviewWarning)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _quiet_known_warnings()
    try:
        return args.func(args)
    except BrokenPipeError:
        # the reader went away (`sop status | head`): stop quietly, as other command-line tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
