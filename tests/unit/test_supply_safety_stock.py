"""ABC/XYZ classes, safety stock formulas and the (s, S) backtest against hand and statistical checks."""

import math
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from orchestration.supply import safety_stock as ss
from orchestration.supply.frames import DAYS_PER_MONTH
from orchestration.supply.policy import Policy

MONTHS = pd.date_range("2025-01-01", periods=12, freq="MS")


def _history(units_by_sku: dict[str, list[float]], months=MONTHS) -> pd.DataFrame:
    return pd.DataFrame(
        [(sku, "S1", m, float(u)) for sku, us in units_by_sku.items() for m, u in zip(months, us)],
        columns=["sku", "site", "month", "units"],
    )


def test_abc_by_value_and_xyz_by_cv_by_hand():
    # annual values (mean x 12 x unit value): P 100*12*7 = 8400, Q 50*12*2 = 1200, R 10*12*10 = 1200,
    # T 5*12*2 = 120 -> total 10920. Shares above each: P 0 -> A; Q 8400/10920 = 0.769 < 0.80 -> A;
    # R (ties with Q, sorted by sku after) 9600/10920 = 0.879 -> B; T 10800/10920 = 0.989 -> C.
    steady = [100.0] * 12
    alternating = [0.0, 100.0] * 6  # mean 50, sample std = 50 * sqrt(12/11) = 52.2 -> CV 1.04: Z
    ramp = [10 + (i - 5.5) for i in range(12)]  # mean 10, sample std sqrt(13) = 3.61 -> CV 0.36: X
    half = [5.0] * 6  # only six months of rows: the other six missing months count as 0
    hist = pd.concat([_history({"P": steady, "Q": alternating, "R": ramp}), _history({"T": half}, MONTHS[6:])])
    hist = hist[~((hist["sku"] == "T") & (hist["month"] >= MONTHS[9]))]  # T: 5 in Jul-Sep, nothing after
    values = pd.DataFrame({"sku": ["P", "Q", "R", "T"], "unit_value": [7.0, 2.0, 10.0, 8.0]})
    out = ss.classify(hist, values, Policy()).set_index("sku")
    # T: rows Jul..Sep (5 each), Oct..Dec missing -> 0: mean 2.5 -> value 2.5*12*8 = 240
    assert out.loc["T", "annual_value"] == pytest.approx(240.0)
    assert out.loc["P", "abc"] == "A" and out.loc["Q", "abc"] == "A"
    assert out.loc["R", "abc"] == "B" and out.loc["T", "abc"] == "C"
    assert out.loc["P", "cv"] == 0.0 and out.loc["P", "xyz"] == "X"
    assert out.loc["Q", "cv"] == pytest.approx(math.sqrt(12 / 11)) and out.loc["Q", "xyz"] == "Z"
    assert out.loc["R", "cv"] == pytest.approx(math.sqrt(13) / 10) and out.loc["R", "xyz"] == "X"
    assert out.loc["Q", "abc_xyz"] == "AZ" and out.loc["Q", "service_level"] == 0.95
    assert out.loc["R", "service_level"] == Policy().service_level("BX") == 0.97


def test_normal_safety_stock_and_reorder_point_by_hand():
    # errors -3, +3: sample σ_e = sqrt(18); d̄ = 40/month; L = 2 months, σ_L = 0.5 month; 95%
    # SS = 1.6449 * sqrt(2*18 + 40² * 0.25) = 1.6449 * sqrt(436); ROP = 40*2 + SS
    errors = pd.DataFrame({"sku": "X", "site": "S1", "month": MONTHS[:2], "error": [-3.0, 3.0]})
    out = ss.safety_stocks(
        errors,
        pd.DataFrame({"sku": ["X"], "site": ["S1"], "mean_demand": [40.0]}),
        pd.DataFrame(
            {
                "sku": ["X"],
                "site": ["S1"],
                "lead_time_days": [2 * DAYS_PER_MONTH],
                "lead_time_std_days": [0.5 * DAYS_PER_MONTH],
            }
        ),
        pd.DataFrame({"sku": ["X"], "site": ["S1"], "service_level": [0.95]}),
    ).iloc[0]
    z = 1.6448536269514722
    assert out["method"] == "normal"
    assert out["sigma_error"] == pytest.approx(math.sqrt(18))
    assert out["safety_stock"] == pytest.approx(z * math.sqrt(436))
    assert out["reorder_point"] == pytest.approx(80 + z * math.sqrt(436))


