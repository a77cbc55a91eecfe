"""Projected available balance (PAB) per SKU × site × month, and the inputs it is made of.

PAB_t = PAB_{t−1} + scheduled receipts_t + planned receipts_t − demand_t, with PAB_0 the on-hand
of the latest inventory snapshot. Every term is kept as its own column (opening, demand,
scheduled_receipts, planned_receipts, closing) so that a planner can trace any month's number
back to the snapshot, the open orders and the forecast. A negative closing balance is a
projected stock-out: the balance is not clipped, because how far below zero it goes is the
quantity missing.

The small functions before ``project_balance`` turn the extracts into its inputs:

- ``latest_on_hand``: the opening stock from the inventory snapshots;
- ``bucket_receipts``: open purchase and work orders into plan months (past-due ones into the
  first month, flagged);
- ``consensus_to_demand`` and ``site_demand``: the consensus forecast (SKU × region, from
  ``forecast.consensus_demand``) into demand per SKU × stocking site.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.supply.frames import label, require_columns, to_month

PAB_COLUMNS = ["sku", "site", "month", "opening", "demand", "scheduled_receipts", "planned_receipts", "closing"]
RECEIPT_COLUMNS = ["receipt_id", "sku", "site", "due_date", "due_month", "month", "units", "past_due"]


def latest_on_hand(snapshots: pd.DataFrame, as_of) -> pd.DataFrame:
    """Opening stock: the latest inventory snapshot taken on or before ``as_of``.

    In: snapshot_date, sku, site, on_hand (``frames.from_erp`` of erp_inventory_snapshots). Out:
    sku, site, on_hand, snapshot_date. The whole latest snapshot is used, not each pair's latest
    row: a snapshot is a full copy, so a pair missing from it has no stock (an older row for it
    would be stale).
    """
    require_columns(snapshots, ["snapshot_date", "sku", "site", "on_hand"], "inventory snapshots")
    dates = pd.to_datetime(snapshots["snapshot_date"])
    eligible = snapshots[dates <= pd.Timestamp(as_of)]
    if eligible.empty:
        raise ValueError(f"no inventory snapshot on or before {pd.Timestamp(as_of):%Y-%m-%d}")
    latest = pd.to_datetime(eligible["snapshot_date"]).max()
    rows = eligible[pd.to_datetime(eligible["snapshot_date"]) == latest]
    out = rows.groupby(["sku", "site"], as_index=False)["on_hand"].sum()
    out["on_hand"] = out["on_hand"].astype(float)
    out["snapshot_date"] = latest
    return out.sort_values(["sku", "site"]).reset_index(drop=True)


def bucket_receipts(receipts: pd.DataFrame, months) -> pd.DataFrame:
    """Open receipts in plan months.

    In: receipt_id, sku, site, due_date, quantity (``frames.from_erp`` of erp_scheduled_receipts of
    the snapshot the plan starts from). Out, one row per receipt: receipt_id, sku, site, due_date,
    due_month, month (the plan month it counts in), units, past_due. A receipt due before the first
    plan month is still open, so it is expected but late: it counts in the first month and is
    flagged ``past_due``. Receipts due after the last plan month are left out.
    """
    require_columns(receipts, ["receipt_id", "sku", "site", "due_date", "quantity"], "scheduled receipts")
    months = list(to_month(pd.Series(months)))
    r = receipts.copy()
    r["due_date"] = pd.to_datetime(r["due_date"])
    r["due_month"] = to_month(r["due_date"]).to_numpy()
    r["past_due"] = r["due_month"] < months[0]
    r["month"] = r["due_month"].where(~r["past_due"], months[0])
    r["units"] = r["quantity"].astype(float)
    r = r[r["month"] <= months[-1]]
    return r[RECEIPT_COLUMNS].sort_values(["sku", "site", "due_date", "receipt_id"]).reset_index(drop=True)


def receipts_by_month(bucketed: pd.DataFrame) -> pd.DataFrame:
    """sku, site, month, units: ``bucket_receipts`` rows summed per plan month."""
    return bucketed.groupby(["sku", "site", "month"], as_index=False)["units"].sum()


def consensus_to_demand(consensus: pd.DataFrame, cycle_month=None) -> pd.DataFrame:
    """sku, region, month, units from ``forecast.consensus_demand`` rows.

    Keeps the sku_region level (the bottom of the hierarchy, so nothing is counted twice) of
    ``cycle_month`` (or of the only cycle present).
    """
    require_columns(
        consensus,
        ["cycle_month", "level", "sku", "region_code", "forecast_month", "consensus_units"],
        "consensus demand",
    )
    c = consensus[consensus["level"] == "sku_region"]
    cycles = pd.to_datetime(c["cycle_month"]).unique()
    if cycle_month is None:
        if len(cycles) != 1:
            raise ValueError(f"consensus demand holds {len(cycles)} cycles; say which one")
        cycle_month = cycles[0]
    c = c[pd.to_datetime(c["cycle_month"]) == pd.Timestamp(cycle_month)]
    return pd.DataFrame(
        {
            "sku": c["sku"].to_numpy(),
            "region": c["region_code"].to_numpy(),
            "month": to_month(c["forecast_month"]).to_numpy(),
            "units": c["consensus_units"].astype(float).to_numpy(),
        }
    )


def site_demand(demand: pd.DataFrame, region_sites: pd.DataFrame) -> pd.DataFrame:
    """Demand per stocking site: each region's units split over the sites that serve it.

    In: demand (sku, region, month, units); region_sites (region, site, share) with the shares of
    a region summing to 1 (APAC is served from two sites in the demo company; most regions from
    one, share 1). Out: sku, site, month, units (summed when two regions share a site).
    """
    require_columns(demand, ["sku", "region", "month", "units"], "demand")
    require_columns(region_sites, ["region", "site", "share"], "region_sites")
    total = region_sites.groupby("region")["share"].sum()
    off = total[(total - 1.0).abs() > 1e-9]
    if not off.empty:
        raise ValueError(
            f"region_sites: shares of region {off.index[0]} sum to {off.iloc[0]:g} (rule: they must sum to 1)"
        )
    unknown = sorted(set(demand["region"]) - set(total.index))
    if unknown:
        raise ValueError(f"region_sites has no site for region(s) {unknown} (rule: every demand region needs a site)")
    d = demand.merge(region_sites, on="region")
    d["units"] = d["units"].astype(float) * d["share"].astype(float)
    d["month"] = to_month(d["month"]).to_numpy()
    return d.groupby(["sku", "site", "month"], as_index=False)["units"].sum()


def project_balance(
    opening: pd.DataFrame,
    demand: pd.DataFrame,
    months,
    scheduled: pd.DataFrame | None = None,
    planned: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """PAB per SKU × site × plan month.

    In: opening (sku, site, on_hand); demand, scheduled and planned receipts (each sku, site,
    month, units; ``receipts_by_month`` for the scheduled ones, ``mrp`` planned orders by need
    month for the planned ones); ``months``, the consecutive plan months. Rows outside the plan
    months are refused. Out: every SKU × site found in any input × every month, columns
    ``PAB_COLUMNS``; closing = opening + scheduled_receipts + planned_receipts − demand and the
    next month's opening is this month's closing.
    """
    months = list(to_month(pd.Series(months)))
    if months != list(pd.date_range(months[0], periods=len(months), freq="MS")):
        raise ValueError("plan months must be consecutive")
    require_columns(opening, ["sku", "site", "on_hand"], "opening")
    keys = ["sku", "site", "month"]
    flows = {}
    for name, frame in (("demand", demand), ("scheduled_receipts", scheduled), ("planned_receipts", planned)):
        if frame is None or frame.empty:
            continue
        require_columns(frame, ["sku", "site", "month", "units"], name)
        f = frame.assign(month=to_month(frame["month"]).to_numpy())
        outside = ~f["month"].isin(months)
        if outside.any():
            raise ValueError(f"{name} has rows in {label(f['month'][outside].iloc[0])}, outside the plan months")
        flows[name] = f.groupby(keys)["units"].sum()
    pairs = set(zip(opening["sku"], opening["site"]))
    for s in flows.values():
        pairs |= {k[:2] for k in s.index}
    index = pd.MultiIndex.from_tuples([(s, k, m) for s, k in sorted(pairs) for m in months], names=keys)
    out = pd.DataFrame(index=index)
    for name in ("demand", "scheduled_receipts", "planned_receipts"):
        out[name] = flows[name].reindex(index, fill_value=0.0).astype(float) if name in flows else 0.0
    start = opening.groupby(["sku", "site"])["on_hand"].sum().astype(float)
    net = out["scheduled_receipts"] + out["planned_receipts"] - out["demand"]
    start_per_row = start.reindex(
        pd.MultiIndex.from_arrays([index.get_level_values(0), index.get_level_values(1)]), fill_value=0.0
    ).to_numpy()
    out["closing"] = start_per_row + net.groupby(level=[0, 1]).cumsum().to_numpy()
    out["opening"] = out["closing"] - net
    return out.reset_index()[PAB_COLUMNS]


def months_of_supply(closing: np.ndarray, mean_monthly_demand: np.ndarray) -> np.ndarray:
    """closing / mean monthly demand (inf when there is stock and no demand, NaN when neither)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(closing, dtype=float) / np.asarray(mean_monthly_demand, dtype=float)
