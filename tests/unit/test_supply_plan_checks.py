"""The blocking checks of a stored supply plan find every broken row, and pass a consistent plan."""

from __future__ import annotations

import pandas as pd

from orchestration.supply import plan_checks

CYCLE = pd.Timestamp("2026-12-01")
MONTHS = list(pd.date_range("2027-01-01", periods=3, freq="MS"))


def _plan() -> pd.DataFrame:
    """One SKU × site: opening 10, receipts 5 in January, production 20 a month, demand 25 a month
    shipped in full: 10 + 5 + 20 − 25 = 10, then 10 + 20 − 25 = 5, then 5 + 20 − 25 = 0."""
    return pd.DataFrame(
        {
            "cycle_month": CYCLE,
            "sku": "S",
            "site": "X",
            "month": MONTHS,
            "opening": [10.0, 10.0, 5.0],
            "scheduled_receipts": [5.0, 0.0, 0.0],
            "production": [20.0, 20.0, 20.0],
            "demand": [25.0, 25.0, 25.0],
            "shipped": [25.0, 25.0, 25.0],
            "backlog_opening": 0.0,
            "backlog_closing": 0.0,
            "closing": [10.0, 5.0, 0.0],
            "short_on_time": 0.0,
        }
    )


def test_a_consistent_plan_passes():
    assert plan_checks.balance_violations(_plan()).empty
    assert plan_checks.served_plus_short(_plan()) == 0.0


def test_each_broken_balance_is_found_with_its_rule():
    broken = _plan()
    broken.loc[1, "closing"] = 6.0  # 10 + 20 − 25 is 5, and March opens with 5
    broken.loc[2, "shipped"] = 24.0  # demand 25, no backlog: 25 must ship
    bad = plan_checks.balance_violations(broken)
    rules = set(zip(bad["month"], bad["rule"]))
    assert (MONTHS[1], "opening + receipts + production - shipped = closing") in rules
    assert (MONTHS[2], "opening = previous month's closing") in rules
    assert (MONTHS[2], "shipped = demand + backlog_opening - backlog_closing") in rules
    assert (MONTHS[0], "opening + receipts + production - shipped = closing") not in rules


def test_capacity_beyond_the_allowed_overtime_is_found():
    cap = pd.DataFrame(
        {
            "cycle_month": CYCLE,
            "work_center": "W",
            "month": MONTHS,
            "regular_hours": 100.0,
            "overtime_cap_hours": 15.0,
            "load_hours": [100.0, 115.0, 116.0],
            "overtime_hours": [0.0, 15.0, 16.0],
        }
    )
    bad = plan_checks.capacity_violations(cap)
    assert set(bad["month"]) == {MONTHS[2]}
    assert set(bad["rule"]) == {"load <= regular hours + allowed overtime", "overtime <= overtime allowed"}


def test_an_infeasible_cycle_is_found():
    solves = pd.DataFrame(
        {"cycle_month": [CYCLE, CYCLE + pd.offsets.MonthBegin(1)], "status": ["Optimal", "Infeasible"]}
    )
    assert plan_checks.infeasible_solves(solves)["status"].tolist() == ["Infeasible"]
