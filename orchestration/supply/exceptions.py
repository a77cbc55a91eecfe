"""Supply exceptions with plain-language reasons, built from the plan and the solver's output.

A planner reads a list of exceptions, not an LP. Each function below finds one kind and writes
one sentence per exception saying what, where, when, how much and, where the solver knows it,
why and what would fix it:

- ``stock_outs``: demand the constrained plan (``lp``) cannot ship in its month. The sentence
  names the SKU, site, units short and month, the binding work center and the run of months it
  is at 100% of its regular hours, the shadow price of its capacity row (what one more hour
  would save) and the levers with their cost: overtime in a full month with overtime headroom
  (premium + holding from that month to the shortage), or pre-building in the latest earlier
  month with enough spare regular hours (holding). The levers are ones the optimiser
  declined because they cost more than the backlog penalty; the sentence shows that price so a
  planner can decide otherwise.
- ``below_safety_stock``: closing stock under the safety stock (and no backlog).
- ``excess_stock`` (exception ``excess``): more than N months of supply (policy ``excess_months``).
- ``capacity_overload``: a work center loaded above its regular hours.
- ``late_supply`` (exceptions ``late_supply`` and ``past_due_supply``): open receipts needed
  before they are due, receipts already past due, and planned orders whose release date has
  already passed (``mrp``).
- ``end_of_life_stock``: stock left when a SKU reaches its end-of-life date.

Every function returns ``EXCEPTION_COLUMNS``: exception, sku, site, work_center, month, units
(the quantity the sentence is about), value ($ of it, when priced), message; ``all_exceptions``
concatenates them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.supply.frames import DAYS_PER_MONTH, label, money, months_between, number, to_month

EXCEPTION_COLUMNS = ["exception", "sku", "site", "work_center", "month", "units", "value", "message"]
STOCK_OUT_COLUMNS = [
    *EXCEPTION_COLUMNS,
    "full_from",
    "shadow_price",
    "overtime_month",
    "overtime_hours",
    "overtime_cost",
    "prebuild_month",
    "prebuild_units",
    "prebuild_cost",
]
_TOL = 1e-6


def _frame(rows, columns=EXCEPTION_COLUMNS) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------- stock-outs (from the LP)
def _full_from(hours_wc: pd.DataFrame, month) -> pd.Timestamp | None:
    """First month of the run of consecutive full months (load ≥ regular hours) ending at ``month``."""
    full = hours_wc.set_index("month")["load_hours"] >= hours_wc.set_index("month")["regular_hours"] - _TOL
    if not full.get(month, False):
        return None
    start = month
    for m in sorted((m for m in full.index if m < month), reverse=True):
        if not full[m] or months_between(m, start) != 1:
            break
        start = m
    return start


def stock_outs(plan, inputs) -> pd.DataFrame:
    """One row per SKU × site × month with new backlog in ``plan`` (``lp.SupplyPlan`` of ``inputs``).

    Out: ``STOCK_OUT_COLUMNS``: the exception columns (units = new units short that month,
    value = their backlog cost for the month) and the facts of the sentence: full_from,
    shadow_price (of the capacity row, d objective / d hour), the overtime lever (month, hours,
    cost) and the pre-build lever (month, units, cost), NaN/NaT when not available.
    """
    inv = plan.inventory
    new = inv.assign(units=inv["backlog_closing"] - inv["backlog_opening"])
    new = new[new["units"] > _TOL]
    routes = inputs.routings.groupby("sku")
    costs = inputs.sku_costs.set_index("sku")
    hours = plan.hours
    duals = {(r.work_center, r.month): r.shadow_price for r in plan.binding.itertuples() if r.kind == "capacity"}
    premium = float(inputs.overtime_premium)
    rows = []
    for r in new.itertuples():
        sku, site, month, units = r.sku, r.site, r.month, float(r.units)
        hold = float(costs.at[sku, "holding_cost"])
        head = f"SKU {sku} in {site} is {number(units)} units short in {label(month)}"
        value = units * float(costs.at[sku, "backlog_cost"])
        facts = dict(
            full_from=pd.NaT,
            shadow_price=np.nan,
            overtime_month=pd.NaT,
            overtime_hours=np.nan,
            overtime_cost=np.nan,
            prebuild_month=pd.NaT,
            prebuild_units=np.nan,
            prebuild_cost=np.nan,
        )
        if sku not in routes.groups:
            msg = (
                f"{head}: it is not made on any work center, so only {number(units)} units of extra or earlier "
                f"receipts by {label(month)} close it."
            )
            rows.append(("stock_out", sku, site, None, month, units, value, msg, *facts.values()))
            continue
        route = routes.get_group(sku)
        wc, hpu = min(zip(route["work_center"], route["hours_per_unit"]), key=lambda x: duals.get((x[0], month), 0.0))
        h_wc = hours[hours["work_center"] == wc].sort_values("month")
        start = _full_from(h_wc, month)
        if start is None:
            msg = (
                f"{head}: no work center it uses is full that month; the shortage comes from supply timing, "
                f"{number(units)} units of earlier receipts close it."
            )
            rows.append(("stock_out", sku, site, wc, month, units, value, msg, *facts.values()))
            continue
        need_h = units * float(hpu)
        worth = -duals.get((wc, month), 0.0)
        facts.update(full_from=start, shadow_price=duals.get((wc, month), 0.0))
        levers = []
        full_months = h_wc[(h_wc["month"] >= start) & (h_wc["month"] <= month)].sort_values("month", ascending=False)
        for o in full_months.itertuples():
            if o.overtime_cap_hours - o.overtime_hours >= need_h - _TOL:
                cost = need_h * premium + units * hold * months_between(o.month, month)
                facts.update(overtime_month=o.month, overtime_hours=need_h, overtime_cost=cost)
                levers.append(f"{number(need_h)} h of overtime in {label(o.month)} ({money(cost)})")
                break
        earlier = h_wc[h_wc["month"] < start].sort_values("month", ascending=False)
        for o in earlier.itertuples():
            if o.regular_hours - o.load_hours >= need_h - _TOL:
                cost = units * hold * months_between(o.month, month)
                facts.update(prebuild_month=o.month, prebuild_units=units, prebuild_cost=cost)
                levers.append(f"pre-building {number(units)} units in {label(o.month)} ({money(cost)} of holding)")
                break
        full = f"is full from {label(start)} to {label(month)}" if start != month else f"is full in {label(month)}"
        why = f"{wc} {full} (one more hour is worth {money(worth)})"
        if levers:
            msg = f"{head}: {why}; {' or '.join(levers)} closes it."
        else:
            msg = (
                f"{head}: {why}; neither overtime within its cap nor spare hours before {label(start)} close it: "
                f"it needs {number(need_h)} more hours on {wc}."
            )
        rows.append(("stock_out", sku, site, wc, month, units, value, msg, *facts.values()))
    return _frame(rows, STOCK_OUT_COLUMNS)


# ---------------------------------------------------------------- stock levels
def below_safety_stock(inventory: pd.DataFrame, safety: pd.DataFrame) -> pd.DataFrame:
    """Runs of months whose closing stock is under the safety stock while nothing is backlogged.

    One exception per run of consecutive months (a planner acts once on a SKU that stays low, not
    once a month): month = the first month of the run, units = the largest shortfall in it.

    In: inventory (sku, site, month, closing; backlog_closing optional, e.g. ``SupplyPlan.inventory``
    or a ``projection`` PAB), safety (sku, site, safety_stock). units = safety stock − closing.
    """
    inv = inventory.merge(safety[["sku", "site", "safety_stock"]], on=["sku", "site"], how="inner")
    backlog = inv["backlog_closing"] if "backlog_closing" in inv.columns else 0.0
    hit = inv[(inv["closing"] < inv["safety_stock"] - _TOL) & (inv["closing"] >= 0) & (backlog <= _TOL)].copy()
    if hit.empty:
        return _frame([])
    hit["month"] = to_month(hit["month"]).to_numpy()
    hit = hit.sort_values(["sku", "site", "month"])
    hit["under"] = hit["safety_stock"] - hit["closing"]
    index = hit["month"].dt.year * 12 + hit["month"].dt.month
    new_run = (hit["sku"] != hit["sku"].shift()) | (hit["site"] != hit["site"].shift()) | (index.diff() != 1)
    rows = []
    for _, run in hit.groupby(new_run.cumsum(), sort=False):
        r, last, worst = run.iloc[0], run["month"].iloc[-1], run.loc[run["under"].idxmax()]
        text = (
            f"SKU {r.sku} in {r.site} ends {label(r.month)} with {number(r.closing)} units, below its safety stock "
            f"of {number(r.safety_stock)} ({number(r.under)} under)"
        )
        if len(run) > 1:
            text += (
                f", and stays below it through {label(last)} ({len(run)} months; at worst {number(worst.under)} "
                f"under in {label(worst.month)})"
            )
        rows.append(("below_safety_stock", r.sku, r.site, None, r.month, float(run["under"].max()), np.nan, text + "."))
    return _frame(rows)


def excess_stock(inventory: pd.DataFrame, unit_costs: pd.DataFrame, *, max_months: float) -> pd.DataFrame:
    """The first month each SKU × site holds more than ``max_months`` months of supply.

    Months of supply = closing / average monthly demand of the SKU × site over the plan (days of
    supply = closing / average daily demand, a month being ``DAYS_PER_MONTH`` days); stock with no
    demand at all is infinite supply. In: inventory (sku, site, month, demand, closing),
    unit_costs (sku, unit_cost). units = stock above ``max_months`` of supply, value = at cost.
    """
    inv = inventory.sort_values(["sku", "site", "month"])
    mean = inv.groupby(["sku", "site"])["demand"].transform("mean")
    with np.errstate(divide="ignore", invalid="ignore"):
        mos = np.where(mean > 0, inv["closing"] / mean, np.where(inv["closing"] > _TOL, np.inf, 0.0))
    inv = inv.assign(mean_demand=mean, months_of_supply=mos).merge(
        unit_costs[["sku", "unit_cost"]], on="sku", how="left"
    )
    hit = inv[inv["months_of_supply"] > max_months + _TOL].groupby(["sku", "site"], as_index=False).first()
    rows = []
    for r in hit.itertuples():
        above = r.closing - max_months * r.mean_demand
        value = above * r.unit_cost if pd.notna(r.unit_cost) else np.nan
        days = r.months_of_supply * DAYS_PER_MONTH
        supply = (
            f"{r.months_of_supply:.1f} months ({days:.0f} days) of supply"
            if np.isfinite(r.months_of_supply)
            else "stock with no demand in the plan"
        )
        rows.append(
            (
                "excess",
                r.sku,
                r.site,
                None,
                r.month,
                above,
                value,
                f"SKU {r.sku} in {r.site} holds {number(r.closing)} units at the end of {label(r.month)}, {supply} "
                f"against a policy of {max_months:g}: {number(above)} units"
                + (f" ({money(value)} at cost)" if pd.notna(value) else "")
                + " above it.",
            )
        )
    return _frame(rows)


# ---------------------------------------------------------------- capacity and supply timing
def capacity_overload(hours: pd.DataFrame, *, overtime_premium: float | None = None) -> pd.DataFrame:
    """Work-center months loaded above their regular hours.

    In: ``SupplyPlan.hours`` (work_center, month, regular_hours, load_hours, overtime_hours,
    overtime_cost) or ``capacity.rough_cut_load`` (work_center, month, available_hours,
    load_hours). units = hours above the regular hours, value = their overtime cost (LP plan).
    """
    h = hours.rename(columns={"available_hours": "regular_hours"})
    hit = h[h["load_hours"] > h["regular_hours"] + _TOL]
    rows = []
    for r in hit.itertuples():
        over = r.load_hours - r.regular_hours
        pct = f"{r.load_hours / r.regular_hours:.0%}" if r.regular_hours > 0 else "no regular hours"
        cost = getattr(r, "overtime_cost", np.nan)
        if pd.isna(cost) and overtime_premium is not None:
            cost = over * overtime_premium
        text = (
            f"{r.work_center} is loaded to {pct} of its regular hours in {label(r.month)}: "
            f"{number(over)} h above {number(r.regular_hours)} h"
        )
        text += f" (overtime {money(cost)})." if pd.notna(cost) else "."
        rows.append(("capacity_overload", None, None, r.work_center, r.month, over, cost, text))
    return _frame(rows)


def late_supply(messages: pd.DataFrame, planned_orders: pd.DataFrame | None = None) -> pd.DataFrame:
    """Past-due and needed-earlier receipts, and planned orders released too late (``mrp``).

    In: ``MrpResult.messages`` (receipt_id, sku, site, due_date, due_month, need_month, units,
    action) and ``MrpResult.planned_orders``. Reschedule-out messages are not exceptions (early
    supply is excess, not lateness) and are left out.
    """
    rows = []
    for r in messages.itertuples():
        if r.action == "past_due":
            rows.append(
                (
                    "past_due_supply",
                    r.sku,
                    r.site,
                    None,
                    r.need_month if pd.notna(r.need_month) else r.due_month,
                    r.units,
                    np.nan,
                    f"{r.receipt_id} for SKU {r.sku} at {r.site} ({number(r.units)} units) was due "
                    f"{pd.Timestamp(r.due_date):%Y-%m-%d} and is still open: it is past due.",
                )
            )
        elif r.action == "reschedule_in":
            k = months_between(r.need_month, r.due_month)
            rows.append(
                (
                    "late_supply",
                    r.sku,
                    r.site,
                    None,
                    r.need_month,
                    r.units,
                    np.nan,
                    f"{r.receipt_id} for SKU {r.sku} at {r.site} ({number(r.units)} units) is due in "
                    f"{label(r.due_month)} but needed in {label(r.need_month)}: pull it in by {k} "
                    f"month{'s' if k != 1 else ''}.",
                )
            )
    if planned_orders is not None:
        # one exception per SKU × site: the planner expedites the SKU once, not order by order
        late = planned_orders[planned_orders["release_past_due"].astype(bool)].sort_values(
            ["sku", "site", "need_month"]
        )
        for (sku, site), orders in late.groupby(["sku", "site"], sort=False):
            o = orders.iloc[0]
            if len(orders) == 1:
                text = (
                    f"The planned order for SKU {sku} at {site} ({number(o.quantity)} units, needed in "
                    f"{label(o.need_month)}) should have been released in {label(o.release_month)}: it is late."
                )
            else:
                text = (
                    f"{len(orders)} planned orders for SKU {sku} at {site} ({number(orders['quantity'].sum())} units, "
                    f"needed {label(o.need_month)} to {label(orders['need_month'].iloc[-1])}) should have been "
                    f"released before the plan starts, the first in {label(o.release_month)}: they are late."
                )
            rows.append(("late_supply", sku, site, None, o.need_month, float(orders["quantity"].sum()), np.nan, text))
    return _frame(rows)


def end_of_life_stock(inventory: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Stock left at a SKU's end of life within the plan.

    In: inventory (sku, site, month, closing), items (sku, eol_date, unit_cost). The stock counted is
    the closing stock of the month before the end-of-life month (what is left when it can no
    longer be sold) or of the EOL month itself when the date is its last day; when the date falls
    before the first plan month, the first month's closing.
    """
    it = items.dropna(subset=["eol_date"]).assign(eol_date=lambda d: pd.to_datetime(d["eol_date"]))
    inv = inventory.sort_values(["sku", "site", "month"]).merge(it[["sku", "eol_date", "unit_cost"]], on="sku")
    rows = []
    last_month = inventory["month"].max()
    for (sku, site), g in inv.groupby(["sku", "site"], sort=True):
        eol = g["eol_date"].iloc[0]
        eol_month = to_month([eol]).iloc[0]
        if eol_month > last_month:
            continue
        ends_month = eol == (eol_month + pd.offsets.MonthEnd(0))
        counted = g[g["month"] <= (eol_month if ends_month else eol_month - pd.offsets.MonthBegin(1))]
        row = counted.iloc[-1] if not counted.empty else g.iloc[0]
        if row["closing"] <= _TOL:
            continue
        value = row["closing"] * row["unit_cost"]
        rows.append(
            (
                "end_of_life_stock",
                sku,
                site,
                None,
                row["month"],
                row["closing"],
                value,
                f"SKU {sku} in {site} reaches end of life on {eol:%Y-%m-%d} with {number(row['closing'])} units "
                f"left ({money(value)} at cost).",
            )
        )
    return _frame(rows)


def all_exceptions(*frames: pd.DataFrame) -> pd.DataFrame:
    """The exception frames stacked (stock-out levers dropped), ordered by month, kind, SKU, site."""
    parts = [f[EXCEPTION_COLUMNS] for f in frames if f is not None and not f.empty]
    if not parts:
        return _frame([])
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["month", "exception", "sku", "site", "work_center"], na_position="last").reset_index(
        drop=True
    )
