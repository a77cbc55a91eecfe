"""The payout engine: what each rep earns per fiscal month under the comp plans (``comp_plans``), exact to the cent.

Definitions, for a rep paid under plan P in the book's fiscal year:

- employed months n: the fiscal months in which the rep carries a quota (quota > 0); the rep has a payout row
  for each of them and only for them.
- annual quota Q: the sum of the rep's monthly quotas in the fiscal year.
- target variable TV = OTE × variable share × n / 12 (prorated for a rep employed part of the year).
- base pay per employed month = OTE × base share / 12 (rounded to the cent); full-year base = n × that.
- base commission rate BCR = TV / Q: the rate that pays TV when the rep books exactly the quota at rate 1.
- credited bookings: the rep's won deals (credit rows with ``is_cancellation`` false) of each month, net of the
  cancellations that are clawed back. A cancellation is a credit row with negative bookings in the month the deal
  was cancelled and the month it was booked (``booked_month``); it counts, lowering the bookings of its month,
  only when the plan has a clawback, both months lie in the fiscal year and
  ``0 <= months from booked_month to month <= window_months``. Otherwise it is ignored (the deal stays paid)
  and shown as ``clawback_ignored_usd`` (the cancelled amount, negative as recorded).
- commission earned year to date, for YTD credited bookings B:
  ``Σ over tiers BCR × rate × (the part of B between from × Q and to × Q)`` (open-ended last tier), i.e. each
  slice of bookings is paid at the rate of the tier it falls in, so commission is continuous and non-decreasing
  in B. It is capped so that full-year base + commission never exceeds the earnings cap:
  ``commission_ytd = min(uncapped, cap − full-year base)``, rounded to the cent.
- the month's commission = commission_ytd(m) − commission_ytd(m − 1): negative when a clawback lowers the
  bookings. Because every month is a difference of rounded year-to-date amounts, the months add up to the
  year to date exactly. ``clawback_usd`` = commission_ytd with the month's counted cancellations − without them
  (≤ 0): the part of the month's change the cancellations caused.
- SPIFs are paid on top of commission and outside the cap: amount per deal × the rep's deals of the SPIF's
  opportunity type booked in a SPIF month (a deal: a won credit row with positive bookings, one per distinct
  ``opportunity_id`` when the column is there). A later cancellation does not take a SPIF back.
- total pay = base pay + commission + SPIF of the month; ``is_capped``: the rep has reached the cap (uncapped
  commission ≥ cap − full-year base), so further bookings earn no commission.

Credits of fiscal months in which the rep has no quota are not credited (there is no payout row to put them on);
their sum per rep is in ``attrs["uncredited_usd"]``. Reps with no plan are skipped and listed in
``attrs["reps_without_plan"]``. Amounts are computed in ``Decimal`` and returned as floats of whole cents.

``cost_of_sales`` is total pay / credited bookings per region and in total, by month and fiscal year to date;
``compare_plans`` runs the same year through two plan books (the what-if).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pandas as pd

from orchestration.sales_planning.comp_plans import CompPlan, CompPlanBook

CENT = Decimal("0.01")
TOTAL = "total"
REP_COLUMNS = ("rep_id", "role", "region_code")
QUOTA_COLUMNS = ("rep_id", "month", "quota_usd")
CREDIT_COLUMNS = ("rep_id", "month", "bookings_usd", "opportunity_type", "booked_month", "is_cancellation")
PAYOUT_COLUMNS = [
    "rep_id",
    "plan_id",
    "region_code",
    "month",
    "quota_usd",
    "annual_quota_usd",
    "bookings_usd",
    "bookings_ytd_usd",
    "attainment_ytd",
    "tier_reached",
    "commission_ytd_usd",
    "commission_usd",
    "clawback_usd",
    "clawback_ignored_usd",
    "spif_usd",
    "base_pay_usd",
    "total_pay_usd",
    "is_capped",
]
COST_OF_SALES_COLUMNS = ["region_code", "period", "month", "total_pay_usd", "bookings_usd", "cost_of_sales"]
COMPARE_COLUMNS = [
    "rep_id",
    "region_code",
    "plan_a",
    "plan_b",
    "total_pay_a_usd",
    "total_pay_b_usd",
    "difference_usd",
    "change",
]


def as_month(value) -> date:
    """The first day of the month of ``value`` (a date, datetime, pandas Timestamp or ISO text)."""
    stamp = pd.Timestamp(value)
    return date(stamp.year, stamp.month, 1)


def months_between(earlier: date, later: date) -> int:
    """Whole months from ``earlier`` to ``later`` (2027-01 to 2027-07: 6)."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def exact_usd(value) -> Decimal:
    """A float amount as whole cents (through its shortest repr, so 0.1 is 0.10)."""
    return Decimal(repr(float(value))).quantize(CENT, rounding=ROUND_HALF_UP)


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing columns {', '.join(missing)} (rule: needs {', '.join(columns)})")


