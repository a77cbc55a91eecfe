"""Scenario file validation, scenario plans with KPIs worked by hand, and the version diff with its causes."""

import io

import numpy as np
import pandas as pd
import pytest

from orchestration.supply import scenarios as sc
from orchestration.supply.versions import diff_versions

JAN, FEB = pd.Timestamp("2027-01-01"), pd.Timestamp("2027-02-01")
WC = "WC-DE01-ASSY"


def base_case() -> sc.ScenarioBase:
    """PMP-1 (made on WC-DE01-ASSY, 1 h/unit, 100 h a month, no overtime) and SEL-1 (bought in: one
    open receipt of 60 due 2027-01-20), both sold in EUR, served from DE01.

    Demand: PMP-1 80 a month, SEL-1 30 a month in Jan and Feb. Costs $ per unit-month: PMP-1 holding 1,
    backlog 50; SEL-1 holding 0.2, backlog 5. Unit cost / price: PMP-1 60 / 100, SEL-1 10 / 20.
    Base plan: PMP-1 made 80 + 80; SEL-1 ships 30 from the receipt, holds 30 into February.
    KPIs: fill 1.0; nothing at risk; inventory value (30 x $10 + 0) / 2 = $150; no overtime;
    utilization 160 / 200 = 0.8.
    """
    months = [JAN, FEB]
    return sc.ScenarioBase(
        months=months,
        demand=pd.DataFrame(
            {
                "sku": ["PMP-1", "PMP-1", "SEL-1", "SEL-1"],
                "region": "EUR",
                "month": months * 2,
                "units": [80.0, 80.0, 30.0, 30.0],
            }
        ),
        region_sites=pd.DataFrame({"region": ["EUR", "NAM"], "site": ["DE01", "US01"], "share": [1.0, 1.0]}),
        items=pd.DataFrame(
            {
                "sku": ["PMP-1", "SEL-1"],
                "family": ["PMP", "SEL"],
                "unit_cost": [60.0, 10.0],
                "unit_price": [100.0, 20.0],
            }
        ),
        opening=pd.DataFrame(columns=["sku", "site", "on_hand"]),
        routings=pd.DataFrame({"sku": ["PMP-1"], "work_center": [WC], "hours_per_unit": [1.0]}),
        capacity=pd.DataFrame({"work_center": WC, "site": "DE01", "month": months, "available_hours": 100.0}),
        sku_costs=pd.DataFrame({"sku": ["PMP-1", "SEL-1"], "holding_cost": [1.0, 0.2], "backlog_cost": [50.0, 5.0]}),
        receipts=pd.DataFrame(
            {"receipt_id": ["PO1"], "sku": ["SEL-1"], "site": ["DE01"], "due_date": ["2027-01-20"], "quantity": [60.0]}
        ),
        overtime_premium=40.0,
        overtime_cap=0.0,
    )


SCENARIO_CSV = """scenario,lever,family,region,work_center,month,change
demand_up,demand,PMP,EUR,,,50
wc_down,capacity,,,WC-DE01-ASSY,,-25
supplier_late,lead_time,SEL,,,,31
mixed,capacity,,,WC-DE01-ASSY,2027-02,-25
mixed,demand,SEL,,,,10
"""


def _changes(text=SCENARIO_CSV, base=None):
    base = base or base_case()
    raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return sc.validate_scenarios(
        raw,
        families=base.items["family"],
        regions=base.demand["region"],
        work_centers=base.capacity["work_center"],
        months=base.months,
        file="inputs/supply_scenarios.csv",
    )


@pytest.fixture(scope="module")
def results():
    return sc.run_scenarios(base_case(), _changes())


def test_kpis_side_by_side_by_hand(results):
    k = results.kpis.set_index("scenario")
    assert k.index.tolist() == ["base", "demand_up", "wc_down", "supplier_late", "mixed"]
    assert (k["status"] == "Optimal").all()
    expected = {
        # fill rate, revenue at risk, inventory value, overtime cost, utilization
        "base": (1.0, 0.0, 150.0, 0.0, 0.8),
        # PMP 120 a month on 100 h: backlog 20 then 40; on time 100 + 80 (+ SEL 60) of 300;
        # 60 PMP late x $100
        "demand_up": (240 / 300, 6000.0, 150.0, 0.0, 1.0),
        # 75 h: PMP made 75 + 75, backlog 5 then 10; on time 75 + 70 + 60 of 220; 15 x $100
        "wc_down": (205 / 220, 1500.0, 150.0, 0.0, 1.0),
        # the receipt arrives 2027-02-20: SEL short 30 in Jan, on time 0 + 30; 30 x $20; no stock held
        "supplier_late": (190 / 220, 600.0, 0.0, 0.0, 0.8),
        # Feb has 75 h: pre-build 5 PMP in Jan ($5 of holding beats $250 of backlog); SEL 33 a month
        # from the 60 received: 6 short in Feb. On time 160 + 33 + 27 of 226; 6 x $20 at risk.
        # Inventory: Jan 5 x $60 + 27 x $10 = $570, Feb 0 -> $285. Utilization 160 / 175.
        "mixed": (220 / 226, 120.0, 285.0, 0.0, 160 / 175),
    }
    for name, (fill, risk, stock, ot, util) in expected.items():
        row = k.loc[name]
        assert row["fill_rate"] == pytest.approx(fill, abs=1e-9), name
        assert row["revenue_at_risk"] == pytest.approx(risk, abs=1e-6), name
        assert row["inventory_value"] == pytest.approx(stock, abs=1e-6), name
        assert row["overtime_cost"] == pytest.approx(ot, abs=1e-6), name
        assert row["utilization"] == pytest.approx(util, abs=1e-9), name
    made = results.plans["mixed"].production.set_index("month")["units"]
    np.testing.assert_allclose(made.loc[[JAN, FEB]], [85.0, 75.0], atol=1e-6)


