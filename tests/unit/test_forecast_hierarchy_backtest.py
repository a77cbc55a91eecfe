"""Scoring reconciliation methods on past cycles (hierarchy_backtest), on a tiny hand-checked case."""

import numpy as np
import pandas as pd
import pytest

from orchestration.evaluation.hierarchy_backtest import (
    HierarchyEvaluation,
    Origin,
    evaluate_origin,
    format_report,
    node_actuals,
    score_levels,
)
from orchestration.forecasting.engine import ForecastResult
from orchestration.forecasting.hierarchy import build_hierarchy

# one region, one family, two SKUs: nodes total, region=R, family=F|region=R, sku=a|region=R, sku=b|region=R
KEYS = pd.DataFrame({"sku": ["a", "b"], "region": ["R", "R"], "family": ["F", "F"]})
HIST_MONTHS = pd.date_range("2023-01-01", periods=14, freq="MS")
FUTURE = pd.date_range("2024-03-01", periods=2, freq="MS")


def _history(h):
    """Node history: a = 1..14, b = 2 every month; upper nodes the sums."""
    a = np.arange(1.0, 15.0)
    b = np.full(14, 2.0)
    rows = []
    for uid, y in (
        ("total", a + b),
        ("region=R", a + b),
        ("family=F|region=R", a + b),
        ("sku=a|region=R", a),
        ("sku=b|region=R", b),
    ):
        rows += [(uid, d, v) for d, v in zip(HIST_MONTHS, y)]
    return pd.DataFrame(rows, columns=["unique_id", "ds", "y"])


def _actuals():
    y = {"sku=a|region=R": [20.0, 10.0], "sku=b|region=R": [0.0, 4.0]}
    y["total"] = y["region=R"] = y["family=F|region=R"] = [20.0, 14.0]
    return pd.DataFrame(
        [(u, d, v) for u, vs in y.items() for d, v in zip(FUTURE, vs)], columns=["unique_id", "ds", "y"]
    )


def _forecasts(values):
    return pd.DataFrame(
        [(u, d, v) for u, vs in values.items() for d, v in zip(FUTURE, vs)], columns=["unique_id", "ds", "yhat"]
    )


BASE = {
    "total": [30.0, 30.0],
    "region=R": [24.0, 24.0],
    "family=F|region=R": [22.0, 22.0],
    "sku=a|region=R": [18.0, 12.0],
    "sku=b|region=R": [3.0, 3.0],
}


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
    assert np.isnan(scores.loc["total", "coverage80"])  # no bounds given


def test_coverage_counts_actuals_inside_the_80_interval():
    h = build_hierarchy(KEYS)
    fc = _forecasts(BASE)
    fc["lo_80"], fc["hi_80"] = fc["yhat"] - 3.0, fc["yhat"] + 3.0
    scores = score_levels(fc, _actuals(), _history(h), h).set_index("level")
    # total misses by 10 and 16: outside; SKU a misses by 2, 2 (inside), b by 3 (edge: inside) and 1
    assert scores.loc["total", "coverage80"] == 0.0
    assert scores.loc["sku_region", "coverage80"] == 1.0
    fc["hi_80"] = fc["yhat"] + 1.5
    scores = score_levels(fc, _actuals(), _history(h), h).set_index("level")
    # a: 20 in [15, 19.5]? no; 10 in [9, 13.5]? yes. b: 0 in [0, 4.5], 4 in [0, 4.5]: yes, yes
    assert scores.loc["sku_region", "coverage80"] == pytest.approx(3 / 4)


def test_a_missing_forecast_is_named():
    h = build_hierarchy(KEYS)
    fc = _forecasts(BASE)
    with pytest.raises(ValueError, match=r"sku=b\|region=R.*2024-04"):
        score_levels(fc[~((fc["unique_id"] == "sku=b|region=R") & (fc["ds"] == FUTURE[1]))], _actuals(), _history(h), h)


def test_node_actuals_sum_the_bottoms_and_fill_zero():
    h = build_hierarchy(KEYS)
    later = pd.DataFrame(
        {
            "sku": ["a", "a", "b"],
            "region": "R",
            "family": "F",
            "ds": [FUTURE[0], FUTURE[1], FUTURE[0]],
            "y": [5.0, 6.0, 1.0],
        }
    )
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


