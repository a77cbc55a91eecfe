"""Scoring reconciliation methods on past cycles (hierarchy_backtest), on a tiny hand-checked case."""

import numpy as np
import pandas as pd
import pytest

from orchestration.forecasting.engine import ForecastResult
from orchestration.forecasting.hierarchy import build_hierarchy
from orchestration.forecasting.hierarchy_backtest import (
    Origin, evaluate_origin, format_report, HierarchyEvaluation, node_actuals, score_levels,
)

# one region, one family, two SKUs: nodes total, region=R, family=F|region=R, sku=a|region=R, sku=b|region=R
KEYS = pd.DataFrame({"sku": ["a", "b"], "region": ["R", "R"], "family": ["F", "F"]})
HIST_MONTHS = pd.date_range("2023-01-01", periods=14, freq="MS")
FUTURE = pd.date_range("2024-03-01", periods=2, freq="MS")


def _history(h):
    """Node history: a = 1..14, b = 2 every month; upper nodes the sums."""
    a = np.arange(1.0, 15.0)
    b = np.full(14, 2.0)
    rows = []
    for uid, y in (("total", a + b), ("region=R", a + b), ("family=F|region=R", a + b),
                   ("sku=a|region=R", a), ("sku=b|region=R", b)):
        rows += [(uid, d, v) for d, v in zip(HIST_MONTHS, y)]
    return pd.DataFrame(rows, columns=["unique_id", "ds", "y"])


def _actuals():
    y = {"sku=a|region=R": [20.0, 10.0], "sku=b|region=R": [0.0, 4.0]}
    y["total"] = y["region=R"] = y["family=F|region=R"] = [20.0, 14.0]
    return pd.DataFrame([(u, d, v) for u, vs in y.items() for d, v in zip(FUTURE, vs)], columns=["unique_id", "ds", "y"])


def _forecasts(values):
    return pd.DataFrame([(u, d, v) for u, vs in values.items() for d, v in zip(FUTURE, vs)],
                        columns=["unique_id", "ds", "yhat"])


BASE = {"total": [30.0, 30.0], "region=R": [24.0, 24.0], "family=F|region=R": [22.0, 22.0],
        "sku=a|region=R": [18.0, 12.0], "sku=b|region=R": [3.0, 3.0]}


def test_scores_match_a_hand_calculation():
    h = build_hierarchy(KEYS)
    scores = score_levels(_forecasts(BASE), _actuals(), _history(h), h).set_index("level")
    # total: errors 10, 16 on actuals 20, 14; seasonal naive scale m=12 over 14 months:
    # total y_t = t + 3 (t = 1..14), y[12:] - y[:-12] = 12, 12 -> scale 12
    assert scores.loc["total", "wape"] == pytest.approx(26 / 34)
    assert scores.loc["total", "bias"] == pytest.approx(26 / 34)
    assert scores.loc["total", "mase"] == pytest.approx(13 / 12)
    # SKU level: a errs -2, +2 (scale 12), b errs +3, -1 (b constant: scale = its mean level 2)
    assert scores.loc["sku_region", "wape"] == pytest.approx((2 + 2 + 3 + 1) / 34)
    assert scores.loc["sku_region", "bias"] == pytest.approx((-2 + 2 + 3 - 1) / 34)
    assert scores.loc["sku_region", "mase"] == pytest.approx(((2 / 12) + (2 / 2)) / 2)
    assert scores.loc["sku_region", "n_series"] == 2 and scores.loc["sku_region", "n_points"] == 4


def test_a_missing_forecast_is_named():
    h = build_hierarchy(KEYS)
    fc = _forecasts(BASE)
    with pytest.raises(ValueError, match=r"sku=b\|region=R.*2024-04"):
        score_levels(fc[~((fc["unique_id"] == "sku=b|region=R") & (fc["ds"] == FUTURE[1]))], _actuals(), _history(h), h)


def test_node_actuals_sum_the_bottoms_and_fill_zero():
    h = build_hierarchy(KEYS)
    later = pd.DataFrame({"sku": ["a", "a", "b"], "region": "R", "family": "F",
                          "ds": [FUTURE[0], FUTURE[1], FUTURE[0]], "y": [5.0, 6.0, 1.0]})
    act = node_actuals(later, h, FUTURE).set_index(["unique_id", "ds"])["y"]
    assert act[("total", FUTURE[0])] == 6.0 and act[("total", FUTURE[1])] == 6.0
    assert act[("sku=b|region=R", FUTURE[1])] == 0.0  # no row: the series sold nothing
    assert len(act) == 5 * 2


def test_every_method_is_scored_on_the_same_base_forecasts():
    h = build_hierarchy(KEYS)
    base = _forecasts(BASE).assign(model="AutoETS", lo_80=0.0, hi_80=50.0, lo_95=0.0, hi_95=60.0)
    selection = pd.DataFrame({"unique_id": list(BASE), "model": "AutoETS"})
    engine = ForecastResult(forecasts=base, selection=selection, backtest=pd.DataFrame(), backtest_forecasts=None)
    origin = Origin(pd.Timestamp("2024-02-01"), h, _history(h), engine, _actuals())
    scores, seconds = evaluate_origin(origin, ["wls_struct", "top_down_proportions", "wls_backtest"])
    s = scores.set_index(["method", "level"])
    assert set(seconds) == {"base", "wls_struct", "top_down_proportions", "wls_backtest"}
    assert s.loc[("base", "total"), "wape"] == pytest.approx(26 / 34)
    # top-down keeps the total's base forecast (coherent in cents): same total score as the base
    assert s.loc[("top_down_proportions", "total"), "wape"] == pytest.approx(26 / 34, abs=1e-6)
    # wls_struct: S (S'W^-1 S)^-1 S'W^-1 y^ by hand, W = diag(2, 2, 2, 1, 1)
    S = np.array([[1, 1], [1, 1], [1, 1], [1, 0], [0, 1]], dtype=float)
    w_inv = np.diag([0.5, 0.5, 0.5, 1, 1])
    y_hat = np.array([BASE[u] for u in BASE])
    rec = S @ np.linalg.solve(S.T @ w_inv @ S, S.T @ w_inv @ y_hat)
    total = np.round(np.clip(rec[3], 0, None), 2) + np.round(np.clip(rec[4], 0, None), 2)
    expected = np.abs(total - [20.0, 14.0]).sum() / 34
    assert s.loc[("wls_struct", "total"), "wape"] == pytest.approx(expected, abs=1e-6)
    report = format_report(HierarchyEvaluation(scores, {("2024-02", m): v for m, v in seconds.items()}))
    assert "top_down_proportions" in report and "mean over cycles" in report