def test_demand_changes_match_family_region_and_month():
    base = base_case()
    demand = pd.concat(
        [base.demand, pd.DataFrame({"sku": ["PMP-1"], "region": ["NAM"], "month": [JAN], "units": [10.0]})],
        ignore_index=True,
    )
    changes = _changes(
        "scenario,lever,family,region,work_center,month,change\ns,demand,PMP,EUR,,2027-02,10\ns,demand,,,,2027-02,-50\n"
    )
    out = sc.apply_demand_changes(demand, base.items, changes)
    # PMP EUR Feb: 80 x 1.1 x 0.5 = 44; SEL Feb: 30 x 0.5; Jan rows and NAM Jan untouched
    assert out["units"].tolist() == pytest.approx([80.0, 44.0, 30.0, 15.0, 10.0])


@pytest.mark.parametrize(
    "row, message",
    [
        (
            "s,demand,FOO,,,,10",
            r"inputs/supply_scenarios.csv row 2: unknown family 'FOO' \(rule: family is one of the "
            r"item master's families: PMP, SEL\)",
        ),
        ("s,capacity,,,WC-XX,,10", r"row 2: unknown work center 'WC-XX' \(rule:"),
        ("s,demand,,MARS,,,10", r"row 2: unknown region 'MARS'"),
        ("s,capacity,,EUR,WC-DE01-ASSY,,10", r"row 2: region does not apply to lever capacity"),
        (
            "s,demand,PMP,,,2027-07,10",
            r"row 2: month '2027-07' is not a plan month \(rule: YYYY-MM within 2027-01..2027-02\)",
        ),
        ("s,demand,PMP,,,,lots", r"row 2: change 'lots' is not a number"),
        ("s,capacity,,,WC-DE01-ASSY,,-150", r"row 2: change -150% is below −100%"),
        ("base,demand,PMP,,,,10", r"row 2: scenario 'base' is reserved"),
        ("s,price,PMP,,,,10", r"row 2: unknown lever 'price'"),
    ],
)
def test_bad_rows_name_file_row_and_rule(row, message):
    with pytest.raises(sc.ScenarioError, match=message):
        _changes("scenario,lever,family,region,work_center,month,change\n" + row + "\n")


def test_the_error_names_the_right_row(tmp_path):
    path = tmp_path / sc.SCENARIOS_FILE
    path.write_text("scenario,lever,family,region,work_center,month,change\ns,demand,PMP,,,,5\ns,demand,GBX,,,,5\n")
    with pytest.raises(sc.ScenarioError, match=rf"{path} row 3: unknown family 'GBX'"):
        sc.read_scenarios(path, base_case())
    assert sc.read_scenarios(tmp_path / "missing.csv", base_case()).empty


# ---------------------------------------------------------------- versions
def _diff(results, b):
    d = diff_versions(
        results.plans["base"], results.inputs["base"], results.plans[b], results.inputs[b], base_case().items
    )
    return d.set_index(["family", "site"])


def test_version_diff_demand_change(results):
    d = _diff(results, "demand_up")
    pmp = d.loc[("PMP", "DE01")]
    # demand +80 (160 -> 240); production +40 (capacity-bound); 60 more short on time; no stock either way
    assert (pmp["demand_change"], pmp["production_change"], pmp["short_change"]) == (80.0, 40.0, 60.0)
    assert pmp["main_cause"] == "demand change"
    assert pmp["explanation"] == (
        "PMP in DE01: production +40, short +60, closing stock ±0 units; mainly demand "
        "change (demand +80, capacity ±0, receipts ±0 units)."
    )
    assert d.loc[("SEL", "DE01"), "main_cause"] == "no change"


def test_version_diff_capacity_change(results):
    pmp = _diff(results, "wc_down").loc[("PMP", "DE01")]
    # 200 -> 150 regular hours; PMP made all 160 loaded hours in the base: −50 h = −50 units
    assert pmp["capacity_change_units"] == pytest.approx(-50.0)
    assert (pmp["production_change"], pmp["short_change"]) == (pytest.approx(-10.0), pytest.approx(15.0))
    assert pmp["main_cause"] == "capacity change"


def test_version_diff_moved_receipts(results):
    sel = _diff(results, "supplier_late").loc[("SEL", "DE01")]
    # the 60 units still arrive inside the horizon (net ±0) but a month later: 60 moved; 30 more short
    assert (sel["receipts_change"], sel["receipts_moved"], sel["short_change"]) == (0.0, 60.0, 30.0)
    assert sel["main_cause"] == "moved receipts"


def test_version_diff_new_receipts():
    base = base_case()
    more = sc.ScenarioBase(
        **{
            **base.__dict__,
            "receipts": pd.concat(
                [
                    base.receipts,
                    pd.DataFrame(
                        {
                            "receipt_id": ["PO2"],
                            "sku": ["PMP-1"],
                            "site": ["DE01"],
                            "due_date": ["2027-02-03"],
                            "quantity": [30.0],
                        }
                    ),
                ]
            ),
        }
    )
    a = sc.run_scenarios(base, _changes("scenario,lever,family,region,work_center,month,change\n"))
    b = sc.run_scenarios(more, _changes("scenario,lever,family,region,work_center,month,change\n"))
    d = diff_versions(a.plans["base"], a.inputs["base"], b.plans["base"], b.inputs["base"], base.items)
    pmp = d.set_index(["family", "site"]).loc[("PMP", "DE01")]
    # 30 bought-in units arrive in Feb: 30 fewer made
    assert (pmp["receipts_change"], pmp["production_change"], pmp["main_cause"]) == (30.0, -30.0, "new receipts")
