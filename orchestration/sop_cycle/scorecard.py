"""The KPI scorecard: every month's actual of every scorecard KPI against its target, with its change and status.

For each KPI × scope × month (``kpi_actuals.kpi_actuals``): the target that applies (``kpi_targets``),
the variance, the change against the month before and the same month a year before, the trend of the
last three months, and a red/amber/green status from the KPI's direction and the target's bands. A KPI
without a target shows its trend and no status: nothing is made up.

Status (``rag_status``): the *shortfall* is how far the actual lies on the KPI's bad side of the target
(below it for ``higher``, above it for ``lower``, on either side for ``zero``). Green while the shortfall
is at most the amber band, amber while it is at most the red band, red beyond it; a ``pct`` band is a
percent of the target's size. Strictly beyond: an actual exactly on a band edge keeps the better colour.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.sop_cycle.kpis import BY_ID, HIGHER, LOWER, ZERO

GREEN, AMBER, RED = "green", "amber", "red"
#: relative tolerance on a band edge, so that 95.0 against a 5% band of 100 is on the edge, not beyond it
_EDGE = 1e-9


def shortfall(actual: float, target: float, direction: str) -> float:
    """How far ``actual`` lies on the bad side of ``target`` (≤ 0 when it meets or beats it)."""
    if direction == HIGHER:
        return target - actual
    if direction == LOWER:
        return actual - target
    if direction == ZERO:
        return abs(actual - target)
    raise ValueError(f"unknown direction {direction!r}")


def band_width(band: float, unit: str, target: float) -> float:
    """A band in the KPI's unit: ``pct`` bands are a percent of ``|target|``."""
    return band * abs(target) / 100.0 if unit == "pct" else band


def rag_status(actual, target, direction: str, amber_band, red_band, band_unit: str = "pct") -> str | None:
    """green, amber or red; None without an actual or a target."""
    if actual is None or target is None or pd.isna(actual) or pd.isna(target):
        return None
    gap = shortfall(float(actual), float(target), direction)
    amber = band_width(float(amber_band), band_unit, float(target))
    red = band_width(float(red_band), band_unit, float(target))
    tolerance = _EDGE * max(1.0, abs(float(target)))
    if gap > red + tolerance:
        return RED
    if gap > amber + tolerance:
        return AMBER
    return GREEN


def trend_word(slope: float, values: np.ndarray, direction: str, target=None) -> str | None:
    """improving, worsening or flat: the 3-month slope read through the KPI's direction (flat within 1% of the
    level a month); for ``zero`` KPIs, whether the distance to the target (or to 0) shrinks."""
    if pd.isna(slope):
        return None
    level = float(np.nanmean(np.abs(values))) if len(values) else 0.0
    if direction == ZERO:
        aim = 0.0 if target is None or pd.isna(target) else float(target)
        change = (abs(values[-1] - aim) - abs(values[0] - aim)) / 2
        slope, direction = change, LOWER
    if abs(slope) <= 0.01 * level or slope == 0:
        return "flat"
    good = slope > 0 if direction == HIGHER else slope < 0
    return "improving" if good else "worsening"


#: columns of the scorecard, in order (``tables.KPI_SCORECARD`` describes them)
COLUMNS = [
    "month",
    "kpi",
    "label",
    "area",
    "scope",
    "unit",
    "direction",
    "actual",
    "numerator",
    "denominator",
    "target",
    "amber_band",
    "red_band",
    "band_unit",
    "target_row",
    "variance",
    "variance_pct",
    "previous_month_actual",
    "mom_change",
    "mom_change_pct",
    "year_ago_actual",
    "yoy_change",
    "yoy_change_pct",
    "trend_3m",
    "trend",
    "status",
    "previous_status",
    "status_changed",
]


def _pct(change: pd.Series, base: pd.Series) -> pd.Series:
    base = base.astype(float)
    return (change / base.abs()).where(base.notna() & (base != 0))


