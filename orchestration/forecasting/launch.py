"""New series: forecast a launch from the launch profile of the collection's earlier launches.

A series that started inside the data (its first month is later than the collection's first
month) and is too young to backtest is a launch. The mean of its few months (``RecentMean``)
under-forecasts a ramp: demand a year after launch is well above the first months'. Instead the
launch is scaled onto the profile of the launches that came before it, age by age:

    ŷ(age a) = Σ_{months 0..n−1} y  ×  median over r of [ y_r(a) / Σ_{months 0..n−1} y_r ]

for a series observed for its first n months (ages 0 … n−1), where r runs over the reference
launches: other series launched inside the data that have reached age a and sold something in
their first n months. The median keeps one reference whose first months were near zero from
exploding the profile (a ratio of sums over-forecast the demo's launches by 23%, the median by
−5%: benchmarks/forecasting.md). When fewer than ``min_references`` launches have reached age
a, the ratio of the last age that had enough is carried forward.

Intervals come from the spread of the same ratios at that age (their empirical 10th and 90th
percentiles for 80%, 2.5th and 97.5th for 95%), so a collection whose launches differ a lot
gets wide bounds. Without enough references the engine keeps ``RecentMean``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LAUNCH_PROFILE = "LaunchProfile"


class LaunchProfiles:
    """The collection's launches by age, built once per forecast run.

    ``history``: long (unique_id, ds, y), one row per series and month with no gaps (the
    engine's validated history). A launch is a series whose first month is later than the
    collection's first month.
    """

    def __init__(self, history: pd.DataFrame, min_references: int = 5):
        first = history.groupby("unique_id", sort=False)["ds"].transform("min")
        launched = history[(first > history["ds"].min()).to_numpy()].sort_values(["unique_id", "ds"])
        self.min_references = min_references
        self.ids = list(dict.fromkeys(launched["unique_id"]))
        lengths = launched.groupby("unique_id", sort=False).size().reindex(self.ids)
        self.matrix = np.full((len(self.ids), int(lengths.max()) if len(self.ids) else 0), np.nan)
        self.row = row = {u: i for i, u in enumerate(self.ids)}
        age = launched.groupby("unique_id", sort=False).cumcount().to_numpy()
        self.matrix[launched["unique_id"].map(row).to_numpy(dtype=int), age] = launched["y"].to_numpy(dtype=float)
        self.first_month = history["ds"].min()

    def is_launch(self, first_month: pd.Timestamp) -> bool:
        return first_month > self.first_month

    def forecast(self, uid: str, y, horizon: int, levels=(80, 95)) -> pd.DataFrame | None:
        """Forecast ages n … n+horizon−1 of launch ``uid`` observed for its first n = len(y)
        months (``uid``'s own row is never its reference).

        Returns step (1..horizon), yhat and lo_/hi_ per level, or None when fewer than
        ``min_references`` launches that sold something in their first n months have reached age n.
        """
        y = np.asarray(y, dtype=float)
        n = len(y)
        if n >= self.matrix.shape[1]:
            return None
        m = self.matrix
        early = m[:, :n].sum(axis=1)  # NaN when a reference is younger than n months
        eligible = np.isfinite(early) & (early > 0) & np.isfinite(m[:, n])
        if uid in self.row:
            eligible[self.row[uid]] = False
        if eligible.sum() < self.min_references:
            return None
        m, early = m[eligible], early[eligible]
        scale = float(y.sum())
        rows, ratios = [], None
        for a in range(n, n + horizon):
            if a < m.shape[1]:
                seen = np.isfinite(m[:, a])
                if seen.sum() >= self.min_references:
                    ratios = m[seen, a] / early[seen]
            ratio = float(np.median(ratios))
            row = {"step": a - n + 1, "yhat": scale * ratio}
            for lv in levels:
                tail = (100 - lv) / 200
                lo, hi = np.quantile(ratios, [tail, 1 - tail])
                row[f"lo_{lv}"], row[f"hi_{lv}"] = scale * min(lo, ratio), scale * max(hi, ratio)
            rows.append(row)
        return pd.DataFrame(rows)
