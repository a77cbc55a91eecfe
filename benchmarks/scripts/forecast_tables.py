"""The accuracy tables of benchmarks/forecasting.md from `sop forecast evaluate --json` outputs.

Run: .venv/bin/python benchmarks/scripts/forecast_tables.py DIR demo aus_retail pbs wineind m1_monthly
where DIR holds <dataset>.json (one evaluate report per dataset). Prints, per dataset, every
forecast's sMAPE, MASE, 80% coverage, WAPE and bias, then the summary: the selection against
the best single candidate and the fixed combination in both metrics.
"""

import json
import sys
from pathlib import Path


def rows(report: dict) -> list[tuple[str, dict]]:
    out = [("**selection**", report["selection"])]
    out += [(model, s) for model, s in report["candidates"].items() if model != "Ensemble"]
    out += [("fixed combination (AutoETS, DOT, AutoCES)", report["fixed_combination"])]
    out += [("seasonal naive (benchmark)", report["seasonal_naive"]), ("Naive2", report["naive2"])]
    return out


def dataset_table(name: str, report: dict) -> str:
    lines = [
        f"#### {name}: {report['series']} series scored (skipped short {report['skipped_short']}, "
        f"unscored all-zero training {report['unscored_zero_train']}), {report['seconds']:.0f} s",
        "",
        "| forecast | sMAPE | MASE | coverage80 | WAPE | bias |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, s in rows(report):
        lines.append(
            f"| {label} | {s['smape']:.3f} | {s['mase']:.3f} | {s['coverage80']:.3f}"
            f" | {s['wape']:.3f} | {s['bias']:+.3f} |"
        )
    mix = ", ".join(f"{m} {n}" for m, n in report["model_mix"].items())
    oracle = report["oracle"]["mase"]
    lines += ["", f"best candidate per series in hindsight (oracle): MASE {oracle:.3f}; model mix: {mix}"]
    return "\n".join(lines)


def summary(reports: dict) -> str:
    lines = [
        "| dataset | series | selection sMAPE / MASE | best single sMAPE | best single MASE | fixed combination "
        "sMAPE / MASE | seasonal naive MASE | oracle MASE | seconds |",
        "|---|---:|---|---|---|---|---:|---:|---:|",
    ]
    for name, r in reports.items():
        singles = {m: s for m, s in r["candidates"].items() if m != "Ensemble"}
        by_smape = min(singles, key=lambda m: singles[m]["smape"])
        by_mase = min(singles, key=lambda m: singles[m]["mase"])
        sel, fix = r["selection"], r["fixed_combination"]
        lines.append(
            f"| {name} | {r['series']} | {sel['smape']:.3f} / {sel['mase']:.3f}"
            f" | {by_smape} {singles[by_smape]['smape']:.3f}"
            f" | {by_mase} {singles[by_mase]['mase']:.3f} | {fix['smape']:.3f} / {fix['mase']:.3f}"
            f" | {r['seasonal_naive']['mase']:.3f} | {r['oracle']['mase']:.3f} | {r['seconds']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    directory, names = Path(argv[0]), argv[1:]
    reports = {n: json.loads((directory / f"{n}.json").read_text()) for n in names}
    print(summary(reports))
    for name, report in reports.items():
        print()
        print(dataset_table(name, report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
