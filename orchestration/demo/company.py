"""The demo company's master data, drawn once per seed and scale: everything that is not a
monthly event. ``build_company`` assembles products, the sales organisation, accounts and
customers, plants and the demand model; all of it is drawn over the fixed horizon
(2021-01 .. 2035-12), so none of it depends on how far a generation run goes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import calendar as cal
from .customers import AccountBook, build_account_book
from .demand import SEGMENT_UNITS, DemandModel
from .geography import REGIONS, TERRITORIES
from .plants import Plants, build_plants
from .products import FAMILIES, ProductLine, build_product_line
from .workforce import Workforce, build_workforce


@dataclass
class Company:
    seed: int
    scale: float
    products: ProductLine
    workforce: Workforce
    accounts: AccountBook
    plants: Plants
    demand: DemandModel
    #: [region, family] expected monthly revenue in USD at the start of the history
    revenue_at_epoch_usd: np.ndarray


def build_company(seed: int, scale: float) -> Company:
    products = build_product_line(seed, scale, len(TERRITORIES))
    workforce = build_workforce(seed, scale)
    accounts = build_account_book(seed, scale, workforce)

    existing = accounts.created_at < cal.first_day(cal.EPOCH_INDEX)
    units_factor = np.ones(len(TERRITORIES))
    for t in TERRITORIES:
        members = existing & (accounts.territory == t.index)
        if members.any():
            w = accounts.activity[members]
            units_factor[t.index] = float((SEGMENT_UNITS[accounts.segment[members]] * w).sum() / w.sum())
    demand = DemandModel(seed, scale, products, units_factor)

    launched = products.launch_date < cal.first_day(cal.EPOCH_INDEX)
    mature_units = demand.base_lines * products.units_per_line * float(units_factor.mean())
    plants = build_plants(seed, products, np.where(launched, mature_units, 0.0))

    lines = demand.expected_lines(cal.EPOCH_INDEX)
    discount = float(np.average(accounts.discount, weights=accounts.activity))
    revenue = (
        lines
        * (products.units_per_line * products.list_price_usd(cal.EPOCH_INDEX) * (1 - discount))[:, None]
        * units_factor[None, :]
    )
    by_region_family = np.zeros((len(REGIONS), len(FAMILIES)))
    for t in TERRITORIES:
        np.add.at(by_region_family[REGIONS.index(t.region)], products.family, revenue[:, t.index])
    return Company(seed, scale, products, workforce, accounts, plants, demand, by_region_family)
