"""The demand hierarchy: ids, aggregation, MinTrace reconciliation and exact coherence in cents."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.forecasting.hierarchy import (
    aggregate_history,
    build_hierarchy,
    coherent_forecast,
    reconcile,
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
    out = reconcile(base, h)
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
    # intervals keep the base widths around the coherent forecast, clipped at 0
    assert (out["lo_80"] <= out["yhat"]).all() and (out["hi_80"] >= out["yhat"]).all()
    assert np.allclose(out["hi_80"] - out["yhat"], 4.0)
    assert np.allclose(out["lo_95"], np.clip(out["yhat"] - 5.0, 0, None).round(2))


def test_missing_node_forecast_is_an_error():
    h = build_hierarchy(KEYS)
    base = _base_forecasts(h)
    with pytest.raises(ValueError, match="missing"):
        reconcile(base[base["unique_id"] != "region=R2"], h)