@dataclass(frozen=True)
class RepTerms:
    """A rep's pay terms for the fiscal year (see the module docstring)."""

    employed_months: int
    annual_quota_usd: Decimal
    target_variable_usd: Decimal
    monthly_base_usd: Decimal
    #: cap − full-year base (None: uncapped)
    commission_room_usd: Decimal | None

    @staticmethod
    def of(plan: CompPlan, monthly_quotas: list[Decimal]) -> RepTerms:
        """The terms of a rep carrying ``monthly_quotas`` (each > 0) under ``plan``."""
        n = len(monthly_quotas)
        with localcontext() as ctx:
            ctx.prec = 40
            target_variable = plan.ote_usd * plan.variable_share * n / 12
            monthly_base = _round(plan.ote_usd * plan.base_share / 12)
        room = None
        if plan.earnings_cap_usd is not None:
            room = max(Decimal(0), plan.earnings_cap_usd - monthly_base * n)
        return RepTerms(n, sum(monthly_quotas, Decimal(0)), target_variable, monthly_base, room)

    def uncapped_commission(self, plan: CompPlan, bookings_ytd: Decimal) -> Decimal:
        """Σ over tiers of BCR × rate × the part of ``bookings_ytd`` in the tier, unrounded."""
        if bookings_ytd <= 0 or self.annual_quota_usd <= 0:
            return Decimal(0)
        quota = self.annual_quota_usd
        with localcontext() as ctx:
            ctx.prec = 40
            weighted = Decimal(0)
            for tier in plan.tiers:
                lower = tier.from_attainment * quota
                upper = bookings_ytd if tier.to_attainment is None else min(bookings_ytd, tier.to_attainment * quota)
                if upper > lower:
                    weighted += tier.rate * (upper - lower)
            return self.target_variable_usd * weighted / quota

    def commission(self, plan: CompPlan, bookings_ytd: Decimal) -> tuple[Decimal, Decimal]:
        """(commission year to date capped and rounded to the cent, uncapped unrounded)."""
        uncapped = self.uncapped_commission(plan, bookings_ytd)
        capped = uncapped if self.commission_room_usd is None else min(uncapped, self.commission_room_usd)
        return _round(capped), uncapped


def tier_index(plan: CompPlan, attainment: Decimal) -> int:
    """0-based index of the tier ``attainment`` falls in (a tier holds its ``from``, not its ``to``)."""
    index = 0
    for i, tier in enumerate(plan.tiers):
        if attainment >= tier.from_attainment:
            index = i
    return index


def _quotas_by_rep(quotas: pd.DataFrame, months: set[date]) -> dict[str, dict[date, Decimal]]:
    _require(quotas, QUOTA_COLUMNS, "quotas")
    out: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for rep_id, month, quota in zip(quotas["rep_id"], quotas["month"], quotas["quota_usd"]):
        if pd.isna(quota):
            continue
        month, amount = as_month(month), exact_usd(quota)
        if month in months and amount > 0:
            out[str(rep_id)][month] = out[str(rep_id)].get(month, Decimal(0)) + amount
    return out


