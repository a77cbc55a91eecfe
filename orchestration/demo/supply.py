"""The supply side: inventory per SKU and site, open purchase and work orders, capacity.

Each site stocks the SKUs it ships. At every month end the stock is moved by what arrived
(scheduled receipts due in the month; a few get pushed out) and what shipped (never below
zero), then a simple planner replenishes: forecast = half smoothed shipments, half the demand
model's expectation; when stock plus open supply falls below lead time plus a safety month,
it opens a work order (SKUs made at their own plant) or a purchase order (bought-in parts and
transfers to the distribution centers), due after the SKU's lead time (1-4 months). Phase-out
and obsolete SKUs are not replenished, so their stock runs down or stays as excess.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import calendar as cal
from .company import Company
from .geography import SITES
from .plants import WORK_CENTERS
from .products import FAMILIES
from .streams import MonthStream, month_rng

SMOOTHING = 0.3
SAFETY_MONTHS = 1.5
ORDER_UP_TO_EXTRA_MONTHS = 2.5
RESCHEDULE_SHARE = 0.06
#: months after the extract month that the capacity plan covers (the S&OP horizon)
CAPACITY_PLAN_MONTHS = 18


@dataclass
class SupplyMonth:
    inventory_snapshots: pd.DataFrame
    scheduled_receipts: pd.DataFrame
    work_center_capacity: pd.DataFrame
    routings: pd.DataFrame


class SupplyChain:
    def __init__(self, company: Company, start_month: int):
        self.company = company
        self.start_month = start_month
        products = company.products
        plant_site = np.array(
            [
                next(i for i, s in enumerate(SITES) if s.code == WORK_CENTERS[w].site)
                for w in company.plants.work_center_of_sku
            ]
        )
        made = np.array([FAMILIES[f].made_in_house for f in products.family])
        site = np.arange(len(SITES))[None, :]
        #: [sku, site] True where receipts are work orders
        self._work_order = made[:, None] & (plant_site[:, None] == site)
        self._lead_months = np.ceil(products.lead_time_days / 30.4)
        self.on_hand: np.ndarray | None = None
        self.smoothed: np.ndarray | None = None
        self.open = _empty_receipts()

    def _expected(self, month: int) -> np.ndarray:
        return self.company.demand.expected_units_by_site(month, len(SITES))

    def _open_stock(self, month: int) -> None:
        """Opening position at the first generated month: two to three months of stock and
        one open receipt per SKU and site."""
        rng = month_rng(self.company.seed, month, MonthStream.SUPPLY_OPENING)
        expected = self._expected(month)
        self.on_hand = np.rint(expected * rng.uniform(1.5, 3.0, expected.shape))
        self.smoothed = expected.copy()
        sku, site = np.nonzero(expected > 0.5)
        lead = self.company.products.lead_time_days[sku]
        due = cal.first_day(month) + (rng.uniform(0.1, 1.0, sku.size) * lead).astype("timedelta64[D]")
        qty = np.maximum(1.0, np.rint(expected[sku, site] * rng.uniform(0.8, 1.5, sku.size)))
        self.open = self._new_receipts(month - 1, sku, site, due, qty)

    def _new_receipts(self, month: int, sku, site, due, qty) -> pd.DataFrame:
        order = np.lexsort((site, sku))
        sku, site, due, qty = sku[order], site[order], due[order], qty[order]
        kind = np.where(self._work_order[sku, site], "WO", "PO").astype(object)
        label = cal.compact_label(month)
        ids = np.array([f"{k}{label}{i + 1:05d}" for i, k in enumerate(kind)], dtype=object)
        return pd.DataFrame(
            {
                "receipt_id": ids,
                "receipt_type": kind,
                "sku": sku.astype(np.int64),
                "site": site.astype(np.int64),
                "due_date": due.astype("datetime64[D]"),
                "quantity": qty.astype(float),
            }
        )

    def month(self, month: int, shipped_units: np.ndarray) -> SupplyMonth:
        c = self.company
        products = c.products
        if self.on_hand is None:
            self._open_stock(month)
        rng = month_rng(c.seed, month, MonthStream.SUPPLY)
        last = cal.last_day(month)

        # suppliers and plants push a few receipts due this month into the next
        due_now = self.open["due_date"].to_numpy() <= last
        pushed = due_now & (rng.random(len(self.open)) < RESCHEDULE_SHARE)
        if pushed.any():
            due = self.open["due_date"].to_numpy().copy()
            due[pushed] = last + rng.integers(10, 31, pushed.sum()).astype("timedelta64[D]")
            self.open = self.open.assign(due_date=due)
            due_now &= ~pushed
        arrived = self.open[due_now]
        np.add.at(self.on_hand, (arrived["sku"].to_numpy(), arrived["site"].to_numpy()), arrived["quantity"].to_numpy())
        self.open = self.open[~due_now].reset_index(drop=True)
        self.on_hand = np.maximum(0.0, self.on_hand - shipped_units)
        self.smoothed = SMOOTHING * shipped_units + (1 - SMOOTHING) * self.smoothed

        # replenishment
        status = products.lifecycle_status(month)
        horizon = self._expected(month + 1)
        ahead = np.stack([self._expected(month + k) for k in (2, 3, 4)]).max(axis=0)
        forecast = np.where((status == "active")[:, None], 0.5 * self.smoothed + 0.5 * horizon, 0.0)
        launching = (
            (status == "planned")
            & products.visible(month)
            & (products.launch_date <= last + (self._lead_months * 30.4).astype("timedelta64[D]"))
        )
        forecast = np.where(launching[:, None], ahead, forecast)
        lead = self._lead_months[:, None]
        open_qty = np.zeros_like(self.on_hand)
        np.add.at(
            open_qty, (self.open["sku"].to_numpy(), self.open["site"].to_numpy()), self.open["quantity"].to_numpy()
        )
        position = self.on_hand + open_qty
        reorder = forecast * (lead + SAFETY_MONTHS)
        target = forecast * (lead + ORDER_UP_TO_EXTRA_MONTHS)
        need = (position < reorder) & (forecast > 0.05)
        sku, site = np.nonzero(need)
        lot = np.maximum(1.0, np.rint(forecast[sku, site] * 0.5))
        qty = np.ceil((target[sku, site] - position[sku, site]) / lot) * lot
        days = products.lead_time_days[sku] * rng.uniform(0.85, 1.15, sku.size)
        due = last + np.rint(days).astype(np.int64).astype("timedelta64[D]")
        self.open = pd.concat([self.open, self._new_receipts(month, sku, site, due, qty)], ignore_index=True)

        return SupplyMonth(
            self._inventory_rows(month, status),
            self._receipt_rows(month),
            self._capacity_rows(month),
            self._routing_rows(month),
        )

    # ------------------------------------------------------------------ extracts
    def _inventory_rows(self, month: int, status: np.ndarray) -> pd.DataFrame:
        products = self.company.products
        visible = products.visible(month)
        keep = visible[:, None] & ~((status == "obsolete")[:, None] & (self.on_hand <= 0))
        sku, site = np.nonzero(keep)
        cost = products.standard_cost_usd(month)
        n = sku.size
        return pd.DataFrame(
            {
                "snapshot_date": np.full(n, cal.last_day(month)),
                "sku": products.sku[sku],
                "site_code": np.array([s.code for s in SITES], dtype=object)[site],
                "on_hand_qty": self.on_hand[sku, site],
                "standard_cost_usd": cost[sku],
                "updated_at": np.full(n, cal.month_end_time(month, 23)),
            }
        )

    def _receipt_rows(self, month: int) -> pd.DataFrame:
        o = self.open.sort_values("receipt_id", kind="stable")
        n = len(o)
        return pd.DataFrame(
            {
                "receipt_id": o["receipt_id"].to_numpy(dtype=object),
                "receipt_type": o["receipt_type"].to_numpy(dtype=object),
                "sku": self.company.products.sku[o["sku"].to_numpy(dtype=np.int64)],
                "site_code": np.array([s.code for s in SITES], dtype=object)[o["site"].to_numpy(dtype=np.int64)],
                "due_date": o["due_date"].to_numpy(dtype="datetime64[D]"),
                "quantity": o["quantity"].to_numpy(dtype=float),
                "snapshot_date": np.full(n, cal.last_day(month)),
                "updated_at": np.full(n, cal.month_end_time(month, 23)),
            }
        )

    def _capacity_rows(self, month: int) -> pd.DataFrame:
        """The capacity plan at month end: this month's available hours (with the month's own
        absences and breakdowns) and the planned hours of the next ``CAPACITY_PLAN_MONTHS``
        (shift calendar, holidays and investments, no noise yet)."""
        rng = month_rng(self.company.seed, month, MonthStream.CAPACITY)
        noise = 1.0 + rng.normal(0.0, 0.015, len(WORK_CENTERS))
        n = len(WORK_CENTERS)
        frames = []
        for ahead in range(min(CAPACITY_PLAN_MONTHS, cal.HORIZON_INDEX - month) + 1):
            m = month + ahead
            hours = self.company.plants.available_hours(m, noise if ahead == 0 else np.ones(n))
            frames.append(
                pd.DataFrame(
                    {
                        "work_center_id": np.array([w.id for w in WORK_CENTERS], dtype=object),
                        "work_center_name": np.array([w.name for w in WORK_CENTERS], dtype=object),
                        "site_code": np.array([w.site for w in WORK_CENTERS], dtype=object),
                        "capacity_month": np.full(n, cal.first_day(m)),
                        "available_hours": hours,
                        "updated_at": np.full(n, cal.month_end_time(month, 20)),
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def _routing_rows(self, month: int) -> pd.DataFrame:
        products, plants = self.company.products, self.company.plants
        sku = np.flatnonzero(products.visible(month))
        created = cal.at_hour(products.item_created[sku], 9)
        in_month = cal.month_of(created) == month
        return pd.DataFrame(
            {
                "sku": products.sku[sku],
                "work_center_id": np.array([WORK_CENTERS[w].id for w in plants.work_center_of_sku[sku]], dtype=object),
                "hours_per_unit": plants.hours_per_unit[sku],
                "updated_at": np.where(in_month, created, cal.month_end_time(month, 23)),
            }
        )


def _empty_receipts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "receipt_id": np.empty(0, object),
            "receipt_type": np.empty(0, object),
            "sku": np.empty(0, np.int64),
            "site": np.empty(0, np.int64),
            "due_date": np.empty(0, "datetime64[D]"),
            "quantity": np.empty(0, float),
        }
    )
