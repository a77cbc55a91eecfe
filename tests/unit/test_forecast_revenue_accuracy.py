"""Revenue forecast accuracy: errors, WAPE, bias, MASE, coverage and FVA against hand calculations,
bad stored rows refused with table, row and rule, and past cycles untouched by a later cycle."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.forecasting import warehouse as wh
from orchestration.forecasting.revenue_accuracy import (
    COLUMNS,
    RevenueForecastRowsError,
    revenue_forecast_accuracy,
    summary_by_cycle,
)

FC_COLS = [
    "cycle_month",
    "region_code",
    "forecast_month",
    "horizon_step",
    "statistical_usd",
    "statistical_lo_80_usd",
    "statistical_hi_80_usd",
    "statistical_lo_95_usd",
    "statistical_hi_95_usd",
    "pipeline_usd",
    "blended_usd",
    "commit_usd",
]


def _forecasts() -> pd.DataFrame:
    rows = [
        # cycle 2025-01: lag 1 (2025-02), an unscored step 2, lag 3 (2025-04)
        ("2025-01-01", "EUR", "2025-02-01", 1, 100, 90, 115, 80, 125, 150, 125, 118),
        ("2025-01-01", "NAM", "2025-02-01", 1, 60, 55, 65, 50, 75, 80, 70, 72),
        ("2025-01-01", "EUR", "2025-03-01", 2, 999, 0, 0, 0, 0, 999, 999, 999),
        ("2025-01-01", "EUR", "2025-04-01", 3, 100, 90, 110, 80, 140, 60, 88, 130),
        ("2025-01-01", "NAM", "2025-04-01", 3, 70, 60, 80, 50, 90, 10, 52, 5),
        # cycle 2025-02: lag 1 (2025-03); lag 3 (2025-05) is after the last bookings month
        ("2025-02-01", "EUR", "2025-03-01", 1, 110, 95, 125, 85, 135, 80, 95, 92),
        ("2025-02-01", "NAM", "2025-03-01", 1, 75, 70, 85, 65, 95, 100, 87.5, 82),
        ("2025-02-01", "EUR", "2025-05-01", 3, 100, 90, 110, 80, 120, 50, 85, 90),
        ("2025-02-01", "NAM", "2025-05-01", 3, 70, 60, 80, 50, 90, 20, 55, 40),
    ]
    df = pd.DataFrame(rows, columns=FC_COLS)
    for c in ("cycle_month", "forecast_month"):
        df[c] = pd.to_datetime(df[c])
    return df


def _bookings() -> pd.DataFrame:
    """2024: EUR 100 and NAM 50 every month. 2025: EUR 110, 120, 90, 130; NAM 60, 70, 80 and no
    row in April (booked nothing). Seasonal naive MAE at cycle 2025-01: EUR 10, NAM 10, total 20;
    at cycle 2025-02: EUR 15, NAM 15, total 30."""
    months = pd.date_range("2024-01-01", "2025-04-01", freq="MS")
    eur = [100.0] * 12 + [110.0, 120.0, 90.0, 130.0]
    nam = [50.0] * 12 + [60.0, 70.0, 80.0]
    return pd.DataFrame(
        {
            "region_code": ["EUR"] * 16 + ["NAM"] * 15,
            "ds": list(months) + list(months[:15]),
            "y": eur + nam,
        }
    )


@pytest.fixture(scope="module")
def acc() -> pd.DataFrame:
    return revenue_forecast_accuracy(_forecasts(), _bookings())


def _row(acc, cycle, lag, region=None):
    sel = (acc["cycle_month"] == pd.Timestamp(cycle)) & (acc["lag"] == lag)
    sel &= (acc["region_code"] == region) if region else (acc["level"] == "total")
    assert sel.sum() == 1
    return acc[sel].iloc[0]


def test_rows_columns_and_months_without_actuals(acc):
    assert list(acc.columns) == list(COLUMNS) == list(wh.REVENUE_FORECAST_ACCURACY.columns)
    keys = set(zip(acc["cycle_month"].dt.strftime("%Y-%m"), acc["lag"], acc["level"], acc["region_code"].fillna("-")))
    assert keys == {
        (c, lag, level, r)
        for c, lag in (("2025-01", 1), ("2025-01", 3), ("2025-02", 1))
        for level, r in (("region", "EUR"), ("region", "NAM"), ("total", "-"))
    }
    # 2025-02's lag 3 targets 2025-05, after the last bookings month: no row yet
    assert not ((acc["cycle_month"] == "2025-02-01") & (acc["lag"] == 3)).any()
    t, c = acc["target_month"].dt, acc["cycle_month"].dt
    assert ((t.year - c.year) * 12 + t.month - c.month == acc["lag"]).all()


def test_region_row_by_hand(acc):
    eur = _row(acc, "2025-01-01", 1, "EUR")  # booked 120
    assert eur["n_regions"] == 1 and eur["actual_usd"] == 120
    assert [eur[f"abs_error_{f}_usd"] for f in ("statistical", "pipeline", "blended", "commit")] == [20, 30, 5, 2]
    assert eur["wape_statistical"] == pytest.approx(20 / 120) and eur["bias_statistical"] == pytest.approx(-20 / 120)
    assert eur["wape_pipeline"] == pytest.approx(30 / 120) and eur["bias_pipeline"] == pytest.approx(30 / 120)
    assert eur["bias_commit"] == pytest.approx(-2 / 120)
    assert eur["mase_scale_usd"] == pytest.approx(10.0)  # |110 − 100|, the one seasonal difference up to 2025-01
    assert (eur["mase_statistical"], eur["mase_pipeline"], eur["mase_blended"], eur["mase_commit"]) == pytest.approx(
        (2.0, 3.0, 0.5, 0.2)
    )
    assert (
        eur["coverage_80_statistical"] == 0.0 and eur["coverage_95_statistical"] == 1.0
    )  # 120 ∉ [90, 115] ⊂ [80, 125]
    assert eur["fva_blended_over_statistical"] == pytest.approx(15 / 120)
    assert eur["fva_blended_over_pipeline"] == pytest.approx(25 / 120)
    assert eur["fva_commit_over_blended"] == pytest.approx(3 / 120)


def test_total_row_sums_first_then_scores(acc):
    total = _row(acc, "2025-01-01", 1)  # booked 120 + 70
    assert total["n_regions"] == 2 and total["region_code"] is None and total["actual_usd"] == 190
    assert total["statistical_usd"] == 160 and total["commit_usd"] == 190
    # the commit misses EUR by −2 and NAM by +2: the errors offset in the total
    assert total["abs_error_commit_usd"] == 0 and total["wape_commit"] == 0.0
    assert total["wape_statistical"] == pytest.approx(30 / 190) and total["bias_pipeline"] == pytest.approx(40 / 190)
    assert total["mase_scale_usd"] == pytest.approx(20.0) and total["mase_statistical"] == pytest.approx(1.5)
    assert total["coverage_80_statistical"] == 0.0 and total["coverage_95_statistical"] == 1.0
    assert total["fva_commit_over_blended"] == pytest.approx(5 / 190)

    later = _row(acc, "2025-02-01", 1)  # booked 90 + 80; scale at 2025-02: mean(|170−150|, |190−150|)
    assert later["mase_scale_usd"] == pytest.approx(30.0)
    assert later["abs_error_blended_usd"] == 12.5 and later["mase_statistical"] == pytest.approx(15 / 30)
    assert later["coverage_80_statistical"] == 0.5  # EUR 90 ∉ [95, 125], NAM 80 ∈ [70, 85]
    assert _row(acc, "2025-02-01", 1, "NAM")["mase_scale_usd"] == pytest.approx(15.0)


def test_region_that_booked_nothing_counts_as_zero(acc):
    nam = _row(acc, "2025-01-01", 3, "NAM")  # no NAM row in 2025-04, a month the history covers
    assert nam["actual_usd"] == 0 and np.isnan(nam["wape_statistical"]) and np.isnan(nam["bias_statistical"])
    assert nam["abs_error_statistical_usd"] == 70 and nam["mase_statistical"] == pytest.approx(7.0)
    total = _row(acc, "2025-01-01", 3)
    assert total["actual_usd"] == 130 and total["wape_statistical"] == pytest.approx(40 / 130)
    assert total["coverage_95_statistical"] == 0.5  # EUR 130 ∈ [80, 140], NAM 0 ∉ [50, 90]


def test_total_rows_match_an_independent_sum_of_the_inputs(acc):
    """Every total row against a direct pandas calculation from the two input frames."""
    f = _forecasts()
    b = _bookings().rename(columns={"ds": "forecast_month", "y": "actual"})
    f = f[f["horizon_step"].isin([1, 3])].merge(b, on=["region_code", "forecast_month"], how="left")
    f = f[f["forecast_month"] <= b["forecast_month"].max()].fillna({"actual": 0.0})
    sums = f.groupby(["cycle_month", "horizon_step"])[["actual", "pipeline_usd", "blended_usd"]].sum()
    for (cycle, lag), s in sums.iterrows():
        row = _row(acc, cycle, lag)
        assert row["wape_pipeline"] == pytest.approx(abs(s["actual"] - s["pipeline_usd"]) / s["actual"])
        assert row["bias_blended"] == pytest.approx((s["blended_usd"] - s["actual"]) / s["actual"])


def test_summary_shows_total_wape_by_cycle_and_lag(acc):
    s = summary_by_cycle(acc)
    assert list(s.columns) == ["cycle_month", "lag", "wape_statistical", "wape_pipeline", "wape_blended", "wape_commit"]
    assert list(zip(s["cycle_month"], s["lag"])) == [("2025-01", 1), ("2025-01", 3), ("2025-02", 1)]
    assert s.loc[0, "wape_commit"] == 0.0


def test_no_actuals_gives_an_empty_mart_with_its_columns():
    out = revenue_forecast_accuracy(_forecasts(), _bookings().iloc[0:0])
    assert out.empty and list(out.columns) == list(COLUMNS)
    assert list(revenue_forecast_accuracy(_forecasts().iloc[0:0], _bookings()).columns) == list(COLUMNS)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda f: f.drop(columns=["commit_usd"]), "forecast.revenue_forecast: missing column(s) commit_usd"),
        (
            lambda f: pd.concat([f, f.iloc[[1]]], ignore_index=True),
            "forecast.revenue_forecast: row 10: second row for cycle 2025-01, region NAM, month 2025-02",
        ),
        (
            lambda f: f.assign(horizon_step=f["horizon_step"].where(f.index != 3, 2)),
            "forecast.revenue_forecast: row 4: horizon_step 2 but 2025-04 is 3 month(s) after cycle 2025-01",
        ),
        (
            lambda f: f.assign(region_code=f["region_code"].where(f.index != 5, None)),
            "forecast.revenue_forecast: row 6: region_code is empty",
        ),
    ],
)
def test_bad_stored_rows_are_refused_naming_row_and_rule(change, message):
    with pytest.raises(RevenueForecastRowsError) as err:
        revenue_forecast_accuracy(change(_forecasts()), _bookings())
    assert message in str(err.value)


def _stored_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Forecast rows with every column of forecast.revenue_forecast."""
    out = frame.copy()
    for c in wh.REVENUE_FORECAST.columns:
        if c not in out:
            out[c] = "AutoETS" if c == "statistical_model" else 0
    return out


