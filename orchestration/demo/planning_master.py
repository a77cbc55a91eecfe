"""The ERP's planning master data: MRP parameters per SKU × site, and which sites serve each region.

What an ERP's material master MRP views export (procurement type, lead time, lot-sizing rule,
lot size, minimum order quantity, rounding value) and its sourcing rules. The parameters are drawn
once per seed (stream ``MasterStream.PLANNING``), so they are stable from month to month like real
master data; lot sizes are sized from each SKU's mature demand at the site:

- a SKU is *made* at the site of its work center (plants US01, DE01, JP01) when its family is
  made in house, *transferred* from that plant to every other site, and *bought* from a supplier
  everywhere when its family is bought in;
- the lead time is the SKU's replenishment lead time (1-4 months), the same one the simulated
  supply chain orders with; its standard deviation is that of the simulation's ±15% uniform
  spread (0.3 / √12 of the lead time);
- about half the pairs order lot for lot, a quarter a fixed quantity of about one month of demand,
  a quarter two or three months' requirements at a time (POQ); order multiples are pack sizes.

The shares of the sourcing rules are each site's part of the region's expected demand in the
month (APAC is served from Brisbane and Nagoya; every other region from one site).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import calendar as cal
from .company import Company
from .geography import REGIONS, SITES, TERRITORIES
from .plants import WORK_CENTERS
from .products import FAMILIES
from .streams import MasterStream, master_rng

LOT_RULE_SHARES = {"LFL": 0.5, "FOQ": 0.25, "POQ": 0.25}
#: standard deviation of a uniform(0.85, 1.15) multiple of the lead time, as a share of it
LEAD_TIME_STD_SHARE = 0.3 / np.sqrt(12.0)
PACK_SIZES = np.array([1.0, 5.0, 10.0, 25.0])


def _nice(units: np.ndarray, multiple: np.ndarray) -> np.ndarray:
    """``units`` rounded up to the pack size, at least one pack."""
    return np.maximum(multiple, np.ceil(units / multiple) * multiple)


class PlanningMaster:
    """Parameters per [sku, site], drawn once; ``item_sites`` and ``sourcing_rules`` cut a month's extract."""

    def __init__(self, company: Company):
        p = company.products
        rng = master_rng(company.seed, MasterStream.PLANNING)
        n, n_sites = p.count, len(SITES)
        site_codes = np.array([s.code for s in SITES], dtype=object)
        site_of_territory = np.array([t.site_index for t in TERRITORIES])

        d = company.demand
        per_territory = d.base_lines[:, None] * d.territory_split * p.units_per_line[:, None] * d.units_factor[None, :]
        mature = np.zeros((n, n_sites))
        for t in range(len(TERRITORIES)):
            mature[:, site_of_territory[t]] += per_territory[:, t]

        made = np.array([FAMILIES[f].made_in_house for f in p.family])
        plant = np.array([WORK_CENTERS[w].site for w in company.plants.work_center_of_sku], dtype=object)
        at_plant = plant[:, None] == site_codes[None, :]
        self.procurement = np.where(made[:, None], np.where(at_plant, "make", "transfer"), "buy").astype(object)
        self.supplying_site = np.where(self.procurement == "transfer", plant[:, None], "").astype(object)

        self.lead_time_days = np.repeat(p.lead_time_days.astype(np.int64)[:, None], n_sites, axis=1)
        self.lead_time_std_days = np.round(self.lead_time_days * LEAD_TIME_STD_SHARE, 1)

        rules = np.array(list(LOT_RULE_SHARES), dtype=object)
        self.lot_rule = rules[rng.choice(len(rules), size=(n, n_sites), p=list(LOT_RULE_SHARES.values()))]
        # pack size by how many units an order line usually carries
        pack = PACK_SIZES[np.searchsorted([3.0, 20.0, 80.0], p.units_per_line)]
        self.order_multiple = np.repeat(pack[:, None], n_sites, axis=1)
        self.lot_size = np.where(
            self.lot_rule == "FOQ", _nice(mature * rng.uniform(0.8, 1.3, (n, n_sites)), self.order_multiple), 0.0
        )
        self.poq_periods = np.where(self.lot_rule == "POQ", rng.integers(2, 4, (n, n_sites)), 0).astype(np.int64)
        has_moq = rng.random((n, n_sites)) < 0.4
        self.min_order_qty = np.where(
            has_moq, _nice(mature * rng.uniform(0.2, 0.5, (n, n_sites)), self.order_multiple), 0.0
        )
        self.company = company
        self.site_codes = site_codes
        self.site_of_territory = site_of_territory

    def item_sites(self, month: int) -> pd.DataFrame:
        """Every SKU in the item master at month end × every stocking site."""
        p = self.company.products
        sku, site = np.nonzero(p.visible(month)[:, None] & np.ones(len(SITES), dtype=bool)[None, :])
        created = cal.at_hour(p.item_created, 10)
        stamp = np.where(cal.month_of(created) == month, created, cal.month_end_time(month, 23))
        return pd.DataFrame(
            {
                "sku": p.sku[sku],
                "site_code": self.site_codes[site],
                "procurement_type": self.procurement[sku, site],
                "supplying_site_code": self.supplying_site[sku, site],
                "lead_time_days": self.lead_time_days[sku, site],
                "lead_time_std_days": self.lead_time_std_days[sku, site],
                "lot_rule": self.lot_rule[sku, site],
                "lot_size": self.lot_size[sku, site],
                "poq_periods": self.poq_periods[sku, site],
                "min_order_qty": self.min_order_qty[sku, site],
                "order_multiple": self.order_multiple[sku, site],
                "updated_at": np.asarray(stamp[sku], dtype="datetime64[s]"),
            }
        )

    def sourcing_rules(self, month: int) -> pd.DataFrame:
        """Region -> site shares of the month's expected demand, rounded to 4 places and summing to 1."""
        c = self.company
        units = (
            c.demand.expected_lines(month) * c.products.units_per_line[:, None] * c.demand.units_factor[None, :]
        ).sum(axis=0)
        rows = []
        for region in REGIONS:
            members = [t for t in TERRITORIES if t.region == region]
            by_site: dict[int, float] = {}
            for t in members:
                by_site[t.site_index] = by_site.get(t.site_index, 0.0) + float(units[t.index])
            total = sum(by_site.values())
            sites = sorted(by_site)
            shares = [round(by_site[s] / total, 4) if total > 0 else round(1 / len(sites), 4) for s in sites]
            shares[-1] = round(1.0 - sum(shares[:-1]), 4)
            rows += [(region, self.site_codes[s], share) for s, share in zip(sites, shares)]
        frame = pd.DataFrame(rows, columns=["region_code", "site_code", "demand_share"])
        frame["updated_at"] = np.datetime64(cal.month_end_time(month, 23), "s")
        return frame
