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

1. **Reconciliation** of the base forecasts of every node, by default **top-down by forecast
   proportions** (``top_down_proportions``, Athanasopoulos, Ahmed & Hyndman 2009): the total
   keeps its own base forecast; each region gets the total times its base forecast's share of
   the regions' base forecasts that month, each family x region its region's times its share
   among the region's families, each SKU x region its family's times its share among the
   family's SKUs. The total and the regions therefore keep the shape (trend, season) their own
   models see, and every split follows the month-by-month pattern of the lower models.

   Why: with ``MinTrace(method="wls_struct")`` (weights = number of bottom series under a node)
   the 830-850 SKU x region series, mostly level models or ensembles, outvote the total, which
   became the sum of flat bottoms. Measured with ``sop forecast hierarchy-eval`` on the scale-1
   demo (origins 2024-10, 2025-01, 2025-04; 18 months of actuals each; mean over origins, see
   benchmarks/forecasting_hierarchy.md), WAPE / mean MASE / bias:

   ===============  =====================  =====================  =====================
   level            top_down_proportions   wls_struct             base (unreconciled)
   ===============  =====================  =====================  =====================
   total            0.079 / 0.68 / -0.03   0.089 / 0.77 / -0.07   0.079 / 0.68 / -0.03
   region           0.130 / 0.82 / -0.03   0.134 / 0.86 / -0.07   0.135 / 0.88 / -0.07
   family x region  0.234 / 1.00 / -0.03   0.225 / 1.05 / -0.07   0.235 / 1.06 / -0.09
   SKU x region     0.422 / 1.03 / -0.03   0.416 / 2.26 / -0.07   0.408 / 1.02 / -0.10
   ===============  =====================  =====================  =====================

   The SKU x region WAPE is 0.006 higher than ``wls_struct``, within the noise of a paired
   bootstrap over series at every origin, and its mean MASE far lower (``wls_struct`` puts the
   same adjustment on every SKU, swamping the small ones). The cost: family x region WAPE
   0.234 against 0.225.
   Weighting by each node's backtest error (``wls_backtest``: W = diag of the mean squared
   backtest error of the node's chosen forecast, all origins and steps; fallback nodes the
   variance of their last 12 months) and its shrunk-covariance form (``mint_shrink_backtest``,
   Schäfer-Strimmer on the backtest errors of the common window, computed in low rank) were
   measured too and do not help the total (WAPE 0.097 and 0.096): in the backtest windows the
   sum of the SKU forecasts was no worse than the total's own forecast, so the errors give the
   total no more say. They stay available by name, as do ``wls_struct``, ``ols`` and
   ``middle_out_region``.
2. **Exact coherence in cents**: bottom forecasts are clipped at 0 and rounded to 2
   decimals, and every upper node is recomputed as the exact sum of its bottom series
   (in integer cents), so that sales, finance and supply read the same totals to the cent.

Intervals after reconciliation follow the node's *base* interval, moved the way the method
moved the point forecast:

- proportional methods (``top_down_proportions``, ``middle_out_region``) multiply a node's base
  forecast by a factor k = yhat_final / yhat_base, so its base interval is scaled by the same
  factor: ``lo = k · lo_base``, ``hi = k · hi_base`` (a lower bound of 0 stays 0, which matters
  for intermittent SKUs whose actuals are often 0);
- additive methods (MinTrace and its variants) shift it by the adjustment, keeping its widths:
  ``lo = max(0, yhat_final - (yhat_base - lo_base))``, ``hi = yhat_final + (hi_base - yhat_base)``;
  so does a proportional method where the base forecast is 0.

Measured with ``sop forecast hierarchy-eval`` (origins 2024-10, 2025-01, 2025-04; 18 months
each), 80% coverage of the top-down forecasts with scaled intervals: SKU x region 0.812 (0.668
with shifted intervals; base forecasts 0.793), family x region 0.824, region 0.867, total 0.907. Intervals are
not additive, so they are not coherent, and they are not meant to be.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

