"""Market potential per account: the share of its region's market each account could bring, exact to the cent.

Territories are balanced on potential, not on past bookings alone: an account that buys little today may sit
in a large market, and a rep's book is only as good as what it can still win. The potential is estimated
top-down from the market:

1. The region's attainable market = market size of the region (the fiscal year's, all product families) ×
   the attainable share, the share of the market the company can win (``default_attainable_share``: the
   current overall share, bookings / market, when the planner gives none).
2. It is spread over the region's accounts ∝ the weight w_a = ½ · own trailing bookings + ½ · mean trailing
   bookings of the account's segment in the region. The own half says where the company already wins; the
   segment half gives an account without history the potential of accounts like it, so a new or dormant
   account still carries potential and can be balanced. Negative or missing trailing bookings (credit notes,
   no history) count as 0. A region whose weights are all 0 spreads its market in equal parts.
3. The spread is in whole cents by largest remainder (``quota.allocate_cents``: floors of the exact shares,
   the cents left to the largest fractional parts, ties in account_id order), so the accounts of a region
   add up to its attainable market to the cent.

A region of the accounts without a market row has an attainable market of 0 (its accounts' potential is 0);
a market row without accounts has nobody to carry it and is left out.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from orchestration.sales_planning.frames import require_columns
from orchestration.sales_planning.quota import allocate_cents

ACCOUNT_COLUMNS = ["account_id", "region_code", "segment", "trailing_bookings_usd"]
MARKET_COLUMNS = ["region_code", "market_size_usd"]


def _attainable_cents(market_size_usd: float, attainable_share: float) -> int:
    """market size × attainable share in whole cents, rounded half up."""
    exact = Decimal(str(float(market_size_usd))) * Decimal(str(float(attainable_share))) * 100
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def default_attainable_share(bookings_usd_total: float, market_size_usd_total: float) -> float:
    """The company's current share of its markets, bookings / market size (at most 1): the attainable share
    used when the planner gives none. Raises ValueError when there is no market or no bookings to measure."""
    bookings, market = float(bookings_usd_total), float(market_size_usd_total)
    if not math.isfinite(market) or market <= 0:
        raise ValueError(f"default_attainable_share: the market size {market!r} must be > 0")
    if not math.isfinite(bookings) or bookings <= 0:
        raise ValueError(
            f"default_attainable_share: no bookings ({bookings!r}) to measure a share from (rule: give an "
            "attainable share in (0, 1])"
        )
    return min(1.0, bookings / market)


def account_potential(accounts: pd.DataFrame, market: pd.DataFrame, attainable_share: float) -> pd.DataFrame:
    """``accounts`` (account_id, region_code, segment, trailing_bookings_usd, any other columns kept) with
    ``weight`` and ``potential_usd`` added: the region's market × ``attainable_share`` spread over its accounts
    ∝ ½ own + ½ segment-mean trailing bookings, in cents by largest remainder (method in the module doc).

    Rows keep their order. Raises ValueError for a share outside (0, 1], a duplicate account or region, or a
    market size that is not a number ≥ 0.
    """
    share = float(attainable_share)
    if not math.isfinite(share) or not 0 < share <= 1:
        raise ValueError(f"account_potential: attainable_share {attainable_share!r} must be in (0, 1]")
    require_columns(accounts, ACCOUNT_COLUMNS, "accounts")
    require_columns(market, MARKET_COLUMNS, "market")
    if accounts["account_id"].duplicated().any():
        dup = accounts.loc[accounts["account_id"].duplicated(), "account_id"].iloc[0]
        raise ValueError(f"accounts: account {dup} appears twice")
    if market["region_code"].duplicated().any():
        dup = market.loc[market["region_code"].duplicated(), "region_code"].iloc[0]
        raise ValueError(f"market: region {dup} appears twice")
    sizes = pd.to_numeric(market["market_size_usd"], errors="coerce")
    if not (np.isfinite(sizes) & (sizes >= 0)).all():
        raise ValueError("market: market_size_usd must be numbers ≥ 0")
    size_of_region = dict(zip(market["region_code"], sizes.astype(float)))

    out = accounts.copy()
    own = pd.to_numeric(out["trailing_bookings_usd"], errors="coerce").fillna(0.0).clip(lower=0.0).astype(float)
    segment = out["segment"].astype("string").fillna("")
    segment_mean = own.groupby([out["region_code"], segment]).transform("mean")
    out["weight"] = 0.5 * own + 0.5 * segment_mean
    potential_cents = pd.Series(0, index=out.index, dtype="int64")
    for region, rows in out.groupby("region_code", sort=True):
        rows = rows.sort_values("account_id", kind="stable")
        total = _attainable_cents(size_of_region.get(region, 0.0), share)
        potential_cents.loc[rows.index] = allocate_cents(total, rows["weight"].tolist())
    out["potential_usd"] = [float(Decimal(int(c)) / 100) for c in potential_cents]
    return out