def test_rerunning_a_later_cycle_leaves_earlier_rows_and_accuracy_unchanged():
    con = duckdb.connect()
    f = _stored_rows(_forecasts())
    for cycle in ("2025-01-01", "2025-02-01"):
        wh.replace_cycle(con, wh.REVENUE_FORECAST, pd.Timestamp(cycle), f[f["cycle_month"] == cycle])
    stored = wh.read_table(con, wh.REVENUE_FORECAST)
    before_rows = stored[stored["cycle_month"] == "2025-01-01"].reset_index(drop=True)
    before = revenue_forecast_accuracy(stored, _bookings())

    rerun = f[f["cycle_month"] == "2025-02-01"].copy()
    rerun[["statistical_usd", "blended_usd"]] = rerun[["statistical_usd", "blended_usd"]] * 2
    wh.replace_cycle(con, wh.REVENUE_FORECAST, pd.Timestamp("2025-02-01"), rerun)
    stored = wh.read_table(con, wh.REVENUE_FORECAST)
    after = revenue_forecast_accuracy(stored, _bookings())

    pd.testing.assert_frame_equal(stored[stored["cycle_month"] == "2025-01-01"].reset_index(drop=True), before_rows)
    first = lambda a: a[a["cycle_month"] == "2025-01-01"].reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(first(after), first(before))
    assert len(stored) == len(f)
    later = _row(after, "2025-02-01", 1)
    assert later["statistical_usd"] == 2 * _row(before, "2025-02-01", 1)["statistical_usd"]
