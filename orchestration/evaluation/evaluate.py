"""``sop forecast evaluate``: hold out the last H months of every series and score the forecasts.

The production model selection (``engine.forecast_series`` with the same configuration) runs on
everything before the hold-out; so does every candidate alone (on the series where the
selection used a fallback, a candidate alone uses the same fallback). The benchmarks are the
seasonal naive (m = 12) and Naive2, the M-competitions' seasonally adjusted naive.

Scores, averaged over series: sMAPE (M-competition definition) and MASE (MAE over the
in-sample seasonal-naive MAE, ``metrics.seasonal_naive_scale``); coverage80 is the share of all
held-out points inside the 80% interval. Pooled over every held-out point: WAPE (Σ|y−ŷ| / Σ|y|)
and bias (Σ(ŷ−y) / Σy, negative = under-forecast), because an average of MASE rewards a
forecast that sits low on skewed demand (the MAE-optimal point is the median, below the mean),
which a planner summing forecasts cannot use.

``fixed_combination`` is the equal-weight mean of AutoETS, DynamicOptimizedTheta and AutoCES
(``FIXED_COMBINATION``), the three strongest statistical candidates, used for every modelled
series (its 80% interval is the mean of theirs): the combination forecasting competitions keep
finding hard to beat, and the bar a selection rule must clear.

``oracle`` is the MASE of the best candidate per series chosen *in hindsight* (on the held-out
months): no selection among these candidates can score lower, so it bounds what any selection
rule can reach on the dataset. Series with H or fewer months cannot be held out and
are skipped; series whose training part is all zero are forecast but not scored (their MASE is
undefined); both counts are reported.
"""

from __future__ import annotations

import csv
import math
import re
import time
from dataclasses import replace
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd

from orchestration.forecasting import metrics
from orchestration.forecasting.engine import ForecastConfig, forecast_series
from orchestration.forecasting.intervals import seasonal_naive_half_widths

Z80 = NormalDist().inv_cdf(0.9)
FIXED_COMBINATION = ("AutoETS", "DynamicOptimizedTheta", "AutoCES")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]00:00(:00)?)?$")


