"""Rough-cut capacity: the hours a production plan puts on each work center, against the hours it has.

load[wc, month] = Σ over SKUs of planned production units × hours per unit (the SKU's routing on
that work center); utilization = load / available hours; overload = load − available when
positive. It is the check an unconstrained plan (``mrp``) needs before anyone trusts it, and
the capacity side of the constrained plan (``lp``) uses the same routings and the same checks.

Two input errors are refused rather than guessed around, each with the file, the row and the
rule (``CapacityError``):

- a routing row naming a work center that has no capacity rows at all (a typo or a work center
  the capacity extract does not know): its load would silently vanish;
- a month with load on a work center but no capacity row for that work center and month: its
  utilization would be undefined (zero hours is a valid row; a missing row is not).

Frames (column names as in ``frames``):

- routings: sku, work_center, hours_per_unit (optional lineage columns ``_source_file``,
  ``_source_row`` name the file and row in errors; otherwise ``routings_file`` and the CSV line)
- capacity: work_center, month, available_hours (optional: site = the plant)
- production: sku, month, units (other columns, e.g. site, are summed over)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.supply.frames import label, require_columns, source_ref, to_month

ROUTING_COLUMNS = ["sku", "work_center", "hours_per_unit"]
CAPACITY_COLUMNS = ["work_center", "month", "available_hours"]
LOAD_COLUMNS = ["work_center", "month", "load_hours", "available_hours", "utilization", "overload_hours"]


class CapacityError(ValueError):
    """Routings or capacity rows that cannot be used; the message names the file, row and rule."""


def check_routings(
    routings: pd.DataFrame,
    capacity: pd.DataFrame,
    *,
    routings_file: str = "routings",
    capacity_file: str = "work_center_capacity",
) -> None:
    """Refuse routing rows that cannot be costed in hours.

    Rules, checked row by row: hours_per_unit is a number ≥ 0; the work center has capacity rows
    in ``capacity``; a SKU × work center pair appears once.
    """
    require_columns(routings, ROUTING_COLUMNS, routings_file)
    require_columns(capacity, CAPACITY_COLUMNS, capacity_file)
    known = set(capacity["work_center"])
    hours = pd.to_numeric(routings["hours_per_unit"], errors="coerce")
    seen: set[tuple[str, str]] = set()
    for i, (sku, wc) in enumerate(zip(routings["sku"], routings["work_center"])):
        where = source_ref(routings, i, routings_file)
        if not np.isfinite(hours.iloc[i]) or hours.iloc[i] < 0:
            raise CapacityError(
                f"{where}: hours_per_unit {routings['hours_per_unit'].iloc[i]!r} for SKU {sku} "
                "is not a number ≥ 0 (rule: hours per unit must be a non-negative number)"
            )
        if wc not in known:
            raise CapacityError(
                f"{where}: SKU {sku} is routed to work center {wc!r}, which has no rows in "
                f"{capacity_file} (rule: every routing must name a known work center)"
            )
        if (sku, wc) in seen:
            raise CapacityError(f"{where}: SKU {sku} is routed to {wc} twice (rule: one row per SKU and work center)")
        seen.add((sku, wc))


def capacity_table(capacity: pd.DataFrame, *, capacity_file: str = "work_center_capacity") -> pd.DataFrame:
    """``capacity`` with months normalised, checked: one row per work center × month, hours ≥ 0."""
    require_columns(capacity, CAPACITY_COLUMNS, capacity_file)
    cap = capacity.copy()
    cap["month"] = to_month(cap["month"]).to_numpy()
    hours = pd.to_numeric(cap["available_hours"], errors="coerce")
    for i in range(len(cap)):
        if not np.isfinite(hours.iloc[i]) or hours.iloc[i] < 0:
            raise CapacityError(
                f"{source_ref(cap, i, capacity_file)}: available_hours {cap['available_hours'].iloc[i]!r} "
                f"for {cap['work_center'].iloc[i]} is not a number ≥ 0 (rule: hours must be ≥ 0)"
            )
    cap["available_hours"] = hours.astype(float)
    dup = cap.duplicated(["work_center", "month"], keep="first")
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise CapacityError(
            f"{source_ref(cap, i, capacity_file)}: {cap['work_center'].iloc[i]} has a second row for "
            f"{label(cap['month'].iloc[i])} (rule: one row per work center and month)"
        )
    return cap


def check_months_covered(
    routings: pd.DataFrame,
    capacity: pd.DataFrame,
    needed: pd.DataFrame,
    *,
    routings_file: str = "routings",
    capacity_file: str = "work_center_capacity",
) -> None:
    """Refuse a month with load but no capacity row.

    ``needed``: sku, month (the SKU may be made that month). For every routing row of such a SKU,
    its work center must have a capacity row for that month.
    """
    cap = capacity_table(capacity, capacity_file=capacity_file)
    have = set(zip(cap["work_center"], cap["month"]))
    routed = routings.reset_index(drop=True).assign(_pos=lambda d: np.arange(len(d)))
    need = needed[["sku", "month"]].drop_duplicates().assign(month=lambda d: to_month(d["month"]).to_numpy())
    pairs = routed.merge(need, on="sku", how="inner").sort_values(["month", "_pos"])
    for wc, month, pos, sku in zip(pairs["work_center"], pairs["month"], pairs["_pos"], pairs["sku"]):
        if (wc, month) not in have:
            raise CapacityError(
                f"{capacity_file}: no row for {wc} in {label(month)}, which SKU {sku} needs "
                f"({source_ref(routings, int(pos), routings_file)}) (rule: every work center with "
                "load in a month needs that month's available hours)"
            )


def rough_cut_load(
    production: pd.DataFrame,
    routings: pd.DataFrame,
    capacity: pd.DataFrame,
    *,
    routings_file: str = "routings",
    capacity_file: str = "work_center_capacity",
) -> pd.DataFrame:
    """Load against available hours per work center × month.

    In: production (sku, month, units), routings, capacity (module doc). Out: one row per work
    center × month that has load or capacity: work_center, month, load_hours (Σ units × hours per
    unit), available_hours, utilization (load / available; NaN when both are 0, inf when only the
    hours are 0), overload_hours (max(0, load − available)). SKUs without a routing add no load
    (bought-in items); pass only made items.
    """
    require_columns(production, ["sku", "month", "units"], "production")
    check_routings(routings, capacity, routings_file=routings_file, capacity_file=capacity_file)
    prod = production.assign(month=to_month(production["month"]).to_numpy())
    prod = prod[prod["units"].astype(float) != 0]
    check_months_covered(routings, capacity, prod, routings_file=routings_file, capacity_file=capacity_file)
    cap = capacity_table(capacity, capacity_file=capacity_file)
    load = prod.merge(routings[ROUTING_COLUMNS], on="sku", how="inner")
    load["load_hours"] = load["units"].astype(float) * load["hours_per_unit"].astype(float)
    load = load.groupby(["work_center", "month"], as_index=False)["load_hours"].sum()
    out = cap[["work_center", "month", "available_hours"]].merge(load, on=["work_center", "month"], how="left")
    out["load_hours"] = out["load_hours"].fillna(0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["utilization"] = out["load_hours"] / out["available_hours"]
    out["overload_hours"] = np.maximum(0.0, out["load_hours"] - out["available_hours"])
    return out[LOAD_COLUMNS].sort_values(["work_center", "month"]).reset_index(drop=True)
