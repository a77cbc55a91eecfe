"""The comp plans file (``inputs/comp_plans.yaml``): a valid file read as written, and every rule a bad file can
break reported with its YAML key path and rule."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest
import yaml

from orchestration.sales_planning.comp_plans import (
    CompPlanBook,
    Spif,
    Tier,
    fiscal_months,
    load_comp_plans,
    parse_comp_plans,
)
from orchestration.sales_planning.errors import PlannerFileError

FILE = "inputs/comp_plans.yaml"
REP = "005000000000007AAA"
EXAMPLE = """\
fiscal_year: 2027
plans:
  - id: AE-2027
    role: Sales Rep                # the CRM role the plan applies to
    ote_usd: 160000                # on-target earnings for a full year
    pay_mix: {base: 0.6, variable: 0.4}
    measure: bookings
    earnings_cap_usd: 320000       # base + commission for the year never above this; must be >= OTE
    tiers:
      - {from: 0.0, to: 0.5, rate: 0.5}    # decelerator below 50 %
      - {from: 0.5, to: 1.0, rate: 1.0}
      - {from: 1.0, to: 1.5, rate: 1.6}    # accelerator above 100 %
      - {from: 1.5, rate: 2.0}             # open-ended last tier
    spifs:
      - {name: New logo push, from: 2027-01, to: 2027-03, opportunity_type: New Business, amount_per_deal_usd: 1000}
    clawback: {window_months: 6}
assignments:
  - {rep_id: "005000000000007AAA", plan: AE-2027}
