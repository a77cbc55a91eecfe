"""How well young launches are forecast: ``LaunchProfile`` against ``RecentMean``, measured at
several past origins.

At each origin the history is cut (months before the origin only), and every launch that is
then between 1 and ``max_age`` months old and has sold something is forecast ``horizon``
months ahead by both methods, from what was known at the origin: the launch profile comes from
the launches visible at that cut. The forecasts are scored against the months that followed:
pooled WAPE Σ|ŷ−y| / Σy and bias Σ(ŷ−y) / Σy over every launch, origin and month, the same at
lag 1 (the first forecast month, what the next S&OP meeting sees), and the profile's 80%
interval coverage. ``sop forecast launches FILE.csv`` prints the table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.forecasting.launch import LaunchProfiles

METHODS = ("RecentMean", "LaunchProfile")


def evaluate_launches(
    history: pd.DataFrame,
    origins: list[pd.Timestamp],
    horizon: int = 18,
    max_age: int = 10,
    fallback_window: int = 12,
) -> dict:
    """Score the launch methods on ``history`` (unique_id, ds, y) at each of ``origins``.

    A launch counts at an origin when it started after the collection's first month, is 1 to
    ``max_age`` months old there, has a non-zero month and enough earlier launches for a profile
    (otherwise the engine itself keeps ``RecentMean``, and so both methods would agree).
    Returns {"forecasts": n, "series": n, "origins": n, method: {wape, bias, lag1_wape,
    lag1_bias}, "coverage80": LaunchProfile's 80% coverage}.
    """
    history = history.assign(ds=pd.to_datetime(history["ds"])).sort_values(["unique_id", "ds"])
    actual, forecast = [], {m: [] for m in METHODS}
    first_actual, first_forecast = [], {m: [] for m in METHODS}
    inside, seen = 0, set()
    for origin in origins:
        known = history[history["ds"] < origin]
        profiles = LaunchProfiles(known)
        later = history[(history["ds"] >= origin) & (history["ds"] < origin + pd.DateOffset(months=horizon))]
        later_by_id = {u: g["y"].to_numpy(dtype=float) for u, g in later.groupby("unique_id", sort=False)}
        for uid, g in known.groupby("unique_id", sort=False):
            y = g["y"].to_numpy(dtype=float)
            if len(y) > max_age or not profiles.is_launch(g["ds"].iat[0]) or not (y != 0).any():
                continue
            realised = later_by_id.get(uid)
            profile = profiles.forecast(uid, y, horizon, levels=(80,))
            if realised is None or profile is None:
                continue
            k = len(realised)
            paths = {
                "RecentMean": np.full(k, y[-fallback_window:].mean()),
                "LaunchProfile": profile["yhat"].to_numpy()[:k],
            }
            for m in METHODS:
                forecast[m].append(paths[m])
                first_forecast[m].append(paths[m][0])
            actual.append(realised)
            first_actual.append(realised[0])
            inside += int(
                ((realised >= profile["lo_80"].to_numpy()[:k]) & (realised <= profile["hi_80"].to_numpy()[:k])).sum()
            )
            seen.add(uid)
    if not actual:
        raise ValueError("no launch between 1 and max_age months old at any origin: nothing to score")
    y_all, y_first = np.concatenate(actual), np.asarray(first_actual)
    out = {"forecasts": len(actual), "series": len(seen), "origins": len(origins)}
    for m in METHODS:
        f_all, f_first = np.concatenate(forecast[m]), np.asarray(first_forecast[m])
        out[m] = {
            "wape": float(np.abs(f_all - y_all).sum() / y_all.sum()),
            "bias": float((f_all - y_all).sum() / y_all.sum()),
            "lag1_wape": float(np.abs(f_first - y_first).sum() / y_first.sum()),
            "lag1_bias": float((f_first - y_first).sum() / y_first.sum()),
        }
    out["coverage80"] = inside / len(y_all)
    return out


def format_launch_report(report: dict) -> str:
    lines = [
        f"{report['forecasts']} launch forecasts of {report['series']} launches at {report['origins']} origins",
        f"{'method':<16}{'WAPE':>8}{'bias':>9}{'lag-1 WAPE':>12}{'lag-1 bias':>12}",
    ]
    for m in METHODS:
        s = report[m]
        lines.append(f"{m:<16}{s['wape']:>8.3f}{s['bias']:>+9.3f}{s['lag1_wape']:>12.3f}{s['lag1_bias']:>+12.3f}")
    lines.append(f"LaunchProfile 80% interval coverage {report['coverage80']:.3f}")
    return "\n".join(lines)
