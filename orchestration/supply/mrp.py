"""Unconstrained MRP netting: planned orders per SKU × site, and what to do with the open ones.

For each SKU × site, month by month over the plan:

    projected_t = projected_{t−1} + scheduled receipts_t − gross requirements_t

and when projected_t falls below the safety stock, a planned order is due (its *need month*
is t) for the net requirement (safety stock − projected_t), sized by the item's lot rule:

- ``LFL`` (lot for lot): the net requirement;
- ``FOQ`` (fixed order quantity ``lot_size``): the smallest multiple of ``lot_size`` that covers
  the net requirement;
- ``POQ`` (period order quantity, ``periods`` = N): what keeps the projection at or above the
  safety stock through month t + N − 1, i.e. the net requirements of N months in one order;

then raised to the minimum order quantity ``moq`` and rounded up to the order ``multiple`` (in
that order, so the result honours both). The order is released ``lead_time_days`` earlier, in
months rounded up (``frames.lead_time_months``); a release month before the first plan month is
flagged ``release_past_due``: the order is already late.

"Unconstrained" means capacity is not looked at here: ``capacity.rough_cut_load`` checks the
planned orders against the work centers, ``lp`` plans within them.

Open receipts are netted at their due month (what suppliers and plants have promised; a
receipt due before the plan is past due and counts in the first month, ``projection.bucket_receipts``).
Each one also gets its *need month*: the first month the projection would drop below safety
stock without it and the receipts due after it. The messages (``receipt_messages``):

- ``past_due``: due before the first plan month and still open: chase it;
- ``reschedule_in``: needed before it is due: expediting it to the need month would cover that
  need instead of (part of) the planned order netting creates there;
- ``reschedule_out``: due before it is needed (or not needed within the horizon): it can be
  pushed out (need month empty: not needed in the horizon at all).

Frames (names as in ``frames``):

- gross: sku, site, month, units; on_hand: sku, site, on_hand;
- receipts: receipt_id, sku, site, due_date, quantity (open orders at the plan start);
- items: sku, lot_rule, lot_size, periods, moq, multiple, lead_time_days and optionally site (a
  row per SKU × site; without a site column a SKU's row applies to every site) and safety_stock.
  Empty/NaN lot_size, periods, moq, multiple count as "not set" (0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from orchestration.supply.frames import add_months, lead_time_months, require_columns, to_month
from orchestration.supply.projection import bucket_receipts, project_balance, receipts_by_month

LOT_RULES = ("LFL", "FOQ", "POQ")
ORDER_COLUMNS = [
    "sku",
    "site",
    "need_month",
    "release_month",
    "quantity",
    "net_requirement",
    "lot_rule",
    "release_past_due",
]
MESSAGE_COLUMNS = ["receipt_id", "sku", "site", "due_date", "due_month", "need_month", "units", "action"]
ITEM_COLUMNS = ["sku", "lot_rule", "lot_size", "periods", "moq", "multiple", "lead_time_days"]
_EPS = 1e-9


@dataclass
class MrpResult:
    planned_orders: pd.DataFrame  # ORDER_COLUMNS
    projection: pd.DataFrame  # projection.PAB_COLUMNS + safety_stock, with the planned orders as planned_receipts
    messages: pd.DataFrame  # MESSAGE_COLUMNS, only receipts needing action


def _ceil(x: float) -> float:
    return float(math.ceil(round(x, 9)))


def lot_size(
    net: float,
    rule: str,
    *,
    lot_size: float = 0.0,
    moq: float = 0.0,
    multiple: float = 0.0,
    horizon_net: float | None = None,
) -> float:
    """Order quantity for a net requirement ``net`` > 0 under one lot rule.

    ``horizon_net`` is the POQ quantity (net requirement of its N months), computed by the
    caller from the projection. MOQ first, then the multiple.
    """
    if rule == "LFL":
        q = net
    elif rule == "FOQ":
        if lot_size <= 0:
            raise ValueError("FOQ needs lot_size > 0")
        q = lot_size * _ceil(net / lot_size)
    elif rule == "POQ":
        q = max(net, horizon_net if horizon_net is not None else net)
    else:
        raise ValueError(f"unknown lot rule {rule!r}; one of {LOT_RULES}")
    q = max(q, moq)
    if multiple > 0:
        q = multiple * _ceil(q / multiple)
    return float(q)


def _items_by_node(items: pd.DataFrame, nodes) -> dict:
    require_columns(items, ITEM_COLUMNS, "items")
    it = items.copy()
    for c in ("lot_size", "periods", "moq", "multiple", "lead_time_days", "safety_stock"):
        if c in it.columns:
            it[c] = pd.to_numeric(it[c], errors="coerce").fillna(0.0)
    if "safety_stock" not in it.columns:
        it["safety_stock"] = 0.0
    bad = it[~it["lot_rule"].isin(LOT_RULES)]
    if not bad.empty:
        raise ValueError(
            f"items: SKU {bad['sku'].iloc[0]} has lot rule {bad['lot_rule'].iloc[0]!r}; one of {LOT_RULES}"
        )
    bad = it[(it["lot_rule"] == "POQ") & (it["periods"] < 1)]
    if not bad.empty:
        raise ValueError(f"items: SKU {bad['sku'].iloc[0]} uses POQ without periods ≥ 1")
    by_key = (
        {(r["sku"], r["site"]): r for r in it.to_dict("records")}
        if "site" in it.columns
        else {r["sku"]: r for r in it.to_dict("records")}
    )
    out = {}
    for sku, site in nodes:
        row = by_key.get((sku, site)) if "site" in it.columns else by_key.get(sku)
        if row is None:
            raise ValueError(f"items has no row for SKU {sku} at {site} (rule: every planned SKU needs lot parameters)")
        out[(sku, site)] = row
    return out


def plan_orders(
    gross: pd.DataFrame, on_hand: pd.DataFrame, receipts: pd.DataFrame | None, items: pd.DataFrame, months
) -> MrpResult:
    """Net every SKU × site and size its planned orders (module doc).

    Out: ``MrpResult`` with planned_orders (sku, site, need_month, release_month, quantity,
    net_requirement, lot_rule, release_past_due), the projection with the planned orders in
    (``projection.PAB_COLUMNS`` + safety_stock) and the receipt messages.
    """
    months = list(to_month(pd.Series(months)))
    require_columns(gross, ["sku", "site", "month", "units"], "gross requirements")
    g = gross.assign(month=to_month(gross["month"]).to_numpy()).groupby(["sku", "site", "month"])["units"].sum()
    if receipts is not None and not receipts.empty:
        bucketed = bucket_receipts(receipts, months)
        sched = receipts_by_month(bucketed).set_index(["sku", "site", "month"])["units"]
    else:
        bucketed, sched = None, pd.Series(dtype=float)
    start = on_hand.groupby(["sku", "site"])["on_hand"].sum().astype(float)
    nodes = sorted(set(start.index) | {k[:2] for k in g.index} | {k[:2] for k in sched.index})
    params = _items_by_node(items, nodes)

    # receipts − gross requirements as one row of months per node (dense, so the loop below reads arrays)
    index = pd.MultiIndex.from_tuples(nodes, names=["sku", "site"])

    def dense(series: pd.Series) -> np.ndarray:
        if series.empty:
            return np.zeros((len(nodes), len(months)))
        return series.unstack("month").reindex(index=index, columns=months).fillna(0.0).to_numpy(dtype=float)

    flows = dense(sched) - dense(g)
    release_of: dict[tuple[int, int], pd.Timestamp] = {}

    orders = []
    for i, (sku, site) in enumerate(nodes):
        p = params[(sku, site)]
        ss = float(p["safety_stock"])
        flow = flows[i]
        lead = int(lead_time_months(p["lead_time_days"]))
        projected = float(start.get((sku, site), 0.0))
        for t, m in enumerate(months):
            projected += flow[t]
            if projected >= ss - _EPS:
                continue
            net = ss - projected
            horizon_net = None
            if p["lot_rule"] == "POQ":
                n = int(p["periods"])
                ahead = projected + np.concatenate([[0.0], np.cumsum(flow[t + 1 : t + n])])
                horizon_net = ss - float(ahead.min())
            q = lot_size(
                net,
                p["lot_rule"],
                lot_size=float(p["lot_size"]),
                moq=float(p["moq"]),
                multiple=float(p["multiple"]),
                horizon_net=horizon_net,
            )
            projected += q
            if (t, lead) not in release_of:
                release_of[(t, lead)] = add_months(m, -lead)
            release = release_of[(t, lead)]
            orders.append((sku, site, m, release, q, net, p["lot_rule"], release < months[0]))

    planned = pd.DataFrame(orders, columns=ORDER_COLUMNS)
    planned["release_past_due"] = planned["release_past_due"].astype(bool)
    proj = project_balance(
        on_hand,
        gross,
        months,
        scheduled=sched.rename("units").reset_index() if len(sched) else None,
        planned=planned.rename(columns={"need_month": "month", "quantity": "units"})[["sku", "site", "month", "units"]],
    )
    proj["safety_stock"] = [float(params[(s, k)]["safety_stock"]) for s, k in zip(proj["sku"], proj["site"])]
    messages = (
        receipt_messages(receipts, gross, on_hand, months, params)
        if bucketed is not None
        else pd.DataFrame(columns=MESSAGE_COLUMNS)
    )
    return MrpResult(planned, proj, messages)


def receipt_messages(
    receipts: pd.DataFrame, gross: pd.DataFrame, on_hand: pd.DataFrame, months, params: dict | None = None
) -> pd.DataFrame:
    """past_due / reschedule_in / reschedule_out per open receipt (module doc); receipts on time are left out.

    In: receipts (receipt_id, sku, site, due_date, quantity), gross and on_hand as for
    ``plan_orders``; ``params`` maps (sku, site) to a row with safety_stock (0 when not given).
    Receipts due after the horizon are included: they can still be needed inside it.
    """
    months = list(to_month(pd.Series(months)))
    r = receipts.copy()
    r["due_date"] = pd.to_datetime(r["due_date"])
    r["due_month"] = to_month(r["due_date"]).to_numpy()
    r["units"] = r["quantity"].astype(float)
    g = gross.assign(month=to_month(gross["month"]).to_numpy()).groupby(["sku", "site", "month"])["units"].sum()
    start = on_hand.groupby(["sku", "site"])["on_hand"].sum().astype(float)
    by_node = g.unstack("month").reindex(columns=months).fillna(0.0) if len(g) else pd.DataFrame(columns=months)
    no_demand = np.zeros(len(months))
    rows = []
    for (sku, site), rs in r.sort_values(["due_date", "receipt_id"]).groupby(["sku", "site"], sort=True):
        ss = float(params[(sku, site)]["safety_stock"]) if params and (sku, site) in params else 0.0
        demand = by_node.loc[(sku, site)].to_numpy(dtype=float) if (sku, site) in by_node.index else no_demand
        counted = rs["due_month"].where(rs["due_month"] >= months[0], months[0])
        arrivals = np.array([[u if c == m else 0.0 for m in months] for c, u in zip(counted, rs["units"])])
        arrivals = arrivals.reshape(len(rs), len(months))
        for i, rec in enumerate(rs.to_dict("records")):
            # without this receipt and the ones due after it
            balance = start.get((sku, site), 0.0) + np.cumsum(arrivals[:i].sum(axis=0) - demand)
            below = np.flatnonzero(balance < ss - _EPS)
            need = months[below[0]] if below.size else pd.NaT
            if rec["due_month"] < months[0]:
                action = "past_due"
            elif pd.isna(need) or need > rec["due_month"]:
                action = "reschedule_out"
            elif need < rec["due_month"]:
                action = "reschedule_in"
            else:
                continue
            rows.append((rec["receipt_id"], sku, site, rec["due_date"], rec["due_month"], need, rec["units"], action))
    return pd.DataFrame(rows, columns=MESSAGE_COLUMNS)
