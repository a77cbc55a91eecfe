"""Forecast error metrics against calculations done by hand on small arrays."""

import math

import numpy as np
import pytest

from orchestration.forecasting import metrics


def test_smape_by_hand():
    # |y-f| = 2, 0, 5 ; |y|+|f| = 18, 10, 15 -> 200*2/18 = 22.222.., 0, 200*5/15 = 66.666..
    assert metrics.smape([10, 5, 10], [8, 5, 5]) == pytest.approx((400 / 18 + 0 + 1000 / 15) / 3)


def test_smape_counts_zero_over_zero_as_zero_and_caps_at_200():
    assert metrics.smape([0, 0], [0, 0]) == 0.0
    assert metrics.smape([0, 4], [3, 4]) == pytest.approx((200 + 0) / 2)


def test_seasonal_naive_scale_by_hand():
    # m = 2: |3-1| + |4-2| + |7-3| = 2 + 2 + 4 -> 8 / 3
    assert metrics.seasonal_naive_scale([1, 2, 3, 4, 7], season_length=2) == pytest.approx(8 / 3)


def test_seasonal_naive_scale_falls_back_to_lag_one_then_level():
    # shorter than a season: lag-1 MAE: |5-2| + |3-5| = 3 + 2 -> 2.5
    assert metrics.seasonal_naive_scale([2, 5, 3], season_length=12) == pytest.approx(2.5)
    # constant series: every difference zero -> mean |y|
    assert metrics.seasonal_naive_scale([4, 4, 4, 4], season_length=2) == pytest.approx(4.0)
    assert math.isnan(metrics.seasonal_naive_scale([0, 0, 0], season_length=2))


def test_mase_wape_bias_coverage_by_hand():
    y, f = np.array([10.0, 20.0, 30.0]), np.array([12.0, 18.0, 33.0])
    # errors 2, 2, 3: MAE 7/3
    assert metrics.mase(y, f, scale=7 / 6) == pytest.approx(2.0)
    assert metrics.wape(y, f) == pytest.approx(7 / 60)
    assert metrics.bias(y, f) == pytest.approx(3 / 60)  # (2 - 2 + 3) / 60
    assert metrics.coverage(y, [9, 21, 25], [11, 25, 30]) == pytest.approx(2 / 3)  # 20 is outside [21, 25]
    assert metrics.fva(0.30, 0.25) == pytest.approx(0.05)


def test_undefined_metrics_are_nan_and_shapes_must_match():
    assert math.isnan(metrics.wape([0, 0], [1, 1]))
    assert math.isnan(metrics.mase([1], [2], scale=0.0))
    with pytest.raises(ValueError, match="shape"):
        metrics.smape([1, 2], [1])
