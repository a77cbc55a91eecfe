"""Forecast snapshots: a cycle replaces only its own rows; earlier cycles stay byte-identical."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.forecasting.snapshots import (
    COLUMNS,
    TABLE,
    ensure_table,
    mase_scales,
    read_snapshots,
    seasonal_naive_bounds,
    snapshot_frame,
    write_snapshot,
)


def _forecast(cycle: str, scale: float):
    ds = pd.date_range(pd.Timestamp(cycle) + pd.DateOffset(months=1), periods=3, freq="MS")
    rows = []
    for uid, level in (("total", "total"), ("region=EUR", "region")):
        for i, d in enumerate(ds):
            y = scale * (i + 1) + (0.333 if level == "total" else 0.0)
            rows.append((uid, level, "AutoETS", d, y, y - 1, y + 1, y - 2, y + 2, y * 0.9))
    f = pd.DataFrame(
        rows,
        columns=[
            "unique_id",
            "level",
            "model",
            "ds",
            "yhat",
            "lo_80",
            "hi_80",
            "lo_95",
            "hi_95",
            "yhat_seasonal_naive",
        ],
    )
    c = f[["unique_id", "ds"]].assign(consensus=f["yhat"] + 1)
    s = pd.DataFrame({"unique_id": ["total", "region=EUR"], "mase_scale": [2.5, np.nan]})
    return snapshot_frame(pd.Timestamp(cycle), f, c, s)


def _dump(con, cycle):
    return con.execute(
        f"SELECT * FROM {TABLE} WHERE cycle_month = ? ORDER BY series_id, ds", [pd.Timestamp(cycle).date()]
    ).fetchall()


def test_rerun_of_later_cycle_leaves_earlier_cycle_identical(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    write_snapshot(con, pd.Timestamp("2025-01-01"), _forecast("2025-01-01", 10.0))
    write_snapshot(con, pd.Timestamp("2025-02-01"), _forecast("2025-02-01", 20.0))
    before = _dump(con, "2025-01-01")
    # re-run February with different numbers, twice
    write_snapshot(con, pd.Timestamp("2025-02-01"), _forecast("2025-02-01", 30.0))
    write_snapshot(con, pd.Timestamp("2025-02-01"), _forecast("2025-02-01", 40.0))
    assert _dump(con, "2025-01-01") == before
    feb = read_snapshots(con)
    feb = feb[feb["cycle_month"] == "2025-02-01"]
    assert len(feb) == 6  # replaced, not appended
    assert feb.loc[(feb["series_id"] == "region=EUR") & (feb["horizon_step"] == 1), "yhat"].item() == 40.0
    con.close()


def test_rows_carry_horizon_steps_rounding_and_scale(tmp_path):
    rows = _forecast("2025-11-01", 10.0)
    assert sorted(rows["horizon_step"].unique()) == [1, 2, 3]
    assert rows.loc[rows["series_id"] == "total", "yhat"].iloc[0] == 10.33
    assert rows.loc[rows["series_id"] == "total", "mase_scale"].iloc[0] == 2.5
    assert rows.loc[rows["series_id"] == "region=EUR", "mase_scale"].isna().all()
    assert list(rows["ds"].dt.strftime("%Y-%m").unique()) == ["2025-12", "2026-01", "2026-02"]


def test_refuses_rows_of_another_cycle(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(ValueError, match="other cycles"):
        write_snapshot(con, pd.Timestamp("2025-03-01"), _forecast("2025-02-01", 1.0))


def test_mase_scale_is_seasonal_naive_mae():
    ds = pd.date_range("2023-01-01", periods=14, freq="MS")
    y = np.arange(14, dtype=float) * 2  # y_t - y_{t-12} = 24 for the 2 points after the first year
    scales = mase_scales(pd.DataFrame({"unique_id": "s", "ds": ds, "y": y}))
    assert scales["mase_scale"].item() == 24.0


def test_seasonal_naive_bounds_by_hand():
    # 26 months: y_t = t, so every seasonal difference is 12 and σ = 12; the forecast of the next
    # 13 months repeats the last season; 80% half-width 1.2816·12 for steps 1-12, ·√2 for step 13
    ds = pd.date_range("2023-01-01", periods=26, freq="MS")
    history = pd.DataFrame({"unique_id": "s", "ds": ds, "y": np.arange(26, dtype=float)})
    future = pd.date_range("2025-03-01", periods=13, freq="MS")
    snaive = np.r_[np.arange(14, 26, dtype=float), 14.0]
    forecast = pd.DataFrame({"unique_id": "s", "ds": future, "yhat_seasonal_naive": snaive})
    b = seasonal_naive_bounds(history, forecast)
    z80, z95 = 1.2815515655446004, 1.959963984540054
    assert b["seasonal_naive_hi_80"].to_numpy() == pytest.approx(snaive + z80 * 12 * np.r_[np.ones(12), np.sqrt(2)])
    assert b["seasonal_naive_lo_95"].to_numpy() == pytest.approx(
        np.clip(snaive - z95 * 12 * np.r_[np.ones(12), np.sqrt(2)], 0, None)
    )
    # a series of one season or less: σ of the month-to-month changes (1), growing with √h
    short = history[history["ds"] < "2023-07-01"]
    b = seasonal_naive_bounds(short, forecast.assign(yhat_seasonal_naive=5.0))
    assert b["seasonal_naive_hi_80"].to_numpy() == pytest.approx(5.0 + z80 * np.sqrt(np.arange(1, 14)))


def test_snapshot_table_of_an_earlier_version_gains_the_new_columns(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    old = {k: v for k, v in COLUMNS.items() if not k.startswith("seasonal_naive_")}
    con.execute("CREATE SCHEMA forecast")
    con.execute(
        f"CREATE TABLE {TABLE} ({', '.join(f'{k} {t}' for k, (t, _) in old.items())}, "
        "PRIMARY KEY (cycle_month, series_id, ds))"
    )
    rows = _forecast("2025-01-01", 10.0)  # noqa: F841 - DuckDB reads it by name (FROM rows)
    con.execute(f"INSERT INTO {TABLE} SELECT {', '.join(old)} FROM rows")
    ensure_table(con)
    stored = read_snapshots(con)
    assert list(stored.columns) == list(COLUMNS)
    assert len(stored) == 6 and stored["seasonal_naive_hi_80"].isna().all()
    write_snapshot(con, pd.Timestamp("2025-02-01"), _forecast("2025-02-01", 20.0))  # a new cycle writes every column
    con.close()


def test_the_dbt_source_of_the_forecast_tables_is_up_to_date():
    """Every forecast table published with the marts is declared to dbt, column by column."""
    import yaml

    from orchestration.forecasting import dbt_yaml
    from orchestration.forecasting.warehouse import published_specs

    assert not dbt_yaml.out_of_date(), "run: .venv/bin/python -m orchestration.forecasting.dbt_yaml --write"
    (source,) = yaml.safe_load(dbt_yaml.SOURCES_FILE.read_text())["sources"]
    declared = {t["name"]: [c["name"] for c in t["columns"]] for t in source["tables"]}
    assert declared == {s.name.split(".", 1)[1]: list(s.columns) for s in published_specs()}
    assert all(c["description"] for t in source["tables"] for c in t["columns"])
