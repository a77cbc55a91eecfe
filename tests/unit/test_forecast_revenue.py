"""Revenue forecast: win rates by stage and age, placement in the expected close month, blend, commit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.forecasting.revenue import (
    age_bucket,
    blend_backtest,
    blend_origins,
    choose_pipeline_weights,
    expected_close_month,
    revenue_forecast,
    win_rates,
)

CYCLE = pd.Timestamp("2025-03-01")
COLS = [
    "snapshot_month",
    "opportunity_id",
    "region_code",
    "stage_name",
    "forecast_category",
    "probability",
    "amount_usd",
    "close_date",
    "is_open",
    "closed_in_month_outcome",
    "age_days",
]


def _snapshots():
    rows = [
        # o1: Prospecting at 10 days, Proposal at 40 days, won in March
        ("2025-01-01", "o1", "EUR", "Prospecting", "Pipeline", 10, 100.0, "2025-03-10", True, None, 10),
        ("2025-02-01", "o1", "EUR", "Proposal", "Best Case", 50, 100.0, "2025-03-10", True, None, 40),
        ("2025-03-01", "o1", "EUR", "Closed Won", "Closed", 100, 100.0, "2025-03-10", False, "won", 49),
        # o2: Prospecting at 20 days, lost in February
        ("2025-01-01", "o2", "NAM", "Prospecting", "Pipeline", 10, 50.0, "2025-04-01", True, None, 20),
        ("2025-02-01", "o2", "NAM", "Closed Lost", "Omitted", 0, 50.0, "2025-02-03", False, "lost", 23),
        # o3: Prospecting at 25 days, Proposal at 55 days, lost in March
        ("2025-01-01", "o3", "EUR", "Prospecting", "Pipeline", 10, 70.0, "2025-06-01", True, None, 25),
        ("2025-02-01", "o3", "EUR", "Proposal", "Best Case", 50, 70.0, "2025-06-01", True, None, 55),
        ("2025-03-01", "o3", "EUR", "Closed Lost", "Omitted", 0, 70.0, "2025-03-05", False, "lost", 60),
        # o6: open in February, won only in April (after the cycle): its outcome is unknown at the cycle
        ("2025-02-01", "o6", "EUR", "Prospecting", "Pipeline", 10, 999.0, "2025-04-10", True, None, 10),
        ("2025-03-01", "o6", "EUR", "Prospecting", "Pipeline", 10, 999.0, "2025-09-10", True, None, 38),
        ("2025-04-01", "o6", "EUR", "Closed Won", "Closed", 100, 999.0, "2025-04-10", False, "won", 48),
        # open at the cycle's month end
        ("2025-03-01", "o4", "EUR", "Proposal", "Commit", 50, 1000.0, "2025-02-15", True, None, 50),  # past due
        ("2025-03-01", "o5", "EUR", "Prospecting", "Pipeline", 10, 200.0, "2025-05-20", True, None, 5),
        (
            "2025-03-01",
            "o7",
            "NAM",
            "Prospecting",
            "Pipeline",
            10,
            300.0,
            "2027-01-01",
            True,
            None,
            5,
        ),  # beyond horizon
    ]
    df = pd.DataFrame(rows, columns=COLS)
    df["snapshot_month"] = pd.to_datetime(df["snapshot_month"])
    df["close_date"] = pd.to_datetime(df["close_date"])
    return df


def test_age_buckets():
    assert list(age_bucket([0, 30, 31, 90, 91, 180, 181, 900])) == [
        "0-30",
        "0-30",
        "31-90",
        "31-90",
        "91-180",
        "91-180",
        "181+",
        "181+",
    ]


def test_win_rate_by_stage_and_age_by_hand():
    rates = win_rates(_snapshots(), CYCLE, min_closed=1).set_index(["stage_name", "age_bucket"])
    # Prospecting 0-30: o1 won, o2 lost, o3 lost (o6 not closed by the cycle) -> 1/3
    assert rates.loc[("Prospecting", "0-30"), "closed_opportunities"] == 3
    assert rates.loc[("Prospecting", "0-30"), "win_rate"] == pytest.approx(1 / 3)
    # Proposal 31-90: o1 won, o3 lost -> 1/2
    assert rates.loc[("Proposal", "31-90"), "win_rate"] == pytest.approx(0.5)
    assert rates.loc[("Proposal", "31-90"), "win_rate_source"] == "stage_age"


def test_win_rate_fallbacks():
    rates = win_rates(_snapshots(), CYCLE, min_closed=3).set_index(["stage_name", "age_bucket"])
    assert rates.loc[("Prospecting", "0-30"), "win_rate_source"] == "stage_age"
    # Proposal has 2 closed opportunities < 3: stage has 2 too -> overall: o1 won of o1, o2, o3
    assert rates.loc[("Proposal", "31-90"), "win_rate_source"] == "overall"
    assert rates.loc[("Proposal", "31-90"), "win_rate"] == pytest.approx(1 / 3)
    # Prospecting 31-90 (o6 in March, never closed by the cycle): stage rate over all ages = 1/3
    assert rates.loc[("Prospecting", "31-90"), "win_rate_source"] == "stage"


def test_expected_close_month_past_due_moves_to_next_month():
    out = expected_close_month(pd.to_datetime(["2025-02-15", "2025-03-31", "2025-04-01", "2025-07-19"]), CYCLE)
    assert list(out.dt.strftime("%Y-%m")) == ["2025-04", "2025-04", "2025-04", "2025-07"]


def test_pipeline_placement_blend_and_commit_by_hand():
    stat = pd.DataFrame(
        {
            "region_code": ["EUR"] * 4 + ["NAM"] * 4,
            "ds": list(pd.date_range("2025-04-01", periods=4, freq="MS")) * 2,
            "model": "AutoETS",
            "yhat": [900.0, 800.0, 700.0, 600.0, 10.0, 20.0, 30.0, 40.0],
        }
    )
    for c in ("lo_80", "lo_95"):
        stat[c] = stat["yhat"] - 1
    for c in ("hi_80", "hi_95"):
        stat[c] = stat["yhat"] + 1
    out, _ = revenue_forecast(stat, _snapshots(), CYCLE, horizon=4, min_closed=1)
    out = out.set_index(["region_code", out["ds"].dt.strftime("%Y-%m")])
    apr, may = out.loc[("EUR", "2025-04")], out.loc[("EUR", "2025-05")]
    # o4 (Proposal, 50 days, past due) -> April, 1000 x 1/2; o6 (Prospecting, 38 days) -> September (outside)
    assert apr["pipeline_usd"] == 500.00 and apr["open_opportunities"] == 1
    assert apr["horizon_step"] == 1 and apr["pipeline_weight"] == 0.7
    assert apr["blended_usd"] == pytest.approx(0.7 * 500 + 0.3 * 900)
    assert apr["commit_usd"] == 1000.00  # o4 is in forecast category Commit
    # o5 (Prospecting, 5 days) -> May, 200 x 1/3
    assert may["pipeline_usd"] == pytest.approx(66.67)
    assert may["blended_usd"] == pytest.approx(round(0.5 * 200 / 3 + 0.5 * 800, 2))
    assert may["commit_usd"] == 0.0
    # step 4: statistical only; o7 closes beyond the horizon and is not placed
    assert out.loc[("EUR", "2025-07"), "blended_usd"] == 600.0
    assert out.loc[("NAM"), "pipeline_usd"].sum() == 0.0
    assert len(out) == 8


def test_blend_origins_need_a_year_of_history():
    origins = blend_origins(pd.Timestamp("2023-06-01"), pd.Timestamp("2021-01-01"))
    # cycle - 1, - 4, ...; 2021-11 would have only 11 months of history
    assert [o.strftime("%Y-%m") for o in origins] == ["2022-02", "2022-05", "2022-08", "2022-11", "2023-02", "2023-05"]


def test_choose_pipeline_weights_by_hand():
    rows = []
    for k in range(5):
        origin = pd.Timestamp("2024-01-01") + pd.DateOffset(months=3 * k)
        # step 1: the pipeline is exact, the statistical forecast 100 too high -> weight 1
        rows.append((origin, 1, 1000.0 + k + 100, 1000.0 + k, 1000.0 + k))
        # step 2: the statistical forecast is exact, the pipeline half -> weight 0
        rows.append((origin, 2, 800.0, 400.0, 800.0))
        # step 3: stat 10 too low, pipeline 20 too high: the blend 90 + 30w misses by |30w - 10|,
        # 1 at w = 0.3 (the best on the grid), 2 at w = 0.4
        rows.append((origin, 3, 90.0, 120.0, 100.0))
    bt = pd.DataFrame(rows, columns=["origin", "step", "statistical", "pipeline", "actual"])
    bt = pd.concat([bt, pd.DataFrame([(pd.Timestamp("2024-01-01"), 4, 1.0, 2.0, 2.0)], columns=bt.columns)])
    w = choose_pipeline_weights(bt, steps=5, min_origins=4).set_index("step")
    assert w.loc[1, "weight"] == 1.0 and w.loc[1, "source"] == "backtest" and w.loc[1, "wape_blend"] == 0.0
    assert w.loc[2, "weight"] == 0.0
    assert w.loc[3, "weight"] == 0.3
    assert w.loc[3, "wape_statistical"] == pytest.approx(10 / 100)
    # step 4 has one origin, step 5 none: the defaults (0 after step 3)
    assert w.loc[4, "source"] == "default" and w.loc[4, "origins"] == 1 and w.loc[4, "weight"] == 0.0
    assert w.loc[5, "source"] == "default"


def test_blend_backtest_uses_only_data_known_at_each_origin():
    months = pd.date_range("2023-01-01", "2024-06-01", freq="MS")
    bookings = pd.DataFrame({"region_code": "EUR", "ds": months, "y": np.arange(len(months), dtype=float) * 10})
    seen = []

    def forecaster(history, horizon):
        seen.append(history["ds"].max())
        ds = pd.date_range(history["ds"].max() + pd.DateOffset(months=1), periods=horizon, freq="MS")
        return pd.DataFrame({"region_code": "EUR", "ds": ds, "yhat": history["y"].iloc[-1]})

    bt = blend_backtest(bookings, _snapshots().iloc[0:0], pd.Timestamp("2024-06-01"), forecaster, steps=3)
    assert seen == sorted(seen) and seen[-1] == pd.Timestamp("2024-05-01")
    assert (bt["ds"] <= pd.Timestamp("2024-06-01")).all()
    last = bt[bt["origin"] == pd.Timestamp("2024-05-01")]
    assert list(last["step"]) == [1] and last["statistical"].item() == 160.0 and last["actual"].item() == 170.0
    assert (bt["pipeline"] == 0).all()
