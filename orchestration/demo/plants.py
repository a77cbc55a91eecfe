"""The plants: work centers, the routing of each SKU, and the hours they have each month.

Ten work centers in the three plants (US01, DE01, JP01). Each SKU is made (or, for bought-in
parts, kitted and inspected) on one work center of its family; its hours per unit follow its
standard cost. Available hours are sized so that the plants run at about 80% in 2021 and are
expanded most Januaries roughly in line with demand (some years not, so some work centers get
tight); August (Europe, Japan) and December months have fewer hours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import calendar as cal
from .products import FAMILIES, ProductLine
from .streams import MasterStream, master_rng


@dataclass(frozen=True)
class WorkCenter:
    id: str
    name: str
    site: str


WORK_CENTERS: tuple[WorkCenter, ...] = (
    WorkCenter("WC-US01-MACH", "Houston Machining", "US01"),
    WorkCenter("WC-US01-ASSY", "Houston Pump and Valve Assembly", "US01"),
    WorkCenter("WC-US01-HEAVY", "Houston Heavy Assembly", "US01"),
    WorkCenter("WC-US01-PACK", "Houston Kitting and Pack", "US01"),
    WorkCenter("WC-DE01-MACH", "Mannheim Machining", "DE01"),
    WorkCenter("WC-DE01-ASSY", "Mannheim Assembly", "DE01"),
    WorkCenter("WC-DE01-WELD", "Mannheim Welding and Fabrication", "DE01"),
    WorkCenter("WC-JP01-ELEC", "Nagoya Electronics", "JP01"),
    WorkCenter("WC-JP01-MTR", "Nagoya Motor Winding", "JP01"),
    WorkCenter("WC-JP01-ASSY", "Nagoya Assembly", "JP01"),
)
_WC = {w.id: i for i, w in enumerate(WORK_CENTERS)}

#: family code -> work centers that can make it
FAMILY_WORK_CENTERS: dict[str, tuple[str, ...]] = {
    "PMP": ("WC-US01-ASSY", "WC-DE01-ASSY"),
    "VLV": ("WC-US01-MACH", "WC-DE01-MACH", "WC-US01-ASSY"),
    "CMP": ("WC-US01-HEAVY", "WC-DE01-WELD"),
    "MTR": ("WC-JP01-MTR", "WC-US01-HEAVY"),
    "GBX": ("WC-DE01-MACH", "WC-US01-HEAVY"),
    "BRG": ("WC-US01-PACK",),
    "SEL": ("WC-US01-PACK", "WC-DE01-ASSY"),
    "FLT": ("WC-US01-PACK", "WC-JP01-ASSY"),
    "HEX": ("WC-DE01-WELD", "WC-US01-HEAVY"),
    "ACT": ("WC-DE01-ASSY", "WC-JP01-ASSY"),
    "SNS": ("WC-JP01-ELEC",),
    "CTL": ("WC-JP01-ELEC", "WC-JP01-ASSY"),
}

#: labour cost of one work-center hour, used to turn standard cost into hours per unit
HOURLY_RATE_USD = 70.0
#: run-rate load / available hours at the epoch; won deals add roughly a tenth on top
TARGET_UTILISATION_AT_EPOCH = 0.74
#: average territory growth the plants plan for on top of the families' own growth
MARKET_GROWTH = 0.025

#: (site, month of year) -> share of normal hours (summer shutdowns, year-end holidays)
_HOLIDAY_FACTOR = {
    ("DE01", 8): 0.70,
    ("US01", 7): 0.95,
    ("JP01", 8): 0.85,
    ("JP01", 5): 0.90,
    ("DE01", 12): 0.78,
    ("US01", 12): 0.85,
    ("JP01", 12): 0.85,
    ("JP01", 1): 0.92,
}


@dataclass
class Plants:
    work_center_of_sku: np.ndarray  # [sku] index into WORK_CENTERS
    hours_per_unit: np.ndarray  # [sku]
    yearly_investment: np.ndarray  # [work center, horizon month] cumulative capacity factor
    base_hours: np.ndarray  # [work center] hours in a 21-working-day month at the epoch

    def plant_site_of_sku(self) -> np.ndarray:
        return np.array([WORK_CENTERS[w].site for w in self.work_center_of_sku], dtype=object)

    def available_hours(self, month: int, noise: np.ndarray) -> np.ndarray:
        r = cal.horizon_position(month)
        moy = cal.month_of_year(month)
        holiday = np.array([_HOLIDAY_FACTOR.get((w.site, moy), 1.0) for w in WORK_CENTERS])
        days = cal.working_days(month) / 21.0
        return np.round(self.base_hours * self.yearly_investment[:, r] * holiday * days * noise, 1)


def build_plants(seed: int, products: ProductLine, expected_units_at_epoch: np.ndarray) -> Plants:
    """Routings and capacity; ``expected_units_at_epoch`` is each SKU's mature monthly demand
    in units at the start of the history (sizes the work centers)."""
    rng = master_rng(seed, MasterStream.PLANTS)
    n = products.count
    wc = np.empty(n, dtype=int)
    for s in range(n):
        options = FAMILY_WORK_CENTERS[FAMILIES[products.family[s]].code]
        wc[s] = _WC[options[rng.integers(len(options))]]
    labour_share = rng.uniform(0.15, 0.30, n)
    hours = np.maximum(0.001, np.round(products.base_cost_usd * labour_share / HOURLY_RATE_USD, 4))

    load = np.bincount(wc, weights=expected_units_at_epoch * hours, minlength=len(WORK_CENTERS))
    floor = np.maximum(load.max() * 0.05, 40.0)
    base = np.maximum(load, floor) / TARGET_UTILISATION_AT_EPOCH

    # each January most work centers invest in line with the growth of what they make
    family_growth = np.array([FAMILIES[f].growth for f in products.family])
    weighted = np.bincount(wc, weights=expected_units_at_epoch * hours * family_growth, minlength=len(WORK_CENTERS))
    growth = np.where(load > 0, weighted / np.maximum(load, 1e-9), 0.03) + MARKET_GROWTH
    steps = np.zeros((len(WORK_CENTERS), cal.HORIZON_MONTHS))
    for r in range(cal.HORIZON_MONTHS):
        if cal.month_of_year(cal.EPOCH_INDEX + r) == 1 and r > 0:
            invests = rng.random(len(WORK_CENTERS)) < 0.85
            steps[:, r] = np.where(
                invests, np.maximum(0.0, growth / 0.85 + rng.uniform(-0.025, 0.015, len(WORK_CENTERS))), 0.0
            )
    return Plants(wc, hours, np.cumprod(1.0 + steps, axis=1), base)