LEVELS = ("total", "region", "family_region", "sku_region")
BOTTOM = "sku_region"
INTERVAL_COLUMNS = ("lo_80", "hi_80", "lo_95", "hi_95")
RECONCILIATION_METHOD = "top_down_proportions"


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
            pd.DataFrame(
                {"unique_id": [total_id()], "level": ["total"], "region": [None], "family": [None], "sku": [None]}
            ),
            pd.DataFrame(
                {
                    "unique_id": [region_id(r) for r in regions],
                    "level": "region",
                    "region": regions,
                    "family": None,
                    "sku": None,
                }
            ),
            pd.DataFrame(
                {
                    "unique_id": [family_region_id(f, r) for f, r in zip(fam_reg["family"], fam_reg["region"])],
                    "level": "family_region",
                    "region": fam_reg["region"].to_numpy(),
                    "family": fam_reg["family"].to_numpy(),
                    "sku": None,
                }
            ),
            bottom[["unique_id", "level", "region", "family", "sku"]],
        ],
        ignore_index=True,
    )
    index = {uid: i for i, uid in enumerate(nodes["unique_id"])}
    n_bottom = len(bottom)
    cols = np.arange(n_bottom)
    rows = np.concatenate(
        [
            np.zeros(n_bottom, dtype=np.int64),
            [index[region_id(r)] for r in bottom["region"]],
            [index[family_region_id(f, r)] for f, r in zip(bottom["family"], bottom["region"])],
            [index[u] for u in bottom["unique_id"]],
        ]
    ).astype(np.int64)
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
    out = bottom.merge(mapping, on="bottom_id").groupby(["unique_id", "ds"], as_index=False, sort=False)["y"].sum()
    order = {uid: i for i, uid in enumerate(hierarchy.nodes["unique_id"])}
    out["_order"] = out["unique_id"].map(order)
    return out.sort_values(["_order", "ds"]).drop(columns="_order").reset_index(drop=True)


RECONCILIATION_METHODS = (
    "wls_backtest",
    "mint_shrink_backtest",
    "top_down_proportions",
    "middle_out_region",
    "wls_struct",
    "ols",
)
PROPORTIONAL = {"top_down_proportions": "total", "middle_out_region": "region"}
NEEDS_BACKTEST = ("wls_backtest", "mint_shrink_backtest")


@dataclass
class BacktestErrors:
    """How well each node's chosen forecast did in its backtest: what the reconciliation weighs by.

    ``variances``: unique_id -> mean squared backtest error of the node's chosen forecast
    (every origin and step; for fallback nodes, see :func:`backtest_errors`), floored at a tiny
    positive share of the median so that no weight is infinite. ``errors``: the errors on the
    common window shared by most nodes (rows = (cutoff, ds), columns = unique_id), used by
    ``mint_shrink_backtest`` for the correlations between nodes; None when no window is shared.
    """

    variances: pd.Series
    errors: pd.DataFrame | None = None


def backtest_errors(
    selection: pd.DataFrame,
    backtest_forecasts: pd.DataFrame | None,
    history: pd.DataFrame,
    fallback_window: int = 12,
    floor_share: float = 1e-6,
) -> BacktestErrors:
    """Every node's error variance from the engine's backtest of the forecast it chose.

    ``selection``: unique_id, model (the engine's choice per node); ``backtest_forecasts``: the
    engine's wide backtest (unique_id, cutoff, ds, step, y, one column per candidate and
    ``Ensemble``); ``history``: unique_id, ds, y of every node.

    Modelled node: the mean of (y - chosen forecast)² over all backtest origins and steps, an
    out-of-sample, multi-step error variance (MinTrace's ``wls_var`` would use in-sample one-step
    residuals, which the engine does not produce, and which understate errors 18 months out).
    Fallback node (``RecentMean``, ``LaunchProfile``, ``Zero``: no backtest): the variance of its
    last ``fallback_window`` months around their mean times (1 + 1/n), or the squared
    mean when fewer than two months exist; an all-zero node gets the floor, so it stays at zero.
    """
    ids = selection["unique_id"].astype(str).to_numpy()
    chosen = dict(zip(ids, selection["model"]))
    variances = pd.Series(np.nan, index=pd.Index(ids, name="unique_id"), dtype=float)
    window_errors = None
    if backtest_forecasts is not None and not backtest_forecasts.empty:
        bt = backtest_forecasts[backtest_forecasts["unique_id"].isin(chosen)].copy()
        bt["unique_id"] = bt["unique_id"].astype(str)
        picked = bt["unique_id"].map(chosen).to_numpy()
        columns = {c: i for i, c in enumerate(bt.columns)}
        values = bt.to_numpy()
        yhat = np.full(len(bt), np.nan)
        for model in pd.unique(picked):
            if model in columns:
                rows = picked == model
                yhat[rows] = values[rows, columns[model]].astype(float)
        bt["err"] = bt["y"].to_numpy(dtype=float) - yhat
        bt = bt[np.isfinite(bt["err"])]
        mse = (bt["err"] ** 2).groupby(bt["unique_id"]).mean()
        variances.loc[mse.index] = mse.to_numpy()
        # the window most nodes share (the full backtest design): for correlations between nodes
        windows = bt.groupby("unique_id")["cutoff"].agg(lambda c: tuple(sorted(pd.unique(c))))
        if len(windows):
            common = windows.value_counts().index[0]
            on_common = windows.index[windows == common]
            wide = bt[bt["unique_id"].isin(on_common)].pivot_table(
                index=["cutoff", "ds"], columns="unique_id", values="err", aggfunc="first"
            )
            window_errors = wide.dropna(axis=1)
    missing = variances.index[variances.isna()]
    if len(missing):
        hist = history[history["unique_id"].isin(set(missing))].sort_values(["unique_id", "ds"])
        for uid, g in hist.groupby("unique_id", sort=False):
            window = g["y"].to_numpy(dtype=float)[-fallback_window:]
            if len(window) >= 2:
                variances[uid] = float(window.var(ddof=1)) * (1 + 1 / len(window))
            elif len(window) == 1:
                variances[uid] = float(window[0]) ** 2
    positive = variances[(variances > 0) & np.isfinite(variances)]
    floor = floor_share * float(positive.median()) if len(positive) else 1e-9
    variances = variances.fillna(floor).clip(lower=max(floor, 1e-12))
    return BacktestErrors(variances=variances, errors=window_errors)


