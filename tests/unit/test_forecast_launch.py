"""Launch forecasts from the collection's launch profile, checked by hand."""

import numpy as np
import pandas as pd
import pytest

from orchestration.forecasting.engine import RECENT_MEAN, ForecastConfig, forecast_series
from orchestration.forecasting.launch import LAUNCH_PROFILE, LaunchProfiles

MONTHS = pd.date_range("2020-01-01", periods=48, freq="MS")


def series(uid, values, start):
    values = np.asarray(values, dtype=float)
    return pd.DataFrame({"unique_id": uid, "ds": MONTHS[start : start + len(values)], "y": values})


def test_launch_forecast_is_the_median_reference_ratio_times_the_launchs_months_by_hand():
    # five references launched in month 1 (the collection starts in month 0 with "old")
    refs = {f"r{i}": [10 * (i + 1), 10 * (i + 1), 30 * (i + 1) + i, 40 * (i + 1)] for i in range(5)}
    history = pd.concat(
        [series("old", np.full(10, 5.0), 0)] + [series(u, v, 1) for u, v in refs.items()], ignore_index=True
    )
    profiles = LaunchProfiles(history)
    assert profiles.is_launch(MONTHS[1]) and not profiles.is_launch(MONTHS[0])
    fc = profiles.forecast("young", [3.0, 5.0], horizon=3, levels=(80,))
    # age 2: ratios (30(i+1)+i) / (20(i+1)) -> median at i = 2: 92 / 60; age 3: 40/20 = 2 for all
    assert fc["yhat"].tolist() == pytest.approx([8 * 92 / 60, 8 * 2.0, 8 * 2.0])  # age 4 unseen: age 3 carried
    ratios = np.array([(30 * (i + 1) + i) / (20 * (i + 1)) for i in range(5)])
    assert fc["lo_80"].iat[0] == pytest.approx(8 * np.quantile(ratios, 0.1))
    assert fc["hi_80"].iat[0] == pytest.approx(8 * np.quantile(ratios, 0.9))
    # a reference is never its own reference: with r0 forecast, four remain, too few
    assert profiles.forecast("r0", refs["r0"][:2], horizon=3) is None


def test_engine_forecasts_a_young_launch_from_the_profile_and_a_short_old_series_by_recent_mean():
    rng = np.random.default_rng(5)
    ramp = np.minimum(np.arange(1, 41), 10) * 10.0  # 10, 20, ... 100, then flat
    parts = [series(f"old{i}", 100 + rng.normal(0, 5, 40), 0) for i in range(3)]
    parts += [series(f"launch{i}", ramp[: 40 - 2 - i] + rng.normal(0, 2, 40 - 2 - i), 2 + i) for i in range(6)]
    parts.append(series("young", [9.0, 21.0, 29.0], 37))  # launched in month 37, three months old
    parts.append(series("short_old", [50.0, 60.0, 55.0, 52.0], 0))  # starts with the data: no launch
    history = pd.concat(parts, ignore_index=True)
    result = forecast_series(history, ForecastConfig(horizon=6, n_jobs=1))
    sel = result.selection.set_index("unique_id")
    assert sel.loc["young", "model"] == LAUNCH_PROFILE
    assert sel.loc["short_old", "model"] == RECENT_MEAN
    young = result.forecasts[result.forecasts["unique_id"] == "young"]["yhat"].to_numpy()
    assert young[-1] > 2 * np.mean([9.0, 21.0, 29.0])  # follows the ramp, not the mean of its months


def test_launch_evaluation_scores_both_methods_on_the_months_that_followed_by_hand():
    from orchestration.evaluation.launches import evaluate_launches

    ramp = np.array([10.0, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120])
    parts = [series("old", np.full(30, 5.0), 0)]
    parts += [series(f"ref{i}", ramp, 1 + i) for i in range(5)]  # launched months 1..5, all 12 months old
    parts.append(series("new", 2 * ramp[:6], 20))  # launched month 20, twice the references' size
    report = evaluate_launches(pd.concat(parts, ignore_index=True), [MONTHS[22]], horizon=3, max_age=4)
    # at the origin (month 22) "new" is 2 months old: [20, 40]; then 60, 80, 100 followed
    assert report["forecasts"] == 1 and report["series"] == 1
    # the profile: 60 x ramp[a] / (10 + 20) = 2 ramp[a] -> exact
    assert report["LaunchProfile"]["wape"] == pytest.approx(0.0) and report["coverage80"] == 1.0
    # the mean of its months, 30, against 60, 80, 100
    assert report["RecentMean"]["wape"] == pytest.approx((30 + 50 + 70) / 240)
    assert report["RecentMean"]["bias"] == pytest.approx(-150 / 240)
    assert report["RecentMean"]["lag1_bias"] == pytest.approx(-30 / 60)
