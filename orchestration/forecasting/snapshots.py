"""Immutable forecast snapshots: what each S&OP cycle forecast, kept for accuracy tracking.

Table ``forecast.forecast_snapshots`` (in the build database), one row per cycle x series x
forecast month: the statistical forecast (reconciled, coherent), its 80/95 intervals and
model, the seasonal naive benchmark with its 80/95 intervals, the consensus (after planner
overrides) and the MASE scale of the series' history as it was at the cycle (in-sample
seasonal naive MAE, see ``metrics.seasonal_naive_scale``).

A cycle writes only its own rows: ``DELETE ... WHERE cycle_month = <cycle>`` then
``INSERT``, in one transaction. Re-running a cycle replaces that cycle's snapshot (the
same inputs give the same rows); earlier and later cycles are never touched, so the
accuracy of a past cycle never changes because a later month was run or re-run.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from orchestration.forecasting.metrics import seasonal_naive_scale
from orchestration.forecasting.warehouse import TableSpec, replace_cycle_rows

SCHEMA = "forecast"
TABLE = f"{SCHEMA}.forecast_snapshots"

#: column -> (SQL type, description); the order is the table's.
COLUMNS: dict[str, tuple[str, str]] = {
    "cycle_month": ("DATE", "S&OP cycle (the month closed) that made the forecast; history up to its end."),
    "series_id": ("VARCHAR", "Hierarchy node: total, region=R, family=F|region=R or sku=S|region=R."),
    "level": ("VARCHAR", "total, region, family_region or sku_region."),
    "model": ("VARCHAR", "Statistical model chosen by the engine for this node (base forecast)."),
    "ds": ("DATE", "Forecast month (first day)."),
    "horizon_step": ("INTEGER", "Months after the cycle month: 1 = the next month."),
    "yhat": ("DECIMAL(18,2)", "Statistical forecast in units, reconciled and coherent to the cent."),
    "lo_80": ("DECIMAL(18,2)", "Lower bound of the 80% interval."),
    "hi_80": ("DECIMAL(18,2)", "Upper bound of the 80% interval."),
    "lo_95": ("DECIMAL(18,2)", "Lower bound of the 95% interval."),
    "hi_95": ("DECIMAL(18,2)", "Upper bound of the 95% interval."),
    "yhat_seasonal_naive": ("DECIMAL(18,2)", "Seasonal naive forecast (same month last year), the benchmark."),
    "consensus": ("DECIMAL(18,2)", "Consensus forecast: statistical with planner overrides, coherent."),
    "mase_scale": (
        "DOUBLE",
        "In-sample seasonal naive MAE of the node's history at the cycle (MASE denominator); null when undefined.",
    ),
    "seasonal_naive_lo_80": (
        "DECIMAL(18,2)",
        "Lower bound of the seasonal naive 80% interval (normal, σ of the in-sample "
        "seasonal differences, widening with the seasons ahead); null in snapshots stored before it existed.",
    ),
    "seasonal_naive_hi_80": ("DECIMAL(18,2)", "Upper bound of the seasonal naive 80% interval."),
    "seasonal_naive_lo_95": ("DECIMAL(18,2)", "Lower bound of the seasonal naive 95% interval."),
    "seasonal_naive_hi_95": ("DECIMAL(18,2)", "Upper bound of the seasonal naive 95% interval."),
}
SEASONAL_NAIVE_BOUNDS = ("seasonal_naive_lo_80", "seasonal_naive_hi_80", "seasonal_naive_lo_95", "seasonal_naive_hi_95")


SNAPSHOTS = TableSpec(
    TABLE,
    COLUMNS,
    "Immutable forecast snapshot of every cycle (module doc).",
    primary_key=("cycle_month", "series_id", "ds"),
)


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create the snapshot table, or add the columns an earlier version's table lacks."""
    SNAPSHOTS.create(con)


def mase_scales(history: pd.DataFrame, season_length: int = 12) -> pd.DataFrame:
    """unique_id -> mase_scale from each node's history (unique_id, ds, y), sorted by ds."""
    rows = [
        (uid, seasonal_naive_scale(g.sort_values("ds")["y"].to_numpy(dtype=float), season_length))
        for uid, g in history.groupby("unique_id", sort=False)
    ]
    return pd.DataFrame(rows, columns=["unique_id", "mase_scale"])