def test_intermittent_demand_uses_the_bootstrap_quantile():
    # demand alternates 0 and 10 (ADI 2 > 1.32). Over L = 2 months, lead-time demand is 0, 10 or 20
    # with probability 1/4, 1/2, 1/4; the 90% quantile is 20 (P(≤ 10) = 0.75). d̄ = 5 -> d̄L = 10,
    # SS = 20 − 10 = 10, ROP = 20. The normal formula would give 1.2816 * σ_e * sqrt(2) instead.
    hist = _history({"X": [0.0, 10.0] * 6})
    errors = hist.assign(error=hist["units"] - 5.0)[["sku", "site", "month", "error"]]
    kw = dict(
        demand_rate=pd.DataFrame({"sku": ["X"], "site": ["S1"], "mean_demand": [5.0]}),
        lead_times=pd.DataFrame(
            {"sku": ["X"], "site": ["S1"], "lead_time_days": [2 * DAYS_PER_MONTH], "lead_time_std_days": [0.0]}
        ),
        service=pd.DataFrame({"sku": ["X"], "site": ["S1"], "service_level": [0.90]}),
    )
    out = ss.safety_stocks(errors, history=hist, seed=3, **kw).iloc[0]
    assert out["method"] == "bootstrap" and out["adi"] == 2.0
    assert out["safety_stock"] == 10.0 and out["reorder_point"] == 20.0
    normal = ss.safety_stocks(errors, **kw).iloc[0]
    sigma = float(np.std(errors["error"], ddof=1))
    assert normal["method"] == "normal"
    assert normal["safety_stock"] == pytest.approx(NormalDist().inv_cdf(0.9) * sigma * math.sqrt(2))


def test_backtest_replay_by_hand():
    # s = S = 10, lead 0 (order at month end, on hand next month); demand 8, 12, 5, 15; start with 10.
    # M1: ship 8, left 2, order 8.  M2: 10 on hand, demand 12: ship 10, backorder 2 (stock-out), order 12.
    # M3: 12 on hand, clear 2, ship 5, left 5, order 5.  M4: 10 on hand, demand 15: ship 10, backorder 5.
    # CSL = 2 of 4 months; fill rate = (8 + 10 + 5 + 10) / 40 = 0.825
    actual = _history({"X": [8, 12, 5, 15]}, MONTHS[:4])
    params = pd.DataFrame({"sku": ["X"], "site": ["S1"], "reorder_point": [10.0], "lead_time_months": [0]})
    out = ss.backtest_policy(actual, params, n_months=4).iloc[0]
    assert (out["stockout_months"], out["cycle_service_level"]) == (2, 0.5)
    assert out["filled"] == 33 and out["fill_rate"] == pytest.approx(0.825)
    # with an order-up-to of 20 and reorder point 10: M1 ship 8 (12 left, > 10: no order); M2 ship 12,
    # 0 left -> order 20; M3 20 on hand, ship 5 (15 left, no order); M4 ship 15. No stock-out.
    out = ss.backtest_policy(actual, params.assign(order_up_to=20.0), n_months=4).iloc[0]
    assert out["cycle_service_level"] == 1.0 and out["fill_rate"] == 1.0


def test_backtest_of_the_95_percent_policy_achieves_about_95_percent():
    """Normal demand (mean 100, σ 15), lead time 2 months, monthly review: the stock covers
    L = 3 months, s = S = 300 + z·σ̂_e·sqrt(3) with σ̂_e estimated from 120 months of separate
    forecast errors (forecast = 100). For a base-stock policy with backorders the end-of-month
    net stock is S − (3 months of demand), so a month stocks out with probability 1 − Φ(z) = 5%.

    Tolerance: 60 SKUs x 120 months = 7,200 months. The stock-out indicators of neighbouring
    months overlap in two of their three demand months, so the variance of the pooled share is at
    most p(1−p)/n · (1 + 2·2) ≈ 0.0475·5/7200 → σ ≈ 0.0057; the estimate of σ_e (6.5% relative
    error per SKU) adds ≈ 0.0015 after averaging over 60 SKUs. ±0.02 is more than 3σ; the seed is
    fixed, so the test is deterministic.
    """
    rng = np.random.default_rng(20270101)
    n_sku, months = 60, pd.date_range("2015-01-01", periods=240, freq="MS")
    skus = [f"N{i:02d}" for i in range(n_sku)]
    demand = rng.normal(100.0, 15.0, size=(n_sku, 240))
    frame = pd.DataFrame(
        [(s, "S1", m, demand[i, j]) for i, s in enumerate(skus) for j, m in enumerate(months)],
        columns=["sku", "site", "month", "units"],
    )
    fit, test = frame[frame["month"] < months[120]], frame[frame["month"] >= months[120]]
    errors = fit.assign(error=100.0 - fit["units"])[["sku", "site", "month", "error"]]
    classes = pd.DataFrame({"sku": skus, "site": "S1", "abc_xyz": "AX", "service_level": 0.95})
    stocks = ss.safety_stocks(
        errors,
        pd.DataFrame({"sku": skus, "site": "S1", "mean_demand": 100.0}),
        pd.DataFrame({"sku": skus, "site": "S1", "lead_time_days": 2 * DAYS_PER_MONTH, "lead_time_std_days": 0.0}),
        classes,
        review_months=1.0,
    )
    np.testing.assert_allclose(stocks["lead_time_months"], 3.0)
    params = stocks[["sku", "site", "reorder_point"]].assign(lead_time_months=2)
    result = ss.backtest_policy(test, params, n_months=120)
    by_class = ss.service_by_class(result, classes).iloc[0]
    assert by_class["target_service_level"] == 0.95 and by_class["demand_months"] == 7200
    assert by_class["cycle_service_level"] == pytest.approx(0.95, abs=0.02)
    # and a policy without safety stock (s = 3 × mean) is right about half the time
    half = ss.backtest_policy(test, params.assign(reorder_point=300.0), n_months=120)
    assert ss.service_by_class(half, classes).iloc[0]["cycle_service_level"] == pytest.approx(0.5, abs=0.04)
