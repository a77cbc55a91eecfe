"""Sales headcount: the ramp rule, ramped productivity, attrition, rep capacity and the hiring plan, each
checked against a case worked by hand."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from orchestration.sales_planning import headcount as hc
from orchestration.sales_planning.headcount import HeadcountPolicy

FY2026 = [date(2026, m, 1) for m in range(1, 13)]
RAMP = (0.25, 0.5, 0.75)
PRODUCTIVITY = pd.DataFrame({"region_code": ["R"], "productivity_usd_per_rep_month": [10_000.0]})
NO_ATTRITION = HeadcountPolicy(annual_attrition=0.0)


def reps_frame(rows, with_region: bool = False) -> pd.DataFrame:
    columns = ["rep_id", "territory_id", "hire_date", "leave_date"] + (["region_code"] if with_region else [])
    return pd.DataFrame(rows, columns=columns)


# ---- the ramp ----


def test_the_ramp_rule():
    hire = date(2026, 3, 10)  # March is the 1st month of employment
    assert hc.ramp_factor(hire, None, date(2026, 2, 1), RAMP) == 0.0
    assert [hc.ramp_factor(hire, None, date(2026, m, 1), RAMP) for m in (3, 4, 5, 6, 12)] == [0.25, 0.5, 0.75, 1, 1]
    assert hc.months_employed(hire, None, date(2026, 6, 1)) == 4
    # leave_date is the first day gone: employed through June, nothing from July on (also mid-month leave dates)
    assert hc.ramp_factor(date(2020, 1, 1), date(2026, 7, 1), date(2026, 6, 1), RAMP) == 1.0
    assert hc.ramp_factor(date(2020, 1, 1), date(2026, 7, 1), date(2026, 7, 1), RAMP) == 0.0
    assert hc.ramp_factor(date(2020, 1, 1), pd.Timestamp("2026-07-15"), date(2026, 7, 1), RAMP) == 0.0
    assert hc.ramp_factor(pd.Timestamp("2026-05-31"), pd.NaT, pd.Timestamp("2026-05-01"), RAMP) == 0.25


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"ramp": (1.5,)}, "ramp"),
        ({"time_to_fill_months": -1}, "time_to_fill_months"),
        ({"annual_attrition": 1.0}, "annual_attrition"),
        ({"max_hires_per_territory": 2.5}, "max_hires_per_territory"),
    ],
)
def test_a_bad_headcount_policy_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        HeadcountPolicy(**kwargs)


def test_months_must_be_consecutive():
    with pytest.raises(ValueError, match="consecutive"):
        hc.fiscal_months([date(2026, 1, 1), date(2026, 3, 1)])


# ---- productivity and attrition ----


def test_ramped_productivity_per_region_and_the_company_fallback():
    rows = [
        # region N: A ramped in 2 months (20,000; 30,000 booked in two rows of 10,000 + 20,000 = one rep-month)
        ("A", "N", "2025-10-01", 20_000.0, 10),
        ("A", "N", "2025-11-01", 10_000.0, 11),
        ("A", "N", "2025-11-01", 20_000.0, 11),
        # B: months 2 and 3 of employment are still ramping (not > 3); month 4 counts
        ("B", "N", "2025-09-01", 5_000.0, 2),
        ("B", "N", "2025-10-01", 8_000.0, 3),
        ("B", "N", "2025-11-01", 16_000.0, 4),
        # region S: only ramping months → the company-wide mean
        ("C", "S", "2025-11-01", 3_000.0, 1),
        # region W: one ramped rep-month
        ("D", "W", "2025-11-01", 40_000.0, 30),
    ]
    history = pd.DataFrame(rows, columns=["rep_id", "region_code", "month", "bookings_usd", "months_employed"])
    out = hc.ramped_productivity(history, ramp_months=3, regions=["X"]).set_index("region_code")
    # N: (20,000 + 30,000 + 16,000) / 3 rep-months = 22,000; W: 40,000 / 1
    # company: (66,000 + 40,000) / 4 = 26,500 for S and for X (no history at all)
    assert out.loc["N", ["ramped_rep_months", "bookings_usd", "productivity_usd_per_rep_month"]].tolist() == [
        3,
        66_000.0,
        22_000.0,
    ]
    assert out.loc["W", "productivity_usd_per_rep_month"] == 40_000.0
    assert out.loc["S", "productivity_usd_per_rep_month"] == 26_500.0 and out.loc["S", "basis"] == "company"
    assert out.loc["X", "productivity_usd_per_rep_month"] == 26_500.0 and out.loc["N", "basis"] == "region"


def test_attrition_over_a_year_and_over_half_a_year():
    history = pd.DataFrame(
        [
            # region S, window Jan–Dec 2025: A and B all year; C leaves 1 July (Jan–Jun); D hired July (Jul–Dec)
            ("A", "S", date(2023, 1, 1), None),
            ("B", "S", date(2023, 1, 1), None),
            ("C", "S", date(2023, 1, 1), date(2025, 7, 1)),
            ("D", "S", date(2025, 7, 1), None),
            # region Q: E left before the window, F leaves the day after it ends
            ("E", "Q", date(2022, 1, 1), date(2025, 3, 1)),
            ("F", "Q", date(2022, 1, 1), date(2026, 1, 1)),
        ],
        columns=["rep_id", "region_code", "hire_date", "leave_date"],
    )
    year = [date(2025, m, 1) for m in range(1, 13)]
    out = hc.attrition_rate(history, year).set_index("region_code")
    # S: headcount 3 every month (A, B, C then A, B, D) → average 3; 1 leaver → 1 / 3 × 12 / 12 = 0.3333
    assert out.loc["S", ["leavers", "average_headcount", "annual_attrition"]].tolist() == [1, 3.0, 0.3333]
    # Q: E's leave month (March) is in the window → 1 leaver; headcount Jan–Feb E + F = 2, Mar–Dec F = 1:
    # (2·2 + 10·1) / 12 = 14/12 = 1.1667; 1 / (14/12) = 0.8571; F leaves in January 2026, outside the window
    assert out.loc["Q", "leavers"] == 1 and out.loc["Q", "average_headcount"] == 1.1667
    assert out.loc["Q", "annual_attrition"] == 0.8571
    # half a year, Jan–Jun 2025, region S: headcount A, B, C = 3 each month; C's leave month July is outside → 0
    first_half = hc.attrition_rate(history, [date(2025, m, 1) for m in range(1, 7)]).set_index("region_code")
    assert first_half.loc["S", "annual_attrition"] == 0.0
    # Jul–Dec 2025: C's leave month July is inside → 1 leaver; headcount A, B, D = 3 → 1 / 3 × 12 / 6 = 0.6667
    second_half = hc.attrition_rate(history, [date(2025, m, 1) for m in range(7, 13)]).set_index("region_code")
    assert second_half.loc["S", ["leavers", "average_headcount", "annual_attrition"]].tolist() == [1, 3.0, 0.6667]


# ---- capacity ----


def test_rep_capacity_per_territory():
    reps = reps_frame(
        [
            ("A", "T1", date(2024, 1, 1), None, "R"),  # 12 ramped months
            ("B", "T1", date(2026, 3, 10), None, "R"),  # 0.25 + 0.5 + 0.75 + 7 × 1 = 8.5
            ("C", "T2", date(2020, 1, 1), date(2026, 7, 1), "R"),  # Jan–Jun = 6
            ("D", "T2", date(2020, 1, 1), date(2025, 7, 1), "R"),  # gone before the year: 0, not counted
        ],
        with_region=True,
    )
    territories = pd.DataFrame({"territory_id": ["T3"], "region_code": ["R"]})
    out = hc.rep_capacity(reps, FY2026, PRODUCTIVITY, HeadcountPolicy(), territories=territories)
    # T1: 20.5 × 10,000 = 205,000; T2: 6 × 10,000 = 60,000; T3: no reps
    assert out["territory_id"].tolist() == ["T1", "T2", "T3"]
    assert out["reps"].tolist() == [2, 1, 0]
    assert out["ramped_rep_months"].tolist() == [20.5, 6.0, 0.0]
    assert out["capacity_usd"].tolist() == [205_000.0, 60_000.0, 0.0]


# ---- the hiring plan ----


def one_territory(target: float) -> pd.DataFrame:
    return pd.DataFrame({"territory_id": ["T1"], "region_code": ["R"], "target_usd": [target]})


ONE_RAMPED_REP = reps_frame([("A", "T1", date(2020, 1, 1), None)])


def test_no_hires_needed_when_todays_reps_cover_the_target():
    # one ramped rep, no attrition: 12 × 10,000 = 120,000 ≥ 100,000 → 0 hires, 20,000 to spare
    summary, monthly, hires = hc.hiring_plan(
        one_territory(100_000.0), ONE_RAMPED_REP, FY2026, PRODUCTIVITY, None, NO_ATTRITION, date(2025, 12, 1)
    )
    row = summary.iloc[0]
    assert row["reps_now"] == 1 and row["hires_needed"] == 0
    assert row["capacity_without_hires_usd"] == row["capacity_with_hires_usd"] == 120_000.0
    assert row["coverage_gap_usd"] == -20_000.0
    assert row["reps_needed_fte"] == 0.83  # 100,000 / (10,000 × 12) = 0.8333
    assert hires.empty and list(hires.columns) == [
        "territory_id",
        "region_code",
        "requisition_month",
        "start_month",
        "hires",
    ]
    assert monthly["expected_capacity_usd"].tolist() == [10_000.0] * 12
    assert monthly["cumulative_capacity_usd"].iloc[-1] == 120_000.0


def test_two_hires_with_time_to_fill():
    # plan month Dec 2025, time to fill 3 → hires start max(Jan 2026, Mar 2026) = Mar 2026, requisitioned Dec 2025.
    # A hire sells 0.25 + 0.5 + 0.75 + 7 × 1 = 8.5 rep-months × 10,000 = 85,000 in the year.
    # Target 280,000: 0 hires 120,000; 1 hire 205,000 < 280,000; 2 hires 290,000 ≥ → 2 hires, 10,000 to spare
    summary, monthly, hires = hc.hiring_plan(
        one_territory(280_000.0), ONE_RAMPED_REP, FY2026, PRODUCTIVITY, None, NO_ATTRITION, date(2025, 12, 1)
    )
    row = summary.iloc[0]
    assert row["hires_needed"] == 2
    assert row["capacity_without_hires_usd"] == 120_000.0 and row["capacity_with_hires_usd"] == 290_000.0
    assert row["coverage_gap_usd"] == -10_000.0
    assert row["reps_needed_fte"] == 2.33  # 280,000 / 120,000
    assert hires.to_dict("records") == [
        {
            "territory_id": "T1",
            "region_code": "R",
            "requisition_month": date(2025, 12, 1),
            "start_month": date(2026, 3, 1),
            "hires": 2,
        }
    ]
    # Feb: A only; Mar: 1 + 2 × 0.25 = 1.5 FTE → 15,000; Apr 1 + 2 × 0.5 = 2 → 20,000; Jun on 3 → 30,000
    assert monthly["expected_ramped_fte"].tolist()[1:6] == [1.0, 1.5, 2.0, 2.5, 3.0]
    assert monthly["expected_reps"].tolist()[1:3] == [1.0, 3.0]
    assert monthly["expected_capacity_usd"].tolist()[2] == 15_000.0
    assert monthly["cumulative_capacity_usd"].tolist()[-1] == 290_000.0


def test_hires_start_with_the_fiscal_year_when_the_plan_is_made_early():
    # plan month Jun 2025 + 3 = Sep 2025, before the year: start Jan 2026, requisition Oct 2025. A hire sells
    # 0.25 + 0.5 + 0.75 + 9 = 10.5 rep-months = 105,000. Target 300,000: 120,000 + 105,000 = 225,000 short;
    # + 2 × 105,000 = 330,000 → 2 hires
    summary, _, hires = hc.hiring_plan(
        one_territory(300_000.0), ONE_RAMPED_REP, FY2026, PRODUCTIVITY, None, NO_ATTRITION, date(2025, 6, 1)
    )
    assert summary.loc[0, "hires_needed"] == 2 and summary.loc[0, "capacity_with_hires_usd"] == 330_000.0
    assert hires.loc[0, "start_month"] == date(2026, 1, 1) and hires.loc[0, "requisition_month"] == date(2025, 10, 1)


def test_an_unreachable_target_reports_the_gap():
    # at most 20 hires: 120,000 + 20 × 85,000 = 1,820,000; gap 10,000,000 − 1,820,000 = 8,180,000
    summary, _, hires = hc.hiring_plan(
        one_territory(10_000_000.0), ONE_RAMPED_REP, FY2026, PRODUCTIVITY, None, NO_ATTRITION, date(2025, 12, 1)
    )
    assert summary.loc[0, "hires_needed"] == 20 and hires.loc[0, "hires"] == 20
    assert summary.loc[0, "capacity_with_hires_usd"] == 1_820_000.0
    assert summary.loc[0, "coverage_gap_usd"] == 8_180_000.0
    # planned in November 2026, a hire starts February 2027, after the year: hiring cannot help, 0 hires
    late, _, late_hires = hc.hiring_plan(
        one_territory(200_000.0), ONE_RAMPED_REP, FY2026, PRODUCTIVITY, None, NO_ATTRITION, date(2026, 11, 1)
    )
    assert late.loc[0, "hires_needed"] == 0 and late.loc[0, "coverage_gap_usd"] == 80_000.0 and late_hires.empty


@pytest.mark.parametrize("from_history", [False, True])
def test_attrition_discounts_expected_capacity(from_history):
    # annual 20%: survival after k months since the plan month (Dec 2025) = 0.8^(k/12).
    # Jun 2026, k = 6: 0.8^0.5 = 0.894427191 → 8,944.27; Dec 2026, k = 12: 0.8 → 8,000.00
    policy = HeadcountPolicy() if from_history else HeadcountPolicy(annual_attrition=0.2)
    attrition = pd.DataFrame({"region_code": ["R"], "annual_attrition": [0.2], "average_headcount": [5.0]})
    _, monthly, _ = hc.hiring_plan(
        one_territory(0.0), ONE_RAMPED_REP, FY2026, PRODUCTIVITY, attrition, policy, date(2025, 12, 1)
    )
    assert monthly["expected_capacity_usd"].tolist()[5] == 8_944.27
    assert monthly["expected_capacity_usd"].tolist()[11] == 8_000.00
    assert monthly["expected_reps"].tolist()[11] == 0.8


def test_a_hire_is_at_risk_of_leaving_only_from_its_start():
    # 20% attrition, plan Dec 2025, r = 0.8^(1/12) = 0.981577. Without hires Σ_k=1..12 10,000 r^k
    # = 10,000 × r(1 − 0.8)/(1 − r) ≈ 106,560 < 125,000; one hire starting March (at risk from March, r^0)
    # adds 10,000 × (0.25 + 0.5r + 0.75r² + r³ + … + r⁹) ≈ 77,237 → 1 hire. In March the hire counts
    # 0.25 × r^0 = 0.25 FTE, the rep on staff 3 months at risk: 0.8^(3/12) = 0.945742 → 1.195742 FTE
    summary, monthly, _ = hc.hiring_plan(
        one_territory(125_000.0),
        ONE_RAMPED_REP,
        FY2026,
        PRODUCTIVITY,
        None,
        HeadcountPolicy(annual_attrition=0.2),
        date(2025, 12, 1),
    )
    assert summary.loc[0, "hires_needed"] == 1
    assert monthly["expected_ramped_fte"].tolist()[2] == pytest.approx(0.945742 + 0.25, abs=1e-4)


def test_hiring_plan_by_region_sums_hires():
    hires = pd.DataFrame(
        {
            "territory_id": ["T1", "T2", "T3"],
            "region_code": ["R", "R", "S"],
            "requisition_month": [date(2025, 12, 1)] * 3,
            "start_month": [date(2026, 3, 1)] * 3,
            "hires": [2, 3, 1],
        }
    )
    out = hc.hiring_plan_by_region(hires)
    assert out.to_dict("records") == [
        {"region_code": "R", "requisition_month": date(2025, 12, 1), "start_month": date(2026, 3, 1), "hires": 5},
        {"region_code": "S", "requisition_month": date(2025, 12, 1), "start_month": date(2026, 3, 1), "hires": 1},
    ]
    assert hc.hiring_plan_by_region(hires.iloc[0:0]).empty


def test_the_sales_planning_modules_import_without_dagster():
    code = (
        "import sys\n"
        "import orchestration.sales_planning.quota, orchestration.sales_planning.headcount\n"
        "import orchestration.sales_planning.sales_targets\n"
        "assert 'dagster' not in sys.modules, 'dagster imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
