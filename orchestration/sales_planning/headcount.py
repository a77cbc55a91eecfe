"""Sales capacity, attrition and the hiring plan: how many reps each territory needs to make its target.

The ramp. A new rep sells a share of a full month's quota (and of a ramped rep's bookings) in the first
months of employment: ``ramp[k-1]`` in the k-th month (the hire month is the 1st; default 25%, 50%, 75%),
100% after. A rep is employed from the hire month up to, not including, the month of ``leave_date`` (the
first day no longer employed). ``ramp_factor`` is that rule, the one definition ``quota`` uses too.

Productivity (``ramped_productivity``). Per region, the mean bookings of a fully ramped rep-month (months
employed > the ramp length) in the trailing twelve months: Σ bookings / number of ramped rep-months. A region
without any ramped rep-month takes the company-wide mean of ramped rep-months.

Attrition (``attrition_rate``). Per region over a window of months: annual attrition = leavers in the
window / average headcount over the window × 12 / window length, a leaver being a rep whose leave month
falls in the window and the headcount of a month the reps employed in it.

Capacity (``rep_capacity``). Per territory, Σ over its reps and the fiscal year's months of ramp factor ×
the region's productivity: what today's reps can sell in the year at ramped productivity.

The hiring plan (``hiring_plan``). Expected capacity of month m = productivity × Σ_reps ramp factor ×
survival, survival = (1 − monthly attrition)^(months at risk), monthly attrition = 1 − (1 − annual)^(1/12),
months at risk counted from the plan month (from the start month for a rep or hire starting later: nobody
leaves before they start). A hire starts at the earliest in max(first fiscal month, plan month +
time-to-fill) and ramps from the start. The hires needed are the smallest h ≥ 0 (at most
``max_hires_per_territory``) whose Σ expected capacity reaches the territory's target; all h start in the
earliest start month, requisitioned time-to-fill months before. A target out of reach reports the gap left.
Monthly capacities are rounded to the cent and the year is their sum, so the tables add up exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from orchestration.sales_planning.frames import month_start, require_columns, to_cents, to_usd

REP_COLUMNS = ("rep_id", "territory_id", "hire_date", "leave_date")
DEFAULT_RAMP = (0.25, 0.5, 0.75)


# ---- months and the ramp (shared with quota) ----


def optional_month_start(value) -> date | None:
    """``month_start`` of ``value``, or None for a missing value (None, NaT, NaN, blank)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return month_start(value)


def months_between(start: date, end: date) -> int:
    """Whole months from the month of ``start`` to the month of ``end`` (negative when ``end`` is earlier)."""
    return (end.year - start.year) * 12 + (end.month - start.month)