def _split(hierarchy: Hierarchy):
    """Row positions of the upper and bottom nodes, and A (upper rows of S)."""
    is_bottom = (hierarchy.nodes["level"] == BOTTOM).to_numpy()
    upper, bottom = np.flatnonzero(~is_bottom), np.flatnonzero(is_bottom)
    matrix = hierarchy.matrix.tocsr()
    return upper, bottom, matrix[upper], matrix[bottom]


def wls_reconcile(
    y_hat: np.ndarray, hierarchy: Hierarchy, variances: np.ndarray, low_rank: np.ndarray | None = None
) -> np.ndarray:
    """MinTrace with W = diag(``variances``) (+ ``low_rank`` F Fᵀ): S (Sᵀ W⁻¹ S)⁻¹ Sᵀ W⁻¹ ŷ.

    ``y_hat``: nodes x months (rows in ``hierarchy.nodes`` order); ``variances``: one per node.
    Computed in the equivalent constraint form, which never inverts a bottom-sized matrix:
    with upper rows u = A b, the residual r = ŷ_u − A ŷ_b is removed by
    ỹ = ŷ − W Cᵀ (C W Cᵀ)⁻¹ r, C = [I, −A], so only an (upper nodes)² system is solved
    (about 110 x 110 at scale 1) and W is never formed when it is diagonal plus low rank.
    """
    y_hat = np.asarray(y_hat, dtype=float)
    if y_hat.ndim == 1:
        y_hat = y_hat[:, None]
    d = np.asarray(variances, dtype=float)
    n = len(hierarchy.nodes)
    if y_hat.shape[0] != n or d.shape != (n,):
        raise ValueError(
            f"wls_reconcile needs {n} rows of forecasts and {n} variances, got {y_hat.shape} and {d.shape}"
        )
    if not np.all(np.isfinite(d)) or (d <= 0).any():
        raise ValueError("reconciliation variances must be finite and positive")
    upper, bottom, A, identity = _split(hierarchy)
    if not (identity.shape[0] == identity.shape[1] and (identity != sparse.identity(identity.shape[0])).nnz == 0):
        raise ValueError("bottom rows of the summing matrix must be the identity, in bottom order")
    yu, yb = y_hat[upper], y_hat[bottom]
    r = yu - A @ yb
    du, db = d[upper], d[bottom]
    cwc = np.diag(du) + (A.multiply(db[None, :]) @ A.T).toarray()
    if low_rank is not None:
        F = np.asarray(low_rank, dtype=float)
        cf = F[upper] - A @ F[bottom]  # C F
        cwc = cwc + cf @ cf.T
    lam = np.linalg.solve(cwc, r)
    ct_lam = np.zeros_like(y_hat)
    ct_lam[upper] = lam
    ct_lam[bottom] = -(A.T @ lam)
    adjust = d[:, None] * ct_lam
    if low_rank is not None:
        adjust = adjust + F @ (F.T @ ct_lam)
    return y_hat - adjust


