"""This cycle's plans against the previous cycle's stored versions, and the main reason for each change.

Stored cycles are immutable (``forecast`` snapshots, ``forecast.consensus_demand``, ``forecast.revenue_forecast``),
so any two cycles compare. The comparison covers the forecast months both versions hold (the months
after this cycle, up to the end of the previous cycle's horizon):

- **consensus demand** by product family × region: units, and value at the SKUs' list prices;
- **revenue forecast** (the blend of statistical and pipeline forecasts) by region, in USD.

Each change splits into the parts the versions store, and its main cause is the largest part:

- demand: the planners' overrides (``override_units``) against the statistical forecast. When the
  override part is the larger, the cause is ``override_added`` (none before), ``override_removed`` (none
  now) or ``override_changed``; otherwise the statistical forecast moved, because the node's model
  changed (``model_changed``) or, with the same model, because the month just closed came in different
  from what the previous cycle expected (``actuals``);
- revenue: the pipeline part (``pipeline_weight × pipeline_usd``) against the statistical part; a larger
  pipeline part is ``pipeline_changed``, otherwise ``model_changed`` or ``actuals`` as for demand.

``none`` when nothing moved. ``mover_rank`` orders the rows of a plan by the size of their value change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DEMAND, REVENUE = "consensus_demand", "revenue_forecast"
#: the product_family of the revenue forecast's rows (it is forecast by region only)
ALL_FAMILIES = "ALL"
CAUSES = (
    "actuals",
    "override_added",
    "override_removed",
    "override_changed",
    "model_changed",
    "pipeline_changed",
    "none",
)
COLUMNS = [
    "cycle_month",
    "previous_cycle_month",
    "plan",
    "product_family",
    "region_code",
    "first_month",
    "last_month",
    "months_compared",
    "previous_units",
    "current_units",
    "change_units",
    "previous_value_usd",
    "current_value_usd",
    "change_value_usd",
    "change_pct",
    "statistical_change",
    "override_change",
    "pipeline_change",
    "previous_override",
    "current_override",
    "previous_model",
    "current_model",
    "closed_month_actual",
    "closed_month_previous_forecast",
    "cause",
    "cause_text",
    "mover_rank",
]


def _common(previous: pd.DataFrame, current: pd.DataFrame, cycle: pd.Timestamp, month_col: str):
    months = sorted(set(pd.to_datetime(previous[month_col])) & set(pd.to_datetime(current[month_col])))
    months = [m for m in months if m > pd.Timestamp(cycle)]
    return months


def _fmt(value: float, unit: str) -> str:
    if unit == "USD":
        return f"${value:,.0f}"
    return f"{value:,.0f} units"


def _text(row: dict, unit: str) -> str:
    change, cause = row["change"], row["cause"]
    direction = "up" if change > 0 else "down"
    head = f"{_fmt(abs(change), unit)} {direction}"
    if cause == "none":
        return "no change"
    if cause in ("override_added", "override_removed", "override_changed"):
        verb = {"override_added": "added", "override_removed": "removed", "override_changed": "changed"}[cause]
        return (
            f"{head}: a planner override was {verb} (override {_fmt(row['previous_override'], unit)} → "
            f"{_fmt(row['current_override'], unit)} over the months compared)"
        )
    if cause == "model_changed":
        return f"{head}: the model changed ({row['previous_model']} → {row['current_model']})"
    if cause == "pipeline_changed":
        return f"{head}: the open pipeline changed (pipeline part {_fmt(row['pipeline_change'], unit)})"
    actual, expected = row["closed_month_actual"], row["closed_month_previous_forecast"]
    if actual is not None and expected is not None and not pd.isna(actual) and not pd.isna(expected):
        return (
            f"{head}: the month closed came in at {_fmt(actual, unit)} against {_fmt(expected, unit)} "
            "forecast by the previous cycle"
        )
    return f"{head}: the statistical forecast moved with the new actuals"


def _cause(stat: float, override: float, prev_override: float, cur_override: float, model_changed: bool) -> str:
    if stat == 0 and override == 0:
        return "none"
    if abs(override) >= abs(stat) and override != 0:
        if prev_override == 0:
            return "override_added"
        if cur_override == 0:
            return "override_removed"
        return "override_changed"
    return "model_changed" if model_changed else "actuals"


def compare_demand(
    previous: pd.DataFrame,
    current: pd.DataFrame,
    prices: pd.DataFrame,
    models: pd.DataFrame,
    actuals: pd.DataFrame,
    cycle: pd.Timestamp,
    previous_cycle: pd.Timestamp,
) -> pd.DataFrame:
    """Consensus demand of ``cycle`` against ``previous_cycle`` by family × region.

    ``previous``/``current``: the cycles' consensus at SKU × region level (sku, product_family, region_code,
    forecast_month, statistical_units, consensus_units, override_units); ``prices``: sku, unit_price;
    ``models``: cycle_month, product_family, region_code, model (the family × region node's model);
    ``actuals``: product_family, region_code, month, units (ordered units of the month closed).
    """
    months = _common(previous, current, cycle, "forecast_month")
    keys = ["product_family", "region_code"]
    if not months:
        return pd.DataFrame(columns=COLUMNS)

    def totals(frame: pd.DataFrame) -> pd.DataFrame:
        f = frame[pd.to_datetime(frame["forecast_month"]).isin(months)].merge(prices, on="sku", how="left")
        for c in ("statistical_units", "consensus_units", "override_units", "unit_price"):
            f[c] = pd.to_numeric(f[c], errors="coerce").astype(float).fillna(0.0)
        f["value"] = f["consensus_units"] * f["unit_price"]
        f["stat_value"] = f["statistical_units"] * f["unit_price"]
        f["override_value"] = f["override_units"] * f["unit_price"]
        return f.groupby(keys, as_index=False)[
            ["statistical_units", "consensus_units", "override_units", "value", "stat_value", "override_value"]
        ].sum()

    p, c = totals(previous), totals(current)
    both = p.merge(c, on=keys, how="outer", suffixes=("_p", "_c")).fillna(0.0)
    m = models.copy()
    m["cycle_month"] = pd.to_datetime(m["cycle_month"])
    pm = m[m["cycle_month"] == pd.Timestamp(previous_cycle)][[*keys, "model"]].rename(columns={"model": "pm"})
    cm = m[m["cycle_month"] == pd.Timestamp(cycle)][[*keys, "model"]].rename(columns={"model": "cm"})
    both = both.merge(pm, on=keys, how="left").merge(cm, on=keys, how="left")
    # what the previous cycle expected for the month just closed, against what came in
    closed = previous[pd.to_datetime(previous["forecast_month"]) == pd.Timestamp(cycle)]
    expected = closed.groupby(keys, as_index=False)["consensus_units"].sum().rename(columns={"consensus_units": "exp"})
    expected["exp"] = expected["exp"].astype(float)
    act = actuals.groupby(keys, as_index=False)["units"].sum().rename(columns={"units": "act"})
    both = both.merge(expected, on=keys, how="left").merge(act, on=keys, how="left")
    rows = []
    for r in both.to_dict("records"):
        stat = r["statistical_units_c"] - r["statistical_units_p"]
        override = r["override_units_c"] - r["override_units_p"]
        model_changed = isinstance(r["pm"], str) and isinstance(r["cm"], str) and r["pm"] != r["cm"]
        cause = _cause(stat, override, r["override_units_p"], r["override_units_c"], model_changed)
        row = {
            "cycle_month": pd.Timestamp(cycle),
            "previous_cycle_month": pd.Timestamp(previous_cycle),
            "plan": DEMAND,
            "product_family": r["product_family"],
            "region_code": r["region_code"],
            "first_month": months[0],
            "last_month": months[-1],
            "months_compared": len(months),
            "previous_units": r["consensus_units_p"],
            "current_units": r["consensus_units_c"],
            "change_units": r["consensus_units_c"] - r["consensus_units_p"],
            "previous_value_usd": r["value_p"],
            "current_value_usd": r["value_c"],
            "change_value_usd": r["value_c"] - r["value_p"],
            "statistical_change": stat,
            "override_change": override,
            "pipeline_change": np.nan,
            "previous_override": r["override_units_p"],
            "current_override": r["override_units_c"],
            "previous_model": r["pm"] if isinstance(r["pm"], str) else None,
            "current_model": r["cm"] if isinstance(r["cm"], str) else None,
            "closed_month_actual": r["act"],
            "closed_month_previous_forecast": r["exp"],
            "cause": cause,
        }
        row["change"] = row["change_units"]
        row["cause_text"] = _text(row, "units")
        rows.append(row)
    return _finish(rows)


def compare_revenue(
    previous: pd.DataFrame,
    current: pd.DataFrame,
    bookings: pd.DataFrame,
    cycle: pd.Timestamp,
    previous_cycle: pd.Timestamp,
) -> pd.DataFrame:
    """The revenue forecast (``blended_usd``) of ``cycle`` against ``previous_cycle`` by region.

    ``previous``/``current``: the cycles' ``revenue_forecast`` rows; ``bookings``: region_code, month,
    bookings_usd of the month closed.
    """
    months = _common(previous, current, cycle, "forecast_month")
    if not months:
        return pd.DataFrame(columns=COLUMNS)

    def totals(frame: pd.DataFrame) -> pd.DataFrame:
        f = frame[pd.to_datetime(frame["forecast_month"]).isin(months)].copy()
        for c in ("blended_usd", "pipeline_usd", "statistical_usd", "pipeline_weight"):
            f[c] = pd.to_numeric(f[c], errors="coerce").astype(float).fillna(0.0)
        f["pipe_part"] = f["pipeline_weight"] * f["pipeline_usd"]
        f["stat_part"] = (1 - f["pipeline_weight"]) * f["statistical_usd"]
        out = f.groupby("region_code", as_index=False)[["blended_usd", "pipe_part", "stat_part"]].sum()
        model = f.groupby("region_code")["statistical_model"].first().rename("model").reset_index()
        return out.merge(model, on="region_code", how="left")

    p, c = totals(previous), totals(current)
    both = p.merge(c, on="region_code", how="outer", suffixes=("_p", "_c"))
    closed = previous[pd.to_datetime(previous["forecast_month"]) == pd.Timestamp(cycle)]
    expected = closed.assign(exp=pd.to_numeric(closed["blended_usd"]).astype(float))[["region_code", "exp"]]
    act = bookings.assign(act=pd.to_numeric(bookings["bookings_usd"]).astype(float))[["region_code", "act"]]
    both = both.merge(expected, on="region_code", how="left").merge(act, on="region_code", how="left")
    rows = []
    for r in both.to_dict("records"):
        num = {k: (0.0 if pd.isna(v) else v) for k, v in r.items() if not isinstance(v, str) and v is not None}
        pipe = num.get("pipe_part_c", 0.0) - num.get("pipe_part_p", 0.0)
        stat = num.get("stat_part_c", 0.0) - num.get("stat_part_p", 0.0)
        pm, cm = r.get("model_p"), r.get("model_c")
        pm, cm = (pm if isinstance(pm, str) else None), (cm if isinstance(cm, str) else None)
        if pipe == 0 and stat == 0:
            cause = "none"
        elif abs(pipe) >= abs(stat):
            cause = "pipeline_changed"
        else:
            cause = "model_changed" if pm and cm and pm != cm else "actuals"
        prev_total, cur_total = num.get("blended_usd_p", 0.0), num.get("blended_usd_c", 0.0)
        row = {
            "cycle_month": pd.Timestamp(cycle),
            "previous_cycle_month": pd.Timestamp(previous_cycle),
            "plan": REVENUE,
            "product_family": ALL_FAMILIES,
            "region_code": r["region_code"],
            "first_month": months[0],
            "last_month": months[-1],
            "months_compared": len(months),
            "previous_units": np.nan,
            "current_units": np.nan,
            "change_units": np.nan,
            "previous_value_usd": prev_total,
            "current_value_usd": cur_total,
            "change_value_usd": cur_total - prev_total,
            "statistical_change": stat,
            "override_change": np.nan,
            "pipeline_change": pipe,
            "previous_override": np.nan,
            "current_override": np.nan,
            "previous_model": pm,
            "current_model": cm,
            "closed_month_actual": r.get("act"),
            "closed_month_previous_forecast": r.get("exp"),
            "cause": cause,
        }
        row["change"] = row["change_value_usd"]
        row["cause_text"] = _text(row, "USD")
        rows.append(row)
    return _finish(rows)


def _finish(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows)
    out["change_pct"] = (out["change_value_usd"] / out["previous_value_usd"].abs()).where(
        out["previous_value_usd"] != 0
    )
    out["mover_rank"] = (
        out["change_value_usd"].abs().rank(method="first", ascending=False).astype(int)
        if not out.empty
        else pd.Series(dtype=int)
    )
    return out.sort_values("mover_rank")[COLUMNS].reset_index(drop=True)
