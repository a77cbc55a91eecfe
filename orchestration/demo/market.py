"""Market data: exchange rates, macro indicators and market size, month by month.

The series are autoregressive processes stepped from the start of the history with each
month's own MARKET stream, so a month's values never depend on where a run starts or stops.
Exchange rates wander around realistic levels (USD per unit, USD = 1); the PMI of each region
moves around 50 with a shared business cycle; GDP growth follows the PMI; the addressable
market of each region and product family is a multiple of the company's own sales with its own
growth, seasonality and PMI sensitivity (so the company's market share moves).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import calendar as cal
from .geography import CURRENCIES, REGIONS, USD_PER_UNIT_LEVEL
from .products import FAMILIES
from .streams import MasterStream, MonthStream, master_rng, month_rng

_FX_VOLATILITY = {"USD": 0.0, "EUR": 0.018, "GBP": 0.02, "AUD": 0.025, "JPY": 0.022}
_PMI_BIAS = {"NAM": 0.5, "LAT": -0.3, "EUR": -0.6, "UKI": -0.4, "APAC": 0.8}
_GDP_TREND = {"NAM": 2.1, "LAT": 1.9, "EUR": 1.1, "UKI": 0.9, "APAC": 3.4}
#: published rates and indicators are rounded like this (and the generator uses the rounded values)
FX_DECIMALS = 8


@dataclass(frozen=True)
class MarketMonth:
    month: int
    usd_per_unit: np.ndarray  # [currency]
    pmi: np.ndarray  # [region]
    gdp_growth: np.ndarray  # [region]
    market_size_usd: np.ndarray  # [region, family]

    def fx(self, currency: str) -> float:
        return float(self.usd_per_unit[CURRENCIES.index(currency)])


class Market:
    """Steps the market series one month at a time, from the history epoch on."""

    def __init__(self, seed: int, company_revenue_usd: np.ndarray):
        rng = master_rng(seed, MasterStream.MARKET)
        self.seed = seed
        self._fx_dev = rng.normal(0.0, 0.02, len(CURRENCIES))
        self._fx_dev[0] = 0.0
        self._cycle_phase = rng.uniform(0, 2 * np.pi)
        self._pmi_global = rng.normal(0.0, 1.5)
        self._pmi_regional = rng.normal(0.0, 1.0, len(REGIONS))
        self._multiple = rng.uniform(6.0, 16.0, (len(REGIONS), len(FAMILIES)))
        self._market_growth = rng.uniform(0.01, 0.05, (len(REGIONS), len(FAMILIES)))
        self._revenue = np.maximum(company_revenue_usd, 1.0)
        amp = np.array([f.seasonal_amplitude for f in FAMILIES]) * 0.6
        peak = np.array([f.peak_month for f in FAMILIES])
        self._season = 1.0 + amp[:, None] * np.cos(2 * np.pi * (np.arange(1, 13)[None, :] - peak[:, None]) / 12)
        self._bias = np.array([_PMI_BIAS[r] for r in REGIONS])
        self._gdp_trend = np.array([_GDP_TREND[r] for r in REGIONS])
        self._fx_vol = np.array([_FX_VOLATILITY[c] for c in CURRENCIES])
        self._fx_level = np.array([USD_PER_UNIT_LEVEL[c] for c in CURRENCIES])
        self._next = cal.EPOCH_INDEX
        self._months: dict[int, MarketMonth] = {}
        self.opening_pmi = np.round(
            50 + self._bias + self._cycle(cal.EPOCH_INDEX - 1) + self._pmi_global + self._pmi_regional, 1
        )

    def _cycle(self, month: int) -> float:
        return 2.2 * np.sin(2 * np.pi * (month - cal.EPOCH_INDEX) / 50.0 + self._cycle_phase)

    def month(self, month: int) -> MarketMonth:
        while self._next <= month:
            self._months[self._next] = self._step(self._next)
            self._months.pop(self._next - 2, None)
            self._next += 1
        return self._months[month]

    def pmi_before(self, month: int) -> np.ndarray:
        """Last month's PMI per region (demand reacts to it)."""
        return self.opening_pmi if month <= cal.EPOCH_INDEX else self.month(month - 1).pmi

    def _step(self, month: int) -> MarketMonth:
        rng = month_rng(self.seed, month, MonthStream.MARKET)
        self._fx_dev = 0.93 * self._fx_dev + rng.normal(0.0, 1.0, len(CURRENCIES)) * self._fx_vol
        fx = np.round(self._fx_level * np.exp(self._fx_dev), FX_DECIMALS)
        fx[0] = 1.0
        self._pmi_global = 0.8 * self._pmi_global + rng.normal(0.0, 0.9)
        self._pmi_regional = 0.6 * self._pmi_regional + rng.normal(0.0, 0.7, len(REGIONS))
        pmi = np.round(50 + self._bias + self._cycle(month) + self._pmi_global + self._pmi_regional, 1)
        gdp = np.round(self._gdp_trend + 0.3 * (pmi - 50) + rng.normal(0.0, 0.25, len(REGIONS)), 2)
        years = cal.years_since_epoch(month)
        size = (
            self._revenue
            * self._multiple
            * (1 + self._market_growth) ** years
            * self._season[:, cal.month_of_year(month) - 1][None, :]
            * (1 + 0.01 * (pmi - 50))[:, None]
            * rng.lognormal(0.0, 0.015, (len(REGIONS), len(FAMILIES)))
        )
        return MarketMonth(month, fx, pmi, gdp, np.round(size, 2))

    # ------------------------------------------------------------------ extracts
    def extracts(self, month: int) -> dict[str, pd.DataFrame]:
        m = self.month(month)
        first = cal.first_day(month)
        published = cal.month_end_time(month, 16)
        fx = pd.DataFrame(
            {
                "rate_month": np.full(len(CURRENCIES), first),
                "currency_code": np.array(CURRENCIES, dtype=object),
                "usd_per_unit": m.usd_per_unit,
                "published_at": np.full(len(CURRENCIES), published),
            }
        )
        codes = ("PMI", "GDP_GROWTH")
        macro = pd.DataFrame(
            {
                "period_month": np.full(2 * len(REGIONS), first),
                "region_code": np.repeat(np.array(REGIONS, dtype=object), 2),
                "indicator_code": np.array(codes * len(REGIONS), dtype=object),
                "value": np.column_stack([m.pmi, m.gdp_growth]).ravel(),
                "published_at": np.full(2 * len(REGIONS), published),
            }
        )
        n = len(REGIONS) * len(FAMILIES)
        size = pd.DataFrame(
            {
                "period_month": np.full(n, first),
                "region_code": np.repeat(np.array(REGIONS, dtype=object), len(FAMILIES)),
                "product_family": np.tile(np.array([f.name for f in FAMILIES], dtype=object), len(REGIONS)),
                "market_size_usd": m.market_size_usd.ravel(),
                "published_at": np.full(n, published),
            }
        )
        return {"market_fx_rates": fx, "market_macro_indicators": macro, "market_market_size": size}
