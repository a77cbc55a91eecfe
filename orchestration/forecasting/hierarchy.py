"""The demand hierarchy and coherent forecasts: total, region, family x region, SKU x region.

Series ids (one string per node, readable in SQL and BI):

=================  ======================================  ============
level              unique_id                               example
=================  ======================================  ============
``total``          ``total``                               ``total``
``region``         ``region=<region>``                     ``region=EUR``
``family_region``  ``family=<family>|region=<region>``     ``family=Pumps|region=EUR``
``sku_region``     ``sku=<sku>|region=<region>``           ``sku=P-100|region=EUR``
=================  ======================================  ============

Coherence is reached in two steps:

1. **Reconciliation** of the base forecasts of every node with hierarchicalforecast's
   ``MinTrace(method="wls_struct")``: weights proportional to the number of bottom series
   under a node. It needs no in-sample residuals: ``mint_shrink`` reconciles about as fast
   (0.43 s against 0.2 s on the 914 nodes of the scale-1 demo) but needs the in-sample fitted
   values of every node's model over a common window, which the engine does not produce and
   new SKUs do not have; and unlike ``ols`` it lets the well estimated upper levels weigh in
   proportion to what they cover.
2. **Exact coherence in cents**: bottom forecasts are clipped at 0 and rounded to 2
   decimals, and every upper node is recomputed as the exact sum of its bottom series
   (in integer cents), so that sales, finance and supply read the same totals to the cent.

Intervals after reconciliation keep each node's *base* interval widths around the new
point forecast (the interval is shifted by the reconciliation adjustment), clipped at 0:
``lo = max(0, yhat_final - (yhat_base - lo_base))``, ``hi = yhat_final + (hi_base - yhat_base)``.
Intervals are not additive, so they are not coherent, and they are not meant to be.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

LEVELS = ("total", "region", "family_region", "sku_region")
BOTTOM = "sku_region"
INTERVAL_COLUMNS = ("lo_80", "hi_80", "lo_95", "hi_95")
RECONCILIATION_METHOD = "wls_struct"


def total_id() -> str:
    return "total"


def region_id(region: str) -> str:
    return f"region={region}"


def family_region_id(family: str, region: str) -> str:
    return f"family={family}|region={region}"


def sku_region_id(sku: str, region: str) -> str:
    return f"sku={sku}|region={region}"


@dataclass
class Hierarchy:
    """Every node of the hierarchy and the summing matrix.

    ``nodes``: unique_id, level, region, family, sku (None above the level), ordered total,
    regions, families x regions, SKUs x regions. ``bottom``: the SKU x region rows of
    ``nodes``. ``matrix``: the summing matrix (scipy sparse, one row per node in ``nodes``
    order, one column per bottom series, 1 where the bottom series is under the node);
    ``S`` is the same as a dense DataFrame in hierarchicalforecast's ``S_df`` layout (for
    small hierarchies and tests), ``smatrix`` as hierarchicalforecast's sparse ``SMatrix``
    (what reconciliation uses: at scale 4, about 4,000 SKU x region series, it reconciles
    2.4 times faster than the dense frame with the same result).
    ``tags``: level -> array of node ids, as hierarchicalforecast expects.
    """

    nodes: pd.DataFrame
    matrix: sparse.csc_matrix
    tags: dict[str, np.ndarray]

    @property
    def bottom(self) -> pd.DataFrame:
        return self.nodes[self.nodes["level"] == BOTTOM].reset_index(drop=True)

    @property
    def bottom_ids(self) -> list[str]:
        return list(self.bottom["unique_id"])

    @property
    def S(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.matrix.toarray(), columns=self.bottom_ids)
        frame.insert(0, "unique_id", self.nodes["unique_id"].to_numpy())
        return frame

    @property
    def smatrix(self):
        from hierarchicalforecast.utils import SMatrix

        return SMatrix(self.matrix, self.nodes["unique_id"].to_numpy(), np.asarray(self.bottom_ids))

    def bottom_to_nodes(self) -> pd.DataFrame:
        """One row per (node, bottom series under it): unique_id, bottom_id."""
        coo = self.matrix.tocoo()
        node_ids = self.nodes["unique_id"].to_numpy()
        bottom_ids = np.asarray(self.bottom_ids)
        return pd.DataFrame({"unique_id": node_ids[coo.row], "bottom_id": bottom_ids[coo.col]})


def build_hierarchy(keys: pd.DataFrame) -> Hierarchy:
    """The hierarchy over the SKU x region series in ``keys`` (columns sku, region, family).

    A SKU belongs to one family; a SKU listed twice for one region is counted once.
    """
    missing = {"sku", "region", "family"} - set(keys.columns)
    if missing:
        raise ValueError(f"hierarchy keys lack columns {sorted(missing)}")
    bottom = (
        keys[["sku", "region", "family"]]
        .drop_duplicates(["sku", "region"])
        .sort_values(["region", "family", "sku"])
        .reset_index(drop=True)
    )
    if bottom.empty:
        raise ValueError("no SKU x region series to build a hierarchy from")
    bottom["unique_id"] = [sku_region_id(s, r) for s, r in zip(bottom["sku"], bottom["region"])]
    bottom["level"] = BOTTOM
    regions = sorted(bottom["region"].unique())
    fam_reg = bottom[["family", "region"]].drop_duplicates().sort_values(["region", "family"])
    nodes = pd.concat(
        [
            pd.DataFrame({"unique_id": [total_id()], "level": ["total"], "region": [None], "family": [None], "sku": [None]}),
            pd.DataFrame({"unique_id": [region_id(r) for r in regions], "level": "region", "region": regions,
                          "family": None, "sku": None}),
            pd.DataFrame({"unique_id": [family_region_id(f, r) for f, r in zip(fam_reg["family"], fam_reg["region"])],
                          "level": "family_region", "region": fam_reg["region"].to_numpy(),
                          "family": fam_reg["family"].to_numpy(), "sku": None}),
            bottom[["unique_id", "level", "region", "family", "sku"]],
        ],
        ignore_index=True,
    )
    index = {uid: i for i, uid in enumerate(nodes["unique_id"])}
    n_bottom = len(bottom)
    cols = np.arange(n_bottom)
    rows = np.concatenate([
        np.zeros(n_bottom, dtype=np.int64),
        [index[region_id(r)] for r in bottom["region"]],
        [index[family_region_id(f, r)] for f, r in zip(bottom["family"], bottom["region"])],
        [index[u] for u in bottom["unique_id"]],
    ]).astype(np.int64)
    matrix = sparse.csc_matrix((np.ones(4 * n_bottom), (rows, np.tile(cols, 4))), shape=(len(nodes), n_bottom))
    tags = {level: nodes.loc[nodes["level"] == level, "unique_id"].to_numpy() for level in LEVELS}
    return Hierarchy(nodes=nodes, matrix=matrix, tags=tags)


def aggregate_history(history: pd.DataFrame, hierarchy: Hierarchy) -> pd.DataFrame:
    """Every node's history (unique_id, ds, y) as the sum of its bottom series.

    ``history``: sku, region, ds, y at the bottom (no gaps per series). A month where a
    bottom series has no row counts as 0 in the sums.
    """
    bottom = history.merge(hierarchy.bottom[["sku", "region", "unique_id"]], on=["sku", "region"], how="inner")
    bottom = bottom.rename(columns={"unique_id": "bottom_id"})[["bottom_id", "ds", "y"]]
    mapping = hierarchy.bottom_to_nodes()
    out = (
        bottom.merge(mapping, on="bottom_id")
        .groupby(["unique_id", "ds"], as_index=False, sort=False)["y"]
        .sum()
    )
    order = {uid: i for i, uid in enumerate(hierarchy.nodes["unique_id"])}
    out["_order"] = out["unique_id"].map(order)
    return out.sort_values(["_order", "ds"]).drop(columns="_order").reset_index(drop=True)


def reconcile(base: pd.DataFrame, hierarchy: Hierarchy, method: str = RECONCILIATION_METHOD) -> pd.DataFrame:
    """Reconcile base point forecasts of every node with MinTrace(``method``).

    ``base``: unique_id, ds, yhat for every node and month. Returns the same rows with
    ``yhat_reconciled`` added (coherent up to floating point; see :func:`make_coherent`).
    """
    from hierarchicalforecast.core import HierarchicalReconciliation
    from hierarchicalforecast.methods import MinTrace

    node_ids = set(hierarchy.nodes["unique_id"])
    present = set(base["unique_id"])
    if node_ids - present:
        raise ValueError(f"base forecasts missing for {len(node_ids - present)} node(s), e.g. {sorted(node_ids - present)[:3]}")
    y_hat = base.loc[base["unique_id"].isin(node_ids), ["unique_id", "ds", "yhat"]].copy()
    y_hat["yhat"] = y_hat["yhat"].astype(float)
    reconciler = HierarchicalReconciliation(reconcilers=[MinTrace(method=method)])
    out = reconciler.reconcile(Y_hat_df=y_hat, S_df=hierarchy.smatrix, tags=hierarchy.tags)
    rec_cols = [c for c in out.columns if c.startswith("yhat/")]
    if len(rec_cols) != 1:
        raise RuntimeError(f"unexpected reconciliation output columns {list(out.columns)}")
    out = out[["unique_id", "ds", rec_cols[0]]].rename(columns={rec_cols[0]: "yhat_reconciled"})
    return base.merge(out, on=["unique_id", "ds"], how="left")


def make_coherent(forecasts: pd.DataFrame, hierarchy: Hierarchy, value: str = "yhat_reconciled") -> pd.DataFrame:
    """Exactly coherent forecasts in cents from (approximately) reconciled ones.

    Bottom series: ``value`` clipped at 0 and rounded to 2 decimals. Every upper node:
    the exact sum of its bottom series (summed in integer cents). The returned ``yhat`` is
    that number; ``yhat_base`` keeps the engine's forecast; interval columns, when present,
    are the base widths around the new ``yhat`` (clipped at 0, rounded to cents).
    """
    df = forecasts.copy()
    bottom_ids = set(hierarchy.bottom_ids)
    is_bottom = df["unique_id"].isin(bottom_ids)
    cents = np.round(np.clip(df.loc[is_bottom, value].to_numpy(dtype=float), 0.0, None) * 100.0).astype(np.int64)
    bottom = pd.DataFrame({"bottom_id": df.loc[is_bottom, "unique_id"].to_numpy(), "ds": df.loc[is_bottom, "ds"].to_numpy(),
                           "cents": cents})
    sums = (
        bottom.merge(hierarchy.bottom_to_nodes(), on="bottom_id")
        .groupby(["unique_id", "ds"], as_index=False)["cents"]
        .sum()
    )
    df = df.drop(columns=["yhat_cents"], errors="ignore").merge(
        sums.rename(columns={"cents": "yhat_cents"}), on=["unique_id", "ds"], how="left"
    )
    if df["yhat_cents"].isna().any():
        missing = df.loc[df["yhat_cents"].isna(), "unique_id"].unique()[:3]
        raise ValueError(f"forecast rows for nodes without bottom forecasts: {list(missing)}")
    if "yhat_base" not in df.columns:
        df["yhat_base"] = df["yhat"]
    df["yhat"] = df["yhat_cents"].astype(np.int64) / 100.0
    for lo, hi in (("lo_80", "hi_80"), ("lo_95", "hi_95")):
        if lo in df.columns and hi in df.columns:
            below = (df["yhat_base"] - df[lo]).clip(lower=0.0)
            above = (df[hi] - df["yhat_base"]).clip(lower=0.0)
            df[lo] = np.round(np.clip(df["yhat"] - below, 0.0, None), 2)
            df[hi] = np.round(df["yhat"] + above, 2)
    return df.drop(columns=["yhat_cents"])


def coherent_forecast(base: pd.DataFrame, hierarchy: Hierarchy, method: str = RECONCILIATION_METHOD) -> pd.DataFrame:
    """Base forecasts of every node (engine schema) -> reconciled, exactly coherent forecasts.

    Output columns: the input's plus ``yhat_base`` (engine) and ``yhat_reconciled`` (MinTrace,
    before clipping and rounding); ``yhat`` and the intervals are the final values, plus the
    node's level, region, family and sku.
    """
    reconciled = reconcile(base, hierarchy, method=method)
    coherent = make_coherent(reconciled, hierarchy)
    return coherent.merge(hierarchy.nodes, on="unique_id", how="left")


def sum_bottom_to_nodes(values: pd.DataFrame, hierarchy: Hierarchy, columns: list[str]) -> pd.DataFrame:
    """Upper-level values as exact cent sums of bottom values (unique_id, ds, *columns).

    ``values`` holds bottom rows only; returns every node (bottom included), each column
    summed in integer cents.
    """
    bottom = values.rename(columns={"unique_id": "bottom_id"})
    cents = bottom[["bottom_id", "ds"]].copy()
    for c in columns:
        cents[c] = np.round(bottom[c].to_numpy(dtype=float) * 100.0).astype(np.int64)
    summed = cents.merge(hierarchy.bottom_to_nodes(), on="bottom_id").groupby(["unique_id", "ds"], as_index=False)[columns].sum()
    for c in columns:
        summed[c] = summed[c].astype(np.int64) / 100.0
    return summed
