"""The payout engine, cost of sales, the what-if and the payout forecast, against cases calculated by hand.

The plan of most cases: OTE 100,000, pay mix 60/40, cap 160,000, tiers 0-0.5 × 0.5, 0.5-1.0 × 1.0, 1.0-1.5 × 1.6,
1.5+ × 2.0, a New Business SPIF of 1,000 a deal in Jan-Mar 2027 and a 6-month clawback. A full-year rep carries
100,000 a month: annual quota 1,200,000, target variable TV = 100,000 × 0.4 = 40,000, BCR = 40,000 / 1,200,000 =
1/30 = 0.0333…, base 100,000 × 0.6 / 12 = 5,000 a month (60,000 a year), commission room 160,000 − 60,000 = 100,000.
So commission (uncapped) of YTD bookings B: B/60 up to 600,000 (rate 0.5), then 10,000 + (B − 600,000)/30 up to
1,200,000, then 30,000 + (B − 1,200,000) × 1.6/30 up to 1,800,000, then 62,000 + (B − 1,800,000)/15.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from orchestration.sales_planning.comp_plans import parse_comp_plans
from orchestration.sales_planning.payout_forecast import forecast_payouts
from orchestration.sales_planning.payouts import compare_plans, compute_payouts, cost_of_sales

PLAN = """\
fiscal_year: 2027
plans:
  - id: AE
    role: Sales Rep
    ote_usd: 100000
    pay_mix: {base: 0.6, variable: 0.4}
    measure: bookings
    earnings_cap_usd: 160000
    tiers:
      - {from: 0.0, to: 0.5, rate: 0.5}
      - {from: 0.5, to: 1.0, rate: 1.0}
      - {from: 1.0, to: 1.5, rate: 1.6}
      - {from: 1.5, rate: 2.0}
    spifs:
      - {name: New logo push, from: 2027-01, to: 2027-03, opportunity_type: New Business, amount_per_deal_usd: 1000}
    clawback: {window_months: 6}
assignments:
  - {rep_id: m1, plan: AE}
"""
FLAT_PLAN = """\
fiscal_year: 2027
plans:
  - id: AE-flat
    role: Sales Rep
    ote_usd: 100000
    pay_mix: {base: 0.6, variable: 0.4}
    measure: bookings
    earnings_cap_usd: 160000
    tiers:
      - {from: 0.0, rate: 1.0}