def add_months(month: date, count: int) -> date:
    """The first of the month ``count`` months after ``month``'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def fiscal_months(months: Iterable) -> list[date]:
    """``months`` as first-of-month dates, checked to be consecutive (a fiscal year is 12 of them)."""
    out = [month_start(m) for m in months]
    if not out:
        raise ValueError("months: no month given (rule: a fiscal year is a list of consecutive months)")
    for previous, current in zip(out, out[1:]):
        if months_between(previous, current) != 1:
            raise ValueError(f"months: {current} does not follow {previous} (rule: consecutive months)")
    return out


def validate_ramp(ramp: Sequence[float], field: str = "ramp") -> None:
    """Raise ValueError naming ``field`` unless every ramp share is a number in (0, 1]."""
    if not isinstance(ramp, tuple):
        raise ValueError(f"{field}: {ramp!r} must be a tuple of shares")
    for k, share in enumerate(ramp, start=1):
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
            raise ValueError(f"{field}[{k - 1}]: {share!r} (month {k} of employment) must be a number in (0, 1]")


def months_employed(hire_date, leave_date, month) -> int:
    """Which month of employment ``month`` is for a rep (the hire month is 1), 0 when not employed in it."""
    hire, leave, current = month_start(hire_date), optional_month_start(leave_date), month_start(month)
    if current < hire or (leave is not None and current >= leave):
        return 0
    return months_between(hire, current) + 1


def ramp_factor(hire_date, leave_date, month, ramp: Sequence[float]) -> float:
    """Share of a full month's quota / productivity of a rep in ``month``: 0 before the hire month and from the
    leave month on (``leave_date`` is the first day no longer employed; None/NaT: stays), ``ramp[k-1]`` in the
    k-th month of employment (the hire month is the 1st), 1.0 after the ramp."""
    k = months_employed(hire_date, leave_date, month)
    if k == 0:
        return 0.0
    return float(ramp[k - 1]) if k <= len(ramp) else 1.0


# ---- money ----


# ---- the policy ----


@dataclass(frozen=True)
class HeadcountPolicy:
    """How capacity and hiring are planned. ``annual_attrition`` None: each region's rate from history."""

    ramp: tuple[float, ...] = DEFAULT_RAMP
    time_to_fill_months: int = 3
    annual_attrition: float | None = None
    max_hires_per_territory: int = 20

    def __post_init__(self):
        validate_ramp(self.ramp)
        ttf = self.time_to_fill_months
        if isinstance(ttf, bool) or not isinstance(ttf, int) or ttf < 0:
            raise ValueError(f"time_to_fill_months: {ttf!r} must be a whole number of months ≥ 0")
        a = self.annual_attrition
        if a is not None and (isinstance(a, bool) or not isinstance(a, (int, float)) or not 0 <= a < 1):
            raise ValueError(f"annual_attrition: {a!r} must be None (from history) or a number in [0, 1)")
        cap = self.max_hires_per_territory
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 0:
            raise ValueError(f"max_hires_per_territory: {cap!r} must be a whole number ≥ 0")


# ---- productivity and attrition from history ----


def ramped_productivity(rep_months: pd.DataFrame, ramp_months: int, *, regions: Iterable[str] = ()) -> pd.DataFrame:
    """Bookings per fully ramped rep-month, per region.

    ``rep_months``: ``rep_id, region_code, month, bookings_usd, months_employed`` (trailing 12 months; several
    rows of one rep and month are summed). A rep-month is ramped when months_employed > ``ramp_months``.
    ``regions``: regions to report besides those in the history. Returns ``region_code, ramped_rep_months,
    bookings_usd, productivity_usd_per_rep_month, basis`` (``region``, or ``company`` when the region had no
    ramped rep-month and takes the company-wide mean).
    """
    require_columns(rep_months, ("rep_id", "region_code", "month", "bookings_usd", "months_employed"), "rep_months")
    frame = rep_months.assign(month=[month_start(m) for m in rep_months["month"]])
    frame = frame.groupby(["rep_id", "region_code", "month"], as_index=False).agg(
        bookings_usd=("bookings_usd", "sum"), months_employed=("months_employed", "max")
    )
    ramped = frame[frame["months_employed"] > ramp_months]
    if ramped.empty:
        raise ValueError(f"rep_months: no fully ramped rep-month (months_employed > {ramp_months}) in the history")
    company = ramped["bookings_usd"].sum() / len(ramped)
    all_regions = sorted(set(frame["region_code"]) | set(regions))
    rows = []
    for region in all_regions:
        own = ramped[ramped["region_code"] == region]
        if own.empty:
            rows.append((region, 0, 0.0, round(company, 2), "company"))
        else:
            bookings = own["bookings_usd"].sum()
            rows.append((region, len(own), round(bookings, 2), round(bookings / len(own), 2), "region"))
    return pd.DataFrame(
        rows,
        columns=["region_code", "ramped_rep_months", "bookings_usd", "productivity_usd_per_rep_month", "basis"],
    )


