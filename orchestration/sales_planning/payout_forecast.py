"""The payout forecast: what each rep will earn for the whole fiscal year, at P10, P50 and P90.

Input is the rest of the year's bookings per rep and month at three quantiles (``p10_usd``, ``p50_usd``,
``p90_usd``; the integrator splits the revenue forecast's P50 and its 80 % interval to reps by quota share),
for the fiscal months after the last month of actual credits.

Method. A rep's payout for the year is a non-decreasing function of their credited bookings: base pay is fixed,
every tier rate is ≥ 0 and the cap only flattens the curve (SPIFs count deals and take no part here). We assume
the rep's remaining months move together (comonotonic scenarios: a month at its P10 goes with the other months at
their P10), so the rep's fiscal-year bookings at quantile P are the actuals plus the sum of the months' P-quantiles,
and, the payout being non-decreasing in them, the payout at that point is the P-quantile of the payout. So the
payout engine (``payouts.compute_payouts``) runs three times, once with the remaining months' credits at p10,
at p50 and at p90 (one won credit per rep and month, without an opportunity type: no SPIF is forecast), on top
of the actual credits (cancellations and their clawbacks included as they are).

The ``rep_id = "total"`` row sums the reps. It takes reps and regions as moving together too (the same comonotonic
assumption across reps), so the total's quantiles are the sums of the reps' quantiles; with independent reps the
total's interval would be narrower. Amounts are exact to the cent (sums of the engine's cent amounts).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from orchestration.sales_planning.comp_plans import CompPlanBook
from orchestration.sales_planning.payouts import CREDIT_COLUMNS, TOTAL, as_month, compute_payouts, exact_usd

QUANTILES = ("p10", "p50", "p90")
FORECAST_COLUMNS = ("rep_id", "month", "p10_usd", "p50_usd", "p90_usd")
COLUMNS = (
    ["rep_id", "region_code", "plan_id", "actual_bookings_ytd_usd"]
    + [f"bookings_fy_{q}_usd" for q in QUANTILES]
    + [f"attainment_fy_{q}" for q in QUANTILES]
    + [f"total_pay_fy_{q}_usd" for q in QUANTILES]
    + [f"commission_fy_{q}_usd" for q in QUANTILES]
)


def check_forecast(
    rep_bookings_forecast: pd.DataFrame, book: CompPlanBook, credits_to_date: pd.DataFrame | None
) -> None:
    """Raise ValueError unless every row has p10 ≤ p50 ≤ p90 (numbers), one row per rep × month, in a fiscal month
    of the book after the last month of the actual credits."""
    missing = [c for c in FORECAST_COLUMNS if c not in rep_bookings_forecast.columns]
    if missing:
        raise ValueError(f"rep_bookings_forecast: missing columns {', '.join(missing)}")
    problems = []
    months = set(book.months)
    last_actual = None
    if credits_to_date is not None and len(credits_to_date):
        last_actual = max(as_month(m) for m in credits_to_date["month"])
    seen = set()
    for i, row in enumerate(rep_bookings_forecast.itertuples(index=False)):
        values = [getattr(row, f"{q}_usd") for q in QUANTILES]
        month = as_month(row.month)
        if any(pd.isna(v) for v in values):
            problems.append(f"row {i}: rep {row.rep_id} {month:%Y-%m}: a quantile is missing")
        elif not values[0] <= values[1] <= values[2]:
            problems.append(
                f"row {i}: rep {row.rep_id} {month:%Y-%m}: p10 {values[0]} ≤ p50 {values[1]} ≤ p90 {values[2]} fails"
            )
        if month not in months:
            problems.append(f"row {i}: {month:%Y-%m} is not a month of fiscal year {book.fiscal_year}")
        if last_actual is not None and month <= last_actual:
            problems.append(f"row {i}: {month:%Y-%m} is not after the last actual month {last_actual:%Y-%m}")
        if (str(row.rep_id), month) in seen:
            problems.append(f"row {i}: rep {row.rep_id} {month:%Y-%m} appears twice")
        seen.add((str(row.rep_id), month))
    if problems:
        raise ValueError("rep_bookings_forecast: " + "; ".join(problems))


def _scenario_credits(credits_to_date: pd.DataFrame | None, forecast: pd.DataFrame, quantile: str) -> pd.DataFrame:
    """The actual credits plus one won credit per rep and forecast month at the quantile."""
    future = pd.DataFrame(
        {
            "rep_id": forecast["rep_id"].astype(str).to_numpy(),
            "month": [as_month(m) for m in forecast["month"]],
            "bookings_usd": forecast[f"{quantile}_usd"].astype(float).to_numpy(),
            "opportunity_type": [None] * len(forecast),
            "is_cancellation": [False] * len(forecast),
        }
    )
    future["booked_month"] = future["month"]
    future = future[list(CREDIT_COLUMNS)]
    if credits_to_date is None or len(credits_to_date) == 0:
        return future
    actual = credits_to_date.copy()
    actual["month"] = [as_month(m) for m in actual["month"]]
    return pd.concat([actual, future], ignore_index=True)


def _fy(payouts: pd.DataFrame) -> dict[str, dict]:
    """Per rep: fiscal-year bookings, commission and total pay (Decimal cents), annual quota, plan, region."""
    out: dict[str, dict] = defaultdict(lambda: {"bookings": Decimal(0), "commission": Decimal(0), "pay": Decimal(0)})
    for row in payouts.itertuples(index=False):
        rep = out[row.rep_id]
        rep["bookings"] += exact_usd(row.bookings_usd)
        rep["commission"] += exact_usd(row.commission_usd)
        rep["pay"] += exact_usd(row.total_pay_usd)
        rep["quota"] = exact_usd(row.annual_quota_usd)
        rep["plan_id"], rep["region_code"] = row.plan_id, row.region_code
    return out


def _attainment(bookings: Decimal, quota: Decimal) -> float | None:
    if not quota:
        return None
    return float((bookings / quota).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def forecast_payouts(
    book: CompPlanBook,
    reps: pd.DataFrame,
    quotas: pd.DataFrame,
    credits_to_date: pd.DataFrame | None,
    rep_bookings_forecast: pd.DataFrame,
) -> pd.DataFrame:
    """Each rep's fiscal-year bookings, attainment, commission and total pay at P10/P50/P90 (``COLUMNS``), and a
    ``rep_id = "total"`` row of sums (module docstring: method and assumptions).

    ``quotas`` must cover the whole fiscal year: a forecast month without a quota row has no payout row and its
    bookings are not credited. ``rep_bookings_forecast``: rep_id, month, p10_usd, p50_usd, p90_usd for fiscal months
    after the last actual credit month (``check_forecast``: ValueError otherwise)."""
    check_forecast(rep_bookings_forecast, book, credits_to_date)
    actual = _fy(compute_payouts(book, reps, quotas, credits_to_date))
    scenarios = {
        q: _fy(compute_payouts(book, reps, quotas, _scenario_credits(credits_to_date, rep_bookings_forecast, q)))
        for q in QUANTILES
    }
    rows = []
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for rep_id in sorted(scenarios["p50"]):
        first = scenarios["p50"][rep_id]
        row = {
            "rep_id": rep_id,
            "region_code": first["region_code"],
            "plan_id": first["plan_id"],
            "actual_bookings_ytd_usd": float(actual[rep_id]["bookings"]),
        }
        sums["actual"] += actual[rep_id]["bookings"]
        sums["quota"] += first["quota"]
        for q in QUANTILES:
            rep = scenarios[q][rep_id]
            row[f"bookings_fy_{q}_usd"] = float(rep["bookings"])
            row[f"attainment_fy_{q}"] = _attainment(rep["bookings"], rep["quota"])
            row[f"total_pay_fy_{q}_usd"] = float(rep["pay"])
            row[f"commission_fy_{q}_usd"] = float(rep["commission"])
            for key in ("bookings", "pay", "commission"):
                sums[f"{key}_{q}"] += rep[key]
        rows.append(row)
    if rows:
        total = {
            "rep_id": TOTAL,
            "region_code": TOTAL,
            "plan_id": None,
            "actual_bookings_ytd_usd": float(sums["actual"]),
        }
        for q in QUANTILES:
            total[f"bookings_fy_{q}_usd"] = float(sums[f"bookings_{q}"])
            total[f"attainment_fy_{q}"] = _attainment(sums[f"bookings_{q}"], sums["quota"])
            total[f"total_pay_fy_{q}_usd"] = float(sums[f"pay_{q}"])
            total[f"commission_fy_{q}_usd"] = float(sums[f"commission_{q}"])
        rows.append(total)
    return pd.DataFrame(rows, columns=COLUMNS)
