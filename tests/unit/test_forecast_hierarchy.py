"""The demand hierarchy: ids, aggregation, MinTrace reconciliation and exact coherence in cents."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.forecasting.hierarchy import (
    BacktestErrors,
    aggregate_history,
    backtest_errors,
    build_hierarchy,
    coherent_forecast,
    make_coherent,
    reconcile,
    shrunk_covariance_factors,
    wls_reconcile,
)

KEYS = pd.DataFrame(
    {
        "sku": ["a", "b", "c", "a", "d"],
        "region": ["R1", "R1", "R1", "R2", "R2"],
        "family": ["F", "F", "G", "F", "G"],
    }
)


def _base_forecasts(hierarchy, months=3, seed=0):
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2025-01-01", periods=months, freq="MS")
    base = pd.DataFrame([(u, d) for u in hierarchy.nodes["unique_id"] for d in ds], columns=["unique_id", "ds"])
    # deliberately incoherent base forecasts, some negative at the bottom
    base["yhat"] = rng.uniform(-2.0, 40.0, len(base)).round(6)
    base["lo_80"] = base["yhat"] - 3.0
    base["hi_80"] = base["yhat"] + 4.0
    base["lo_95"] = base["yhat"] - 5.0
    base["hi_95"] = base["yhat"] + 7.0
    return base


def test_nodes_and_ids():
    h = build_hierarchy(KEYS)
    ids = list(h.nodes["unique_id"])
    assert ids[0] == "total"
    assert {"region=R1", "region=R2", "family=F|region=R1", "family=G|region=R2", "sku=a|region=R2"} <= set(ids)
    assert len(ids) == 1 + 2 + 4 + 5
    assert h.S.shape == (12, 6)  # unique_id column + 5 bottom series
    assert h.S.set_index("unique_id").loc["family=F|region=R1"].sum() == 2


def test_aggregate_history_matches_groupby():
    h = build_hierarchy(KEYS)
    ds = pd.date_range("2024-01-01", periods=4, freq="MS")
    hist = KEYS.merge(pd.DataFrame({"ds": ds}), how="cross")
    hist["y"] = np.arange(len(hist), dtype=float)
    agg = aggregate_history(hist, h).set_index(["unique_id", "ds"])["y"]
    for (region, ds_), y in hist.groupby(["region", "ds"])["y"].sum().items():
        assert agg[(f"region={region}", ds_)] == y
    for (fam, region, ds_), y in hist.groupby(["family", "region", "ds"])["y"].sum().items():
        assert agg[(f"family={fam}|region={region}", ds_)] == y
    assert agg[("total", ds[2])] == hist.loc[hist["ds"] == ds[2], "y"].sum()


def test_reconciliation_is_mintrace_wls_struct():
    """MinTrace wls_struct: y~ = S (S' W^-1 S)^-1 S' W^-1 y^, W = diag(row sums of S)."""
    h = build_hierarchy(KEYS)
    base = _base_forecasts(h, months=1)
    out = reconcile(base, h, method="wls_struct")
    S = h.S.set_index("unique_id").loc[base["unique_id"]].to_numpy()
    w_inv = np.diag(1.0 / S.sum(axis=1))
    P = np.linalg.solve(S.T @ w_inv @ S, S.T @ w_inv)
    expected = S @ P @ base["yhat"].to_numpy()
    np.testing.assert_allclose(out["yhat_reconciled"].to_numpy(), expected, rtol=1e-9, atol=1e-9)
    assert not np.allclose(out["yhat_reconciled"], base["yhat"])  # the base was incoherent


def test_coherent_to_the_cent_and_non_negative():
    h = build_hierarchy(KEYS)
    out = coherent_forecast(_base_forecasts(h, months=4, seed=3), h)
    bottom = out[out["level"] == "sku_region"]
    assert (out["yhat"] >= 0).all()
    assert np.allclose(bottom["yhat"] * 100, (bottom["yhat"] * 100).round(), atol=1e-6, rtol=0)
    # independent sums from the bottom rows, by the node attributes
    by_region = bottom.groupby(["region", "ds"])["yhat"].sum()
    by_family = bottom.groupby(["family", "region", "ds"])["yhat"].sum()
    by_total = bottom.groupby("ds")["yhat"].sum()
    for row in out.itertuples():
        if row.level == "total":
            expected = by_total[row.ds]
        elif row.level == "region":
            expected = by_region[(row.region, row.ds)]
        elif row.level == "family_region":
            expected = by_family[(row.family, row.region, row.ds)]
        else:
            continue
        assert abs(row.yhat - expected) < 0.005, row
    # top-down (the default) scales each node's base interval by yhat / yhat_base; shifts it where the base is <= 0
    base = _base_forecasts(h, months=4, seed=3).set_index(["unique_id", "ds"])
    assert (out["lo_80"] <= out["yhat"] + 0.01).all() and (out["hi_80"] >= out["yhat"] - 0.01).all()
    for row in out.itertuples():
        b = base.loc[(row.unique_id, row.ds)]
        if b.yhat > 0:
            k = row.yhat / b.yhat
            assert row.hi_80 == pytest.approx(round(b.hi_80 * k, 2), abs=0.006)
            assert row.lo_95 == pytest.approx(round(max(b.lo_95, 0.0) * k, 2), abs=0.006)
        else:
            assert row.hi_80 == pytest.approx(round(row.yhat + 4.0, 2), abs=0.006)


def test_additive_reconciliation_keeps_the_base_widths_around_the_coherent_forecast():
    h = build_hierarchy(KEYS)
    out = coherent_forecast(_base_forecasts(h, months=4, seed=3), h, method="wls_struct")
    assert np.allclose(out["hi_80"] - out["yhat"], 4.0)
    assert np.allclose(out["lo_95"], np.clip(out["yhat"] - 5.0, 0, None).round(2))


def test_make_coherent_refuses_an_unknown_interval_rule():
    h = build_hierarchy(KEYS)
    base = _base_forecasts(h).assign(yhat_reconciled=lambda d: d["yhat"])
    with pytest.raises(ValueError, match="interval_rule"):
        make_coherent(base, h, interval_rule="widen")


def test_missing_node_forecast_is_an_error():
    h = build_hierarchy(KEYS)
    base = _base_forecasts(h)
    with pytest.raises(ValueError, match="missing"):
        reconcile(base[base["unique_id"] != "region=R2"], h)


# ---------------------------------------------------------------- reconciliation weighted by backtest errors
def _wide(base, h):
    return base.pivot(index="unique_id", columns="ds", values="yhat").reindex(h.nodes["unique_id"])


def _projection(S, W, y_hat):
    """Textbook MinTrace/GLS projection, dense numpy: S (S' W^-1 S)^-1 S' W^-1 y^."""
    w_inv = np.linalg.inv(W)
    return S @ np.linalg.solve(S.T @ w_inv @ S, S.T @ w_inv @ y_hat)


def test_wls_with_structural_weights_equals_mintrace_wls_struct():
    h = build_hierarchy(KEYS)
    base = _base_forecasts(h, months=3, seed=5)
    expected = _wide(
        reconcile(base, h, method="wls_struct").rename(columns={"yhat": "b", "yhat_reconciled": "yhat"}), h
    )
    structural = np.asarray(h.matrix.sum(axis=1)).ravel()
    got = wls_reconcile(_wide(base, h).to_numpy(), h, structural)
    np.testing.assert_allclose(got, expected.to_numpy(), rtol=1e-10, atol=1e-9)


def test_wls_equals_numpy_projection_for_a_given_diagonal_w():
    h = build_hierarchy(KEYS)
    base = _base_forecasts(h, months=2, seed=8)
    variances = np.random.default_rng(1).uniform(0.5, 50.0, len(h.nodes))
    y_hat = _wide(base, h).to_numpy()
    expected = _projection(h.matrix.toarray(), np.diag(variances), y_hat)
    np.testing.assert_allclose(wls_reconcile(y_hat, h, variances), expected, rtol=1e-10, atol=1e-9)


def test_diagonal_plus_low_rank_w_equals_numpy_projection():
    h = build_hierarchy(KEYS)
    rng = np.random.default_rng(2)
    y_hat = _wide(_base_forecasts(h, months=2, seed=9), h).to_numpy()
    d = rng.uniform(1.0, 9.0, len(h.nodes))
    F = rng.normal(size=(len(h.nodes), 4))
    expected = _projection(h.matrix.toarray(), np.diag(d) + F @ F.T, y_hat)
    np.testing.assert_allclose(wls_reconcile(y_hat, h, d, low_rank=F), expected, rtol=1e-9, atol=1e-8)


def test_a_well_forecast_total_keeps_its_forecast_and_the_bottoms_move():
    h = build_hierarchy(KEYS)
    base = _base_forecasts(h, months=1, seed=4)
    ids = h.nodes["unique_id"]
    variances = pd.Series(np.where(ids == "total", 1e-4, 100.0), index=ids)
    out = reconcile(base, h, method="wls_backtest", errors=BacktestErrors(variances)).set_index("unique_id")
    assert out.loc["total", "yhat_reconciled"] == pytest.approx(out.loc["total", "yhat"], abs=1e-3)
    bottom = out.loc[h.bottom_ids]
    assert bottom["yhat_reconciled"].sum() == pytest.approx(out.loc["total", "yhat_reconciled"], rel=1e-12)
    assert (bottom["yhat_reconciled"] - bottom["yhat"]).abs().max() > 1.0  # the bottoms absorbed the gap
    # the same node with the structural weights is pulled far off its own forecast
    struct = reconcile(base, h, method="wls_struct").set_index("unique_id")
    assert abs(struct.loc["total", "yhat_reconciled"] - struct.loc["total", "yhat"]) > 1.0


def _engine_frames():
    """A selection and a wide backtest for three nodes, and a history for a fallback node."""
    selection = pd.DataFrame(
        {"unique_id": ["a", "b", "new", "dead"], "model": ["AutoETS", "Ensemble", "RecentMean", "Zero"]}
    )
    cutoffs = pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-01", "2024-02-01"])
    bt = pd.DataFrame(
        {
            "unique_id": ["a"] * 4 + ["b"] * 4,
            "cutoff": list(cutoffs) * 2,
            "ds": list(pd.to_datetime(["2024-02-01", "2024-03-01", "2024-03-01", "2024-04-01"])) * 2,
            "step": [1, 2, 1, 2] * 2,
            "y": [10.0, 12.0, 12.0, 8.0, 5.0, 5.0, 5.0, 7.0],
            "AutoETS": [11.0, 10.0, 12.0, 9.0, 1.0, 1.0, 1.0, 1.0],
            "Ensemble": [0.0, 0.0, 0.0, 0.0, 6.0, 3.0, 5.0, 7.0],
        }
    )
    history = pd.DataFrame(
        {
            "unique_id": ["new"] * 3 + ["dead"] * 2,
            "ds": pd.to_datetime(["2024-02-01", "2024-03-01", "2024-04-01"] * 1 + ["2024-03-01", "2024-04-01"]),
            "y": [4.0, 6.0, 11.0, 0.0, 0.0],
        }
    )
    return selection, bt, history


def test_backtest_errors_use_the_chosen_forecast_and_the_fallback_window():
    selection, bt, history = _engine_frames()
    errors = backtest_errors(selection, bt, history)
    v = errors.variances
    assert v["a"] == pytest.approx((1 + 4 + 0 + 1) / 4)  # AutoETS errors -1, 2, 0, -1
    assert v["b"] == pytest.approx((1 + 4 + 0 + 0) / 4)  # Ensemble errors -1, 2, 0, 0
    assert v["new"] == pytest.approx(np.var([4.0, 6.0, 11.0], ddof=1) * (1 + 1 / 3))
    assert 0 < v["dead"] < 1e-3 * v.median()  # all zero: the floor, so it stays at zero
    assert list(errors.errors.columns) == ["a", "b"] and errors.errors.shape == (4, 2)
    assert errors.errors.loc[(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-01")), "a"] == pytest.approx(2.0)


def test_shrinkage_intensity_matches_the_schafer_strimmer_formula():
    rng = np.random.default_rng(3)
    k, p = 12, 5
    E = rng.normal(size=(k, p)) @ rng.normal(size=(p, p))
    ids = [f"n{i}" for i in range(p)]
    F, d, lam = shrunk_covariance_factors(pd.DataFrame(E, columns=ids), pd.Series(1.0, index=ids))
    # direct: standardised x, w_kij = x_ki x_kj, r = mean_k w, Var(r_ij) = var_k(w_kij) / k (ddof 1)
    X = E / np.sqrt((E**2).mean(axis=0))
    w = X[:, :, None] * X[:, None, :]
    r = w.mean(axis=0)
    var_r = w.var(axis=0, ddof=1) / k
    off = ~np.eye(p, dtype=bool)
    expected = np.clip(var_r[off].sum() / (r[off] ** 2).sum(), 0, 1)
    assert lam == pytest.approx(expected, rel=1e-10)
    sigma = E.T @ E / k
    shrunk = lam * np.diag(np.diag(sigma)) + (1 - lam) * sigma
    np.testing.assert_allclose(np.diag(d.to_numpy()) + F @ F.T, shrunk, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("method", ["wls_backtest", "mint_shrink_backtest"])
def test_backtest_methods_are_coherent_to_the_cent(method):
    h = build_hierarchy(KEYS)
    base = _base_forecasts(h, months=3, seed=6)
    rng = np.random.default_rng(0)
    ids = list(h.nodes["unique_id"])
    errs = pd.DataFrame(rng.normal(size=(8, len(ids))), columns=ids)
    errors = BacktestErrors(pd.Series(rng.uniform(1, 20, len(ids)), index=ids), errs)
    out = coherent_forecast(base, h, method=method, errors=errors)
    bottom = out[out["level"] == "sku_region"]
    cents = lambda x: np.round(x * 100).astype(np.int64)  # noqa: E731
    for level, keys in (("total", []), ("region", ["region"]), ("family_region", ["family", "region"])):
        upper = out[out["level"] == level]
        sums = bottom.assign(c=cents(bottom["yhat"])).groupby(keys + ["ds"] if keys else ["ds"])["c"].sum()
        for row in upper.itertuples():
            key = tuple(getattr(row, k) for k in keys) + (row.ds,) if keys else row.ds
            assert cents(np.array([row.yhat]))[0] == sums[key]


def test_backtest_methods_need_the_errors():
    h = build_hierarchy(KEYS)
    with pytest.raises(ValueError, match="backtest errors"):
        reconcile(_base_forecasts(h), h, method="wls_backtest")
    with pytest.raises(ValueError, match="unknown reconciliation method"):
        reconcile(_base_forecasts(h), h, method="bottom_up_please")


def test_top_down_proportions_keep_the_total_and_split_by_the_base_shares():
    h = build_hierarchy(KEYS)
    base = _base_forecasts(h, months=2, seed=11)
    base["yhat"] = base["yhat"].abs()
    base.loc[base["unique_id"] == "sku=c|region=R1", "yhat"] = -3.0  # negative: counts as 0
    out = reconcile(base, h, method="top_down_proportions").set_index(["unique_id", "ds"])
    b = base.set_index(["unique_id", "ds"])["yhat"].clip(lower=0)
    for ds in base["ds"].unique():
        total = b[("total", ds)]
        assert out.loc[("total", ds), "yhat_reconciled"] == pytest.approx(total)
        r1 = total * b[("region=R1", ds)] / (b[("region=R1", ds)] + b[("region=R2", ds)])
        fam_f = r1 * b[("family=F|region=R1", ds)] / (b[("family=F|region=R1", ds)] + b[("family=G|region=R1", ds)])
        sku_a = fam_f * b[("sku=a|region=R1", ds)] / (b[("sku=a|region=R1", ds)] + b[("sku=b|region=R1", ds)])
        assert out.loc[("region=R1", ds), "yhat_reconciled"] == pytest.approx(r1)
        assert out.loc[("sku=a|region=R1", ds), "yhat_reconciled"] == pytest.approx(sku_a)
        # family G in R1 has one SKU, forecast negative: it takes the whole family alone
        fam_g = r1 - fam_f
        assert out.loc[("sku=c|region=R1", ds), "yhat_reconciled"] == pytest.approx(fam_g)


def test_siblings_that_all_forecast_zero_share_equally():
    h = build_hierarchy(KEYS)
    base = _base_forecasts(h, months=1, seed=2)
    base["yhat"] = base["yhat"].abs() + 1.0
    base.loc[base["unique_id"].isin(["sku=a|region=R1", "sku=b|region=R1"]), "yhat"] = 0.0
    out = reconcile(base, h, method="top_down_proportions").set_index("unique_id")["yhat_reconciled"]
    assert out["sku=a|region=R1"] == pytest.approx(out["sku=b|region=R1"])
    assert out["sku=a|region=R1"] + out["sku=b|region=R1"] == pytest.approx(out["family=F|region=R1"])
    assert out["family=F|region=R1"] > 0