def attrition_rate(reps_history: pd.DataFrame, months: Iterable) -> pd.DataFrame:
    """Annual attrition per region over the window ``months``: leavers / average headcount × 12 / len(months).

    ``reps_history``: ``rep_id, region_code, hire_date, leave_date``. A leaver's leave month lies in the window;
    a month's headcount is the reps employed in it (hire month ≤ month < leave month). Returns ``region_code,
    leavers, average_headcount, window_months, annual_attrition`` (4 decimals; 0 for a region without
    headcount).
    """
    require_columns(reps_history, ("rep_id", "region_code", "hire_date", "leave_date"), "reps_history")
    window = fiscal_months(months)
    rows = []
    for region, reps in reps_history.groupby("region_code", sort=True):
        leavers = 0
        headcount = 0
        for rep in reps.itertuples(index=False):
            leave = optional_month_start(rep.leave_date)
            if leave is not None and window[0] <= leave <= window[-1]:
                leavers += 1
            headcount += sum(months_employed(rep.hire_date, rep.leave_date, m) > 0 for m in window)
        average = headcount / len(window)
        rate = leavers / average * 12 / len(window) if average > 0 else 0.0
        rows.append((region, leavers, round(average, 4), len(window), round(rate, 4)))
    return pd.DataFrame(
        rows, columns=["region_code", "leavers", "average_headcount", "window_months", "annual_attrition"]
    )


def _productivity_by_region(productivity: pd.DataFrame) -> dict[str, float]:
    require_columns(productivity, ("region_code", "productivity_usd_per_rep_month"), "productivity")
    return dict(zip(productivity["region_code"], productivity["productivity_usd_per_rep_month"].astype(float)))


def _region_productivity(by_region: dict[str, float], region: str) -> float:
    if region not in by_region:
        raise ValueError(f"productivity: no productivity for region {region!r}")
    return by_region[region]


# ---- capacity of today's reps ----