@dataclass(frozen=True)
class _Credit:
    month: date
    bookings_usd: Decimal
    opportunity_type: str | None
    booked_month: date | None
    is_cancellation: bool
    deal: object


def _credits_by_rep(credits: pd.DataFrame | None) -> dict[str, list[_Credit]]:
    out: dict[str, list[_Credit]] = defaultdict(list)
    if credits is None or len(credits) == 0:
        return out
    _require(credits, CREDIT_COLUMNS, "credits")
    deals = credits["opportunity_id"] if "opportunity_id" in credits.columns else pd.Series([None] * len(credits))
    for i, (rep_id, month, amount, kind, booked, cancelled, deal) in enumerate(
        zip(
            credits["rep_id"],
            credits["month"],
            credits["bookings_usd"],
            credits["opportunity_type"],
            credits["booked_month"],
            credits["is_cancellation"],
            deals,
        )
    ):
        if pd.isna(amount):
            continue
        out[str(rep_id)].append(
            _Credit(
                as_month(month),
                exact_usd(amount),
                None if pd.isna(kind) else str(kind),
                None if pd.isna(booked) else as_month(booked),
                bool(cancelled),
                ("row", i) if deal is None or pd.isna(deal) else deal,
            )
        )
    return out


def _reps_info(reps: pd.DataFrame) -> dict[str, tuple[str | None, str | None]]:
    _require(reps, REP_COLUMNS, "reps")
    out = {}
    for rep_id, role, region in zip(reps["rep_id"], reps["role"], reps["region_code"]):
        out[str(rep_id)] = (None if pd.isna(role) else role, None if pd.isna(region) else region)
    return out


def _rep_rows(
    plan: CompPlan,
    rep_id: str,
    region_code: str | None,
    quotas: dict[date, Decimal],
    credits: list[_Credit],
    fiscal: set[date],
) -> tuple[list[dict], Decimal]:
    """The rep's payout rows, and the credits that fell in fiscal months without a quota."""
    quota_months = sorted(quotas)
    terms = RepTerms.of(plan, [quotas[m] for m in quota_months])
    won: dict[date, Decimal] = defaultdict(Decimal)
    counted: dict[date, Decimal] = defaultdict(Decimal)
    ignored: dict[date, Decimal] = defaultdict(Decimal)
    deals: dict[tuple[date, str | None], set] = defaultdict(set)
    uncredited = Decimal(0)
    for credit in credits:
        if credit.month not in fiscal:
            continue
        if credit.month not in quotas:
            uncredited += credit.bookings_usd
            continue
        if not credit.is_cancellation:
            won[credit.month] += credit.bookings_usd
            if credit.bookings_usd > 0:
                deals[(credit.month, credit.opportunity_type)].add(credit.deal)
            continue
        window = plan.clawback_window_months
        inside = (
            window is not None
            and credit.booked_month is not None
            and credit.booked_month in fiscal
            and 0 <= months_between(credit.booked_month, credit.month) <= window
        )
        (counted if inside else ignored)[credit.month] += credit.bookings_usd

    rows = []
    bookings_ytd, commission_before = Decimal(0), Decimal(0)
    for month in quota_months:
        without_cancellations = bookings_ytd + won[month]
        bookings_ytd = without_cancellations + counted[month]
        commission_ytd, uncapped = terms.commission(plan, bookings_ytd)
        commission_without, _ = terms.commission(plan, without_cancellations)
        spif = sum(
            (s.amount_per_deal_usd * len(deals[(month, s.opportunity_type)]) for s in plan.spifs if s.covers(month)),
            Decimal(0),
        )
        spif = _round(spif)
        commission = commission_ytd - commission_before
        attainment = bookings_ytd / terms.annual_quota_usd
        room = terms.commission_room_usd
        rows.append(
            {
                "rep_id": rep_id,
                "plan_id": plan.id,
                "region_code": region_code,
                "month": month,
                "quota_usd": float(quotas[month]),
                "annual_quota_usd": float(terms.annual_quota_usd),
                "bookings_usd": float(won[month] + counted[month]),
                "bookings_ytd_usd": float(bookings_ytd),
                "attainment_ytd": float(attainment.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)),
                "tier_reached": tier_index(plan, attainment),
                "commission_ytd_usd": float(commission_ytd),
                "commission_usd": float(commission),
                "clawback_usd": float(commission_ytd - commission_without),
                "clawback_ignored_usd": float(ignored[month]),
                "spif_usd": float(spif),
                "base_pay_usd": float(terms.monthly_base_usd),
                "total_pay_usd": float(terms.monthly_base_usd + commission + spif),
                "is_capped": bool(room is not None and uncapped >= room),
            }
        )
        commission_before = commission_ytd
    return rows, uncredited


