"""Quota setting: the company bookings target split top-down over territories and reps, and checked bottom-up.

Top-down (``territory_targets``). Each territory's share blends its market potential and its bookings
history: share_t = w · potential_t / Σ potential + (1 − w) · history_t / Σ history, w the policy's
``potential_weight`` (potential alone when no territory has history, history alone when none has potential,
equal shares when neither). The company target is split by these shares in whole cents by largest remainder:
every territory gets the floor of its exact share, and the cents left over go to the largest fractional parts
(ties to the first territory in territory_id order), so the territories add up to the target exactly.

Rep quotas (``rep_monthly_quotas``). A territory's quota pool is its target × over-assignment (rounded to the
cent): quotas add up to more than the target, so that the territory makes its number even when some reps
miss theirs. The pool is spread over every (rep, month) cell of the territory in whole cents by largest
remainder ∝ ramp factor × the region's seasonality weight of the month: a rep in the first months of
employment carries a ramped share (``headcount.ramp_factor``: 25%, 50%, 75% by default, then 100%), a leaver
nothing from the leave month on, and busy months carry more than slow ones. A territory with nobody employed
in the fiscal year gets one to-be-hired placeholder (``TBH:<territory_id>``) carrying the whole pool.

Bottom-up (``bottom_up``). What each territory can realistically book: its demand is the larger of the
run-rate (trailing twelve months' bookings, what it closes in a year) and the open pipeline at the
historical win rate (if the pipeline already promises more, that counts); the bottom-up number is that
demand, capped by what its reps can sell (``headcount.rep_capacity``). ``compare_top_down_bottom_up`` sets
the top-down target against it: more than 10% above is a stretch, more than 10% below sandbagged.

``reconcile_with_revenue_plan`` sets the bookings targets per region against the S&OP revenue plan.
All amounts are USD, exact to the cent.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pandas as pd

from orchestration.sales_planning.frames import require_columns, to_cents, to_usd
from orchestration.sales_planning.headcount import (
    DEFAULT_RAMP,
    fiscal_months,
    month_start,
    months_employed,
    ramp_factor,
    validate_ramp,
)

PLACEHOLDER_PREFIX = "TBH:"
#: gap_pct above this is a stretch, below its negative sandbagged
ALIGNMENT_BAND = 0.10
TERRITORY_COLUMNS = [
    "territory_id",
    "region_code",
    "potential_usd",
    "history_usd",
    "potential_share",
    "history_share",
    "blended_share",
    "target_usd",
]
QUOTA_COLUMNS = [
    "rep_id",
    "territory_id",
    "region_code",
    "month",
    "months_employed",
    "ramp_factor",
    "season_weight",
    "quota_usd",
    "is_placeholder",
]


def _is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)


@dataclass(frozen=True)
class QuotaPolicy:
    """How targets become quotas: the potential's weight in a territory's share, the over-assignment (quota
    pool / target) and the band it should stay in, and the new rep's ramp (share of a full month's quota in
    the 1st, 2nd, 3rd month of employment; 1.0 after)."""

    potential_weight: float = 0.5
    over_assignment: float = 1.2
    over_assignment_band: tuple[float, float] = (1.1, 1.3)
    ramp: tuple[float, ...] = DEFAULT_RAMP

    def __post_init__(self):
        w = self.potential_weight
        if not _is_number(w) or not 0 <= w <= 1:
            raise ValueError(f"potential_weight: {w!r} must be a number in [0, 1]")
        oa = self.over_assignment
        if not _is_number(oa) or not 1 <= oa <= 2:
            raise ValueError(f"over_assignment: {oa!r} must be a number in [1, 2]")
        band = self.over_assignment_band
        if (
            not isinstance(band, tuple)
            or len(band) != 2
            or not all(_is_number(b) for b in band)
            or not 1 <= band[0] <= band[1]
        ):
            raise ValueError(f"over_assignment_band: {band!r} must be (lower, upper) with 1 ≤ lower ≤ upper")
        validate_ramp(self.ramp)


def policy_for_year(company: dict, base: QuotaPolicy = QuotaPolicy()) -> QuotaPolicy:
    """``base`` with the fiscal year's ``over_assignment`` and ``potential_weight`` from the targets file
    (``sales_targets.company_target``'s dict; a None keeps the base value)."""
    changes = {k: float(company[k]) for k in ("over_assignment", "potential_weight") if company.get(k) is not None}
    return replace(base, **changes)


# ---- money in whole cents ----


def allocate_cents(total_cents: int, weights: Sequence[float]) -> list[int]:
    """Split ``total_cents`` over ``weights`` pro rata in whole cents that sum to it exactly (largest remainder).

    Each part gets the floor of its exact share; the cents left go one each to the largest fractional parts,
    ties to the earlier weight (callers pass weights in key order). Weights are compared to 12 significant
    digits, so that equal weights computed along different float paths tie. All weights 0: equal parts.
    """
    total_cents = int(total_cents)
    if total_cents < 0:
        raise ValueError(f"allocate_cents: {total_cents} < 0")
    n = len(weights)
    if n == 0:
        if total_cents:
            raise ValueError("allocate_cents: nothing to allocate the cents to")
        return []
    values = [float(w) for w in weights]
    if any(not math.isfinite(w) or w < 0 for w in values):
        raise ValueError("allocate_cents: weights must be finite and ≥ 0")
    top = max(values)
    shares = [Fraction(round(w / top, 12)) for w in values] if top > 0 else [Fraction(1)] * n
    total_share = sum(shares)
    exact = [total_cents * s / total_share for s in shares]
    floors = [math.floor(e) for e in exact]
    left = total_cents - sum(floors)
    order = sorted(range(n), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return floors


# ---- top-down ----


def territory_targets(company_target_usd: float, territories: pd.DataFrame, policy: QuotaPolicy) -> pd.DataFrame:
    """The company target split over territories by blended potential and history shares, exact to the cent.

    ``territories``: ``territory_id, region_code, potential_usd, history_usd`` (the fiscal year's market
    potential, the trailing twelve months' bookings). Returns ``TERRITORY_COLUMNS`` in territory_id order;
    Σ target_usd == the company target to the cent. A share of a total that is 0 is reported as 0.
    """
    require_columns(territories, ("territory_id", "region_code", "potential_usd", "history_usd"), "territories")
    if territories.empty:
        raise ValueError("territories: no territory to split the company target over")
    if territories["territory_id"].duplicated().any():
        raise ValueError("territories: territory_id must be unique")
    frame = territories.sort_values("territory_id", key=lambda s: s.astype(str), kind="stable").reset_index(drop=True)
    potential = frame["potential_usd"].astype(float)
    history = frame["history_usd"].astype(float)
    if (potential < 0).any() or (history < 0).any() or potential.isna().any() or history.isna().any():
        raise ValueError("territories: potential_usd and history_usd must be numbers ≥ 0")
    target_cents = to_cents(company_target_usd)
    if target_cents < 0:
        raise ValueError(f"company target {company_target_usd} < 0")
    potential_share = potential / potential.sum() if potential.sum() > 0 else potential * 0.0
    history_share = history / history.sum() if history.sum() > 0 else history * 0.0
    w = policy.potential_weight
    if potential.sum() > 0 and history.sum() > 0:
        blended = w * potential_share + (1 - w) * history_share
    elif potential.sum() > 0:
        blended = potential_share
    elif history.sum() > 0:
        blended = history_share
    else:
        blended = pd.Series(1.0 / len(frame), index=frame.index)
    cents = allocate_cents(target_cents, blended.tolist())
    out = frame[["territory_id", "region_code"]].copy()
    out["potential_usd"] = potential
    out["history_usd"] = history
    out["potential_share"] = potential_share
    out["history_share"] = history_share
    out["blended_share"] = blended
    out["target_usd"] = [to_usd(c) for c in cents]
    return out[TERRITORY_COLUMNS]


def _season_weights(seasonality: pd.DataFrame, months: list) -> dict:
    """{(region, month): weight}; a region present must have a weight > 0 for every month of the year."""
    require_columns(seasonality, ("region_code", "month", "weight"), "seasonality")
    weights: dict = {}
    for row in seasonality.itertuples(index=False):
        month = month_start(row.month)
        if month not in months:
            continue
        key = (row.region_code, month)
        if key in weights:
            raise ValueError(f"seasonality: {row.region_code} {month} is given twice")
        try:
            weight = float(row.weight)
        except (TypeError, ValueError):
            weight = math.nan
        if not math.isfinite(weight) or weight <= 0:
            raise ValueError(f"seasonality: {row.region_code} {month}: weight {row.weight!r} must be > 0")
        weights[key] = weight
    for region in {r for r, _ in weights}:
        absent = [m for m in months if (region, m) not in weights]
        if absent:
            raise ValueError(f"seasonality: region {region} has no weight for {', '.join(str(m) for m in absent)}")
    return weights


def rep_monthly_quotas(
    targets: pd.DataFrame,
    reps: pd.DataFrame,
    months: Iterable,
    seasonality: pd.DataFrame,
    policy: QuotaPolicy,
) -> pd.DataFrame:
    """Monthly quota of every rep: each territory's pool (target × over-assignment) spread over its (rep, month)
    cells ∝ ramp factor × seasonality, in whole cents by largest remainder (ties in rep_id, month order).

    ``targets``: ``territory_targets``'s frame (``territory_id, region_code, target_usd``). ``reps``: ``rep_id,
    territory_id, hire_date, leave_date`` (rep_id unique; leave_date None/NaT: stays). ``months``: the fiscal
    year. ``seasonality``: ``region_code, month, weight`` (a region not in it is flat). Returns
    ``QUOTA_COLUMNS``, one row per month a rep is employed (months_employed ≥ 1), or per month for a
    territory's ``TBH:<territory_id>`` placeholder (months_employed 0, ramp 1.0) when nobody is employed
    in the year. Σ quota_usd per territory == its pool exactly.
    """
    require_columns(targets, ("territory_id", "region_code", "target_usd"), "targets")
    require_columns(reps, ("rep_id", "territory_id", "hire_date", "leave_date"), "reps")
    window = fiscal_months(months)
    if reps["rep_id"].duplicated().any():
        raise ValueError("reps: rep_id must be unique")
    strays = sorted(str(t) for t in set(reps["territory_id"]) - set(targets["territory_id"]))
    if strays:
        raise ValueError(f"reps: territories {', '.join(strays)} have no target")
    season = _season_weights(seasonality, window)
    rows = []
    for territory in sorted(targets.itertuples(index=False), key=lambda t: str(t.territory_id)):
        region = territory.region_code
        pool = _pool_cents(territory.target_usd, policy)
        cells = []  # (rep_id, month, months employed, ramp factor, season weight)
        team = reps[reps["territory_id"] == territory.territory_id]
        for rep in sorted(team.itertuples(index=False), key=lambda r: str(r.rep_id)):
            for m in window:
                factor = ramp_factor(rep.hire_date, rep.leave_date, m, policy.ramp)
                if factor > 0:
                    k = months_employed(rep.hire_date, rep.leave_date, m)
                    cells.append((rep.rep_id, m, k, factor, season.get((region, m), 1.0), False))
        if not cells:
            placeholder = f"{PLACEHOLDER_PREFIX}{territory.territory_id}"
            cells = [(placeholder, m, 0, 1.0, season.get((region, m), 1.0), True) for m in window]
        cents = allocate_cents(pool, [factor * weight for _, _, _, factor, weight, _ in cells])
        for (rep_id, m, k, factor, weight, is_placeholder), c in zip(cells, cents):
            rows.append((rep_id, territory.territory_id, region, m, k, factor, weight, to_usd(c), is_placeholder))
    return pd.DataFrame(rows, columns=QUOTA_COLUMNS)


def _pool_cents(target_usd: float, policy: QuotaPolicy) -> int:
    """A territory's quota pool in cents: target × over-assignment, rounded half up to the cent."""
    exact = Decimal(to_cents(target_usd)) * Decimal(str(policy.over_assignment))
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def over_assignment_check(rep_quotas: pd.DataFrame, company_target_usd: float, band: tuple[float, float]) -> dict:
    """Σ quotas against the company target: ``ratio`` (4 decimals), ``lower``, ``upper``, ``within_band``, and
    ``quota_total_usd``, ``company_target_usd``. The pools are rounded per territory, so the ratio may differ
    from the policy's over-assignment by a cent's worth."""
    lower, upper = float(band[0]), float(band[1])
    quota_cents = sum(to_cents(q) for q in rep_quotas["quota_usd"])
    target_cents = to_cents(company_target_usd)
    if target_cents <= 0:
        raise ValueError(f"company target {company_target_usd} must be > 0 to compare quotas with it")
    ratio = round(quota_cents / target_cents, 4)
    return {
        "ratio": ratio,
        "lower": lower,
        "upper": upper,
        "within_band": bool(lower <= ratio <= upper),
        "quota_total_usd": to_usd(quota_cents),
        "company_target_usd": to_usd(target_cents),
    }


# ---- bottom-up ----


def bottom_up(territories: pd.DataFrame, policy_months: int = 12) -> pd.DataFrame:
    """What each territory can book bottom-up: min(max(run-rate, pipeline × win rate), rep capacity).

    ``territories``: ``territory_id, region_code, run_rate_usd`` (trailing twelve months' bookings),
    ``open_pipeline_usd`` (open opportunities closing in the fiscal year), ``win_rate`` (value-based, 0..1),
    ``rep_capacity_usd`` (``headcount.rep_capacity``). ``policy_months``: months planned (12: the fiscal
    year); the run-rate counts for policy_months / 12 of a year. Adds ``pipeline_expected_usd`` (pipeline ×
    win rate), ``demand_usd`` (max of run-rate and expected pipeline), ``bottom_up_usd`` (min of demand and
    capacity) and ``limited_by``: ``capacity`` when capacity < demand, else ``run_rate`` or ``pipeline``
    (whichever gave the demand; a tie is ``run_rate``).
    """
    columns = ("territory_id", "region_code", "run_rate_usd", "open_pipeline_usd", "win_rate", "rep_capacity_usd")
    require_columns(territories, columns, "bottom-up territories")
    if isinstance(policy_months, bool) or not isinstance(policy_months, int) or not 1 <= policy_months <= 12:
        raise ValueError(f"policy_months: {policy_months!r} must be a whole number of months in 1..12")
    out = territories.copy()
    expected, demand, result, limited = [], [], [], []
    for row in territories.itertuples(index=False):
        if not 0 <= row.win_rate <= 1:
            raise ValueError(f"territory {row.territory_id}: win_rate {row.win_rate!r} must be in [0, 1]")
        if min(row.run_rate_usd, row.open_pipeline_usd, row.rep_capacity_usd) < 0:
            raise ValueError(f"territory {row.territory_id}: amounts must be ≥ 0")
        run_rate = to_cents(row.run_rate_usd * policy_months / 12)
        pipeline = to_cents(row.open_pipeline_usd * row.win_rate)
        capacity = to_cents(row.rep_capacity_usd)
        wanted, source = (pipeline, "pipeline") if pipeline > run_rate else (run_rate, "run_rate")
        expected.append(to_usd(pipeline))
        demand.append(to_usd(wanted))
        result.append(to_usd(min(wanted, capacity)))
        limited.append("capacity" if capacity < wanted else source)
    out["pipeline_expected_usd"] = expected
    out["demand_usd"] = demand
    out["bottom_up_usd"] = result
    out["limited_by"] = limited
    return out


def compare_top_down_bottom_up(
    targets: pd.DataFrame, bottom_up_frame: pd.DataFrame, policy: QuotaPolicy
) -> pd.DataFrame:
    """Top-down target against bottom-up per territory: ``territory_id, region_code, top_down_target_usd,
    quota_pool_usd, bottom_up_usd, gap_usd`` (top-down − bottom-up), ``gap_pct`` (gap / top-down, 4 decimals),
    ``assessment``: ``stretch`` when gap_pct > 10%, ``sandbagged`` when < −10%, else ``aligned``."""
    require_columns(targets, ("territory_id", "region_code", "target_usd"), "targets")
    require_columns(bottom_up_frame, ("territory_id", "bottom_up_usd"), "bottom-up")
    by_territory = dict(zip(bottom_up_frame["territory_id"], bottom_up_frame["bottom_up_usd"]))
    missing = sorted(str(t) for t in targets["territory_id"] if t not in by_territory)
    if missing:
        raise ValueError(f"bottom-up: no bottom-up number for territories {', '.join(missing)}")
    rows = []
    for t in sorted(targets.itertuples(index=False), key=lambda t: str(t.territory_id)):
        top, bottom = to_cents(t.target_usd), to_cents(by_territory[t.territory_id])
        gap = top - bottom
        if top > 0:
            pct = Fraction(gap, top)
        else:
            pct = Fraction(0) if gap == 0 else Fraction(-1 if gap < 0 else 1) * 10**9
        if pct > Fraction(str(ALIGNMENT_BAND)):
            assessment = "stretch"
        elif pct < -Fraction(str(ALIGNMENT_BAND)):
            assessment = "sandbagged"
        else:
            assessment = "aligned"
        rows.append(
            (
                t.territory_id,
                t.region_code,
                to_usd(top),
                to_usd(_pool_cents(t.target_usd, policy)),
                to_usd(bottom),
                to_usd(gap),
                round(float(pct), 4) if top > 0 else math.nan,
                assessment,
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "territory_id",
            "region_code",
            "top_down_target_usd",
            "quota_pool_usd",
            "bottom_up_usd",
            "gap_usd",
            "gap_pct",
            "assessment",
        ],
    )


# ---- against the revenue plan ----


def reconcile_with_revenue_plan(company: dict, targets: pd.DataFrame, sop_plan_by_region: pd.DataFrame) -> pd.DataFrame:
    """Bookings targets per region against the S&OP revenue plan, and a ``total`` row.

    ``company``: ``sales_targets.company_target``'s dict; ``targets``: ``territory_targets``'s frame (its
    territories must add up to the company target); ``sop_plan_by_region``: ``region_code, sop_plan_usd``.
    Returns ``region_code, bookings_target_usd, sop_plan_usd, difference_usd`` (target − plan),
    ``target_to_plan_ratio`` (4 decimals; NaN for a plan of 0), regions in code order, then ``total``.
    """
    require_columns(targets, ("region_code", "target_usd"), "targets")
    require_columns(sop_plan_by_region, ("region_code", "sop_plan_usd"), "sop_plan_by_region")
    company_cents = to_cents(company["target_usd"])
    target_by_region: dict[str, int] = {}
    for region, amount in zip(targets["region_code"], targets["target_usd"]):
        target_by_region[region] = target_by_region.get(region, 0) + to_cents(amount)
    if sum(target_by_region.values()) != company_cents:
        raise ValueError(
            f"targets: the territories add up to {to_usd(sum(target_by_region.values())):.2f}, "
            f"not the company target {to_usd(company_cents):.2f}"
        )
    plan_by_region: dict[str, int] = {}
    for region, amount in zip(sop_plan_by_region["region_code"], sop_plan_by_region["sop_plan_usd"]):
        plan_by_region[region] = plan_by_region.get(region, 0) + to_cents(amount)
    rows = []
    regions = sorted(set(target_by_region) | set(plan_by_region), key=str)
    totals = (company_cents, sum(plan_by_region.values()))
    for region, (target, plan) in [
        *((r, (target_by_region.get(r, 0), plan_by_region.get(r, 0))) for r in regions),
        ("total", totals),
    ]:
        ratio = round(target / plan, 4) if plan else math.nan
        rows.append((region, to_usd(target), to_usd(plan), to_usd(target - plan), ratio))
    return pd.DataFrame(
        rows, columns=["region_code", "bookings_target_usd", "sop_plan_usd", "difference_usd", "target_to_plan_ratio"]
    )
