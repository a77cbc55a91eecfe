"""The demand model: how many order lines each SKU gets in each territory and month.

Expected run-rate order lines = base rate of the SKU (a few slow movers sell a line or two a
month: intermittent demand) x the territory's share x growth (territory and family trends)
x yearly seasonality (by family, plus regional holidays) x lifecycle (launch ramp-up, phase-out
run-down) x price-increase effects (pre-buying the month before a step, a dip after it)
x macro sensitivity (last month's regional PMI) x promotion lift (and the dip after it).
The order generator adds noise around this; the supply planner and the market-size series use
the noise-free expectation.
"""

from __future__ import annotations

import numpy as np

from . import calendar as cal
from .geography import REGIONS, TERRITORIES
from .products import FAMILIES, ProductLine
from .promotions import PromotionCalendar
from .streams import MasterStream, master_rng

#: run-rate order lines per month at the start of the history, at scale 1
LINES_PER_MONTH_AT_EPOCH = 11_500.0
MEAN_LINES_PER_ORDER = 2.6
#: units on a line relative to the SKU's typical units, per customer segment
SEGMENT_UNITS = np.array([2.2, 1.2, 0.7])

#: (territory or region, month of year) -> demand factor (holidays, summer breaks)
_CALENDAR_FACTOR: dict[tuple[str, int], float] = {
    ("EUR", 8): 0.72,
    ("UKI", 8): 0.90,
    ("APAC-JP", 8): 0.90,
    ("APAC-JP", 5): 0.93,
    ("APAC-ANZ", 1): 0.82,
    ("LAT", 2): 0.90,
    ("NAM", 7): 0.95,
    ("NAM", 11): 0.95,
}
_DECEMBER_FACTOR = 0.88
_POST_PROMOTION_DIP = 0.88


class DemandModel:
    def __init__(self, seed: int, scale: float, products: ProductLine, units_factor: np.ndarray):
        """``units_factor``: [territory] mean units multiplier of the territory's customers
        (big customers order more per line)."""
        rng = master_rng(seed, MasterStream.DEMAND)
        self.products = products
        self.units_factor = units_factor
        self.site_of_territory = np.array([t.site_index for t in TERRITORIES])
        at_epoch = products.launch_date < cal.first_day(cal.EPOCH_INDEX)
        regular = ~products.intermittent
        total_weight = products.demand_weight[regular & at_epoch].sum()
        rate = LINES_PER_MONTH_AT_EPOCH * scale * products.demand_weight / total_weight
        slow = rng.uniform(0.4, 2.0, products.count)
        self.base_lines = np.where(regular, rate, slow)
        share = np.array([t.demand_share for t in TERRITORIES])[None, :] * products.territory_affinity
        self.territory_split = share / share.sum(axis=1, keepdims=True)
        self.territory_growth = np.array([t.growth for t in TERRITORIES])
        self.family_growth = np.array([f.growth for f in FAMILIES])
        self.region_of_territory = np.array([REGIONS.index(t.region) for t in TERRITORIES])
        self._family = products.family
        self._macro_beta = np.array([f.macro_beta for f in FAMILIES])[products.family]
        amp = np.array([f.seasonal_amplitude for f in FAMILIES])
        peak = np.array([f.peak_month for f in FAMILIES])
        moy = np.arange(1, 13)
        self._family_season = 1.0 + amp[:, None] * np.cos(2 * np.pi * (moy[None, :] - peak[:, None]) / 12)

    def calendar_factor(self, month: int) -> np.ndarray:
        """[territory] holiday and summer-break factor."""
        moy = cal.month_of_year(month)
        out = np.ones(len(TERRITORIES))
        for t in TERRITORIES:
            out[t.index] = _CALENDAR_FACTOR.get((t.name, moy), _CALENDAR_FACTOR.get((t.region, moy), 1.0))
            if moy == 12:
                out[t.index] *= _DECEMBER_FACTOR
        return out

    def expected_lines(
        self,
        month: int,
        pmi_last_month: np.ndarray | None = None,
        promotions: PromotionCalendar | None = None,
        promotions_last_month: PromotionCalendar | None = None,
    ) -> np.ndarray:
        """[sku, territory] expected run-rate order lines in ``month``.

        Without PMI and promotions this is the planner's noise-free baseline."""
        years = cal.years_since_epoch(month)
        growth = (1 + self.territory_growth)[None, :] ** years * (1 + self.family_growth[self._family])[
            :, None
        ] ** years
        season = (
            self._family_season[self._family, cal.month_of_year(month) - 1][:, None]
            * self.calendar_factor(month)[None, :]
        )
        lines = self.base_lines[:, None] * self.territory_split * growth * season
        lines *= self.products.lifecycle_factor(month)[:, None]
        lines *= self._price_effect(month)[:, None]
        if pmi_last_month is not None:
            pmi = pmi_last_month[self.region_of_territory]
            lines *= np.clip(1.0 + 0.015 * self._macro_beta[:, None] * (pmi[None, :] - 50.0), 0.5, 1.5)
        if promotions is not None:
            lines *= promotions.lift[self._family][:, self.region_of_territory]
        if promotions_last_month is not None:
            lines *= np.where(
                promotions_last_month.active[self._family][:, self.region_of_territory], _POST_PROMOTION_DIP, 1.0
            )
        return lines

    def _price_effect(self, month: int) -> np.ndarray:
        """Customers buy ahead of an announced list-price step and hold back after it."""
        products = self.products
        ahead = products.family_price_step(month + 1)
        now = products.family_price_step(month)
        before = products.family_price_step(month - 1) if month > cal.EPOCH_INDEX else np.zeros(len(FAMILIES))
        factor = (1 + 2.5 * ahead) * (1 - 1.5 * now) * (1 - 0.7 * before)
        return factor[self._family]

    def expected_units_by_site(self, month: int, n_sites: int) -> np.ndarray:
        """[sku, site] noise-free expected units shipped from each site in ``month``."""
        units = self.expected_lines(month) * self.products.units_per_line[:, None] * self.units_factor[None, :]
        out = np.zeros((self.products.count, n_sites))
        for t in range(len(TERRITORIES)):
            out[:, self.site_of_territory[t]] += units[:, t]
        return out