def shrunk_covariance_factors(errors: pd.DataFrame, variances: pd.Series) -> tuple[np.ndarray, pd.Series, float]:
    """W = diag(d) + F Fᵀ: the Schäfer-Strimmer shrinkage of the backtest error covariance.

    On the common window (``errors``: rows = backtest points, columns = nodes) the sample
    second-moment matrix Σ̂ = EᵀE/k is shrunk towards its diagonal with intensity λ = Σ_{i≠j}
    Var(r_ij) / Σ_{i≠j} r_ij² (r the correlations): W = λ·diag(Σ̂) + (1−λ)·Σ̂. Nodes off the
    window keep their own variance with no correlation. Everything is computed from the k x k
    Gram matrix (k ≈ 54 points), so the p x p covariance (p ≈ 1,100 nodes; 4,500 at scale 4)
    is never formed. Returns F (nodes x k, in ``variances`` order), d and λ.
    """
    ids = list(variances.index)
    E = errors.to_numpy(dtype=float)
    k = E.shape[0]
    second = (E**2).mean(axis=0)
    keep = second > 0
    E, cols = E[:, keep], [c for c, ok in zip(errors.columns, keep) if ok]
    second = second[keep]
    X = E / np.sqrt(second)  # standardised: r = XᵀX / k
    sq = (X**2).sum(axis=1)  # per point: Σ_i x_ki²
    sum_w2_all = float((sq**2).sum())  # Σ_ij Σ_k (x_ki x_kj)²
    sum_w2_diag = float((X**4).sum())
    gram = X @ X.T
    sum_r2_all = float((gram**2).sum()) / k**2  # Σ_ij r_ij²
    sum_r2_diag = float(((X**2).sum(axis=0) / k) ** 2 @ np.ones(X.shape[1]))
    off_r2 = sum_r2_all - sum_r2_diag
    off_var = ((sum_w2_all - sum_w2_diag) - k * off_r2) / (k * (k - 1))  # Σ_{i≠j} Var(mean of w_kij)
    lam = 1.0 if off_r2 <= 0 else float(np.clip(off_var / off_r2, 0.0, 1.0))
    position = {u: i for i, u in enumerate(ids)}
    d = variances.astype(float).copy()
    F = np.zeros((len(ids), k))
    rows = np.array([position[c] for c in cols])
    d.iloc[rows] = np.maximum(lam * second, variances.iloc[rows].to_numpy() * 1e-9)
    F[rows] = (np.sqrt((1 - lam) / k) * E).T
    return F, d, lam


def parent_positions(hierarchy: Hierarchy) -> np.ndarray:
    """Row position of every node's parent in ``hierarchy.nodes`` (-1 for the total)."""
    nodes = hierarchy.nodes
    index = {u: i for i, u in enumerate(nodes["unique_id"])}
    parents = []
    for r in nodes.itertuples(index=False):
        if r.level == "total":
            parents.append(-1)
        elif r.level == "region":
            parents.append(index[total_id()])
        elif r.level == "family_region":
            parents.append(index[region_id(r.region)])
        else:
            parents.append(index[family_region_id(r.family, r.region)])
    return np.asarray(parents)


def proportional_reconcile(y_hat: np.ndarray, hierarchy: Hierarchy, top_level: str) -> np.ndarray:
    """Middle-out by forecast proportions: ``top_level`` keeps its base forecasts, split downwards.

    Each node below ``top_level`` gets its parent's (already split) forecast times its own base
    forecast's share among its siblings' (Athanasopoulos, Ahmed & Hyndman 2009), so every
    level's split follows what its own models see month by month; negative base forecasts count
    as 0 and siblings that all forecast 0 share equally. Levels above ``top_level`` are the sums
    of their children. ``top_level="total"`` is top-down by forecast proportions.
    """
    y_hat = np.asarray(y_hat, dtype=float)
    if y_hat.ndim == 1:
        y_hat = y_hat[:, None]
    levels = hierarchy.nodes["level"].to_numpy()
    if top_level not in LEVELS:
        raise ValueError(f"unknown level {top_level!r}")
    parents = parent_positions(hierarchy)
    share = np.clip(y_hat, 0.0, None)
    out = np.zeros_like(y_hat)
    start = LEVELS.index(top_level)
    out[levels == top_level] = y_hat[levels == top_level]
    for level in LEVELS[start + 1 :]:
        rows = np.flatnonzero(levels == level)
        par = parents[rows]
        groups, inverse = np.unique(par, return_inverse=True)
        sibling_sum = np.zeros((len(groups), y_hat.shape[1]))
        np.add.at(sibling_sum, inverse, share[rows])
        count = np.bincount(inverse)[:, None].astype(float)
        denom = sibling_sum[inverse]
        ratio = np.where(denom > 0, share[rows] / np.where(denom > 0, denom, 1.0), 1.0 / count[inverse])
        out[rows] = out[par] * ratio
    bottom = levels == BOTTOM
    return hierarchy.matrix.tocsr() @ out[bottom]