# ---------------------------------------------------------------- input
def read_series_csv(path) -> pd.DataFrame:
    """Read a long monthly CSV (unique_id, ds, y); raise ValueError naming file, row and rule."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        missing = [c for c in ("unique_id", "ds", "y") if c not in header]
        if missing:
            raise ValueError(f"{path}: header lacks column(s) {missing}; needs unique_id, ds, y (found {header})")
        ids, dss, ys = [], [], []
        for row_no, row in enumerate(reader, start=2):
            text = (row["ds"] or "").strip()
            try:
                if not ISO_DATE.match(text):
                    raise ValueError
                ds = pd.Timestamp(text)
            except (ValueError, TypeError):
                raise ValueError(f"{path}, row {row_no}: ds {row['ds']!r} is not a date like 2024-03-01") from None
            if ds != ds.to_period("M").to_timestamp():
                raise ValueError(f"{path}, row {row_no}: ds {row['ds']!r} is not the first day of a month")
            try:
                y = float(row["y"])
            except (ValueError, TypeError):
                raise ValueError(f"{path}, row {row_no}: y {row['y']!r} is not a number") from None
            if not math.isfinite(y):
                raise ValueError(f"{path}, row {row_no}: y {row['y']!r} is not a finite number")
            if not row["unique_id"]:
                raise ValueError(f"{path}, row {row_no}: unique_id is empty")
            ids.append(row["unique_id"])
            dss.append(ds)
            ys.append(y)
    if not ids:
        raise ValueError(f"{path}: no data rows")
    df = pd.DataFrame({"unique_id": ids, "ds": dss, "y": ys})
    dup = df.duplicated(["unique_id", "ds"], keep="first")
    if dup.any():
        i = int(np.argmax(dup.to_numpy()))
        raise ValueError(f"{path}, row {i + 2}: second row for series {ids[i]!r} month {dss[i]:%Y-%m}")
    df = df.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    months = df["ds"].dt.year * 12 + df["ds"].dt.month
    same = df["unique_id"].to_numpy()[1:] == df["unique_id"].to_numpy()[:-1]
    gap = same & (np.diff(months.to_numpy()) != 1)
    if gap.any():
        i = int(np.argmax(gap)) + 1
        raise ValueError(
            f"{path}: series {df['unique_id'].iat[i]!r} has no row for the month(s) before "
            f"{df['ds'].iat[i]:%Y-%m}; every month between a series' first and last must be present"
        )
    return df


# ---------------------------------------------------------------- benchmarks
def seasonal_naive_benchmark(y, horizon: int, season_length: int = 12):
    """Seasonal naive forecast and its 80% interval (normal, σ of the in-sample seasonal
    differences, widening with √(full seasons ahead + 1)); naive (lag 1, √h) when the series is
    no longer than a season."""
    y = np.asarray(y, dtype=float)
    m = season_length if len(y) > season_length else 1
    steps = np.arange(1, horizon + 1)
    yhat = np.array([y[len(y) - m + (j - 1) % m] for j in steps]) if len(y) >= m else np.full(horizon, y[-1])
    half = seasonal_naive_half_widths(y, horizon, (80,), season_length)[0]
    return yhat, yhat - half, yhat + half


def _acf(y: np.ndarray, max_lag: int) -> np.ndarray:
    y = y - y.mean()
    den = float(np.sum(y * y))
    if den == 0:
        return np.zeros(max_lag + 1)
    return np.array([1.0] + [float(np.sum(y[k:] * y[:-k]) / den) for k in range(1, max_lag + 1)])


def is_seasonal(y, season_length: int = 12) -> bool:
    """M4's seasonality test: the autocorrelation at lag m exceeds its 90% limit
    1.645·√((1 + 2·Σ_{k<m} acf_k²) / n); needs at least 3 seasons."""
    y = np.asarray(y, dtype=float)
    m = season_length
    if m <= 1 or len(y) < 3 * m:
        return False
    acf = _acf(y, m)
    limit = 1.645 * math.sqrt((1 + 2 * float(np.sum(acf[1:m] ** 2))) / len(y))
    return abs(acf[m]) > limit


def seasonal_indices(y, season_length: int = 12) -> np.ndarray:
    """Classical multiplicative decomposition: indices (one per position in the season, mean 1)
    from the ratio of the series to its centred 2×m moving average."""
    y = np.asarray(y, dtype=float)
    m = season_length
    if m % 2 == 0:
        weights = np.r_[0.5, np.ones(m - 1), 0.5] / m
    else:
        weights = np.ones(m) / m
    trend = np.convolve(y, weights, mode="valid")
    offset = (len(weights) - 1) // 2
    ratios = y[offset : offset + len(trend)] / trend
    positions = (np.arange(len(trend)) + offset) % m
    idx = np.array([np.mean(ratios[positions == p]) for p in range(m)])
    return idx / idx.mean()


def naive2_benchmark(y, horizon: int, season_length: int = 12):
    """Naive2: naive forecast of the seasonally adjusted series, reseasonalised; its 80% interval
    is the naive one (σ of the adjusted one-step changes, √h) times the seasonal index. No
    adjustment when the season test fails or the series has a value ≤ 0 (multiplicative)."""
    y = np.asarray(y, dtype=float)
    m = season_length
    n = len(y)
    if is_seasonal(y, m) and np.all(y > 0):
        idx = seasonal_indices(y, m)
        in_idx = idx[np.arange(n) % m]
        out_idx = idx[(np.arange(n, n + horizon)) % m]
    else:
        in_idx, out_idx = np.ones(n), np.ones(horizon)
    adjusted = y / in_idx
    diffs = np.diff(adjusted)
    sigma = float(np.sqrt(np.mean(diffs**2))) if len(diffs) else 0.0
    steps = np.arange(1, horizon + 1)
    base = np.full(horizon, adjusted[-1])
    sd = sigma * np.sqrt(steps)
    return base * out_idx, (base - Z80 * sd) * out_idx, (base + Z80 * sd) * out_idx


# ---------------------------------------------------------------- scoring
def _score(actuals: dict, scales: dict, forecasts: dict, per_series: dict | None = None) -> dict:
    """Average sMAPE and MASE over series, pooled 80% coverage, WAPE and bias:
    forecasts[uid] = (yhat, lo, hi).

    ``per_series``, when given, receives each series' MASE."""
    smapes, mases = [], []
    for uid, y in actuals.items():
        yhat = forecasts[uid][0]
        smapes.append(metrics.smape(y, yhat))
        m = metrics.mase(y, yhat, scales[uid])
        if per_series is not None:
            per_series[uid] = m
        if np.isfinite(m):
            mases.append(m)

    def pooled(parts):
        return np.concatenate([np.asarray(p, dtype=float) for p in parts]) if parts else np.zeros(0)

    y_all = pooled(list(actuals.values()))
    yhat_all, lo_all, hi_all = (pooled([forecasts[u][k] for u in actuals]) for k in range(3))
    return {
        "smape": float(np.mean(smapes)),
        "mase": float(np.mean(mases)) if mases else float("nan"),
        "coverage80": metrics.coverage(y_all, lo_all, hi_all),
        "wape": metrics.wape(y_all, yhat_all),
        "bias": metrics.bias(y_all, yhat_all),
    }