"""
BOOK = parse_comp_plans(PLAN, fiscal_years={2027}, known_reps={"m1"})
FLAT = parse_comp_plans(FLAT_PLAN, fiscal_years={2027}, known_reps=set())
YEAR = [date(2027, m, 1) for m in range(1, 13)]
CREDIT_COLUMNS = [
    "rep_id",
    "month",
    "bookings_usd",
    "opportunity_type",
    "booked_month",
    "is_cancellation",
    "opportunity_id",
]


def m(month: int, year: int = 2027) -> date:
    return date(year, month, 1)


def _reps(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=["rep_id", "role", "region_code"])


def _quotas(rep_id: str, months=YEAR, quota: float = 100_000.0) -> pd.DataFrame:
    return pd.DataFrame({"rep_id": rep_id, "month": list(months), "quota_usd": quota})


def _won(rep_id, month, amount, kind="Expansion", opportunity_id=None):
    return (rep_id, month, float(amount), kind, month, False, opportunity_id)


def _cancelled(rep_id, month, amount, booked_month, kind="Expansion"):
    return (rep_id, month, -float(amount), kind, booked_month, True, None)


def _credits(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=CREDIT_COLUMNS)


def _one_rep(*credit_rows, months=YEAR, quotas=None) -> pd.DataFrame:
    quotas = _quotas("r1", months) if quotas is None else quotas
    return compute_payouts(BOOK, _reps(("r1", "Sales Rep", "NA")), quotas, _credits(*credit_rows))


def _row(payouts: pd.DataFrame, month: date) -> pd.Series:
    return payouts.set_index("month").loc[month]


EDGES = [
    # bookings in January, attainment, tier, commission by hand
    (599_880, 0.4999, 0, 9_998.00),  # 599,880 / 60
    (600_120, 0.5001, 1, 10_004.00),  # 600,000/60 = 10,000 + 120/30 = 4
    (1_199_880, 0.9999, 1, 29_996.00),  # 10,000 + 599,880/30 = 19,996
    (1_200_120, 1.0001, 2, 30_006.40),  # 30,000 + 120 × 1.6 / 30 = 6.40
    (1_799_880, 1.4999, 2, 61_993.60),  # 30,000 + 599,880 × 1.6 / 30 = 31,993.60
    (1_800_120, 1.5001, 3, 62_008.00),  # 62,000 + 120 × 2 / 30 = 8
]


@pytest.mark.parametrize(("bookings", "attainment", "tier", "commission"), EDGES)
def test_commission_just_below_and_above_each_tier_edge(bookings, attainment, tier, commission):
    paid = _one_rep(_won("r1", m(1), bookings))
    jan, feb = _row(paid, m(1)), _row(paid, m(2))
    assert jan["attainment_ytd"] == attainment and jan["tier_reached"] == tier
    assert jan["commission_ytd_usd"] == commission and jan["commission_usd"] == commission
    assert jan["total_pay_usd"] == pytest.approx(5_000 + commission, abs=1e-9)
    assert jan["annual_quota_usd"] == 1_200_000 and jan["base_pay_usd"] == 5_000
    assert not jan["is_capped"]
    # nothing booked after January: the year to date stays, the month pays no commission
    assert feb["commission_ytd_usd"] == commission and feb["commission_usd"] == 0 and feb["total_pay_usd"] == 5_000
    assert len(paid) == 12


def test_the_cap_just_below_exactly_at_and_above():
    # room 100,000 = 160,000 − 60,000 base. 62,000 + (B − 1,800,000)/15 = 100,000 at B = 2,370,000
    below = _row(_one_rep(_won("r1", m(1), 2_369_985)), m(1))  # 62,000 + 569,985/15 = 99,999
    assert below["commission_ytd_usd"] == 99_999.00 and not below["is_capped"]
    at = _one_rep(_won("r1", m(1), 2_370_000))
    assert _row(at, m(1))["commission_ytd_usd"] == 100_000.00 and _row(at, m(1))["is_capped"]
    above = _one_rep(_won("r1", m(1), 2_400_000), _won("r1", m(5), 50_000))  # uncapped 62,000 + 600,000/15 = 102,000
    jan, may = _row(above, m(1)), _row(above, m(5))
    assert jan["commission_ytd_usd"] == 100_000.00 and jan["is_capped"] and jan["tier_reached"] == 3
    assert may["commission_usd"] == 0 and may["bookings_ytd_usd"] == 2_450_000
    # base + commission for the year is exactly the cap: 60,000 + 100,000
    assert above["total_pay_usd"].sum() == 160_000.00


def test_a_clawback_inside_the_window_lowers_the_month_commission():
    # Jan books 600,000 (commission 10,000). Apr: a new deal of 150,000 and the cancellation of 300,000 of January's
    # (3 months <= 6: counted). YTD without the cancellation 750,000 -> 10,000 + 150,000/30 = 15,000;
    # with it 450,000 -> 450,000/60 = 7,500. Month: 7,500 − 10,000 = −2,500; clawback 7,500 − 15,000 = −7,500.
    paid = _one_rep(_won("r1", m(1), 600_000), _won("r1", m(4), 150_000), _cancelled("r1", m(4), 300_000, m(1)))
    apr = _row(paid, m(4))
    assert apr["bookings_usd"] == -150_000 and apr["bookings_ytd_usd"] == 450_000
    assert apr["commission_ytd_usd"] == 7_500.00 and apr["commission_usd"] == -2_500.00
    assert apr["clawback_usd"] == -7_500.00 and apr["clawback_ignored_usd"] == 0
    assert apr["total_pay_usd"] == 2_500.00  # 5,000 base − 2,500
    assert _row(paid, m(1))["clawback_usd"] == 0


def test_the_window_edge_and_a_cancellation_outside_it():
    # Jan -> Jul is 6 months: counted (600,000 − 300,000 = 300,000 -> 5,000, Jul commission −5,000)
    inside = _row(_one_rep(_won("r1", m(1), 600_000), _cancelled("r1", m(7), 300_000, m(1))), m(7))
    assert inside["commission_usd"] == -5_000.00 and inside["clawback_usd"] == -5_000.00
    # Jan -> Aug is 7 months: ignored, the deal stays paid and the cancelled amount is reported
    outside = _row(_one_rep(_won("r1", m(1), 600_000), _cancelled("r1", m(8), 300_000, m(1))), m(8))
    assert outside["commission_usd"] == 0 and outside["clawback_usd"] == 0
    assert outside["bookings_usd"] == 0 and outside["bookings_ytd_usd"] == 600_000
    assert outside["clawback_ignored_usd"] == -300_000
    # booked in the previous fiscal year (Dec 2026 -> Feb 2027, 2 months): ignored
    last_year = _row(_one_rep(_won("r1", m(1), 600_000), _cancelled("r1", m(2), 100_000, m(12, 2026))), m(2))
    assert last_year["commission_usd"] == 0 and last_year["clawback_ignored_usd"] == -100_000


def test_spif_per_deal_in_a_spif_month_on_top_of_commission():
    paid = _one_rep(
        _won("r1", m(2), 100_000, "New Business", "o1"),
        _won("r1", m(2), 50_000, "New Business", "o2"),
        _won("r1", m(2), 30_000, "Expansion", "o3"),
        _won("r1", m(4), 40_000, "New Business", "o4"),  # April: outside the SPIF
    )
    feb, apr = _row(paid, m(2)), _row(paid, m(4))
    # Feb: 2 New Business deals × 1,000; commission 180,000/60 = 3,000; total 5,000 + 3,000 + 2,000
    assert feb["spif_usd"] == 2_000 and feb["commission_usd"] == 3_000 and feb["total_pay_usd"] == 10_000
    # Apr: no SPIF; YTD 220,000/60 = 3,666.666… -> 3,666.67, the month 3,666.67 − 3,000 = 666.67
    assert apr["spif_usd"] == 0 and apr["commission_ytd_usd"] == 3_666.67 and apr["commission_usd"] == 666.67


def test_spif_is_paid_outside_the_cap():
    # capped at 100,000 (see the cap case) and the New Business deal still earns its 1,000
    jan = _row(_one_rep(_won("r1", m(1), 2_400_000, "New Business", "o1")), m(1))
    assert jan["is_capped"] and jan["spif_usd"] == 1_000
    assert jan["total_pay_usd"] == 106_000  # 5,000 + 100,000 + 1,000


def test_a_rep_hired_mid_year_is_prorated():
    # quota from June: 50,000 (ramp) then 100,000 Jul-Dec: n = 7, Q = 650,000, TV = 100,000 × 0.4 × 7/12 = 23,333.33…
    quotas = pd.concat([_quotas("r1", [m(6)], 50_000.0), _quotas("r1", [m(k) for k in range(7, 13)])])
    paid = _one_rep(_won("r1", m(4), 10_000), _won("r1", m(9), 200_000), _won("r1", m(11), 450_000), quotas=quotas)
    assert list(paid["month"]) == [m(k) for k in range(6, 13)]
    sep, nov = _row(paid, m(9)), _row(paid, m(11))
    assert sep["annual_quota_usd"] == 650_000 and sep["attainment_ytd"] == 0.3077  # 200/650 = 0.307692
    # 280,000/12 × 0.5 × 200,000/650,000 = 28,000,000,000 / 7,800,000 = 3,589.7436 -> 3,589.74
    assert sep["commission_usd"] == 3_589.74
    # YTD 650,000 = the quota: TV × (0.5 × 0.5 + 0.5 × 1.0) = 23,333.33… × 0.75 = 17,500; month 17,500 − 3,589.74
    assert nov["attainment_ytd"] == 1.0 and nov["tier_reached"] == 2
    assert nov["commission_ytd_usd"] == 17_500.00 and nov["commission_usd"] == 13_910.26
    assert (paid["base_pay_usd"] == 5_000).all() and paid["base_pay_usd"].sum() == 35_000
    # the April deal, before the hire month, has no payout row to go on
    assert paid.attrs["uncredited_usd"] == {"r1": 10_000.0}


def test_month_by_month_year_to_date_is_monotone_and_adds_up_to_the_cent():
    # 10,000 every month: YTD k × 10,000 / 60 = 166.666… × k -> 166.67, 333.33, 500.00, …, Dec 120,000/60 = 2,000
    paid = _one_rep(*[_won("r1", month, 10_000) for month in YEAR])
    ytd = list(paid["commission_ytd_usd"])
    assert ytd[:3] == [166.67, 333.33, 500.00] and ytd[-1] == 2_000.00
    assert list(paid["commission_usd"][:3]) == [166.67, 166.66, 166.67]
    assert all(a <= b for a, b in zip(ytd, ytd[1:]))
    running = 0
    for month_cents, ytd_value in zip(paid["commission_usd"], ytd):
        running += round(month_cents * 100)
        assert running == round(ytd_value * 100)
    assert list(paid["bookings_ytd_usd"]) == [10_000.0 * k for k in range(1, 13)]


def test_reps_without_a_plan_are_skipped_and_an_assignment_gives_one():
    reps = _reps(("r1", "Sales Rep", "NA"), ("x1", "Sales Manager", "NA"), ("m1", "Sales Manager", "EU"))
    quotas = pd.concat([_quotas("r1"), _quotas("x1"), _quotas("m1")])
    paid = compute_payouts(BOOK, reps, quotas, _credits())
    assert set(paid["rep_id"]) == {"r1", "m1"}
    assert paid.attrs["reps_without_plan"] == ["x1"]
    assert set(paid.loc[paid["rep_id"] == "m1", "region_code"]) == {"EU"}


def test_cost_of_sales_by_region_month_and_year_to_date():
    reps = _reps(("r1", "Sales Rep", "NA"), ("r2", "Sales Rep", "EU"))
    credits = _credits(_won("r1", m(1), 300_000), _won("r2", m(2), 120_000))
    paid = compute_payouts(BOOK, reps, pd.concat([_quotas("r1"), _quotas("r2")]), credits)
    cost = cost_of_sales(paid).set_index(["region_code", "period", "month"])

    def ratio(region, period, month):
        return cost.loc[(region, period, month), "cost_of_sales"]

    # NA Jan: 5,000 base + 300,000/60 = 5,000 commission -> 10,000 / 300,000
    assert ratio("NA", "month", m(1)) == 0.033333
    assert pd.isna(ratio("NA", "month", m(2)))  # Feb: 5,000 pay, no bookings -> null
    assert ratio("NA", "ytd", m(2)) == 0.05  # 15,000 / 300,000
    assert pd.isna(ratio("EU", "month", m(1)))
    assert ratio("EU", "month", m(2)) == 0.058333  # 5,000 + 120,000/60 = 7,000 / 120,000
    assert ratio("EU", "ytd", m(2)) == 0.1  # 12,000 / 120,000
    assert ratio("total", "month", m(1)) == 0.05  # 15,000 / 300,000
    assert ratio("total", "ytd", m(2)) == 0.064286  # 27,000 / 420,000 = 0.0642857
    assert cost.loc[("total", "ytd", m(12)), "total_pay_usd"] == 127_000  # 24 × 5,000 + 7,000
    assert ratio("total", "ytd", m(12)) == 0.302381  # 127,000 / 420,000 = 0.3023810


def test_what_if_reps_gain_lose_or_stay_the_same():
    reps = _reps(("x", "Sales Rep", "NA"), ("y", "Sales Rep", "NA"), ("w", "Sales Rep", "EU"))
    quotas = pd.concat([_quotas("x"), _quotas("y"), _quotas("w")])
    credits = _credits(_won("x", m(1), 300_000), _won("y", m(1), 1_800_000))
    compared = compare_plans(BOOK, FLAT, reps, quotas, credits).set_index("rep_id")
    # x: A 300,000/60 = 5,000, B (flat rate 1) 300,000/30 = 10,000 -> gains 5,000 (both + 60,000 base)
    assert compared.loc["x", ["total_pay_a_usd", "total_pay_b_usd", "difference_usd"]].tolist() == [
        65_000,
        70_000,
        5_000,
    ]
    assert compared.loc["x", "change"] == "gains"
    # y: A 10,000 + 20,000 + 32,000 = 62,000, B 1,800,000/30 = 60,000 -> loses 2,000
    assert compared.loc["y", "difference_usd"] == -2_000 and compared.loc["y", "change"] == "loses"
    # w: no bookings, base only under both
    assert compared.loc["w", "change"] == "same" and compared.loc["w", "total_pay_b_usd"] == 60_000
    assert (compared.loc["x", "plan_a"], compared.loc["x", "plan_b"]) == ("AE", "AE-flat")
    assert compared.attrs["total_a"] == 247_000 and compared.attrs["total_b"] == 250_000  # 65+122+60, 70+120+60


def _forecast(rep_id, p10, p50, p90, months=range(7, 13)):
    return [(rep_id, m(k), float(p10), float(p50), float(p90)) for k in months]


def test_payout_forecast_orders_the_quantiles_and_matches_a_hand_calculation():
    reps = _reps(("f1", "Sales Rep", "NA"), ("f2", "Sales Rep", "EU"))
    quotas = pd.concat([_quotas("f1"), _quotas("f2")])
    actual = _credits(*[_won("f1", m(k), 100_000) for k in range(1, 7)])  # f1: 600,000 by June
    forecast = pd.DataFrame(
        _forecast("f1", 50_000, 100_000, 150_000) + _forecast("f2", 0, 60_000, 120_000),
        columns=["rep_id", "month", "p10_usd", "p50_usd", "p90_usd"],
    )
    out = forecast_payouts(BOOK, reps, quotas, actual, forecast).set_index("rep_id")
    f1 = out.loc["f1"]
    # f1: 600,000 + 6 × (50,000 | 100,000 | 150,000) = 900,000 | 1,200,000 | 1,500,000
    assert f1["actual_bookings_ytd_usd"] == 600_000
    assert [f1[f"bookings_fy_{q}_usd"] for q in ("p10", "p50", "p90")] == [900_000, 1_200_000, 1_500_000]
    assert [f1[f"attainment_fy_{q}"] for q in ("p10", "p50", "p90")] == [0.75, 1.0, 1.25]
    # commission: 10,000 + 300,000/30 = 20,000 | 30,000 | 30,000 + 300,000 × 1.6/30 = 46,000; + 60,000 base
    assert [f1[f"commission_fy_{q}_usd"] for q in ("p10", "p50", "p90")] == [20_000, 30_000, 46_000]
    assert [f1[f"total_pay_fy_{q}_usd"] for q in ("p10", "p50", "p90")] == [80_000, 90_000, 106_000]
    # f2: 0 | 360,000 -> 6,000 | 720,000 -> 10,000 + 120,000/30 = 14,000
    assert [out.loc["f2", f"total_pay_fy_{q}_usd"] for q in ("p10", "p50", "p90")] == [60_000, 66_000, 74_000]
    total = out.loc["total"]
    assert [total[f"total_pay_fy_{q}_usd"] for q in ("p10", "p50", "p90")] == [140_000, 156_000, 180_000]
    assert [total[f"bookings_fy_{q}_usd"] for q in ("p10", "p50", "p90")] == [900_000, 1_560_000, 2_220_000]
    assert [total[f"attainment_fy_{q}"] for q in ("p10", "p50", "p90")] == [0.375, 0.65, 0.925]  # / 2,400,000
    for _, row in out.iterrows():
        assert row["total_pay_fy_p10_usd"] <= row["total_pay_fy_p50_usd"] <= row["total_pay_fy_p90_usd"]
        assert row["commission_fy_p10_usd"] <= row["commission_fy_p50_usd"] <= row["commission_fy_p90_usd"]


def test_payout_forecast_refuses_unordered_quantiles_and_months_already_actual():
    reps = _reps(("f1", "Sales Rep", "NA"))
    actual = _credits(_won("f1", m(6), 100_000))
    columns = ["rep_id", "month", "p10_usd", "p50_usd", "p90_usd"]
    unordered = pd.DataFrame(_forecast("f1", 120_000, 100_000, 150_000), columns=columns)
    with pytest.raises(ValueError, match="p10 120000.0 ≤ p50 100000.0"):
        forecast_payouts(BOOK, reps, _quotas("f1"), actual, unordered)
    overlapping = pd.DataFrame(_forecast("f1", 50_000, 100_000, 150_000, months=range(6, 13)), columns=columns)
    with pytest.raises(ValueError, match="not after the last actual month 2027-06"):
        forecast_payouts(BOOK, reps, _quotas("f1"), actual, overlapping)