def reconcile(
    base: pd.DataFrame, hierarchy: Hierarchy, method: str = RECONCILIATION_METHOD, errors: BacktestErrors | None = None
) -> pd.DataFrame:
    """Reconcile base point forecasts of every node.

    ``base``: unique_id, ds, yhat for every node and month. Returns the same rows with
    ``yhat_reconciled`` added (coherent up to floating point; see :func:`make_coherent`).
    ``method``: ``top_down_proportions`` / ``middle_out_region`` (:func:`proportional_reconcile`),
    ``wls_backtest`` (W = each node's backtest error variance, needs ``errors``),
    ``mint_shrink_backtest`` (shrunk covariance of the backtest errors, needs ``errors``), or
    hierarchicalforecast's ``MinTrace`` ``wls_struct`` / ``ols``.
    """
    if method not in RECONCILIATION_METHODS:
        raise ValueError(f"unknown reconciliation method {method!r}; use one of {list(RECONCILIATION_METHODS)}")
    node_ids = set(hierarchy.nodes["unique_id"])
    present = set(base["unique_id"])
    if node_ids - present:
        raise ValueError(
            f"base forecasts missing for {len(node_ids - present)} node(s), e.g. {sorted(node_ids - present)[:3]}"
        )
    if method in NEEDS_BACKTEST or method in PROPORTIONAL:
        return _reconcile_own(base, hierarchy, method, errors)
    from hierarchicalforecast.core import HierarchicalReconciliation
    from hierarchicalforecast.methods import MinTrace

    y_hat = base.loc[base["unique_id"].isin(node_ids), ["unique_id", "ds", "yhat"]].copy()
    y_hat["yhat"] = y_hat["yhat"].astype(float)
    reconciler = HierarchicalReconciliation(reconcilers=[MinTrace(method=method)])
    out = reconciler.reconcile(Y_hat_df=y_hat, S_df=hierarchy.smatrix, tags=hierarchy.tags)
    rec_cols = [c for c in out.columns if c.startswith("yhat/")]
    if len(rec_cols) != 1:
        raise RuntimeError(f"unexpected reconciliation output columns {list(out.columns)}")
    out = out[["unique_id", "ds", rec_cols[0]]].rename(columns={rec_cols[0]: "yhat_reconciled"})
    return base.merge(out, on=["unique_id", "ds"], how="left")


def _reconcile_own(
    base: pd.DataFrame, hierarchy: Hierarchy, method: str, errors: BacktestErrors | None
) -> pd.DataFrame:
    ids = hierarchy.nodes["unique_id"].to_numpy()
    wide = base.pivot_table(index="unique_id", columns="ds", values="yhat", aggfunc="first").reindex(ids)
    if wide.isna().any().any():
        raise ValueError("base forecasts must cover the same months for every node")
    if method in PROPORTIONAL:
        rec = proportional_reconcile(wide.to_numpy(dtype=float), hierarchy, PROPORTIONAL[method])
    else:
        rec = _backtest_weighted(wide, hierarchy, method, errors)
    out = (
        pd.DataFrame(rec, index=pd.Index(ids, name="unique_id"), columns=wide.columns)
        .stack()
        .rename("yhat_reconciled")
        .reset_index()
    )
    return base.merge(out, on=["unique_id", "ds"], how="left")


