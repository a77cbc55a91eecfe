"""The random streams of the demo company.

Every random draw comes from a stream named here. Master data (SKUs, accounts, reps, plants)
is drawn from seed-only streams over a fixed horizon; everything that happens in a month is
drawn from that month's own streams, ``default_rng([seed, month, stream])``. An entity's whole
future (an opportunity's stage path, an order's deliveries) is drawn when it is created, from
the creation month's stream. So the files of a month depend on the seed, the scale and the
months before it, never on how far the run goes.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class MasterStream(IntEnum):
    """Seed-only streams: master data drawn once for the whole horizon."""

    PRODUCTS = 1
    WORKFORCE = 2
    ACCOUNTS = 3
    PLANTS = 4
    MARKET = 5
    DEMAND = 6
    PLANNING = 7


class MonthStream(IntEnum):
    """Per-month streams: what happens in one month."""

    MARKET = 101
    PROMOTIONS = 102
    OPPORTUNITIES = 103
    QUOTAS = 104
    RUN_RATE_ORDERS = 105
    SHIPMENTS = 106
    SUPPLY = 107
    SUPPLY_OPENING = 108
    CAPACITY = 109
    BILLING = 110


def master_rng(seed: int, stream: MasterStream) -> np.random.Generator:
    # month 0 is year 0, never a simulated month, so master and month streams never collide
    return np.random.default_rng([seed, 0, int(stream)])


def month_rng(seed: int, month: int, stream: MonthStream) -> np.random.Generator:
    return np.random.default_rng([seed, month, int(stream)])
