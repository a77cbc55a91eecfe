"""The sales-planning KPIs of the KPI dictionary, per region and for the company (``total``), per run.

- ``quota_over_assignment``: Σ the plan year's rep quotas / the bookings target (``quota_reconciliation``);
- ``cost_of_sales``: Σ total pay (base + commission + SPIF) / Σ credited bookings, fiscal year to date;
- ``reps_at_or_above_100_pct`` / ``_80_pct``: share of the reps with a quota this fiscal year whose
  year-to-date bookings reach 100 % / 80 % of their year-to-date quota (from the CRM quotas and bookings,
  whichever comp plan pays them);
- ``ramped_productivity_usd``: bookings per fully ramped rep-month over the trailing twelve months.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TOTAL = "total"
COLUMNS = [
    "region_code",
    "quota_over_assignment",
    "cost_of_sales",
    "reps_with_quota",
    "reps_at_or_above_100_pct",
    "reps_at_or_above_80_pct",
    "ramped_productivity_usd",
]


def _ratio(numerator: float, denominator: float) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def sales_kpis(
    regions: list[str],
    reconciliation: pd.DataFrame | None,
    payouts: pd.DataFrame | None,
    quotas: pd.DataFrame,
    credits: pd.DataFrame,
    rep_region: dict[str, str],
    rep_months: pd.DataFrame,
    ramp_months: int,
) -> pd.DataFrame:
    """One row per region and one for ``total``; a KPI whose input is missing (its planner file was
    refused, no comp plan) is null."""
    ytd_quota = quotas.groupby("rep_id")["quota_usd"].sum()
    ytd_bookings = credits.groupby("rep_id")["bookings_usd"].sum().reindex(ytd_quota.index, fill_value=0.0)
    attainment = pd.DataFrame({"quota": ytd_quota, "bookings": ytd_bookings})
    attainment["region_code"] = attainment.index.map(rep_region)
    attainment = attainment[attainment["quota"] > 0]
    ramped = rep_months[rep_months["months_employed"] > ramp_months]
    over = reconciliation.set_index("region_code")["over_assignment"] if reconciliation is not None else None
    rows = []
    for region in [*regions, TOTAL]:
        mine = attainment if region == TOTAL else attainment[attainment["region_code"] == region]
        ramp = ramped if region == TOTAL else ramped[ramped["region_code"] == region]
        cost = None
        if payouts is not None and len(payouts):
            paid = payouts if region == TOTAL else payouts[payouts["region_code"] == region]
            cost = _ratio(float(paid["total_pay_usd"].sum()), float(paid["bookings_usd"].sum()))
        reached = mine["bookings"] / mine["quota"]
        rows.append(
            {
                "region_code": region,
                "quota_over_assignment": None if over is None or region not in over.index else float(over[region]),
                "cost_of_sales": cost,
                "reps_with_quota": int(len(mine)),
                "reps_at_or_above_100_pct": _ratio(float((reached >= 1.0).sum()), float(len(mine))),
                "reps_at_or_above_80_pct": _ratio(float((reached >= 0.8).sum()), float(len(mine))),
                "ramped_productivity_usd": (
                    round(float(ramp["bookings_usd"].sum()) / len(ramp), 2) if len(ramp) else None
                ),
            }
        )
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.replace({np.nan: None})