def oracle_mase(per_model: dict[str, dict]) -> float:
    """Mean over series of the lowest MASE any candidate reached on it (hindsight choice)."""
    frame = pd.DataFrame(per_model)
    best = frame.min(axis=1, skipna=True)
    return float(best[np.isfinite(best)].mean()) if len(best) else float("nan")


def _frame_to_dict(fc: pd.DataFrame) -> dict:
    return {
        uid: (g["yhat"].to_numpy(), g["lo_80"].to_numpy(), g["hi_80"].to_numpy())
        for uid, g in fc.groupby("unique_id", sort=False)
    }


def fixed_combination(candidates: pd.DataFrame, members=FIXED_COMBINATION) -> pd.DataFrame | None:
    """Per series and month the mean of ``members``' forecasts and 80% bounds (None when a member
    was not forecast: a configuration without it)."""
    present = candidates[candidates["model"].isin(members)]
    if set(present["model"].unique()) != set(members):
        return None
    return present.groupby(["unique_id", "ds"], as_index=False, sort=True)[["yhat", "lo_80", "hi_80"]].mean()


def evaluate(
    history: pd.DataFrame, horizon: int, config: ForecastConfig | None = None, per_series: dict | None = None
) -> dict:
    """Hold out the last ``horizon`` months, forecast the rest, score (see the module doc).

    Returns {"selection": {smape, mase, coverage80, wape, bias}, "candidates": {model: {...}},
    "seasonal_naive": {...}, "naive2": {...}, "oracle": {"mase"}, "series": N, "seconds": s} plus
    "skipped_short", "unscored_zero_train" and "model_mix" (series per chosen model).
    ``per_series``, when given, is filled with {forecast name: {series: MASE}}.
    """
    began = time.perf_counter()
    config = replace(config or ForecastConfig(), horizon=horizon)
    if 80 not in config.levels:
        config = replace(config, levels=tuple(sorted(set(config.levels) | {80})))
    history = history.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    sizes = history.groupby("unique_id", sort=False).size()
    long_enough = sizes[sizes > horizon].index
    skipped = int(len(sizes) - len(long_enough))
    history = history[history["unique_id"].isin(long_enough)]
    if history.empty:
        raise ValueError(f"no series is longer than the horizon ({horizon} months)")
    position = history.groupby("unique_id", sort=False).cumcount(ascending=False)
    train, test = history[position >= horizon], history[position < horizon]

    result = forecast_series(train, config, all_candidates=True)

    actuals, scales, snaive, naive2 = {}, {}, {}, {}
    train_by = {u: g["y"].to_numpy(dtype=float) for u, g in train.groupby("unique_id", sort=False)}
    for uid, g in test.groupby("unique_id", sort=False):
        y_train = train_by[uid]
        if not np.any(y_train != 0):
            continue
        actuals[uid] = g["y"].to_numpy(dtype=float)
        scales[uid] = metrics.seasonal_naive_scale(y_train, config.season_length)
        snaive[uid] = seasonal_naive_benchmark(y_train, horizon, config.season_length)
        naive2[uid] = naive2_benchmark(y_train, horizon, config.season_length)
    unscored = len(train_by) - len(actuals)

    def sink(name):
        if per_series is None:
            return None
        return per_series.setdefault(name, {})

    out = {"selection": _score(actuals, scales, _frame_to_dict(result.forecasts), sink("selection")), "candidates": {}}
    cands = result.candidate_forecasts
    per_model: dict[str, dict] = {}
    for model in sorted(cands["model"].unique()):
        per_model[model] = {}
        out["candidates"][model] = _score(
            actuals, scales, _frame_to_dict(cands[cands["model"] == model]), per_model[model]
        )
        if per_series is not None:
            per_series[model] = per_model[model]
    out["oracle"] = {"mase": oracle_mase(per_model)}
    combination = fixed_combination(cands)
    if combination is not None:
        out["fixed_combination"] = _score(actuals, scales, _frame_to_dict(combination), sink("fixed_combination"))
    out["seasonal_naive"] = _score(actuals, scales, snaive, sink("seasonal_naive"))
    out["naive2"] = _score(actuals, scales, naive2, sink("naive2"))
    if per_series is not None:
        chosen = result.selection.set_index("unique_id")
        per_series["chosen_model"] = {u: chosen.at[u, "model"] for u in actuals}
        per_series["demand_class"] = {u: chosen.at[u, "demand_class"] for u in actuals}
    out["series"] = len(actuals)
    out["skipped_short"] = skipped
    out["unscored_zero_train"] = unscored
    out["horizon"] = horizon
    out["model_mix"] = {k: int(v) for k, v in result.selection["model"].value_counts().items()}
    out["seconds"] = round(time.perf_counter() - began, 2)
    return out


