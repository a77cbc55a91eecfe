"""``sop forecast ...`` subcommands.

sop forecast evaluate FILE.csv --horizon H [--json] [--candidates A,B,...]
    hold out the last H months of every series, run the production model selection on the
    rest, print sMAPE, MASE and 80% coverage for the selection, each candidate alone,
    seasonal naive and Naive2
sop forecast launches FILE.csv --origins 2023-01,2023-07 [--horizon H] [--max-age N] [--json]
    forecast every young launch at each past origin by LaunchProfile and by RecentMean, score
    the months that followed (WAPE, bias, at lag 1 too, 80% coverage)
sop forecast bench --scale S [--scale S2 ...] | --history CSV
    time the whole forecast step on the demo company at scale S (or on a file)
sop forecast hierarchy-eval --warehouse COPY.duckdb --cycles 2024-10,2025-01 [--methods A,B]
    run the engine once per origin cycle on every node of the demand hierarchy, reconcile
    with each method on the same base forecasts, score the following months per level
"""

import argparse
import json
import math
import sys
from pathlib import Path

from orchestration.cli.arguments import month as _month
from orchestration.cli.arguments import positive_int as _positive_int


def _candidates(text: str) -> tuple[str, ...]:
    from orchestration.forecasting.candidates import validate_candidates

    names = tuple(n.strip() for n in text.split(",") if n.strip())
    try:
        return validate_candidates(names)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _config(args, **overrides):
    from orchestration.forecasting.engine import ForecastConfig

    kwargs = dict(overrides)
    if getattr(args, "candidates", None):
        kwargs["candidates"] = args.candidates
    if getattr(args, "n_jobs", None) is not None:
        kwargs["n_jobs"] = args.n_jobs
    if getattr(args, "intervals", None):
        kwargs["interval_method"] = args.intervals
    if getattr(args, "backtest_refit", False):
        kwargs["backtest_refit"] = True
    return ForecastConfig(**kwargs)


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    return value


def cmd_evaluate(args) -> int:
    from orchestration.evaluation.evaluate import evaluate, format_report, read_series_csv

    per_series = {} if args.per_series else None
    try:
        history = read_series_csv(args.file)
        report = evaluate(history, args.horizon, _config(args), per_series=per_series)
    except ValueError as exc:
        print(f"sop forecast evaluate: {exc}", file=sys.stderr)
        return 2
    if per_series is not None:
        import pandas as pd

        pd.DataFrame(per_series).rename_axis("unique_id").to_csv(args.per_series)
    if args.json:
        print(json.dumps(_json_safe(report)))
    else:
        print(format_report(report))
    return 0


