"""The blocking checks of a stored supply plan, recomputed from its tables (not from the solver's own report).

Each function takes the stored rows of one or more cycles and returns the violating rows (empty
when the plan holds):

- ``balance_violations``: for every SKU × site × month, opening + scheduled receipts +
  production − shipped = closing, shipped = demand + backlog in − backlog out, each month's
  opening = the previous month's closing, and no negative stock, backlog or shipment;
- ``capacity_violations``: for every work center × month, the load is within regular hours +
  allowed overtime, and overtime within its cap;
- ``infeasible_solves``: cycles whose LP did not end ``Optimal``.

The tolerance is a hundredth of a unit (or hour): the tables store two decimals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TOLERANCE = 0.011


def balance_violations(plan: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``supply.supply_plan`` that break the inventory balance, with the rule they break."""
    p = plan.sort_values(["cycle_month", "sku", "site", "month"]).reset_index(drop=True)
    num = {
        c: p[c].astype(float)
        for c in (
            "opening",
            "scheduled_receipts",
            "production",
            "demand",
            "shipped",
            "backlog_opening",
            "backlog_closing",
            "closing",
        )
    }
    previous_closing = p.groupby(["cycle_month", "sku", "site"])["closing"].shift(1).astype(float)
    previous_backlog = p.groupby(["cycle_month", "sku", "site"])["backlog_closing"].shift(1).astype(float)
    rules = {
        "opening + receipts + production - shipped = closing": (
            num["opening"] + num["scheduled_receipts"] + num["production"] - num["shipped"] - num["closing"]
        ).abs()
        > TOLERANCE,
        "shipped = demand + backlog_opening - backlog_closing": (
            num["demand"] + num["backlog_opening"] - num["backlog_closing"] - num["shipped"]
        ).abs()
        > TOLERANCE,
        "opening = previous month's closing": (
            previous_closing.notna() & ((previous_closing - num["opening"]).abs() > TOLERANCE)
        ),
        "backlog_opening = previous month's backlog_closing": (
            previous_backlog.notna() & ((previous_backlog - num["backlog_opening"]).abs() > TOLERANCE)
        ),
        "no negative stock, backlog or shipment": (num["closing"] < -TOLERANCE)
        | (num["backlog_closing"] < -TOLERANCE)
        | (num["shipped"] < -TOLERANCE),
    }
    parts = [p[bad].assign(rule=rule) for rule, bad in rules.items() if bad.any()]
    return pd.concat(parts, ignore_index=True) if parts else p.head(0).assign(rule=pd.Series(dtype=str))


def capacity_violations(capacity: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``supply.capacity`` whose load exceeds regular hours + allowed overtime, or whose
    overtime exceeds its cap."""
    c = capacity.reset_index(drop=True)
    regular, load = c["regular_hours"].astype(float), c["load_hours"].astype(float)
    overtime, cap = c["overtime_hours"].astype(float), c["overtime_cap_hours"].astype(float)
    rules = {
        "load <= regular hours + allowed overtime": load > regular + cap + TOLERANCE,
        "overtime <= overtime allowed": overtime > cap + TOLERANCE,
        "load <= regular hours + overtime used": load > regular + overtime + TOLERANCE,
    }
    parts = [c[bad].assign(rule=rule) for rule, bad in rules.items() if bad.any()]
    return pd.concat(parts, ignore_index=True) if parts else c.head(0).assign(rule=pd.Series(dtype=str))


def infeasible_solves(solves: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``supply.solves`` whose status is not Optimal."""
    return solves[solves["status"].astype(str) != "Optimal"].reset_index(drop=True)


def served_plus_short(plan: pd.DataFrame) -> float:
    """Largest |shipped on time + short on time − demand| over the rows (0 for a consistent plan)."""
    on_time = np.maximum(0.0, plan["demand"].astype(float) - plan["backlog_closing"].astype(float))
    gap = on_time + plan["short_on_time"].astype(float) - plan["demand"].astype(float)
    return float(gap.abs().max()) if len(plan) else 0.0
