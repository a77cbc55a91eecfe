"""Trade promotions: which product families are on promotion in which region and month.

Drawn from the month's own PROMOTIONS stream, so a month's promotions can be recomputed at any
time (the month after a promotion sees a pull-forward dip). A promoted family sells more
(lift), at an extra discount, and its order lines carry the promotion code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import calendar as cal
from .geography import REGIONS
from .products import FAMILIES
from .streams import MonthStream, month_rng


@dataclass(frozen=True)
class PromotionCalendar:
    lift: np.ndarray  # [family, region] volume multiplier (1.0 = no promotion)
    discount: np.ndarray  # [family, region] extra discount off the customer price
    code: np.ndarray  # [family, region] promotion code or None

    @property
    def active(self) -> np.ndarray:
        return self.lift > 1.0


def promotions_in(seed: int, month: int) -> PromotionCalendar:
    rng = month_rng(seed, month, MonthStream.PROMOTIONS)
    shape = (len(FAMILIES), len(REGIONS))
    draw = rng.random(shape)
    lift_draw = rng.uniform(1.3, 1.8, shape)
    discount_draw = rng.uniform(0.08, 0.15, shape)
    propensity = np.array([f.promo_propensity for f in FAMILIES])[:, None]
    active = draw < propensity
    code = np.full(shape, None, dtype=object)
    for f, r in zip(*np.nonzero(active)):
        code[f, r] = f"PROMO-{cal.compact_label(month)}-{FAMILIES[f].code}-{REGIONS[r]}"
    return PromotionCalendar(np.where(active, lift_draw, 1.0), np.where(active, discount_draw, 0.0), code)