def _sku_history(months=40, seed=0):
    """Six SKU x region series over two regions; the total trends up, each SKU is noisy."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2022-01-01", periods=months, freq="MS")
    rows = []
    for i, (sku, region, family) in enumerate(
        [("a", "R1", "F"), ("b", "R1", "F"), ("c", "R1", "G"), ("a", "R2", "F"), ("d", "R2", "G"), ("e", "R2", "G")]
    ):
        level = 50.0 + 10 * i
        y = level * (1 + 0.02 * np.arange(months)) + rng.normal(0, 8, months)
        rows += [(sku, region, family, d, max(v, 0.0)) for d, v in zip(ds, y)]
    return pd.DataFrame(rows, columns=["sku", "region", "family", "ds", "y"])


@pytest.mark.parametrize("method", ["top_down_proportions", "wls_backtest"])
def test_forecast_demand_reconciles_with_the_chosen_method(method):
    from orchestration.forecasting.demand import forecast_demand
    from orchestration.forecasting.engine import ForecastConfig
    from orchestration.forecasting.hierarchy import RECONCILIATION_METHOD

    assert RECONCILIATION_METHOD == "top_down_proportions"
    history = _sku_history()
    cycle = history["ds"].max()
    config = ForecastConfig(horizon=6, n_jobs=1, candidates=("AutoETS", "HistoricAverage"))
    dc = forecast_demand(history, cycle, config, method=method)
    rows = dc.forecast
    total = rows[rows["level"] == "total"].set_index("forecast_month")
    skus = rows[rows["level"] == "sku_region"].groupby("forecast_month")["forecast_units"].sum()
    np.testing.assert_allclose(total["forecast_units"], skus.reindex(total.index), atol=1e-6)
    if method == "top_down_proportions":
        # the total keeps its own model's forecast, to the cent
        np.testing.assert_allclose(total["forecast_units"], total["base_forecast_units"], atol=0.01 * 6)
    else:
        # the weights are the engine's backtest errors of this very run: W-projection by hand
        from orchestration.forecasting.hierarchy import backtest_errors

        errors = backtest_errors(dc.engine.selection, dc.engine.backtest_forecasts, dc.history)
        ids = dc.hierarchy.nodes["unique_id"]
        base = dc.engine.forecasts.pivot(index="unique_id", columns="ds", values="yhat").reindex(ids)
        S = dc.hierarchy.matrix.toarray()
        w_inv = np.diag(1.0 / errors.variances.reindex(ids).to_numpy())
        rec = S @ np.linalg.solve(S.T @ w_inv @ S, S.T @ w_inv @ base.to_numpy())
        np.testing.assert_allclose(total["forecast_units"].to_numpy(), rec[0], atol=0.01 * 6)
        assert errors.variances.reindex(ids).notna().all() and len(set(errors.variances.round(6))) > 3


def test_hierarchy_eval_arguments_are_checked():
    import argparse

    from orchestration.cli.forecast import _cycles, _methods

    assert _cycles("2024-10, 2025-01") == ["2024-10-01", "2025-01-01"]
    assert _methods("wls_struct,top_down_proportions") == ["wls_struct", "top_down_proportions"]
    with pytest.raises(argparse.ArgumentTypeError, match="not a month"):
        _cycles("2024-13")
    with pytest.raises(argparse.ArgumentTypeError, match="unknown method"):
        _methods("wls_struct,bottom_up_please")


def test_a_series_without_demand_up_to_the_cycle_is_not_yet_forecast():
    from orchestration.forecasting.demand import active_keys

    months = pd.date_range("2024-01-01", periods=6, freq="MS")
    rows = [("a", "R", "F", m, 5.0) for m in months]  # selling all along
    rows += [("b", "R", "F", m, 0.0 if m <= months[3] else 7.0) for m in months]  # first order in month 5
    rows += [("c", "R", "G", m, 3.0) for m in months[:3]]  # ended in month 3
    history = pd.DataFrame(rows, columns=["sku", "region", "family", "ds", "y"])
    assert list(active_keys(history, months[3])["sku"]) == ["a"]  # b is zero-filled from launch, not yet ordered
    assert list(active_keys(history, months[4])["sku"]) == ["a", "b"]
    assert list(active_keys(history, months[2])["sku"]) == ["a", "c"]