"""
BASE = yaml.safe_load(EXAMPLE)


def _parse(text: str, fiscal_years=frozenset({2026, 2027}), start_month: int = 1) -> CompPlanBook:
    return parse_comp_plans(
        text, fiscal_years=set(fiscal_years), known_reps={REP}, display_name=FILE, fiscal_year_start_month=start_month
    )


def _mutated(change) -> str:
    document = copy.deepcopy(BASE)
    change(document)
    return yaml.safe_dump(document, sort_keys=False)


def _problems(text: str) -> str:
    with pytest.raises(PlannerFileError) as caught:
        _parse(text)
    assert caught.value.file == FILE
    message = str(caught.value)
    assert message.startswith(f"{FILE}: ")
    return message


def test_the_example_file_is_read_as_written():
    book = _parse(EXAMPLE)
    assert book.fiscal_year == 2027
    (plan,) = book.plans
    assert (plan.id, plan.role, plan.measure) == ("AE-2027", "Sales Rep", "bookings")
    assert plan.ote_usd == Decimal(160000) and plan.earnings_cap_usd == Decimal(320000)
    # 0.6 and 0.4 read as the decimals written, not as binary floats
    assert (plan.base_share, plan.variable_share) == (Decimal("0.6"), Decimal("0.4"))
    assert plan.tiers == (
        Tier(Decimal("0.0"), Decimal("0.5"), Decimal("0.5")),
        Tier(Decimal("0.5"), Decimal("1.0"), Decimal("1.0")),
        Tier(Decimal("1.0"), Decimal("1.5"), Decimal("1.6")),
        Tier(Decimal("1.5"), None, Decimal("2.0")),
    )
    assert plan.spifs == (Spif("New logo push", date(2027, 1, 1), date(2027, 3, 1), "New Business", Decimal(1000)),)
    assert plan.spifs[0].covers(date(2027, 3, 1)) and not plan.spifs[0].covers(date(2027, 4, 1))
    assert plan.clawback_window_months == 6
    assert book.assignments == ((REP, "AE-2027"),)
    assert book.months == [date(2027, m, 1) for m in range(1, 13)]


def test_plan_for_prefers_the_assignment_then_the_role():
    two_plans = _mutated(
        lambda d: (
            d["plans"].append({**copy.deepcopy(d["plans"][0]), "id": "SE-2027", "role": "Sales Engineer"}),
            d["assignments"][0].update(plan="SE-2027"),
        )
    )
    book = _parse(two_plans)
    assert book.plan_for(REP, "Sales Rep").id == "SE-2027"  # the assignment wins over the role
    assert book.plan_for("someone", "Sales Rep").id == "AE-2027"
    assert book.plan_for("someone", "Sales Engineer").id == "SE-2027"
    assert book.plan_for("someone", "Sales Manager") is None


def test_load_reads_the_file_and_names_it_in_errors(tmp_path):
    path = tmp_path / "comp_plans.yaml"
    path.write_text(EXAMPLE, encoding="utf-8")
    book = load_comp_plans(path, fiscal_years={2027}, known_reps={REP})
    assert book.plans[0].id == "AE-2027"
    path.write_text(EXAMPLE.replace("ote_usd: 160000", "ote_usd: 0"), encoding="utf-8")
    with pytest.raises(PlannerFileError, match=r"^inputs/what_if\.yaml: plans\[0\]\.ote_usd: rule ote_not_positive"):
        load_comp_plans(path, fiscal_years={2027}, known_reps={REP}, display_name="inputs/what_if.yaml")


def test_optional_keys_may_be_left_out():
    def strip(d):
        for key in ("earnings_cap_usd", "spifs", "clawback"):
            del d["plans"][0][key]
        del d["assignments"]

    plan = _parse(_mutated(strip)).plans[0]
    assert plan.earnings_cap_usd is None and plan.spifs == () and plan.clawback_window_months is None


def test_a_fiscal_year_starting_in_april_is_named_by_the_year_it_ends():
    # FY2027 starting in April: 2026-04 .. 2027-03; the example's SPIF (2027-01 .. 2027-03) lies inside it
    assert fiscal_months(2027, 4)[0] == date(2026, 4, 1) and fiscal_months(2027, 4)[-1] == date(2027, 3, 1)
    assert _parse(EXAMPLE, start_month=4).months[0] == date(2026, 4, 1)
    late = _mutated(lambda d: d["plans"][0]["spifs"][0].update({"from": "2027-04", "to": "2027-05"}))
    with pytest.raises(PlannerFileError, match=r"plans\[0\]\.spifs\[0\]\.from: rule spif_outside_fiscal_year"):
        _parse(late, start_month=4)


def _set_tier(index, **values):
    return lambda d: d["plans"][0]["tiers"][index].update(values)


def _drop_tier_key(index, key):
    return lambda d: d["plans"][0]["tiers"][index].pop(key)


def _plan(**values):
    return lambda d: d["plans"][0].update(values)


def _second_plan(**values):
    return lambda d: d["plans"].append({**copy.deepcopy(d["plans"][0]), **values})


def _spif(**values):
    return lambda d: d["plans"][0]["spifs"][0].update(values)


BAD_FILES = [
    ("unknown top-level key", lambda d: d.update(bonus=1), "bonus", "unknown_key"),
    ("unknown tier key", _set_tier(0, colour="red"), "plans[0].tiers[0].colour", "unknown_key"),
    ("unknown plan key", _plan(quota_usd=1), "plans[0].quota_usd", "unknown_key"),
    ("fiscal year missing", lambda d: d.pop("fiscal_year"), "fiscal_year", "missing_key"),
    ("fiscal year not in the calendar", lambda d: d.update(fiscal_year=2031), "fiscal_year", "unknown_fiscal_year"),
    ("duplicate plan id", _second_plan(role="Sales Engineer"), "plans[1].id", "duplicate_plan_id"),
    ("two plans for one role", _second_plan(id="AE-2027-b"), "plans[1].role", "duplicate_role"),
    ("OTE zero", _plan(ote_usd=0), "plans[0].ote_usd", "ote_not_positive"),
    ("OTE negative", _plan(ote_usd=-5), "plans[0].ote_usd", "ote_not_positive"),
    ("OTE not a number", _plan(ote_usd="lots"), "plans[0].ote_usd", "not_a_number"),
    (
        "pay mix above 1",
        _plan(pay_mix={"base": 1.2, "variable": -0.2}),
        "plans[0].pay_mix.base",
        "pay_mix_out_of_range",
    ),
    (
        "pay mix below 0",
        _plan(pay_mix={"base": 1.2, "variable": -0.2}),
        "plans[0].pay_mix.variable",
        "pay_mix_out_of_range",
    ),
    ("pay mix not summing to 1", _plan(pay_mix={"base": 0.6, "variable": 0.3}), "plans[0].pay_mix", "pay_mix_not_one"),
    ("measure not bookings", _plan(measure="revenue"), "plans[0].measure", "unknown_measure"),
    ("no tiers", _plan(tiers=[]), "plans[0].tiers", "no_tiers"),
    ("first tier not at 0", _set_tier(0, **{"from": 0.1}), "plans[0].tiers[0].from", "first_tier_not_zero"),
    ("tiers overlapping", _set_tier(2, **{"from": 0.9}), "plans[0].tiers[2].from", "tiers_overlap"),
    ("tiers leaving a gap", _set_tier(2, **{"from": 1.1}), "plans[0].tiers[2].from", "tiers_gap"),
    ("non-last tier without to", _drop_tier_key(1, "to"), "plans[0].tiers[1].to", "tier_without_to"),
    ("last tier with a to", _set_tier(3, to=2.0), "plans[0].tiers[3].to", "last_tier_not_open"),
    ("to equal to from", _set_tier(1, to=0.5), "plans[0].tiers[1].to", "tier_to_not_above_from"),
    ("negative rate", _set_tier(1, rate=-1.0), "plans[0].tiers[1].rate", "negative_rate"),
    ("cap below OTE", _plan(earnings_cap_usd=150000), "plans[0].earnings_cap_usd", "cap_below_ote"),
    (
        "SPIF to before from",
        _spif(**{"from": "2027-03", "to": "2027-01"}),
        "plans[0].spifs[0].to",
        "spif_to_before_from",
    ),
    ("SPIF outside the year", _spif(to="2028-01"), "plans[0].spifs[0].to", "spif_outside_fiscal_year"),
    ("SPIF bad month", _spif(to="March"), "plans[0].spifs[0].to", "bad_month"),
    (
        "SPIF amount zero",
        _spif(amount_per_deal_usd=0),
        "plans[0].spifs[0].amount_per_deal_usd",
        "spif_amount_not_positive",
    ),
    (
        "SPIF unknown type",
        _spif(opportunity_type="Upsell"),
        "plans[0].spifs[0].opportunity_type",
        "unknown_opportunity_type",
    ),
    (
        "negative clawback window",
        _plan(clawback={"window_months": -1}),
        "plans[0].clawback.window_months",
        "negative_clawback_window",
    ),
    (
        "assignment to an unknown rep",
        lambda d: d["assignments"][0].update(rep_id="nobody"),
        "assignments[0].rep_id",
        "unknown_rep",
    ),
    (
        "assignment to an unknown plan",
        lambda d: d["assignments"][0].update(plan="XX"),
        "assignments[0].plan",
        "unknown_plan",
    ),
]


@pytest.mark.parametrize(("case", "change", "path", "rule"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_each_rule_is_reported_with_its_key_path(case, change, path, rule):
    message = _problems(_mutated(change))
    assert f"{path}: rule {rule}:" in message


def test_the_cap_message_says_a_cap_below_ote():
    message = _problems(_mutated(_plan(earnings_cap_usd=150000)))
    assert "a cap below OTE" in message


def test_not_yaml_and_not_a_mapping_are_refused():
    assert "rule not_yaml" in _problems("plans: [unclosed\n  - {")
    assert "rule not_a_mapping" in _problems("- just\n- a list\n")


def test_every_problem_of_a_file_is_listed_at_once():
    def two_problems(d):
        d["plans"][0]["ote_usd"] = 0
        d["plans"][0]["tiers"][1]["rate"] = -1

    with pytest.raises(PlannerFileError) as caught:
        _parse(_mutated(two_problems))
    problems = caught.value.problems
    assert any(p.startswith("plans[0].ote_usd: rule ote_not_positive") for p in problems)
    assert any(p.startswith("plans[0].tiers[1].rate: rule negative_rate") for p in problems)
    # a bad plan does not make its assignment look like one to an unknown plan
    assert not any("unknown_plan" in p for p in problems)
