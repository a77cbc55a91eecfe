"""What changed between two supply plan versions, by family × site, and the main reason why.

Two versions (last cycle's plan and this cycle's, or two scenarios) differ because their inputs
differ. ``diff_versions`` compares the plans on the months they share and puts next to each
family × site's change the three input drivers, each in units so they can be compared:

- demand change: Δ Σ demand (site demand of the plan inputs), plus the units moved between
  months with the total unchanged (``demand_moved`` = (Σ_t |Δ_t| − |Σ_t Δ_t|) / 2);
- receipts: Δ Σ scheduled receipts (``new receipts``) and, the same way, the units of receipts
  moved to another month (``moved receipts``, e.g. a supplier delay);
- capacity change: Δ regular hours of each work center the family × site is made on, turned into
  units at its share of that work center's production in version A (Δ hours × its units / all
  hours loaded on the work center; version B's production when A made nothing there).

The main cause is the driver with the largest size (|net change| + units moved; ties in the order
demand, capacity, receipts; receipts are ``new receipts`` when their net change outweighs the
moves, else ``moved receipts``); ``no change`` when the plan did not move, ``other`` when it moved but no driver did
(costs or policy changed, or another family took the shared capacity).

It is a pure function of the two plans and their inputs, so the same diff can be recomputed
for any two stored versions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.supply.frames import number, to_month

DIFF_COLUMNS = [
    "family",
    "site",
    "demand_a",
    "demand_b",
    "demand_change",
    "demand_moved",
    "receipts_change",
    "receipts_moved",
    "capacity_change_units",
    "production_a",
    "production_b",
    "production_change",
    "short_a",
    "short_b",
    "short_change",
    "closing_a",
    "closing_b",
    "closing_change",
    "main_cause",
    "explanation",
]
CAUSES = ("demand change", "capacity change", "receipts")
_TOL = 1e-6


def _by_family_site(frame: pd.DataFrame | None, families: pd.Series, months, value: str = "units") -> pd.Series:
    if frame is None or frame.empty:
        return pd.Series(dtype=float)
    f = frame.assign(month=to_month(frame["month"]).to_numpy())
    f = f[f["month"].isin(months)]
    return f.assign(family=f["sku"].map(families)).groupby(["family", "site"])[value].sum()


def _net_and_moved(a: pd.DataFrame | None, b: pd.DataFrame | None, families, months) -> tuple[pd.Series, pd.Series]:
    """Per family × site: Σ_t (b − a) and the units moved between months, (Σ_t |b − a| − |Σ_t (b − a)|) / 2."""

    def monthly(f):
        if f is None or f.empty:
            return pd.Series(dtype=float)
        f = f.assign(month=to_month(f["month"]).to_numpy())
        f = f[f["month"].isin(months)]
        return f.assign(family=f["sku"].map(families)).groupby(["family", "site", "month"])["units"].sum()

    d = monthly(b).sub(monthly(a), fill_value=0.0)
    if d.empty:
        return pd.Series(dtype=float), pd.Series(dtype=float)
    net = d.groupby(level=[0, 1]).sum()
    moved = (d.abs().groupby(level=[0, 1]).sum() - net.abs()) / 2.0
    return net, moved.clip(lower=0.0)


def _short_on_time(plan, families, months) -> pd.Series:
    inv = plan.inventory[plan.inventory["month"].isin(months)]
    late = inv["demand"] - np.maximum(0.0, inv["demand"] - inv["backlog_closing"])
    return late.groupby([inv["sku"].map(families), inv["site"]]).sum().rename_axis(["family", "site"])


def _closing_end(plan, families, last) -> pd.Series:
    inv = plan.inventory[plan.inventory["month"] == last]
    return inv.groupby([inv["sku"].map(families), inv["site"]])["closing"].sum().rename_axis(["family", "site"])


def _capacity_units(plan_a, plan_b, inputs_a, inputs_b, families, months) -> pd.Series:
    def hours(inputs):
        c = inputs.capacity.assign(month=to_month(inputs.capacity["month"]).to_numpy())
        return c[c["month"].isin(months)].groupby("work_center")["available_hours"].sum()

    delta = hours(inputs_b).sub(hours(inputs_a), fill_value=0.0)
    delta = delta[delta.abs() > _TOL]
    if delta.empty:
        return pd.Series(dtype=float)

    def made(plan, inputs):
        p = plan.production[plan.production["month"].isin(months)].merge(inputs.routings, on="sku")
        p["hours"] = p["units"] * p["hours_per_unit"]
        p["family"] = p["sku"].map(families)
        return p

    a, b = made(plan_a, inputs_a), made(plan_b, inputs_b)
    parts = []
    for wc, dh in delta.items():
        src = a[a["work_center"] == wc]
        if src["hours"].sum() <= _TOL:
            src = b[b["work_center"] == wc]
        total = src["hours"].sum()
        if total <= _TOL:
            continue
        parts.append(src.groupby(["family", "site"])["units"].sum() * dh / total)
    return pd.concat(parts).groupby(level=[0, 1]).sum() if parts else pd.Series(dtype=float)


def diff_versions(plan_a, inputs_a, plan_b, inputs_b, items: pd.DataFrame) -> pd.DataFrame:
    """Plan B against plan A by family × site over their common months, with the main cause.

    In: two ``lp.SupplyPlan`` with their ``lp.PlanInputs``; items (sku, family). Out: ``DIFF_COLUMNS``
    (every family × site in either version): demand, production, units short on time (not
    shipped in the month ordered) and closing stock in the last common month, for A, B and B − A;
    the drivers in units; main_cause and a one-line explanation.
    """
    families = items.set_index("sku")["family"]
    months = sorted(set(plan_a.inventory["month"]) & set(plan_b.inventory["month"]))
    if not months:
        raise ValueError("the two plan versions share no month")
    demand_change, demand_moved = _net_and_moved(inputs_a.demand, inputs_b.demand, families, months)
    receipts_change, receipts_moved = _net_and_moved(inputs_a.receipts, inputs_b.receipts, families, months)
    series = {
        "demand_a": _by_family_site(inputs_a.demand, families, months),
        "demand_b": _by_family_site(inputs_b.demand, families, months),
        "demand_change": demand_change,
        "demand_moved": demand_moved,
        "receipts_change": receipts_change,
        "receipts_moved": receipts_moved,
        "production_a": _by_family_site(plan_a.production, families, months),
        "production_b": _by_family_site(plan_b.production, families, months),
        "short_a": _short_on_time(plan_a, families, months),
        "short_b": _short_on_time(plan_b, families, months),
        "closing_a": _closing_end(plan_a, families, months[-1]),
        "closing_b": _closing_end(plan_b, families, months[-1]),
        "capacity_change_units": _capacity_units(plan_a, plan_b, inputs_a, inputs_b, families, months),
    }
    index = pd.MultiIndex.from_tuples(sorted({k for s in series.values() for k in s.index}), names=["family", "site"])
    out = pd.DataFrame({k: s.reindex(index, fill_value=0.0) for k, s in series.items()}).fillna(0.0)
    for k in ("production", "short", "closing"):
        out[f"{k}_change"] = out[f"{k}_b"] - out[f"{k}_a"]

    drivers = np.column_stack(
        [
            out["demand_change"].abs() + out["demand_moved"],
            out["capacity_change_units"].abs(),
            out["receipts_change"].abs() + out["receipts_moved"],
        ]
    )
    moved = out[["production_change", "short_change", "closing_change"]].abs().max(axis=1) > _TOL
    receipts = np.where(out["receipts_change"].abs() >= out["receipts_moved"], "new receipts", "moved receipts")
    cause = np.where(drivers.argmax(axis=1) == 2, receipts, np.array(CAUSES, dtype=object)[drivers.argmax(axis=1)])
    out["main_cause"] = np.where(drivers.max(axis=1) > _TOL, cause, np.where(moved, "other", "no change"))
    out["explanation"] = [_explain(f, s, r) for (f, s), r in zip(out.index, out.itertuples())]
    return out.reset_index()[DIFF_COLUMNS]


def _signed(x: float) -> str:
    return ("+" if x > 0 else "−" if x < 0 else "±") + number(abs(x))


def _explain(family: str, site: str, r) -> str:
    if r.main_cause == "no change":
        return f"{family} in {site}: no change."
    text = (
        f"{family} in {site}: production {_signed(r.production_change)}, short {_signed(r.short_change)}, "
        f"closing stock {_signed(r.closing_change)} units"
    )
    if r.main_cause == "other":
        return text + "; demand, receipts and capacity are unchanged (costs, policy or shared capacity moved it)."
    demand = f"demand {_signed(r.demand_change)}" + (
        f" ({number(r.demand_moved)} moved)" if r.demand_moved > _TOL else ""
    )
    receipts = f"receipts {_signed(r.receipts_change)}" + (
        f" ({number(r.receipts_moved)} moved)" if r.receipts_moved > _TOL else ""
    )
    return text + f"; mainly {r.main_cause} ({demand}, capacity {_signed(r.capacity_change_units)}, {receipts} units)."
