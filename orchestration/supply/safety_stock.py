"""Safety stock and reorder points per SKU × site, the classes that set their targets, and a backtest.

Classification (``classify``)
    ABC by value: items ranked by annual demand value; an item is A while the items ranked
    above it make less than ``abc_a`` (0.80) of the total value, B while less than ``abc_b``
    (0.95), else C. XYZ by variability: the coefficient of variation (sample std / mean) of the
    monthly demand, missing months counted as 0: X up to ``xyz_x`` (0.5), Y up to ``xyz_y`` (1.0),
    else Z (no demand: Z). The pair (e.g. ``AY``) picks the target service level from the policy.

Safety stock, normal method (``safety_stocks``)
    SS = z · sqrt(L · σ_e² + d̄² · σ_L²),  reorder point = d̄ · L + SS

    with z the standard normal quantile of the target cycle service level, σ_e the standard
    deviation of the monthly *forecast error* (not of demand: the stock buffers what the
    forecast gets wrong, and a seasonal or trending series has a large demand σ but can have a
    small error σ), d̄ the forecast demand per month, L the lead time in months and σ_L its
    standard deviation in months. For a periodic review, L includes the review period
    (``review_months``): stock ordered now must last until the order after next arrives.

Safety stock, intermittent method (ADI > 1.32, Syntetos–Boylan as in ``forecasting.classification``)
    Empirical quantile of bootstrapped lead-time demand: draw L months (L itself drawn around
    its mean with σ_L) from the SKU × site's own monthly demand history, zeros included, sum them,
    repeat ``n_draws`` times and take the service-level quantile as the reorder point; SS = that
    quantile − d̄ · L, floored at 0. Why: with most months at zero the lead-time demand is a
    skewed, lumpy distribution bounded at zero. The normal formula fits it badly (it puts
    probability on negative demand and too little on the lumps), while the bootstrap needs no
    shape: it keeps exactly the zeros and lump sizes the item has had. Months are drawn
    independently (Willemain et al., 2004, add a Markov chain for runs of zeros; at monthly
    buckets those runs are short). A fixed ``seed`` makes it reproducible.

Backtest (``backtest_policy`` and ``service_by_class``)
    Replays an (s, S) policy (s = reorder point, S = order-up-to; S = s is a base-stock policy)
    over the last N months of actual demand, month by month with backorders: at each month end,
    if the inventory position (on hand + on order − backorders) is ≤ s, order S − position; an
    order placed at the end of month τ arrives at the end of month τ + ℓ (ℓ = lead time in
    months) and serves demand from month τ + ℓ + 1, so the stock must cover ℓ + 1 months
    (``review_months`` = 1 in ``safety_stocks``). It starts with S on hand and nothing on order.
    Reported: the cycle service level achieved (share of months with demand in which all of it,
    and any backorders, was served from stock) and the fill rate (units served from stock in the
    month they were demanded / units demanded), next to the class target.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd

from orchestration.forecasting.classification import ADI_CUTOFF, adi_cv2
from orchestration.supply.frames import DAYS_PER_MONTH, require_columns, to_month

CLASS_COLUMNS = [
    "annual_value",
    "value_share",
    "cumulative_share",
    "abc",
    "mean_units",
    "std_units",
    "cv",
    "xyz",
    "abc_xyz",
    "service_level",
]
SAFETY_STOCK_COLUMNS = [
    "sku",
    "site",
    "method",
    "service_level",
    "z",
    "mean_demand",
    "lead_time_months",
    "lead_time_std_months",
    "sigma_error",
    "adi",
    "safety_stock",
    "reorder_point",
]
BACKTEST_COLUMNS = [
    "sku",
    "site",
    "months",
    "demand_months",
    "stockout_months",
    "demand",
    "filled",
    "cycle_service_level",
    "fill_rate",
]


def _complete_months(history: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """keys, month, units with every month from a key's first row to the last month of the whole
    history (months without a row = 0 units: a full extract has no row for a month without demand)."""
    h = (
        history.assign(month=to_month(history["month"]).to_numpy())
        .groupby([*keys, "month"], as_index=False)["units"]
        .sum()
    )
    last = h["month"].max()
    first = h.groupby(keys, as_index=False)["month"].min()
    grid = [(*k, m) for *k, f in first.itertuples(index=False) for m in pd.date_range(f, last, freq="MS")]
    full = pd.DataFrame(grid, columns=[*keys, "month"]).merge(h, on=[*keys, "month"], how="left")
    full["units"] = full["units"].fillna(0.0).astype(float)
    return full


def classify(history: pd.DataFrame, unit_values: pd.DataFrame, policy, *, keys=("sku", "site")) -> pd.DataFrame:
    """ABC × XYZ class and target service level per ``keys`` (module doc).

    In: history (``keys``, month, units: monthly demand; a missing month between a key's first
    row and the history's last month counts as 0), unit_values (sku, unit_value: $ per unit, e.g. standard
    cost), ``policy`` (``policy.Policy``). Out: ``keys`` + ``CLASS_COLUMNS``; annual_value =
    mean monthly units × 12 × unit_value.
    """
    keys = list(keys)
    require_columns(history, [*keys, "month", "units"], "history")
    require_columns(unit_values, ["sku", "unit_value"], "unit_values")
    full = _complete_months(history, keys)
    stats = full.groupby(keys)["units"].agg(mean_units="mean", std_units=lambda u: u.std(ddof=1)).reset_index()
    stats["std_units"] = stats["std_units"].fillna(0.0)
    out = stats.merge(unit_values[["sku", "unit_value"]], on="sku", how="left")
    if out["unit_value"].isna().any():
        raise ValueError(f"unit_values has no value for SKU {out.loc[out['unit_value'].isna(), 'sku'].iloc[0]}")
    out["annual_value"] = out["mean_units"] * 12.0 * out["unit_value"].astype(float)
    out = out.sort_values(["annual_value", *keys], ascending=[False, *[True] * len(keys)]).reset_index(drop=True)
    total = out["annual_value"].sum()
    out["value_share"] = out["annual_value"] / total if total > 0 else 0.0
    out["cumulative_share"] = out["value_share"].cumsum()
    above = out["cumulative_share"] - out["value_share"]
    out["abc"] = np.where(
        out["annual_value"] <= 0,
        "C",
        np.where(above < policy.abc_a - 1e-12, "A", np.where(above < policy.abc_b - 1e-12, "B", "C")),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        out["cv"] = np.where(out["mean_units"] > 0, out["std_units"] / out["mean_units"], np.inf)
    out["xyz"] = np.where(out["cv"] <= policy.xyz_x, "X", np.where(out["cv"] <= policy.xyz_y, "Y", "Z"))
    out["abc_xyz"] = out["abc"] + out["xyz"]
    out["service_level"] = out["abc_xyz"].map(policy.service_level)
    return out[[*keys, *CLASS_COLUMNS]]


def normal_safety_stock(sigma_error, mean_demand, lead_time_months, lead_time_std_months, service_level) -> np.ndarray:
    """z · sqrt(L · σ_e² + d̄² · σ_L²), elementwise (units of demand per month, months)."""
    z = np.vectorize(lambda p: NormalDist().inv_cdf(float(p)))(np.asarray(service_level, dtype=float))
    s, d = np.asarray(sigma_error, dtype=float), np.asarray(mean_demand, dtype=float)
    L, sl = np.asarray(lead_time_months, dtype=float), np.asarray(lead_time_std_months, dtype=float)
    return z * np.sqrt(L * s**2 + d**2 * sl**2)


def bootstrap_lead_time_demand(
    monthly,
    lead_time_months: float,
    lead_time_std_months: float,
    service_level: float,
    *,
    n_draws: int = 4000,
    rng: np.random.Generator,
) -> float:
    """Service-level quantile of lead-time demand by bootstrap (module doc).

    Each draw: L ~ max(0, N(lead_time_months, lead_time_std_months)); the sum of ⌊L⌋ months drawn
    with replacement from ``monthly`` plus the fraction L − ⌊L⌋ of one more.
    """
    y = np.asarray(monthly, dtype=float)
    if y.size == 0:
        return float("nan")
    lead = np.maximum(0.0, lead_time_months + lead_time_std_months * rng.standard_normal(n_draws))
    whole = np.floor(lead).astype(int)
    k = int(whole.max()) + 1
    draws = rng.choice(y, size=(n_draws, k), replace=True)
    take = np.arange(k)[None, :] < whole[:, None]
    totals = (draws * take).sum(axis=1) + (lead - whole) * draws[np.arange(n_draws), whole]
    return float(np.quantile(totals, service_level, method="higher"))


def safety_stocks(
    errors: pd.DataFrame,
    demand_rate: pd.DataFrame,
    lead_times: pd.DataFrame,
    service: pd.DataFrame,
    history: pd.DataFrame | None = None,
    *,
    review_months: float = 0.0,
    n_draws: int = 4000,
    seed: int = 0,
) -> pd.DataFrame:
    """Safety stock and reorder point per SKU × site.

    In:
    - errors: sku, site, month, error (forecast − actual, monthly; σ_e is their sample std);
    - demand_rate: sku, site, mean_demand (forecast units per month over the coming lead time);
    - lead_times: sku, site, lead_time_days, lead_time_std_days;
    - service: sku, site, service_level (``classify``);
    - history (optional): sku, site, month, units; pairs with ADI > 1.32 use the bootstrap.
    ``review_months`` is added to the lead time (1 for a monthly review).

    Out: one row per sku × site of ``demand_rate``, ``SAFETY_STOCK_COLUMNS``; method ``normal``,
    ``bootstrap`` or ``no_errors`` (fewer than two errors: SS and ROP are NaN).
    """
    require_columns(errors, ["sku", "site", "error"], "errors")
    require_columns(demand_rate, ["sku", "site", "mean_demand"], "demand_rate")
    require_columns(lead_times, ["sku", "site", "lead_time_days", "lead_time_std_days"], "lead_times")
    require_columns(service, ["sku", "site", "service_level"], "service")
    keys = ["sku", "site"]
    sigma = errors.groupby(keys)["error"].agg(sigma_error=lambda e: e.std(ddof=1), n="count").reset_index()
    out = (
        demand_rate[[*keys, "mean_demand"]]
        .merge(lead_times[[*keys, "lead_time_days", "lead_time_std_days"]], on=keys, how="left")
        .merge(service[[*keys, "service_level"]], on=keys, how="left")
        .merge(sigma, on=keys, how="left")
    )
    for col, what in (("lead_time_days", "lead_times"), ("service_level", "service")):
        if out[col].isna().any():
            r = out[out[col].isna()].iloc[0]
            raise ValueError(f"{what} has no row for SKU {r['sku']} at {r['site']}")
    out["lead_time_months"] = out["lead_time_days"].astype(float) / DAYS_PER_MONTH + review_months
    out["lead_time_std_months"] = out["lead_time_std_days"].astype(float) / DAYS_PER_MONTH
    out["z"] = [NormalDist().inv_cdf(float(p)) for p in out["service_level"]]
    out["safety_stock"] = normal_safety_stock(
        out["sigma_error"],
        out["mean_demand"],
        out["lead_time_months"],
        out["lead_time_std_months"],
        out["service_level"],
    )
    out["method"] = np.where(out["n"].fillna(0) >= 2, "normal", "no_errors")
    out.loc[out["method"] == "no_errors", "safety_stock"] = np.nan
    out["adi"] = np.nan

    if history is not None and not history.empty:
        full = _complete_months(history, keys)
        rng = np.random.default_rng(seed)
        series = {k: g["units"].to_numpy(dtype=float) for k, g in full.groupby(keys, sort=True)}
        for i in out.sort_values(keys).index:
            y = series.get((out.at[i, "sku"], out.at[i, "site"]))
            if y is None:
                continue
            adi, _ = adi_cv2(y)
            out.at[i, "adi"] = adi
            if np.isfinite(adi) and adi > ADI_CUTOFF:
                q = bootstrap_lead_time_demand(
                    y,
                    out.at[i, "lead_time_months"],
                    out.at[i, "lead_time_std_months"],
                    out.at[i, "service_level"],
                    n_draws=n_draws,
                    rng=rng,
                )
                out.at[i, "safety_stock"] = max(0.0, q - out.at[i, "mean_demand"] * out.at[i, "lead_time_months"])
                out.at[i, "method"] = "bootstrap"
    out["reorder_point"] = out["mean_demand"] * out["lead_time_months"] + out["safety_stock"]
    return out[SAFETY_STOCK_COLUMNS].reset_index(drop=True)


def _simulate(demand: np.ndarray, s: float, S: float, lead: int) -> tuple[np.ndarray, np.ndarray]:
    """Filled units and end-of-month backorders per month of one (s, S) replay."""
    n = len(demand)
    arriving = np.zeros(n + lead + 2)
    on_hand, backlog, on_order = S, 0.0, 0.0
    filled, backlog_end = np.zeros(n), np.zeros(n)
    for t in range(n):
        on_hand += arriving[t]
        on_order -= arriving[t]
        cleared = min(on_hand, backlog)
        on_hand -= cleared
        backlog -= cleared
        served = min(on_hand, demand[t])
        on_hand -= served
        backlog += demand[t] - served
        filled[t], backlog_end[t] = served, backlog
        position = on_hand + on_order - backlog
        if position <= s + 1e-9 and S - position > 1e-9:
            arriving[t + lead + 1] += S - position
            on_order += S - position
    return filled, backlog_end


def backtest_policy(actual: pd.DataFrame, params: pd.DataFrame, *, n_months: int) -> pd.DataFrame:
    """Replay each SKU × site's (s, S) policy over the last ``n_months`` months of ``actual`` (module doc).

    In: actual (sku, site, month, units; missing months in the window = 0), params (sku, site,
    reorder_point, lead_time_months: whole months ℓ ≥ 0, order_up_to optional: defaults to the
    reorder point). Out: ``BACKTEST_COLUMNS`` per sku × site of ``params``.
    """
    require_columns(actual, ["sku", "site", "month", "units"], "actual")
    require_columns(params, ["sku", "site", "reorder_point", "lead_time_months"], "params")
    a = actual.assign(month=to_month(actual["month"]).to_numpy())
    last = a["month"].max()
    window = pd.date_range(end=last, periods=n_months, freq="MS")
    by_key = a[a["month"].isin(window)].groupby(["sku", "site", "month"])["units"].sum()
    rows = []
    for p in params.to_dict("records"):
        s = float(p["reorder_point"])
        S = float(p.get("order_up_to", np.nan))
        S = s if not np.isfinite(S) else max(S, s)
        lead = int(p["lead_time_months"])
        if lead < 0:
            raise ValueError(f"params: lead_time_months of SKU {p['sku']} at {p['site']} must be ≥ 0")
        d = np.array([by_key.get((p["sku"], p["site"], m), 0.0) for m in window], dtype=float)
        filled, backlog = _simulate(d, s, S, lead)
        with_demand = d > 0
        stockouts = int(((backlog > 1e-9) & with_demand).sum())
        months_d = int(with_demand.sum())
        rows.append(
            (
                p["sku"],
                p["site"],
                n_months,
                months_d,
                stockouts,
                d.sum(),
                filled.sum(),
                1.0 - stockouts / months_d if months_d else np.nan,
                filled.sum() / d.sum() if d.sum() > 0 else np.nan,
            )
        )
    return pd.DataFrame(rows, columns=BACKTEST_COLUMNS)


def service_by_class(backtest: pd.DataFrame, classes: pd.DataFrame) -> pd.DataFrame:
    """Achieved service per class next to its target.

    In: ``backtest_policy`` rows; classes (sku, site, abc_xyz, service_level). Out: abc_xyz,
    target_service_level, skus, demand_months, cycle_service_level (pooled: 1 − Σ stock-out months /
    Σ months with demand), fill_rate (Σ filled / Σ demand), gap (achieved − target CSL).
    """
    b = backtest.merge(classes[["sku", "site", "abc_xyz", "service_level"]], on=["sku", "site"], how="left")
    g = (
        b.groupby("abc_xyz")
        .agg(
            target_service_level=("service_level", "mean"),
            skus=("sku", "count"),
            demand_months=("demand_months", "sum"),
            stockout_months=("stockout_months", "sum"),
            demand=("demand", "sum"),
            filled=("filled", "sum"),
        )
        .reset_index()
    )
    g["cycle_service_level"] = 1.0 - g["stockout_months"] / g["demand_months"]
    g["fill_rate"] = g["filled"] / g["demand"]
    g["gap"] = g["cycle_service_level"] - g["target_service_level"]
    return g[["abc_xyz", "target_service_level", "skus", "demand_months", "cycle_service_level", "fill_rate", "gap"]]
