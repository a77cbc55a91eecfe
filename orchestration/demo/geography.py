"""Where the demo company sells and ships: regions, territories, currencies and sites.

Everything here is fixed (not random): eight sales territories in five regions, each selling in
one currency and served from one distribution site; three of the sites are also plants.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import identifiers

REGIONS: tuple[str, ...] = ("NAM", "LAT", "EUR", "UKI", "APAC")

CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP", "AUD", "JPY")

#: Typical USD value of one unit of each currency; fx rates wander around these levels.
USD_PER_UNIT_LEVEL: dict[str, float] = {
    "USD": 1.0,
    "EUR": 1.08,
    "GBP": 1.27,
    "AUD": 0.66,
    "JPY": 0.0068,
}


@dataclass(frozen=True)
class Site:
    code: str
    name: str
    country: str
    is_plant: bool


SITES: tuple[Site, ...] = (
    Site("US01", "Houston plant and distribution center", "US", True),
    Site("MX01", "Monterrey distribution center", "MX", False),
    Site("DE01", "Mannheim plant and distribution center", "DE", True),
    Site("UK01", "Birmingham distribution center", "GB", False),
    Site("AU01", "Brisbane distribution center", "AU", False),
    Site("JP01", "Nagoya plant and distribution center", "JP", True),
)
SITE_INDEX: dict[str, int] = {s.code: i for i, s in enumerate(SITES)}


@dataclass(frozen=True)
class Territory:
    """A sales territory. ``name`` is the territory code used across the company (NAM-E ...)."""

    index: int
    name: str
    region: str
    currency: str
    #: (ISO country code, relative weight) of the customers' countries
    countries: tuple[tuple[str, float], ...]
    #: site that ships to this territory's customers
    site: str
    #: share of the company's run-rate demand
    demand_share: float
    #: share of the customer accounts
    account_share: float
    #: share of the sales reps
    rep_share: float
    #: yearly demand growth of the territory
    growth: float
    #: naming culture of people and companies in the territory
    culture: str

    @property
    def id(self) -> str:
        return identifiers.salesforce_id(identifiers.TERRITORY, self.index + 1)

    @property
    def site_index(self) -> int:
        return SITE_INDEX[self.site]


TERRITORIES: tuple[Territory, ...] = (
    Territory(0, "NAM-E", "NAM", "USD", (("US", 0.85), ("CA", 0.15)), "US01", 0.20, 0.20, 0.20, 0.030, "en"),
    Territory(1, "NAM-W", "NAM", "USD", (("US", 0.88), ("CA", 0.12)), "US01", 0.16, 0.17, 0.18, 0.035, "en"),
    Territory(
        2,
        "LAT",
        "LAT",
        "USD",
        (("BR", 0.40), ("MX", 0.30), ("CL", 0.12), ("AR", 0.10), ("CO", 0.08)),
        "MX01",
        0.08,
        0.10,
        0.08,
        0.050,
        "latam",
    ),
    Territory(
        3, "EUR-DACH", "EUR", "EUR", (("DE", 0.70), ("AT", 0.15), ("CH", 0.15)), "DE01", 0.17, 0.14, 0.14, 0.015, "de"
    ),
    Territory(
        4,
        "EUR-SOUTH",
        "EUR",
        "EUR",
        (("FR", 0.38), ("IT", 0.32), ("ES", 0.24), ("PT", 0.06)),
        "DE01",
        0.12,
        0.12,
        0.12,
        0.020,
        "south",
    ),
    Territory(5, "UKI", "UKI", "GBP", (("GB", 0.88), ("IE", 0.12)), "UK01", 0.10, 0.10, 0.10, 0.010, "uki"),
    Territory(6, "APAC-ANZ", "APAC", "AUD", (("AU", 0.82), ("NZ", 0.18)), "AU01", 0.07, 0.07, 0.08, 0.040, "anz"),
    Territory(7, "APAC-JP", "APAC", "JPY", (("JP", 1.0),), "JP01", 0.10, 0.10, 0.10, 0.000, "jp"),
)
TERRITORY_BY_NAME: dict[str, Territory] = {t.name: t for t in TERRITORIES}


def territory_regions() -> list[str]:
    return [t.region for t in TERRITORIES]


def region_index(code: str) -> int:
    return REGIONS.index(code)
