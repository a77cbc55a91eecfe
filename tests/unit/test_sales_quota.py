"""Quota setting: the planners' targets file, the top-down split, rep quotas to the cent, bottom-up and the
reconciliation with the revenue plan, each checked against a case worked by hand."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from orchestration.sales_planning import headcount, quota
from orchestration.sales_planning.errors import PlannerFileError
from orchestration.sales_planning.quota import QuotaPolicy
from orchestration.sales_planning.sales_targets import COLUMNS, company_target, read_sales_targets

FY2026 = [date(2026, m, 1) for m in range(1, 13)]
HEADER = ",".join(COLUMNS)
NO_SEASONALITY = pd.DataFrame(columns=["region_code", "month", "weight"])


def cents(amount: float) -> int:
    return round(amount * 100)


# ---- the targets file ----


def write(tmp_path, text: str):
    path = tmp_path / "sales_targets.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_targets_file_is_read_and_left_as_it_was(tmp_path):
    text = f'{HEADER}\n2026,12500000,,1.25,0.6,"board plan, v2"\n\n2027,,0.08,,,\n'
    path = write(tmp_path, text)
    frame = read_sales_targets(path, fiscal_years={2026, 2027})
    assert list(frame.columns) == COLUMNS
    assert frame["fiscal_year"].tolist() == [2026, 2027]
    first, second = frame.iloc[0], frame.iloc[1]
    assert first["target_usd"] == 12_500_000 and math.isnan(first["growth_rate"])
    assert first["over_assignment"] == 1.25 and first["potential_weight"] == 0.6
    assert first["note"] == "board plan, v2"
    assert math.isnan(second["target_usd"]) and second["growth_rate"] == 0.08
    assert math.isnan(second["over_assignment"]) and math.isnan(second["potential_weight"])
    assert path.read_text(encoding="utf-8") == text  # read, never rewritten


def test_a_missing_targets_file_is_an_empty_frame_with_the_columns(tmp_path):
    frame = read_sales_targets(tmp_path / "absent.csv", fiscal_years={2026})
    assert frame.empty and list(frame.columns) == COLUMNS
    assert not (tmp_path / "absent.csv").exists()


@pytest.mark.parametrize(
    "rows, line, rule, words",
    [
        (["2026.5,100,,,,"], 2, "bad_fiscal_year", "not an integer"),
        (["FY26,100,,,,"], 2, "bad_fiscal_year", "not an integer"),
        (["2031,100,,,,"], 2, "year_outside_calendar", "a target for a year outside the calendar"),
        (["2026,100,,,,", "2026,200,,,,"], 3, "duplicate_fiscal_year", "also set on row 2"),
        (["2026,,,,,"], 2, "target_or_growth", "not neither"),
        (["2026,100,0.1,,,"], 2, "target_or_growth", "not both"),
        (["2026,-5,,,,"], 2, "bad_target", "not a positive number"),
        (["2026,0,,,,"], 2, "bad_target", "not a positive number"),
        (["2026,lots,,,,"], 2, "bad_target", "not a positive number"),
        (["2026,,-0.5,,,"], 2, "bad_growth_rate", "(-0.5, 2]"),
        (["2026,,2.01,,,"], 2, "bad_growth_rate", "(-0.5, 2]"),
        (["2026,,ten,,,"], 2, "bad_growth_rate", "(-0.5, 2]"),
        (["2026,100,,0.9,,"], 2, "bad_over_assignment", "[1, 2]"),
        (["2026,100,,2.1,,"], 2, "bad_over_assignment", "[1, 2]"),
        (["2026,100,,,1.5,"], 2, "bad_potential_weight", "[0, 1]"),
        (["2026,100,,,-0.1,"], 2, "bad_potential_weight", "[0, 1]"),
        (["2026,100,,"], 2, "bad_row_length", "4 fields"),
    ],
)
def test_each_rule_of_the_targets_file_names_file_line_and_rule(tmp_path, rows, line, rule, words):
    path = write(tmp_path, "\n".join([HEADER, *rows]) + "\n")
    with pytest.raises(PlannerFileError) as err:
        read_sales_targets(path, fiscal_years={2026, 2027}, display_name="inputs/sales_targets.csv")
    message = str(err.value)
    assert message.startswith("inputs/sales_targets.csv: ")
    assert f"row {line}: rule {rule}" in message
    assert words in message


def test_a_wrong_header_is_an_error_on_line_1(tmp_path):
    path = write(tmp_path, "fiscal_year,target,growth_rate,over_assignment,potential_weight,note\n2026,1,,,,\n")
    with pytest.raises(PlannerFileError, match=r"inputs/sales_targets.csv: row 1: rule bad_header"):
        read_sales_targets(path, fiscal_years={2026})


def test_every_problem_of_the_file_is_listed_at_once(tmp_path):
    path = write(tmp_path, f"{HEADER}\n2026,,,,,\n2026,100,,,,\n2030,100,,3,,\n")
    with pytest.raises(PlannerFileError) as err:
        read_sales_targets(path, fiscal_years={2026}, display_name="planner/targets.csv")
    problems = err.value.problems
    assert err.value.file == "planner/targets.csv"
    # row 2 breaks target_or_growth but still claims 2026, so row 3 repeats it; row 4 breaks two rules
    assert [p.split(":")[0] for p in problems] == ["row 2", "row 3", "row 4", "row 4"]
    assert "duplicate_fiscal_year" in problems[1]
    assert "year_outside_calendar" in problems[2] and "bad_over_assignment" in problems[3]


def test_growth_at_the_upper_bound_2_is_allowed(tmp_path):
    path = write(tmp_path, f"{HEADER}\n2026,,2,1,0,\n")
    frame = read_sales_targets(path, fiscal_years={2026})
    assert frame.loc[0, "growth_rate"] == 2.0 and frame.loc[0, "over_assignment"] == 1.0


def test_company_target_from_the_file_from_growth_and_by_default(tmp_path):
    path = write(tmp_path, f"{HEADER}\n2026,12500000.004,,1.25,,\n2027,,0.08,,0.7,\n")
    targets = read_sales_targets(path, fiscal_years={2026, 2027, 2028})
    from_file = company_target(2026, targets, sop_plan_usd=11_000_000)
    assert from_file["source"] == "file" and from_file["target_usd"] == 12_500_000.00  # rounded to the cent
    assert from_file["growth_rate"] is None and from_file["sop_plan_usd"] == 11_000_000.00
    assert from_file["over_assignment"] == 1.25 and from_file["potential_weight"] is None
    # 1,234,567.89 × 1.08 = 1,234,567.89 + 98,765.4312 = 1,333,333.3212 → 1,333,333.32
    grown = company_target(2027, targets, sop_plan_usd=1_234_567.89)
    assert grown["source"] == "sop_plan_growth" and grown["target_usd"] == 1_333_333.32
    assert grown["growth_rate"] == 0.08 and grown["potential_weight"] == 0.7
    default = company_target(2028, targets, sop_plan_usd=987_654.321)
    assert default == {
        "fiscal_year": 2028,
        "target_usd": 987_654.32,
        "source": "sop_plan",
        "growth_rate": 0.0,
        "sop_plan_usd": 987_654.32,
        "over_assignment": None,
        "potential_weight": None,
    }
    empty = read_sales_targets(tmp_path / "none.csv", fiscal_years={2026})
    assert company_target(2026, empty, 500.0)["source"] == "sop_plan"


def test_the_year_row_overrides_the_policy_defaults():
    policy = quota.policy_for_year({"over_assignment": 1.25, "potential_weight": None})
    assert policy.over_assignment == 1.25 and policy.potential_weight == 0.5


# ---- the policy ----


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"potential_weight": 1.5}, "potential_weight"),
        ({"over_assignment": 0.9}, "over_assignment"),
        ({"over_assignment_band": (1.3, 1.1)}, "over_assignment_band"),
        ({"ramp": (0.5, 0.0)}, "ramp[1]"),
        ({"ramp": [0.5]}, "ramp"),
    ],
)
def test_a_bad_quota_policy_names_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field.replace("[", r"\[").replace("]", r"\]")):
        QuotaPolicy(**kwargs)


def test_quota_and_headcount_share_one_ramp_rule():
    assert quota.ramp_factor is headcount.ramp_factor


# ---- top-down ----


def three_territories(**columns) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "territory_id": ["T1", "T2", "T3"],
            "region_code": ["R1", "R1", "R2"],
            "potential_usd": [500.0, 300.0, 200.0],
            "history_usd": [100.0, 100.0, 200.0],
        }
    )
    return frame.assign(**columns)


def test_top_down_split_by_blended_potential_and_history():
    # potential shares 500/1000, 300/1000, 200/1000 = 0.5, 0.3, 0.2; history 100/400, 100/400, 200/400 = 0.25,
    # 0.25, 0.5; w = 0.5: 0.5·0.5 + 0.5·0.25 = 0.375, 0.5·0.3 + 0.5·0.25 = 0.275, 0.5·0.2 + 0.5·0.5 = 0.35
    # of 1,000,000.00: 375,000.00, 275,000.00, 350,000.00
    out = quota.territory_targets(1_000_000.00, three_territories(), QuotaPolicy())
    assert list(out.columns) == quota.TERRITORY_COLUMNS
    assert out["potential_share"].tolist() == pytest.approx([0.5, 0.3, 0.2])
    assert out["history_share"].tolist() == pytest.approx([0.25, 0.25, 0.5])
    assert out["blended_share"].tolist() == pytest.approx([0.375, 0.275, 0.35])
    assert out["target_usd"].tolist() == [375_000.00, 275_000.00, 350_000.00]


def test_the_potential_weight_moves_the_split():
    # w = 1: potential only → 0.5, 0.3, 0.2 of 1,000 = 500, 300, 200
    out = quota.territory_targets(1_000.00, three_territories(), QuotaPolicy(potential_weight=1.0))
    assert out["target_usd"].tolist() == [500.00, 300.00, 200.00]


def test_rounding_needs_the_largest_remainder_and_is_deterministic():
    # 10,000 cents / 3 = 3,333.33 each: floors 3,333 × 3 = 9,999, the 1 cent left goes to the first in
    # territory_id order (equal remainders) → 33.34, 33.33, 33.33 — also when the rows come in another order
    equal = three_territories(potential_usd=[7.0, 7.0, 7.0], history_usd=[3.0, 3.0, 3.0])
    assert quota.territory_targets(100.00, equal, QuotaPolicy())["target_usd"].tolist() == [33.34, 33.33, 33.33]
    shuffled = quota.territory_targets(100.00, equal.iloc[[2, 0, 1]], QuotaPolicy())
    assert shuffled["territory_id"].tolist() == ["T1", "T2", "T3"]
    assert shuffled["target_usd"].tolist() == [33.34, 33.33, 33.33]
    # 100.00 split 0.375/0.275/0.35 = 37.50, 27.50, 35.00 exactly; 100.01 → exact cents 3,750.375, 2,750.275,
    # 3,500.35: floors 3,750 + 2,750 + 3,500 = 10,000, the 1 cent left to the largest remainder .375 (T1)
    out = quota.territory_targets(100.01, three_territories(), QuotaPolicy())
    assert out["target_usd"].tolist() == [37.51, 27.50, 35.00]


def test_shares_without_history_without_potential_and_without_either():
    # no history: potential only (0.5, 0.3, 0.2); no potential: history only (0.25, 0.25, 0.5); neither: 1/3 each
    no_history = quota.territory_targets(1_000.00, three_territories(history_usd=0.0), QuotaPolicy())
    assert no_history["target_usd"].tolist() == [500.00, 300.00, 200.00]
    no_potential = quota.territory_targets(1_000.00, three_territories(potential_usd=0.0), QuotaPolicy())
    assert no_potential["target_usd"].tolist() == [250.00, 250.00, 500.00]
    neither = quota.territory_targets(1_000.00, three_territories(potential_usd=0.0, history_usd=0.0), QuotaPolicy())
    assert neither["target_usd"].tolist() == [333.34, 333.33, 333.33]


def test_allocate_cents_sums_exactly_for_awkward_weights():
    weights = [0.1, 0.2, 0.3, 1 / 7, math.pi, 1e-9]
    parts = quota.allocate_cents(123_456_789, weights)
    assert sum(parts) == 123_456_789
    # each part is within one cent of its exact share
    exact = [123_456_789 * w / sum(weights) for w in weights]
    assert all(abs(p - e) < 1 for p, e in zip(parts, exact))


# ---- rep quotas ----


def reps_frame(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["rep_id", "territory_id", "hire_date", "leave_date"])


def test_a_new_hire_ramps_and_quotas_sum_exactly_to_the_pool():
    # pool = 120,000.00 × 1.2 = 144,000.00 = 14,400,000 cents. A (hired 2024) weighs 1 in all 12 months = 12;
    # B hired 10 March 2026: March is month 1 → 0.25, April 0.5, May 0.75, June–Dec 7 × 1.0 = 8.5. Σ 20.5.
    # cents per weight 14,400,000 / 20.5 = 702,439.024…: full months 702,439.024 (floor 702,439, rem .024),
    # B March 175,609.756 (rem .756), April 351,219.512 (rem .512), May 526,829.268 (rem .268).
    # floors: 19 × 702,439 + 175,609 + 351,219 + 526,829 = 13,346,341 + 1,053,657 = 14,399,998 → 2 cents left
    # to the largest remainders, B March and B April: 1,756.10 and 3,512.20; May 5,268.29; full months 7,024.39
    targets = pd.DataFrame({"territory_id": ["T1"], "region_code": ["R"], "target_usd": [120_000.00]})
    reps = reps_frame([("A", "T1", date(2024, 1, 1), None), ("B", "T1", date(2026, 3, 10), pd.NaT)])
    out = quota.rep_monthly_quotas(targets, reps, FY2026, NO_SEASONALITY, QuotaPolicy())
    assert list(out.columns) == quota.QUOTA_COLUMNS
    b = out[out["rep_id"] == "B"].reset_index(drop=True)
    assert b["month"].tolist() == FY2026[2:]  # no row before the hire month
    assert b["months_employed"].tolist()[:4] == [1, 2, 3, 4]
    assert b["ramp_factor"].tolist() == [0.25, 0.5, 0.75] + [1.0] * 7
    assert b["quota_usd"].tolist() == [1_756.10, 3_512.20, 5_268.29] + [7_024.39] * 7
    a = out[out["rep_id"] == "A"]
    assert len(a) == 12 and set(a["quota_usd"]) == {7_024.39}
    assert a["months_employed"].tolist()[0] == 25  # hired Jan 2024: Jan 2026 is its 25th month
    assert sum(cents(q) for q in out["quota_usd"]) == 14_400_000
    assert not out["is_placeholder"].any()


def test_a_leaver_stops_carrying_quota_from_the_leave_month():
    # pool 60,000.00 × 1.2 = 72,000.00; C leaves 1 July (first day gone): Jan–Jun = 6 weight, E 12 → 18;
    # 72,000 / 18 = 4,000.00 per rep-month: C 6 × 4,000 = 24,000, E 12 × 4,000 = 48,000
    targets = pd.DataFrame({"territory_id": ["T2"], "region_code": ["R"], "target_usd": [60_000.00]})
    reps = reps_frame([("C", "T2", date(2020, 5, 1), date(2026, 7, 1)), ("E", "T2", date(2021, 1, 1), None)])
    out = quota.rep_monthly_quotas(targets, reps, FY2026, NO_SEASONALITY, QuotaPolicy())
    c = out[out["rep_id"] == "C"]
    assert c["month"].tolist() == FY2026[:6] and set(c["quota_usd"]) == {4_000.00}
    assert out.groupby("rep_id")["quota_usd"].sum().to_dict() == {"C": 24_000.00, "E": 48_000.00}


def test_a_territory_without_anyone_employed_gets_a_to_be_hired_placeholder():
    # T3's only rep left in 2025: nobody employed in FY2026. Pool 12,000 × 1.2 = 14,400 flat: 1,200.00 a month
    targets = pd.DataFrame({"territory_id": ["T3"], "region_code": ["R"], "target_usd": [12_000.00]})
    reps = reps_frame([("Z", "T3", date(2022, 1, 1), date(2025, 6, 1))])
    out = quota.rep_monthly_quotas(targets, reps, FY2026, NO_SEASONALITY, QuotaPolicy())
    assert out["rep_id"].unique().tolist() == ["TBH:T3"]
    assert out["is_placeholder"].all() and out["ramp_factor"].eq(1.0).all()
    assert out["month"].tolist() == FY2026 and set(out["quota_usd"]) == {1_200.00}


def test_seasonality_shapes_the_months_and_timestamps_are_accepted():
    # over-assignment 1.0: pool 13,000.00; December weighs 2, the other 11 months 1 → Σ 13: 1,000.00 a month,
    # December 2,000.00. Months and seasonality given as pandas Timestamps, output as datetime.date.
    months = [pd.Timestamp(m) for m in FY2026]
    season = pd.DataFrame({"region_code": "S", "month": months, "weight": [1.0] * 11 + [2.0]})
    targets = pd.DataFrame({"territory_id": ["T9"], "region_code": ["S"], "target_usd": [13_000.00]})
    reps = reps_frame([("D", "T9", pd.Timestamp("2019-04-01"), None)])
    out = quota.rep_monthly_quotas(targets, reps, months, season, QuotaPolicy(over_assignment=1.0))
    assert out["month"].tolist() == FY2026 and all(type(m) is date for m in out["month"])
    assert out["quota_usd"].tolist() == [1_000.00] * 11 + [2_000.00]
    assert out["season_weight"].tolist() == [1.0] * 11 + [2.0]


def test_a_region_with_some_months_missing_from_the_seasonality_is_refused():
    season = pd.DataFrame({"region_code": "S", "month": FY2026[:6], "weight": 1.0})
    targets = pd.DataFrame({"territory_id": ["T9"], "region_code": ["S"], "target_usd": [1.0]})
    with pytest.raises(ValueError, match="region S has no weight"):
        quota.rep_monthly_quotas(targets, reps_frame([]), FY2026, season, QuotaPolicy())


def test_quotas_sum_to_the_pools_at_every_level():
    # pools: T1 33,333.33 × 1.2 = 39,999.996 → 40,000.00; T2 10,000.01 × 1.2 = 12,000.012 → 12,000.01;
    # T3 (nobody) 777.77 × 1.2 = 933.324 → 933.32. Σ pools = 52,933.33
    targets = pd.DataFrame(
        {
            "territory_id": ["T1", "T2", "T3"],
            "region_code": ["N", "S", "S"],
            "target_usd": [33_333.33, 10_000.01, 777.77],
        }
    )
    reps = reps_frame(
        [
            ("A", "T1", date(2025, 11, 20), None),
            ("B", "T1", date(2026, 5, 2), date(2026, 10, 1)),
            ("C", "T1", date(2018, 1, 1), None),
            ("D", "T2", date(2026, 12, 1), None),
            ("E", "T2", date(2023, 3, 1), date(2026, 2, 1)),
        ]
    )
    season = pd.DataFrame(
        {"region_code": "N", "month": FY2026, "weight": [0.7, 0.9, 1.3, 1.1, 1, 1, 0.8, 0.6, 1.2, 1.4, 1, 1]}
    )
    out = quota.rep_monthly_quotas(targets, reps, FY2026, season, QuotaPolicy())
    per_territory = {t: sum(cents(q) for q in g) for t, g in out.groupby("territory_id")["quota_usd"]}
    assert per_territory == {"T1": 4_000_000, "T2": 1_200_001, "T3": 93_332}
    assert sum(cents(q) for q in out["quota_usd"]) == 4_000_000 + 1_200_001 + 93_332
    assert out.loc[out["rep_id"] == "D", "month"].tolist() == [date(2026, 12, 1)]
    assert out.loc[out["rep_id"] == "E", "month"].tolist() == [date(2026, 1, 1)]


def test_over_assignment_band_in_and_out():
    # target 100,000; one territory, one rep: quotas 120,000 → ratio 1.2 in (1.1, 1.3); at 1.4 → 140,000, out
    targets = pd.DataFrame({"territory_id": ["T1"], "region_code": ["R"], "target_usd": [100_000.00]})
    reps = reps_frame([("A", "T1", date(2020, 1, 1), None)])
    inside = quota.rep_monthly_quotas(targets, reps, FY2026, NO_SEASONALITY, QuotaPolicy())
    check = quota.over_assignment_check(inside, 100_000.00, (1.1, 1.3))
    assert check["ratio"] == 1.2 and check["within_band"] is True
    assert (check["lower"], check["upper"]) == (1.1, 1.3)
    outside = quota.rep_monthly_quotas(targets, reps, FY2026, NO_SEASONALITY, QuotaPolicy(over_assignment=1.4))
    check = quota.over_assignment_check(outside, 100_000.00, (1.1, 1.3))
    assert check["ratio"] == 1.4 and check["within_band"] is False
    # 3 × 33.33 + 33.34 quotas vs a target of 100 at 1.0 → ratio 1.0, below a band starting at 1.1
    low = pd.DataFrame({"quota_usd": [33.33, 33.33, 33.34]})
    assert quota.over_assignment_check(low, 100.00, (1.1, 1.3))["within_band"] is False


# ---- bottom-up ----


def test_bottom_up_limited_by_capacity_run_rate_and_pipeline():
    frame = pd.DataFrame(
        {
            "territory_id": ["CAP", "RUN", "PIPE"],
            "region_code": ["R", "R", "R"],
            "run_rate_usd": [100_000.0, 200_000.0, 100_000.0],
            "open_pipeline_usd": [300_000.0, 250_000.0, 400_000.0],
            "win_rate": [0.4, 0.5, 0.5],
            "rep_capacity_usd": [90_000.0, 500_000.0, 300_000.0],
        }
    )
    out = quota.bottom_up(frame)
    # CAP: pipeline 300,000 × 0.4 = 120,000 > run 100,000 → demand 120,000; capacity 90,000 < it → 90,000
    # RUN: pipeline 250,000 × 0.5 = 125,000 < run 200,000 → demand 200,000 ≤ capacity 500,000 → 200,000
    # PIPE: 400,000 × 0.5 = 200,000 > run 100,000 → demand 200,000 ≤ capacity 300,000 → 200,000
    assert out["pipeline_expected_usd"].tolist() == [120_000.0, 125_000.0, 200_000.0]
    assert out["demand_usd"].tolist() == [120_000.0, 200_000.0, 200_000.0]
    assert out["bottom_up_usd"].tolist() == [90_000.0, 200_000.0, 200_000.0]
    assert out["limited_by"].tolist() == ["capacity", "run_rate", "pipeline"]
    # half a year planned: RUN's run-rate counts 200,000 × 6/12 = 100,000 < its pipeline 125,000
    half = quota.bottom_up(frame, policy_months=6)
    assert half.loc[1, "demand_usd"] == 125_000.0 and half.loc[1, "limited_by"] == "pipeline"


def test_compare_top_down_with_bottom_up():
    targets = pd.DataFrame(
        {
            "territory_id": ["T1", "T2", "T3", "T4"],
            "region_code": ["R1", "R1", "R2", "R2"],
            "target_usd": [375_000.0, 275_000.0, 350_000.0, 100_000.0],
        }
    )
    bottom = pd.DataFrame(
        {"territory_id": ["T4", "T3", "T2", "T1"], "bottom_up_usd": [90_000.0, 400_000.0, 275_000.0, 300_000.0]}
    )
    out = quota.compare_top_down_bottom_up(targets, bottom, QuotaPolicy())
    # T1: gap 375,000 − 300,000 = 75,000, 75,000 / 375,000 = 0.2 > 0.1 → stretch; pool 375,000 × 1.2 = 450,000
    # T2: gap 0 → aligned; T3: −50,000 / 350,000 = −0.142857 < −0.1 → sandbagged; T4: 10,000 / 100,000 = 0.1,
    # not above 0.1 → aligned
    assert out["quota_pool_usd"].tolist() == [450_000.0, 330_000.0, 420_000.0, 120_000.0]
    assert out["gap_usd"].tolist() == [75_000.0, 0.0, -50_000.0, 10_000.0]
    assert out["gap_pct"].tolist() == [0.2, 0.0, -0.1429, 0.1]
    assert out["assessment"].tolist() == ["stretch", "aligned", "sandbagged", "aligned"]


# ---- the revenue plan ----


def test_reconciliation_with_the_revenue_plan_has_an_exact_total():
    targets = quota.territory_targets(1_000_000.00, three_territories(), QuotaPolicy())
    plan = pd.DataFrame({"region_code": ["R1", "R2", "R3"], "sop_plan_usd": [600_000.0, 380_000.0, 20_000.0]})
    out = quota.reconcile_with_revenue_plan({"target_usd": 1_000_000.00}, targets, plan)
    # R1 = T1 + T2 = 375,000 + 275,000 = 650,000 vs 600,000: +50,000, 650/600 = 1.0833
    # R2 = T3 = 350,000 vs 380,000: −30,000, 0.9211; R3: no territory, 0 vs 20,000: −20,000, 0
    # total: the company target 1,000,000 vs 600,000 + 380,000 + 20,000 = 1,000,000: 0, 1.0
    assert out["region_code"].tolist() == ["R1", "R2", "R3", "total"]
    assert out["bookings_target_usd"].tolist() == [650_000.0, 350_000.0, 0.0, 1_000_000.0]
    assert out["sop_plan_usd"].tolist() == [600_000.0, 380_000.0, 20_000.0, 1_000_000.0]
    assert out["difference_usd"].tolist() == [50_000.0, -30_000.0, -20_000.0, 0.0]
    assert out["target_to_plan_ratio"].tolist() == [1.0833, 0.9211, 0.0, 1.0]


def test_reconciliation_refuses_territories_that_do_not_add_up_to_the_company_target():
    targets = quota.territory_targets(1_000_000.00, three_territories(), QuotaPolicy())
    plan = pd.DataFrame({"region_code": ["R1"], "sop_plan_usd": [1.0]})
    with pytest.raises(ValueError, match="not the company target 1000000.01"):
        quota.reconcile_with_revenue_plan({"target_usd": 1_000_000.01}, targets, plan)