def seasonal_naive_bounds(
    history: pd.DataFrame, forecast: pd.DataFrame, season_length: int = 12, levels=(80, 95)
) -> pd.DataFrame:
    """unique_id, ds and the seasonal naive interval bounds around each node's
    ``yhat_seasonal_naive`` in ``forecast`` (``intervals.seasonal_naive_half_widths`` on the node's
    history up to the cycle), clipped at 0 like the forecast."""
    from orchestration.forecasting.intervals import seasonal_naive_half_widths

    fc = forecast[["unique_id", "ds", "yhat_seasonal_naive"]].sort_values(["unique_id", "ds"])
    frames = []
    by_id = {uid: g.sort_values("ds")["y"].to_numpy(dtype=float) for uid, g in history.groupby("unique_id", sort=False)}
    for uid, g in fc.groupby("unique_id", sort=False):
        y = by_id.get(uid, np.zeros(0))
        half = seasonal_naive_half_widths(y, len(g), levels, season_length)
        centre = g["yhat_seasonal_naive"].to_numpy(dtype=float)
        out = g[["unique_id", "ds"]].copy()
        for i, lv in enumerate(levels):
            out[f"seasonal_naive_lo_{lv}"] = np.clip(centre - half[i], 0.0, None)
            out[f"seasonal_naive_hi_{lv}"] = centre + half[i]
        frames.append(out)
    cols = ["unique_id", "ds", *[f"seasonal_naive_{b}_{lv}" for lv in levels for b in ("lo", "hi")]]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def snapshot_frame(
    cycle: pd.Timestamp,
    forecast: pd.DataFrame,
    consensus: pd.DataFrame,
    scales: pd.DataFrame,
    naive_bounds: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The snapshot rows of one cycle.

    ``forecast``: unique_id, level, model, ds, yhat, lo/hi 80/95, yhat_seasonal_naive
    (coherent forecast of every node); ``consensus``: unique_id, ds, consensus;
    ``scales``: unique_id, mase_scale; ``naive_bounds`` (``seasonal_naive_bounds``): unique_id,
    ds and the seasonal naive interval (null bounds when not given).
    """
    cycle = pd.Timestamp(cycle)
    df = forecast.merge(consensus[["unique_id", "ds", "consensus"]], on=["unique_id", "ds"], how="left")
    df = df.merge(scales, on="unique_id", how="left")
    if naive_bounds is not None:
        df = df.merge(naive_bounds[["unique_id", "ds", *SEASONAL_NAIVE_BOUNDS]], on=["unique_id", "ds"], how="left")
    for c in SEASONAL_NAIVE_BOUNDS:
        if c not in df.columns:
            df[c] = np.nan
    df = df.rename(columns={"unique_id": "series_id"})
    df["cycle_month"] = cycle
    ds = pd.to_datetime(df["ds"])
    df["horizon_step"] = (ds.dt.year - cycle.year) * 12 + (ds.dt.month - cycle.month)
    for c in ("yhat", "lo_80", "hi_80", "lo_95", "hi_95", "yhat_seasonal_naive", "consensus", *SEASONAL_NAIVE_BOUNDS):
        df[c] = np.round(df[c].astype(float), 2)
    df["mase_scale"] = df["mase_scale"].astype(float)
    return df[list(COLUMNS)].sort_values(["series_id", "ds"]).reset_index(drop=True)


def write_snapshot(con: duckdb.DuckDBPyConnection, cycle: pd.Timestamp, rows: pd.DataFrame) -> int:
    """Replace the rows of ``cycle`` (and only those) with ``rows``; returns the row count."""
    cycle = pd.Timestamp(cycle)
    if not rows.empty and (pd.to_datetime(rows["cycle_month"]) != cycle).any():
        raise ValueError(f"snapshot rows for cycle {cycle:%Y-%m} include other cycles")
    ensure_table(con)
    return replace_cycle_rows(con, TABLE, COLUMNS, cycle, rows[list(COLUMNS)])


def read_snapshots(con: duckdb.DuckDBPyConnection, through: pd.Timestamp | None = None) -> pd.DataFrame:
    """Snapshot rows (of cycles up to ``through`` when given), decimals as floats."""
    ensure_table(con)
    where = "WHERE cycle_month <= ?" if through is not None else ""
    params = [pd.Timestamp(through).date()] if through is not None else []
    cols = ", ".join(f"CAST({c} AS DOUBLE) AS {c}" if t.startswith("DECIMAL") else c for c, (t, _) in COLUMNS.items())
    df = con.execute(f"SELECT {cols} FROM {TABLE} {where} ORDER BY cycle_month, series_id, ds", params).df()
    for c in ("cycle_month", "ds"):
        df[c] = pd.to_datetime(df[c])
    return df