def compute_payouts(
    book: CompPlanBook, reps: pd.DataFrame, quotas: pd.DataFrame, credits: pd.DataFrame | None
) -> pd.DataFrame:
    """One row per rep × fiscal month with a quota (``PAYOUT_COLUMNS``, defined in the module docstring).

    ``reps``: rep_id, role, region_code (a rep listed twice takes its last row); ``quotas``: rep_id, month,
    quota_usd; ``credits``: rep_id, month, bookings_usd, opportunity_type, booked_month, is_cancellation (and
    optionally opportunity_id). Rows and columns outside the book's fiscal year are ignored.
    ``attrs["reps_without_plan"]``: reps with a quota but no plan (skipped); ``attrs["uncredited_usd"]``: per rep,
    credits of fiscal months without a quota."""
    fiscal = set(book.months)
    info = _reps_info(reps)
    quotas_by_rep = _quotas_by_rep(quotas, fiscal)
    credits_by_rep = _credits_by_rep(credits)
    rows: list[dict] = []
    without_plan: list[str] = []
    uncredited: dict[str, float] = {}
    for rep_id in sorted(quotas_by_rep):
        role, region = info.get(rep_id, (None, None))
        plan = book.plan_for(rep_id, role)
        if plan is None:
            without_plan.append(rep_id)
            continue
        rep_rows, left_out = _rep_rows(
            plan, rep_id, region, quotas_by_rep[rep_id], credits_by_rep.get(rep_id, []), fiscal
        )
        rows.extend(rep_rows)
        if left_out:
            uncredited[rep_id] = float(left_out)
    frame = pd.DataFrame(rows, columns=PAYOUT_COLUMNS)
    frame["tier_reached"] = frame["tier_reached"].astype("int64")
    frame["is_capped"] = frame["is_capped"].astype(bool)
    frame.attrs["reps_without_plan"] = without_plan
    frame.attrs["uncredited_usd"] = uncredited
    return frame


def _ratio(pay_cents: int, bookings_cents: int) -> float | None:
    if bookings_cents == 0:
        return None
    return round(pay_cents / bookings_cents, 6)