def format_report(report: dict) -> str:
    """The evaluate report as a plain-text table."""
    lines = [f"{'forecast':<24}{'sMAPE':>9}{'MASE':>9}{'cover80':>9}{'WAPE':>9}{'bias':>9}"]

    def row(name, s):
        lines.append(
            f"{name:<24}{s['smape']:>9.3f}{s['mase']:>9.3f}{s['coverage80']:>9.3f}{s['wape']:>9.3f}{s['bias']:>+9.3f}"
        )

    row("selection", report["selection"])
    for model, s in report["candidates"].items():
        row(f"  {model}", s)
    if "fixed_combination" in report:
        row("fixed combination", report["fixed_combination"])
    row("seasonal naive", report["seasonal_naive"])
    row("Naive2", report["naive2"])
    lines.append(f"{'best candidate in hindsight':<28}{report['oracle']['mase']:>14.3f}  (MASE no selection can beat)")
    lines.append(
        f"series scored: {report['series']} (horizon {report['horizon']}; skipped, too short: "
        f"{report['skipped_short']}; not scored, all-zero training part: {report['unscored_zero_train']})"
    )
    lines.append("model mix: " + ", ".join(f"{k} {v}" for k, v in report["model_mix"].items()))
    lines.append(f"seconds: {report['seconds']:.1f}")
    return "\n".join(lines)
