"""The product line: twelve families of industrial equipment, their SKUs and price lists.

Drawn once per seed and scale from the PRODUCTS master stream over the fixed horizon
(2021-01 .. 2035-12): most SKUs were launched before the history starts, some launch during
it (often as the successor of an older SKU, which then runs out), a few are discontinued
without successor. List prices step up once or twice a year for some families, standard
costs are rolled every January.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import calendar as cal
from .streams import MasterStream, master_rng


@dataclass(frozen=True)
class ProductFamily:
    code: str
    name: str
    uom: str
    #: typical list price in USD at the start of the history
    list_price_usd: float
    #: typical units on one order line
    units_per_line: float
    #: relative number of SKUs in the family
    sku_share: float
    #: yearly seasonality: amplitude and peak month (1..12)
    seasonal_amplitude: float
    peak_month: int
    #: yearly growth of the family's demand
    growth: float
    #: how strongly demand follows the region's PMI
    macro_beta: float
    #: monthly probability of a promotion per region
    promo_propensity: float
    #: months (1..12) in which the family's list prices step up
    price_step_months: tuple[int, ...]
    #: made in our plants (work orders) or bought in (purchase orders)
    made_in_house: bool
    item_types: tuple[str, ...]
    item_sizes: tuple[str, ...]


FAMILIES: tuple[ProductFamily, ...] = (
    ProductFamily(
        "PMP",
        "Pumps",
        "EA",
        2400,
        2.0,
        20,
        0.18,
        6,
        0.04,
        1.0,
        0.0,
        (1,),
        True,
        ("Centrifugal Pump", "End-Suction Pump", "Multistage Pump", "Submersible Pump", "Diaphragm Pump", "Gear Pump"),
        ("25mm", "40mm", "50mm", "65mm", "80mm", "100mm"),
    ),
    ProductFamily(
        "VLV",
        "Valves",
        "EA",
        420,
        8.0,
        26,
        0.08,
        4,
        0.03,
        1.2,
        0.06,
        (1, 7),
        True,
        ("Ball Valve", "Gate Valve", "Butterfly Valve", "Globe Valve", "Check Valve", "Control Valve"),
        ("DN15", "DN25", "DN50", "DN80", "DN100", "DN150"),
    ),
    ProductFamily(
        "CMP",
        "Compressors",
        "EA",
        16000,
        1.0,
        10,
        0.12,
        9,
        0.02,
        1.5,
        0.0,
        (1,),
        True,
        ("Rotary Screw Compressor", "Reciprocating Compressor", "Oil-Free Compressor", "Scroll Compressor"),
        ("15kW", "22kW", "37kW", "55kW", "75kW", "110kW"),
    ),
    ProductFamily(
        "MTR",
        "Motors",
        "EA",
        2800,
        2.0,
        16,
        0.06,
        3,
        0.03,
        1.3,
        0.05,
        (4,),
        True,
        ("IE3 Motor", "IE4 Motor", "Explosion-Proof Motor", "Servo Motor"),
        ("0.75kW", "2.2kW", "5.5kW", "11kW", "22kW", "45kW"),
    ),
    ProductFamily(
        "GBX",
        "Gearboxes",
        "EA",
        4200,
        1.5,
        12,
        0.10,
        10,
        0.01,
        1.4,
        0.0,
        (1,),
        True,
        ("Helical Gearbox", "Worm Gearbox", "Planetary Gearbox", "Bevel Gearbox"),
        ("5:1", "10:1", "20:1", "40:1", "60:1"),
    ),
    ProductFamily(
        "BRG",
        "Bearings",
        "EA",
        85,
        24.0,
        24,
        0.05,
        2,
        0.02,
        0.9,
        0.12,
        (1, 7),
        False,
        ("Deep Groove Ball Bearing", "Tapered Roller Bearing", "Spherical Roller Bearing", "Pillow Block Bearing"),
        ("6204", "6306", "22210", "32008", "UCP205", "NU210"),
    ),
    ProductFamily(
        "SEL",
        "Seals",
        "SET",
        38,
        40.0,
        22,
        0.10,
        11,
        0.03,
        0.6,
        0.12,
        (1, 7),
        False,
        ("Mechanical Seal Kit", "O-Ring Set", "Lip Seal Set", "Gasket Set"),
        ("Type A", "Type B", "25mm", "40mm", "60mm"),
    ),
    ProductFamily(
        "FLT",
        "Filters",
        "EA",
        62,
        30.0,
        20,
        0.25,
        1,
        0.05,
        0.4,
        0.15,
        (1,),
        True,
        ("Cartridge Filter", "Bag Filter", "Strainer Basket", "Coalescing Filter Element"),
        ("10um", "25um", "50um", "100um", "Size 1", "Size 2"),
    ),
    ProductFamily(
        "HEX",
        "Heat Exchangers",
        "EA",
        14000,
        1.0,
        8,
        0.22,
        5,
        0.05,
        1.2,
        0.0,
        (1,),
        True,
        ("Plate Heat Exchanger", "Shell and Tube Heat Exchanger", "Brazed Plate Heat Exchanger"),
        ("50kW", "120kW", "250kW", "500kW", "1MW"),
    ),
    ProductFamily(
        "ACT",
        "Actuators",
        "EA",
        1300,
        4.0,
        14,
        0.07,
        9,
        0.06,
        1.0,
        0.05,
        (1,),
        True,
        ("Pneumatic Actuator", "Electric Actuator", "Hydraulic Actuator"),
        ("Size 05", "Size 10", "Size 20", "Size 40"),
    ),
    ProductFamily(
        "SNS",
        "Sensors",
        "EA",
        320,
        10.0,
        16,
        0.04,
        10,
        0.10,
        0.7,
        0.10,
        (),
        True,
        ("Pressure Transmitter", "Flow Meter", "Temperature Sensor", "Level Sensor", "Vibration Sensor"),
        ("4-20mA", "HART", "Modbus", "IO-Link"),
    ),
    ProductFamily(
        "CTL",
        "Controls",
        "EA",
        2200,
        2.0,
        12,
        0.09,
        12,
        0.09,
        0.8,
        0.05,
        (),
        True,
        ("Pump Controller", "Variable Frequency Drive", "Valve Positioner", "Control Panel"),
        ("Basic", "Pro", "3-phase", "Compact"),
    ),
)

#: SKUs at scale 1 that exist by the end of 2026 (before 2021 or launched since).
SKUS_AT_SCALE_1 = 200
MIN_SKUS = 24
#: new SKUs per year after 2026 at scale 1 (so runs past 2026 keep a live portfolio)
FUTURE_LAUNCHES_PER_YEAR = 7.0
PHASE_OUT_DAYS = 180
_HISTORY_LAUNCH_FROM = np.datetime64("2021-02-01")
_HISTORY_LAUNCH_TO = np.datetime64("2026-08-31")
_FUTURE_LAUNCH_TO = np.datetime64("2035-06-30")


def _nice_price(price: np.ndarray) -> np.ndarray:
    return np.where(
        price >= 1000, np.round(price, -1), np.where(price >= 100, np.round(price), np.round(price * 20) / 20)
    )


@dataclass
class ProductLine:
    """All SKUs, as arrays indexed by SKU position (sorted by SKU code)."""

    sku: np.ndarray  # str
    description: np.ndarray  # str
    family: np.ndarray  # int index into FAMILIES
    uom: np.ndarray  # str
    base_list_usd: np.ndarray  # list price at the epoch
    base_cost_usd: np.ndarray  # standard cost at the epoch
    launch_date: np.ndarray  # datetime64[D]
    eol_date: np.ndarray  # datetime64[D], NaT when not discontinued
    item_created: np.ndarray  # datetime64[D]: when the item entered the item master
    demand_weight: np.ndarray  # relative run-rate demand of a mature SKU
    intermittent: np.ndarray  # bool: a slow mover with many zero months
    units_per_line: np.ndarray  # typical units on one order line
    ramp_months: np.ndarray  # months from launch to full demand
    lead_time_days: np.ndarray  # replenishment lead time
    territory_affinity: np.ndarray  # [sku, territory] relative preference
    price_index: np.ndarray  # [family, horizon month] cumulative list-price factor
    price_step: np.ndarray  # [family, horizon month] step applied that month (0 = none)
    cost_index: np.ndarray  # [family, horizon month] cumulative standard-cost factor

    @property
    def count(self) -> int:
        return len(self.sku)

    def list_price_usd(self, month: int) -> np.ndarray:
        """List price in force during ``month`` (steps take effect on the 1st)."""
        r = cal.horizon_position(month)
        return np.round(self.base_list_usd * self.price_index[self.family, r], 2)

    def standard_cost_usd(self, month: int) -> np.ndarray:
        r = cal.horizon_position(month)
        return np.round(self.base_cost_usd * self.cost_index[self.family, r], 2)

    def family_price_step(self, month: int) -> np.ndarray:
        """Per family: the relative list-price step taking effect in ``month`` (0 if none)."""
        r = cal.horizon_position(month)
        if r < 0 or r >= self.price_step.shape[1]:
            return np.zeros(len(FAMILIES))
        return self.price_step[:, r]

    def visible(self, month: int) -> np.ndarray:
        """Items in the item master at the end of ``month``."""
        return self.item_created <= cal.last_day(month)

    def lifecycle_status(self, month: int) -> np.ndarray:
        end = cal.last_day(month)
        status = np.full(self.count, "active", dtype=object)
        has_eol = ~np.isnat(self.eol_date)
        phase_out = has_eol & (self.eol_date - np.timedelta64(PHASE_OUT_DAYS, "D") <= end)
        status[phase_out] = "phase-out"
        status[has_eol & (self.eol_date <= end)] = "obsolete"
        status[self.launch_date > end] = "planned"
        return status

    def sellable_on(self, dates: np.ndarray | np.datetime64) -> np.ndarray:
        """[sku] bool for one date: launched and not yet discontinued."""
        date = np.datetime64(dates, "D")
        return (self.launch_date <= date) & (np.isnat(self.eol_date) | (self.eol_date > date))

    def lifecycle_factor(self, month: int) -> np.ndarray:
        """Demand multiplier of each SKU in ``month``: 0 before launch, ramping up over
        ``ramp_months``, running down over the phase-out window, 0 from end of life on."""
        first, last = cal.first_day(month), cal.last_day(month)
        age_days = (last - self.launch_date).astype(np.int64)
        ramp = np.clip(age_days / (self.ramp_months * 30.4), 0.0, 1.0) ** 0.7
        ramp[self.launch_date > first] = 0.0
        has_eol = ~np.isnat(self.eol_date)
        days_left = np.where(has_eol, (self.eol_date - first).astype("timedelta64[D]").astype(np.int64), 10**6)
        rundown = np.clip(0.1 + 0.9 * days_left / PHASE_OUT_DAYS, 0.0, 1.0)
        rundown[has_eol & (self.eol_date <= last)] = 0.0
        return ramp * rundown


def build_product_line(seed: int, scale: float, n_territories: int) -> ProductLine:
    rng = master_rng(seed, MasterStream.PRODUCTS)
    n_fam = len(FAMILIES)
    n_core = max(MIN_SKUS, int(round(SKUS_AT_SCALE_1 * scale)))
    n_future = int(round(FUTURE_LAUNCHES_PER_YEAR * scale * 9.2))
    n = n_core + n_future

    shares = np.array([f.sku_share for f in FAMILIES], dtype=float)
    family = np.concatenate(
        [
            np.repeat(np.arange(n_fam), 2)[: min(n, 2 * n_fam)],
            rng.choice(n_fam, size=max(0, n - 2 * n_fam), p=shares / shares.sum()),
        ]
    )
    rng.shuffle(family[:n_core])

    # launch dates: most before the history, a fifth during it, the future ones after 2026
    launch = np.empty(n, dtype="datetime64[D]")
    in_history = rng.random(n_core) < 0.2
    # keep at least one pre-history SKU per family so every family sells from day one
    for f in range(n_fam):
        members = np.flatnonzero(family[:n_core] == f)
        if members.size and in_history[members].all():
            in_history[members[0]] = False
    old_span = (np.datetime64("2020-12-31") - np.datetime64("2008-01-01")).astype(int)
    launch[:n_core] = np.datetime64("2008-01-01") + rng.integers(0, old_span, n_core).astype("timedelta64[D]")
    hist_span = (_HISTORY_LAUNCH_TO - _HISTORY_LAUNCH_FROM).astype(int)
    launch[:n_core][in_history] = _HISTORY_LAUNCH_FROM + rng.integers(0, hist_span, in_history.sum()).astype(
        "timedelta64[D]"
    )
    fut_from = _HISTORY_LAUNCH_TO + np.timedelta64(1, "D")
    fut_span = (_FUTURE_LAUNCH_TO - fut_from).astype(int)
    launch[n_core:] = fut_from + rng.integers(0, fut_span, n_future).astype("timedelta64[D]")

    intermittent = rng.random(n) < 0.15
    weight = rng.lognormal(0.0, 1.1, n)
    eol = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")

    # successors: a new SKU often replaces an older one of its family, which then runs out
    order = np.argsort(launch, kind="stable")
    for s in order:
        if launch[s] <= np.datetime64("2021-01-01") or rng.random() >= 0.65:
            continue
        candidates = np.flatnonzero(
            (family == family[s]) & np.isnat(eol) & (launch < launch[s] - np.timedelta64(365, "D"))
        )
        if candidates.size == 0:
            continue
        pred = candidates[rng.integers(candidates.size)]
        eol[pred] = launch[s] + np.timedelta64(int(rng.integers(120, 270)), "D")
        weight[s] = weight[pred] * rng.uniform(0.9, 1.3)
        intermittent[s] = intermittent[pred]
    # a few discontinuations without successor
    old = np.flatnonzero((launch < np.datetime64("2021-01-01")) & np.isnat(eol))
    # only from families with plenty of pre-history SKUs, so no family runs dry
    old = old[np.bincount(family[old], minlength=n_fam)[family[old]] >= 4]
    if old.size > 2 * n_fam:
        dropped = rng.choice(old, size=max(1, int(round(0.04 * n_core))), replace=False)
        span = (np.datetime64("2026-10-31") - np.datetime64("2022-01-01")).astype(int)
        eol[dropped] = np.datetime64("2022-01-01") + rng.integers(0, span, dropped.size).astype("timedelta64[D]")
    created = np.where(
        launch < np.datetime64("2021-01-01"),
        launch - np.timedelta64(60, "D"),
        launch - rng.integers(90, 240, n).astype("timedelta64[D]"),
    )

    fam_price = np.array([FAMILIES[f].list_price_usd for f in family])
    list_usd = _nice_price(fam_price * rng.lognormal(0.0, 0.5, n))
    cost_usd = np.round(list_usd * rng.uniform(0.42, 0.62, n), 2)
    units = np.array([FAMILIES[f].units_per_line for f in family]) * rng.lognormal(0.0, 0.35, n)
    lead = np.where([FAMILIES[f].made_in_house for f in family], rng.integers(30, 80, n), rng.integers(45, 120, n))
    affinity = rng.lognormal(0.0, 0.35, (n, n_territories))

    # descriptions and codes, numbered within the family in launch order
    numbers = np.zeros(n, dtype=int)
    for f in range(n_fam):
        members = np.flatnonzero(family == f)
        members = members[np.argsort(launch[members], kind="stable")]
        numbers[members] = 1001 + np.arange(members.size)
    sku = np.array([f"{FAMILIES[f].code}-{k}" for f, k in zip(family, numbers)], dtype=object)
    description = []
    for i, f in enumerate(family):
        fam = FAMILIES[f]
        text = (
            f"{fam.item_types[rng.integers(len(fam.item_types))]} {fam.item_sizes[rng.integers(len(fam.item_sizes))]}"
        )
        if launch[i] > np.datetime64("2021-01-01"):
            text += " G2"
        description.append(text)

    price_step, price_index, cost_index = _price_and_cost_indices(rng)

    by_code = np.argsort(sku, kind="stable")
    return ProductLine(
        sku=sku[by_code],
        description=np.array(description, dtype=object)[by_code],
        family=family[by_code],
        uom=np.array([FAMILIES[f].uom for f in family], dtype=object)[by_code],
        base_list_usd=list_usd[by_code],
        base_cost_usd=cost_usd[by_code],
        launch_date=launch[by_code],
        eol_date=eol[by_code],
        item_created=created[by_code],
        demand_weight=weight[by_code],
        intermittent=intermittent[by_code],
        units_per_line=units[by_code],
        ramp_months=rng.uniform(3, 10, n)[by_code],
        lead_time_days=lead[by_code],
        territory_affinity=affinity[by_code],
        price_index=price_index,
        price_step=price_step,
        cost_index=cost_index,
    )


def _price_and_cost_indices(rng: np.random.Generator):
    """List-price steps per family (in the family's step months) and January cost rolls;
    2022-2023 steps are larger (the inflation years)."""
    n_fam, months = len(FAMILIES), cal.HORIZON_MONTHS
    step = np.zeros((n_fam, months))
    cost_step = np.zeros((n_fam, months))
    for r in range(months):
        month = cal.EPOCH_INDEX + r
        year, moy = month // 12, cal.month_of_year(month)
        lo, hi = {2022: (0.05, 0.08), 2023: (0.03, 0.06)}.get(year, (0.015, 0.04))
        for f, fam in enumerate(FAMILIES):
            draw = rng.uniform(lo, hi)
            cost_draw = rng.uniform(lo * 0.8, hi * 0.9)
            if moy in fam.price_step_months and r > 0:
                step[f, r] = round(draw / len(fam.price_step_months), 4)
            if moy == 1 and r > 0:
                cost_step[f, r] = round(cost_draw, 4)
    return step, np.cumprod(1.0 + step, axis=1), np.cumprod(1.0 + cost_step, axis=1)
