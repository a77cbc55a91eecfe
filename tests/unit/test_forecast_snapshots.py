"""Forecast snapshots: a cycle replaces only its own rows; earlier cycles stay byte-identical."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.forecasting.snapshots import TABLE, mase_scales, read_snapshots, snapshot_frame, write_snapshot


def _forecast(cycle: str, scale: float):
    ds = pd.date_range(pd.Timestamp(cycle) + pd.DateOffset(months=1), periods=3, freq="MS")
    rows = []
    for uid, level in (("total", "total"), ("region=EUR", "region")):
        for i, d in enumerate(ds):
            y = scale * (i + 1) + (0.333 if level == "total" else 0.0)
            rows.append((uid, level, "AutoETS", d, y, y - 1, y + 1, y - 2, y + 2, y * 0.9))
    f = pd.DataFrame(rows, columns=["unique_id", "level", "model", "ds", "yhat", "lo_80", "hi_80", "lo_95", "hi_95",
                                    "yhat_seasonal_naive"])
    c = f[["unique_id", "ds"]].assign(consensus=f["yhat"] + 1)
    s = pd.DataFrame({"unique_id": ["total", "region=EUR"], "mase_scale": [2.5, np.nan]})
    return snapshot_frame(pd.Timestamp(cycle), f, c, s)


def _dump(con, cycle):
    return con.execute(f"SELECT * FROM {TABLE} WHERE cycle_month = ? ORDER BY series_id, ds",
                       [pd.Timestamp(cycle).date()]).fetchall()


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