def cost_of_sales(payouts: pd.DataFrame) -> pd.DataFrame:
    """Cost of sales = total pay / credited bookings (None when the bookings are 0), per region and in total
    (``region_code`` = "total"), for each month (``period`` = "month") and fiscal year to date through it
    (``period`` = "ytd"). Sums are in whole cents; the ratio is rounded to 6 decimals."""
    if payouts.empty:
        return pd.DataFrame(columns=COST_OF_SALES_COLUMNS)
    cents = pd.DataFrame(
        {
            "region_code": payouts["region_code"].astype(object),
            "month": [as_month(m) for m in payouts["month"]],
            "pay": [int(exact_usd(v) * 100) for v in payouts["total_pay_usd"]],
            "bookings": [int(exact_usd(v) * 100) for v in payouts["bookings_usd"]],
        }
    )
    total = cents.assign(region_code=TOTAL)
    rows = []
    for region, group in pd.concat([cents, total], ignore_index=True).groupby("region_code", sort=False, dropna=False):
        by_month = group.groupby("month")[["pay", "bookings"]].sum().sort_index()
        pay_ytd = bookings_ytd = 0
        for month, pay, bookings in zip(by_month.index, by_month["pay"], by_month["bookings"]):
            pay_ytd, bookings_ytd = pay_ytd + int(pay), bookings_ytd + int(bookings)
            for period, p, b in (("month", int(pay), int(bookings)), ("ytd", pay_ytd, bookings_ytd)):
                rows.append(
                    {
                        "region_code": region,
                        "period": period,
                        "month": month,
                        "total_pay_usd": p / 100,
                        "bookings_usd": b / 100,
                        "cost_of_sales": _ratio(p, b),
                    }
                )
    frame = pd.DataFrame(rows, columns=COST_OF_SALES_COLUMNS)
    frame["_is_total"] = frame["region_code"] == TOTAL
    frame = frame.sort_values(["_is_total", "region_code", "period", "month"], kind="stable", ignore_index=True)
    return frame.drop(columns="_is_total")


def compare_plans(
    book_a: CompPlanBook,
    book_b: CompPlanBook,
    reps: pd.DataFrame,
    quotas: pd.DataFrame,
    credits: pd.DataFrame | None,
    through: date | None = None,
) -> pd.DataFrame:
    """The what-if: each rep's total pay for the fiscal year to date (the months up to ``through`` when given:
    ``quotas`` may run further, for the annual quota) under plan book A and under book B
    (``COMPARE_COLUMNS``; a rep without a plan in one book is paid 0 there, its plan None). ``difference_usd`` =
    B − A, ``change`` "gains" (> 0), "loses" (< 0) or "same". ``attrs["total_a"]`` / ``["total_b"]``: the sums.
    The books must be for the same fiscal year (ValueError otherwise)."""
    if (book_a.fiscal_year, book_a.fiscal_year_start_month) != (book_b.fiscal_year, book_b.fiscal_year_start_month):
        raise ValueError(
            f"compare_plans: plan books for fiscal years {book_a.fiscal_year} and {book_b.fiscal_year} "
            "(rule: a what-if compares plans of the same fiscal year)"
        )
    paid = {}
    for label, book in (("a", book_a), ("b", book_b)):
        frame = compute_payouts(book, reps, quotas, credits)
        if through is not None:
            frame = frame[[as_month(m) <= as_month(through) for m in frame["month"]]]
        totals = defaultdict(Decimal)
        plans = {}
        for rep_id, plan_id, pay in zip(frame["rep_id"], frame["plan_id"], frame["total_pay_usd"]):
            totals[rep_id] += exact_usd(pay)
            plans[rep_id] = plan_id
        paid[label] = (totals, plans)
    region = {rep_id: r for rep_id, (_, r) in _reps_info(reps).items()}
    rows = []
    for rep_id in sorted(set(paid["a"][0]) | set(paid["b"][0])):
        a, b = paid["a"][0].get(rep_id, Decimal(0)), paid["b"][0].get(rep_id, Decimal(0))
        difference = b - a
        rows.append(
            {
                "rep_id": rep_id,
                "region_code": region.get(rep_id),
                "plan_a": paid["a"][1].get(rep_id),
                "plan_b": paid["b"][1].get(rep_id),
                "total_pay_a_usd": float(a),
                "total_pay_b_usd": float(b),
                "difference_usd": float(difference),
                "change": "gains" if difference > 0 else "loses" if difference < 0 else "same",
            }
        )
    frame = pd.DataFrame(rows, columns=COMPARE_COLUMNS)
    frame.attrs["total_a"] = float(sum(paid["a"][0].values(), Decimal(0)))
    frame.attrs["total_b"] = float(sum(paid["b"][0].values(), Decimal(0)))
    return frame