def build_scorecard(actuals: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """The scorecard rows (``COLUMNS``) of every KPI × scope × month in ``actuals``.

    ``actuals``: kpi, scope, month, actual, numerator, denominator (``kpi_actuals.kpi_actuals``);
    ``targets``: kpi, scope, month, target, amber_band, red_band, band_unit, target_row
    (``kpi_targets.targets_by_month``). Month-over-month and year-over-year compare with the same
    KPI × scope one and twelve calendar months before (null when that month has no actual).
    """
    if actuals.empty:
        return pd.DataFrame(columns=COLUMNS)
    a = actuals.copy()
    a["month"] = pd.to_datetime(a["month"])
    a = a.sort_values(["kpi", "scope", "month"]).reset_index(drop=True)
    for c in ("actual", "numerator", "denominator"):
        a[c] = pd.to_numeric(a[c], errors="coerce").astype(float)
    meta = pd.DataFrame(
        [
            {"kpi": k.kpi, "label": k.label, "area": k.area, "unit": k.unit, "direction": k.direction}
            for k in BY_ID.values()
        ]
    )
    a = a.merge(meta, on="kpi", how="left")
    t = targets.copy()
    if not t.empty:
        t["month"] = pd.to_datetime(t["month"])
    a = (
        a.merge(t, on=["kpi", "scope", "month"], how="left")
        if not t.empty
        else a.assign(target=np.nan, amber_band=np.nan, red_band=np.nan, band_unit=None, target_row=np.nan)
    )
    a["target"] = a["target"].astype(float)

    def shifted(months: int) -> pd.Series:
        prior = a[["kpi", "scope", "month", "actual"]].copy()
        prior["month"] = prior["month"] + pd.DateOffset(months=months)
        return a[["kpi", "scope", "month"]].merge(prior, on=["kpi", "scope", "month"], how="left")["actual"]

    a["previous_month_actual"] = shifted(1).to_numpy()
    a["year_ago_actual"] = shifted(12).to_numpy()
    two_before = shifted(2).to_numpy()
    a["variance"] = a["actual"] - a["target"]
    a["variance_pct"] = _pct(a["variance"], a["target"])
    a["mom_change"] = a["actual"] - a["previous_month_actual"]
    a["mom_change_pct"] = _pct(a["mom_change"], a["previous_month_actual"])
    a["yoy_change"] = a["actual"] - a["year_ago_actual"]
    a["yoy_change_pct"] = _pct(a["yoy_change"], a["year_ago_actual"])
    # least-squares slope over the three months t-2, t-1, t: (a_t - a_{t-2}) / 2 per month
    a["trend_3m"] = (a["actual"] - two_before) / 2
    a.loc[pd.isna(a["previous_month_actual"]), "trend_3m"] = np.nan
    a["trend"] = [
        trend_word(s, np.array([b, c]), d, tg)
        for s, b, c, d, tg in zip(a["trend_3m"], two_before, a["actual"], a["direction"], a["target"])
    ]
    a["status"] = [
        rag_status(x, tg, d, am, rd, bu if isinstance(bu, str) else "pct")
        for x, tg, d, am, rd, bu in zip(
            a["actual"], a["target"], a["direction"], a["amber_band"], a["red_band"], a["band_unit"]
        )
    ]
    prior = a[["kpi", "scope", "month", "status"]].copy()
    prior["month"] = prior["month"] + pd.DateOffset(months=1)
    a["previous_status"] = (
        a[["kpi", "scope", "month"]]
        .merge(prior.rename(columns={"status": "previous_status"}), on=["kpi", "scope", "month"], how="left")[
            "previous_status"
        ]
        .to_numpy()
    )
    a["status_changed"] = a["status"].notna() & a["previous_status"].notna() & (a["status"] != a["previous_status"])
    a["status"] = a["status"].where(a["status"].notna(), None)
    a["previous_status"] = a["previous_status"].where(a["previous_status"].notna(), None)
    return a[COLUMNS]