def rep_capacity(
    reps: pd.DataFrame,
    months: Iterable,
    productivity: pd.DataFrame,
    policy: HeadcountPolicy = HeadcountPolicy(),
    *,
    territories: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """What each territory's reps can sell in ``months`` at ramped productivity: Σ ramp factor × productivity.

    ``reps``: ``rep_id, territory_id, region_code, hire_date, leave_date`` (the territory's region).
    ``productivity``: ``ramped_productivity``'s frame. ``territories`` (``territory_id, region_code``):
    territories to report even without reps (capacity 0). Returns ``territory_id, region_code, reps`` (reps
    employed in at least one month), ``ramped_rep_months`` (Σ ramp factor, 4 decimals), ``capacity_usd``.
    """
    require_columns(reps, ("rep_id", "territory_id", "region_code", "hire_date", "leave_date"), "reps")
    window = fiscal_months(months)
    by_region = _productivity_by_region(productivity)
    totals: dict[tuple, list] = {}
    if territories is not None:
        require_columns(territories, ("territory_id", "region_code"), "territories")
        for t in territories.itertuples(index=False):
            totals[(t.territory_id, t.region_code)] = [0, 0.0]
    for rep in reps.itertuples(index=False):
        factors = [ramp_factor(rep.hire_date, rep.leave_date, m, policy.ramp) for m in window]
        entry = totals.setdefault((rep.territory_id, rep.region_code), [0, 0.0])
        entry[0] += any(f > 0 for f in factors)
        entry[1] += sum(factors)
    rows = []
    for (territory, region), (count, rep_months) in sorted(totals.items(), key=lambda kv: str(kv[0][0])):
        capacity = to_usd(to_cents(rep_months * _region_productivity(by_region, region))) if rep_months else 0.0
        rows.append((territory, region, int(count), round(rep_months, 4), capacity))
    return pd.DataFrame(rows, columns=["territory_id", "region_code", "reps", "ramped_rep_months", "capacity_usd"])


# ---- the hiring plan ----


def _annual_attrition_by_region(attrition: pd.DataFrame | None, policy: HeadcountPolicy) -> tuple[dict, float]:
    """(rate per region, the rate of a region not listed): the policy's rate for all, or history's."""
    if policy.annual_attrition is not None:
        return {}, float(policy.annual_attrition)
    if attrition is None or attrition.empty:
        return {}, 0.0
    require_columns(attrition, ("region_code", "annual_attrition"), "attrition")
    rates = dict(zip(attrition["region_code"], attrition["annual_attrition"].astype(float)))
    if "average_headcount" in attrition.columns and attrition["average_headcount"].sum() > 0:
        fallback = float((attrition["annual_attrition"] * attrition["average_headcount"]).sum())
        fallback /= float(attrition["average_headcount"].sum())
    else:
        fallback = float(attrition["annual_attrition"].mean())
    return rates, fallback


def _survival(annual: float, plan_month: date, start: date, month: date) -> float:
    """Chance a rep on staff (or starting) at max(plan month, start) is still there in ``month``."""
    annual = min(max(annual, 0.0), 1.0)
    monthly = 1 - (1 - annual) ** (1 / 12)
    at_risk = max(0, months_between(max(plan_month, start), month))
    return (1 - monthly) ** at_risk


def hiring_plan(
    territories: pd.DataFrame,
    reps: pd.DataFrame,
    months: Iterable,
    productivity: pd.DataFrame,
    attrition: pd.DataFrame | None,
    policy: HeadcountPolicy,
    plan_month,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The reps each territory must hire to make its target in the fiscal year ``months``: (summary, monthly, hires).

    ``territories``: ``territory_id, region_code, target_usd``. ``reps``: ``rep_id, territory_id, hire_date,
    leave_date`` (a future hire date: an accepted offer). ``productivity``: ``ramped_productivity``'s frame.
    ``attrition``: ``attrition_rate``'s frame (used when ``policy.annual_attrition`` is None; a region not in
    it takes the headcount-weighted mean). ``plan_month``: the month the plan is made.

    Returns ``summary`` (``territory_id, region_code, reps_now, target_usd, capacity_without_hires_usd,
    hires_needed, capacity_with_hires_usd, coverage_gap_usd`` = target − capacity with hires, > 0 short,
    ``reps_needed_fte`` = target / (productivity × months)), ``monthly`` (``territory_id, region_code, month,
    expected_reps, expected_ramped_fte, expected_capacity_usd, cumulative_capacity_usd``, hires included) and
    ``hires`` (``territory_id, region_code, requisition_month, start_month, hires``; territories hiring only).
    """
    require_columns(territories, ("territory_id", "region_code", "target_usd"), "territories")
    require_columns(reps, REP_COLUMNS, "reps")
    window = fiscal_months(months)
    plan = month_start(plan_month)
    by_region = _productivity_by_region(productivity)
    rates, fallback_rate = _annual_attrition_by_region(attrition, policy)
    start = max(window[0], add_months(plan, policy.time_to_fill_months))
    requisition = add_months(start, -policy.time_to_fill_months)
    known = set(territories["territory_id"])
    strays = sorted(str(t) for t in set(reps["territory_id"]) - known)
    if strays:
        raise ValueError(f"reps: territories {', '.join(strays)} are not in the territories frame")

    summary, monthly, hires = [], [], []
    for territory in sorted(territories.itertuples(index=False), key=lambda t: str(t.territory_id)):
        region = territory.region_code
        per_rep_month = _region_productivity(by_region, region)
        annual = rates.get(region, fallback_rate)
        team = reps[reps["territory_id"] == territory.territory_id]
        reps_now = int(sum(months_employed(r.hire_date, r.leave_date, plan) > 0 for r in team.itertuples()))
        # per month: (headcount, ramped FTE) of today's team, and of one hire, each × survival
        team_heads, team_fte, hire_heads, hire_fte = [], [], [], []
        for m in window:
            heads = fte = 0.0
            for r in team.itertuples(index=False):
                factor = ramp_factor(r.hire_date, r.leave_date, m, policy.ramp)
                if factor > 0:
                    survive = _survival(annual, plan, month_start(r.hire_date), m)
                    heads += survive
                    fte += factor * survive
            team_heads.append(heads)
            team_fte.append(fte)
            factor = ramp_factor(start, None, m, policy.ramp)
            survive = _survival(annual, plan, start, m) if factor > 0 else 0.0
            hire_heads.append(survive)
            hire_fte.append(factor * survive)

        def capacity_cents(h: int) -> list[int]:
            return [to_cents(per_rep_month * (team_fte[i] + h * hire_fte[i])) for i in range(len(window))]

        target_cents = to_cents(territory.target_usd)
        without = sum(capacity_cents(0))
        hires_needed = 0
        if without < target_cents and any(f > 0 for f in hire_fte):
            hires_needed = policy.max_hires_per_territory
            for h in range(1, policy.max_hires_per_territory + 1):
                if sum(capacity_cents(h)) >= target_cents:
                    hires_needed = h
                    break
        plan_cents = capacity_cents(hires_needed)
        with_hires = sum(plan_cents)
        fte_needed = territory.target_usd / (per_rep_month * len(window)) if per_rep_month > 0 else math.nan
        summary.append(
            {
                "territory_id": territory.territory_id,
                "region_code": region,
                "reps_now": reps_now,
                "target_usd": to_usd(target_cents),
                "capacity_without_hires_usd": to_usd(without),
                "hires_needed": hires_needed,
                "capacity_with_hires_usd": to_usd(with_hires),
                "coverage_gap_usd": to_usd(target_cents - with_hires),
                "reps_needed_fte": round(fte_needed, 2),
            }
        )
        cumulative = 0
        for i, m in enumerate(window):
            cumulative += plan_cents[i]
            monthly.append(
                {
                    "territory_id": territory.territory_id,
                    "region_code": region,
                    "month": m,
                    "expected_reps": round(team_heads[i] + hires_needed * hire_heads[i], 4),
                    "expected_ramped_fte": round(team_fte[i] + hires_needed * hire_fte[i], 4),
                    "expected_capacity_usd": to_usd(plan_cents[i]),
                    "cumulative_capacity_usd": to_usd(cumulative),
                }
            )
        if hires_needed:
            hires.append(
                {
                    "territory_id": territory.territory_id,
                    "region_code": region,
                    "requisition_month": requisition,
                    "start_month": start,
                    "hires": hires_needed,
                }
            )
    hire_columns = ["territory_id", "region_code", "requisition_month", "start_month", "hires"]
    return (
        pd.DataFrame(summary, columns=list(_SUMMARY_COLUMNS)),
        pd.DataFrame(monthly, columns=list(_MONTHLY_COLUMNS)),
        pd.DataFrame(hires, columns=hire_columns),
    )


_SUMMARY_COLUMNS = (
    "territory_id",
    "region_code",
    "reps_now",
    "target_usd",
    "capacity_without_hires_usd",
    "hires_needed",
    "capacity_with_hires_usd",
    "coverage_gap_usd",
    "reps_needed_fte",
)
_MONTHLY_COLUMNS = (
    "territory_id",
    "region_code",
    "month",
    "expected_reps",
    "expected_ramped_fte",
    "expected_capacity_usd",
    "cumulative_capacity_usd",
)


def hiring_plan_by_region(hires: pd.DataFrame) -> pd.DataFrame:
    """``hiring_plan``'s hires summed per region × start month: ``region_code, requisition_month, start_month,
    hires``."""
    columns = ["region_code", "requisition_month", "start_month", "hires"]
    if hires.empty:
        return pd.DataFrame(columns=columns)
    return (
        hires.groupby(["region_code", "requisition_month", "start_month"], as_index=False)["hires"]
        .sum()
        .sort_values(["region_code", "start_month"], ignore_index=True)[columns]
    )