def cmd_launches(args) -> int:
    import pandas as pd

    from orchestration.evaluation.evaluate import read_series_csv
    from orchestration.evaluation.launches import evaluate_launches, format_launch_report

    try:
        history = read_series_csv(args.file)
        origins = [pd.Timestamp(f"{m}-01") for m in args.origins]
        report = evaluate_launches(history, origins, horizon=args.horizon, max_age=args.max_age)
    except ValueError as exc:
        print(f"sop forecast launches: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(_json_safe(report)) if args.json else format_launch_report(report))
    return 0


def cmd_bench(args) -> int:
    from orchestration.benchmarks.forecasting import export_reference_datasets, run_forecast_bench
    from orchestration.settings import data_paths

    root = data_paths(args.data_dir).root
    if args.export_datasets:
        for path in export_reference_datasets(
            Path(args.export_datasets),
            Path(args.warehouse) if args.warehouse else None,
            landing=Path(args.landing) if args.landing else None,
        ):
            print(f"wrote {path}")
        return 0
    results = Path(args.output_dir) if args.output_dir else root / "bench"
    config = _config(args, horizon=args.horizon)
    try:
        if args.history:
            run_forecast_bench(scale=None, history_csv=Path(args.history), config=config, results_dir=results)
        for scale in args.scale or ([] if args.history else [1.0]):
            run_forecast_bench(
                scale=scale,
                seed=args.seed,
                start=args.start,
                through=args.through,
                config=config,
                results_dir=results,
                work_dir=Path(args.work_dir) / f"scale{scale:g}" if args.work_dir else None,
            )
    except ValueError as exc:
        print(f"sop forecast bench: {exc}", file=sys.stderr)
        return 2
    return 0


def _cycles(text: str) -> list[str]:
    import pandas as pd

    out = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        try:
            month = pd.Timestamp(part + "-01" if len(part) == 7 else part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{part!r} is not a month (YYYY-MM)") from None
        out.append(f"{month:%Y-%m}-01")
    if not out:
        raise argparse.ArgumentTypeError("give at least one cycle month")
    return out


def _methods(text: str) -> list[str]:
    from orchestration.forecasting.hierarchy import RECONCILIATION_METHODS

    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in RECONCILIATION_METHODS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown method(s) {unknown}; use {', '.join(RECONCILIATION_METHODS)}")
    return names


def cmd_hierarchy_eval(args) -> int:
    import duckdb

    from orchestration.evaluation.hierarchy_backtest import evaluate_hierarchy, format_report
    from orchestration.forecasting.warehouse import demand_history

    path = Path(args.warehouse)
    if not path.is_file():
        print(f"sop forecast hierarchy-eval: no warehouse file {path}", file=sys.stderr)
        return 2
    con = duckdb.connect(str(path), read_only=True)
    try:
        history = demand_history(con)
    finally:
        con.close()
    config = _config(args)
    try:
        evaluation = evaluate_hierarchy(
            history, args.cycles, args.methods, config, progress=lambda line: print(line, file=sys.stderr, flush=True)
        )
    except ValueError as exc:
        print(f"sop forecast hierarchy-eval: {exc}", file=sys.stderr)
        return 2
    if args.csv:
        evaluation.scores.to_csv(args.csv, index=False)
    print(format_report(evaluation))
    return 0


def add_forecast_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``sop forecast`` and its subcommands on the top-level parser's subparsers."""
    from orchestration.clock import last_complete_month
    from orchestration.settings import history_start

    p = sub.add_parser(
        "forecast", help="forecasting tools: evaluate on a CSV, benchmark", description="Forecasting tools."
    )
    fsub = p.add_subparsers(dest="forecast_command", required=True, metavar="SUBCOMMAND")

    e = fsub.add_parser(
        "evaluate",
        help="hold out the last H months and score the model selection",
        description="Hold out the last H months of every series of FILE.csv (long format: unique_id, ds, y; "
        "monthly, ds the first of the month), run the production model selection on the rest and print "
        "sMAPE, MASE, 80% interval coverage, WAPE and bias for the selection, each candidate alone, "
        "seasonal naive and Naive2, the MASE of the best candidate per series in hindsight (what no "
        "selection can beat), and the time taken.",
    )
    e.add_argument("file", metavar="FILE.csv", help="long monthly CSV with columns unique_id, ds, y")
    e.add_argument("--horizon", type=_positive_int, required=True, help="months held out and forecast")
    e.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    e.add_argument(
        "--candidates",
        type=_candidates,
        metavar="A,B,...",
        help="comma-separated candidate models instead of the default set (e.g. AutoETS,SeasonalNaive)",
    )
    e.add_argument("--n-jobs", type=int, default=None, help="worker processes (default -1: all cores)")
    e.add_argument(
        "--backtest-refit",
        action="store_true",
        help="refit every model at every backtest origin (default: fit once, then re-filter)",
    )
    e.add_argument(
        "--intervals",
        choices=("native", "conformal"),
        help="native: the model's own intervals where it has them (default); conformal: always from the backtest",
    )
    e.add_argument(
        "--per-series",
        metavar="CSV",
        help="also write each series' MASE per forecast, its demand class and chosen model to CSV",
    )
    e.set_defaults(func=cmd_evaluate)

    la = fsub.add_parser(
        "launches",
        help="score the launch forecasts (LaunchProfile vs RecentMean) at past origins",
        description="At each origin, cut FILE.csv before it, forecast every launch 1 to --max-age months old "
        "by the launch profile of the launches visible then and by the mean of its months, and score both on "
        "the months that followed: WAPE, bias, the same at lag 1, and the profile's 80%% interval coverage.",
    )
    la.add_argument("file", metavar="FILE.csv", help="long monthly CSV with columns unique_id, ds, y")
    la.add_argument(
        "--origins",
        type=lambda text: [_month(m.strip()) for m in text.split(",") if m.strip()],
        required=True,
        metavar="YYYY-MM,...",
        help="comma-separated origin months (the first forecast month)",
    )
    la.add_argument("--horizon", type=_positive_int, default=18, help="months scored after each origin (default 18)")
    la.add_argument("--max-age", type=_positive_int, default=10, help="oldest launch scored, in months (default 10)")
    la.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    la.set_defaults(func=cmd_launches)

    default_start = history_start()[:7]
    b = fsub.add_parser(
        "bench",
        help="time the whole forecast step at one or more scales",
        description="Generate the demo company at each --scale in a scratch folder, build its SKU x region x "
        "month demand history with DuckDB, time classification, backtest, selection, final fit and intervals, "
        "print series, seconds, series per second and model mix, and write <data>/bench/forecast-scale<S>.json.",
    )
    b.add_argument("--data-dir", help="data root (default: $SOP_DATA_DIR or ./data)")
    b.add_argument("--scale", type=float, action="append", help="scale to measure (repeatable; default 1)")
    b.add_argument("--history", metavar="CSV", help="time the forecast on this long CSV instead of the demo company")
    b.add_argument("--horizon", type=_positive_int, default=18, help="forecast horizon in months (default 18)")
    b.add_argument("--candidates", type=_candidates, metavar="A,B,...", help="candidate models (default set)")
    b.add_argument("--n-jobs", type=int, default=None, help="worker processes (default -1: all cores)")
    b.add_argument(
        "--backtest-refit",
        action="store_true",
        help="refit every model at every backtest origin (default: fit once, then re-filter)",
    )
    b.add_argument(
        "--intervals",
        choices=("native", "conformal"),
        help="native: the model's own intervals where it has them (default); conformal: always from the backtest",
    )
    b.add_argument("--seed", type=int, default=7, help="random seed of the demo company (default 7)")
    b.add_argument("--start", type=_month, default=default_start, help=f"first month (default {default_start})")
    b.add_argument("--through", type=_month, default=last_complete_month(), help="last month (default: last complete)")
    b.add_argument("--work-dir", help="keep the generated company here (default: a temporary folder, removed)")
    b.add_argument("--output-dir", help="folder for the JSON figures (default <data>/bench)")
    b.add_argument(
        "--export-datasets",
        metavar="DIR",
        help="instead of timing, write the reference datasets (aus_retail, pbs, wineind, m1_monthly) as CSVs to DIR",
    )
    b.add_argument(
        "--warehouse",
        metavar="DUCKDB",
        help="with --export-datasets: also write demo.csv from this warehouse copy's demand history",
    )
    b.add_argument(
        "--landing",
        metavar="DIR",
        help="with --export-datasets: also write demo.csv from this landing folder's ERP extracts "
        "(the rules of marts.demand_history_monthly, no warehouse needed)",
    )
    b.set_defaults(func=cmd_bench)

    h = fsub.add_parser(
        "hierarchy-eval",
        help="score the demand hierarchy's reconciliation methods on past cycles",
        description="For each origin cycle, build the demand hierarchy from a warehouse copy's "
        "marts.demand_history_monthly up to that month, run the engine once on every node, reconcile the "
        "same base forecasts with each method (plus exact coherence in cents) and print WAPE, mean MASE "
        "and bias per level against the actuals of the following months (up to the horizon), for the base "
        "forecasts and every method, and the seconds taken.",
    )
    h.add_argument(
        "--warehouse", required=True, metavar="DUCKDB", help="a COPY of the warehouse file (opened read-only)"
    )
    h.add_argument("--cycles", type=_cycles, required=True, metavar="YYYY-MM,...", help="origin cycle months")
    h.add_argument(
        "--methods",
        type=_methods,
        default=_methods("wls_struct,wls_backtest,mint_shrink_backtest"),
        metavar="A,B,...",
        help="reconciliation methods (default wls_struct,wls_backtest,mint_shrink_backtest)",
    )
    h.add_argument("--n-jobs", type=int, default=None, help="worker processes of the engine (default -1: all cores)")
    h.add_argument("--csv", metavar="CSV", help="also write the scores per cycle x method x level to CSV")
    h.set_defaults(func=cmd_hierarchy_eval)