def _backtest_weighted(wide: pd.DataFrame, hierarchy: Hierarchy, method: str, errors: BacktestErrors | None):
    if errors is None:
        raise ValueError(
            f"reconciliation method {method!r} needs the backtest errors of every node "
            "(hierarchy.backtest_errors of the engine result)"
        )
    ids = hierarchy.nodes["unique_id"].to_numpy()
    lacking = [u for u in ids if u not in errors.variances.index]
    if lacking:
        raise ValueError(f"backtest error variances missing for {len(lacking)} node(s), e.g. {lacking[:3]}")
    variances = errors.variances.reindex(ids)
    low_rank = None
    if method == "mint_shrink_backtest" and errors.errors is not None and errors.errors.shape[1] > 1:
        low_rank, variances, _ = shrunk_covariance_factors(errors.errors, variances)
    return wls_reconcile(wide.to_numpy(dtype=float), hierarchy, variances.to_numpy(), low_rank=low_rank)


def make_coherent(
    forecasts: pd.DataFrame, hierarchy: Hierarchy, value: str = "yhat_reconciled", interval_rule: str = "shift"
) -> pd.DataFrame:
    """Exactly coherent forecasts in cents from (approximately) reconciled ones.

    Bottom series: ``value`` clipped at 0 and rounded to 2 decimals. Every upper node:
    the exact sum of its bottom series (summed in integer cents). The returned ``yhat`` is
    that number; ``yhat_base`` keeps the engine's forecast; interval columns, when present,
    follow the base interval (module doc): ``interval_rule="shift"`` keeps the base widths
    around the new ``yhat``, ``"scale"`` multiplies the base bounds by yhat / yhat_base (shift
    where yhat_base is 0); clipped at 0 and rounded to cents.
    """
    if interval_rule not in ("shift", "scale"):
        raise ValueError(f"interval_rule must be 'shift' or 'scale', not {interval_rule!r}")
    df = forecasts.copy()
    bottom_ids = set(hierarchy.bottom_ids)
    is_bottom = df["unique_id"].isin(bottom_ids)
    cents = np.round(np.clip(df.loc[is_bottom, value].to_numpy(dtype=float), 0.0, None) * 100.0).astype(np.int64)
    bottom = pd.DataFrame(
        {
            "bottom_id": df.loc[is_bottom, "unique_id"].to_numpy(),
            "ds": df.loc[is_bottom, "ds"].to_numpy(),
            "cents": cents,
        }
    )
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
    base = df["yhat_base"].to_numpy(dtype=float)
    scalable = (base > 0) if interval_rule == "scale" else np.zeros(len(df), dtype=bool)
    factor = np.divide(df["yhat"].to_numpy(dtype=float), base, out=np.ones(len(df)), where=scalable)
    for lo, hi in (("lo_80", "hi_80"), ("lo_95", "hi_95")):
        if lo in df.columns and hi in df.columns:
            below = (df["yhat_base"] - df[lo]).clip(lower=0.0)
            above = (df[hi] - df["yhat_base"]).clip(lower=0.0)
            shifted_lo = np.clip(df["yhat"] - below, 0.0, None)
            shifted_hi = df["yhat"] + above
            scaled_lo = np.clip(df[lo].to_numpy(dtype=float), 0.0, None) * factor
            scaled_hi = df[hi].to_numpy(dtype=float) * factor
            df[lo] = np.round(np.where(scalable, scaled_lo, shifted_lo), 2)
            df[hi] = np.round(np.where(scalable, scaled_hi, shifted_hi), 2)
    return df.drop(columns=["yhat_cents"])


def coherent_forecast(
    base: pd.DataFrame, hierarchy: Hierarchy, method: str = RECONCILIATION_METHOD, errors: BacktestErrors | None = None
) -> pd.DataFrame:
    """Base forecasts of every node (engine schema) -> reconciled, exactly coherent forecasts.

    Output columns: the input's plus ``yhat_base`` (engine) and ``yhat_reconciled`` (MinTrace,
    before clipping and rounding); ``yhat`` and the intervals are the final values, plus the
    node's level, region, family and sku.
    """
    reconciled = reconcile(base, hierarchy, method=method, errors=errors)
    coherent = make_coherent(reconciled, hierarchy, interval_rule="scale" if method in PROPORTIONAL else "shift")
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
    summed = (
        cents.merge(hierarchy.bottom_to_nodes(), on="bottom_id")
        .groupby(["unique_id", "ds"], as_index=False)[columns]
        .sum()
    )
    for c in columns:
        summed[c] = summed[c].astype(np.int64) / 100.0
    return summed
