"""The supply plan of the small demo company, as published, against an independent calculation.

Nothing expected here comes from the supply code: the opening stock, the open receipts, the
sourcing shares and the routings are read from the raw extracts as loaded (schema raw of the
build database, the landing files' rows), the demand from the published consensus, and the
balances, shares and loads are recomputed with plain pandas.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline")]

SUPPLY_MARTS = [
    "supply_plan",
    "inventory_projection",
    "planned_orders",
    "capacity_utilization",
    "supply_exceptions",
    "safety_stock_policy",
    "supply_scenario_comparison",
    "supply_plan_diff",
    "supply_plan_solves",
]


@pytest.fixture(scope="module")
def serving(built_company):
    with duckdb.connect(str(built_company.root / "serve" / "sop.duckdb"), read_only=True) as con:
        yield con


@pytest.fixture(scope="module")
def raw(built_company):
    """The raw extracts the plans read: one month-end snapshot per cycle."""
    db = next((built_company.root / "warehouse").glob("*.duckdb"))
    with duckdb.connect(str(db), read_only=True) as con:
        frames = {
            t: con.execute(f"SELECT * FROM raw.erp_{t}").df()
            for t in ("inventory_snapshots", "scheduled_receipts", "sourcing_rules", "routings")
        }
    for f in frames.values():
        f["_partition_month"] = pd.to_datetime(f["_partition_month"])
    return frames


@pytest.fixture(scope="module")
def plan(serving) -> pd.DataFrame:
    p = serving.execute("SELECT * FROM supply_plan").df()
    for c in p.columns:
        if p[c].dtype == object and c not in ("sku", "site", "family", "plant"):
            p[c] = pd.to_numeric(p[c], errors="ignore")
    p["month"] = pd.to_datetime(p["month"])
    p["cycle_month"] = pd.to_datetime(p["cycle_month"])
    return p


def test_every_supply_mart_is_published_and_every_planned_cycle_is_optimal(built_company, serving, plan):
    assert built_company.run_success, built_company.steps_failed
    assert not [c for c in built_company.failed_checks if "supply" in c]
    published = {r[0] for r in serving.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert set(SUPPLY_MARTS) <= published
    solves = serving.execute("SELECT cycle_month, status, variables FROM supply_plan_solves").df()
    assert len(solves) == 2 and set(solves["status"]) == {"Optimal"} and (solves["variables"] > 0).all()
    assert sorted(plan["cycle_month"].unique()) == sorted(pd.to_datetime(solves["cycle_month"]))
    assert plan.groupby("cycle_month")["month"].nunique().eq(18).all()


def test_opening_stock_and_receipts_are_the_raw_snapshot_of_the_cycle(plan, raw):
    for cycle, p in plan.groupby("cycle_month"):
        first = p[p["month"] == p["month"].min()].set_index(["sku", "site"])
        inv = raw["inventory_snapshots"]
        inv = inv[inv["_partition_month"] == cycle]
        on_hand = inv.assign(q=pd.to_numeric(inv["on_hand_qty"])).groupby(["sku", "site_code"])["q"].sum()
        on_hand.index.names = ["sku", "site"]
        joined = first[["opening"]].join(on_hand, how="left").fillna(0.0)
        assert np.allclose(joined["opening"].astype(float), joined["q"], atol=0.01), cycle
        rec = raw["scheduled_receipts"]
        rec = rec[rec["_partition_month"] == cycle]
        due = pd.to_datetime(rec["due_date"]).dt.to_period("M").dt.to_timestamp()
        in_horizon = due <= p["month"].max()
        expected = pd.to_numeric(rec.loc[in_horizon, "quantity"]).sum()
        assert p["scheduled_receipts"].astype(float).sum() == pytest.approx(expected, abs=0.05), cycle


def test_demand_is_the_consensus_split_by_the_raw_sourcing_shares(serving, plan, raw):
    consensus = serving.execute(
        "SELECT cycle_month, sku, region_code, forecast_month, consensus_units "
        "FROM consensus_demand WHERE level = 'sku_region'"
    ).df()
    consensus["cycle_month"] = pd.to_datetime(consensus["cycle_month"])
    for cycle, p in plan.groupby("cycle_month"):
        rules = raw["sourcing_rules"]
        rules = rules[rules["_partition_month"] == cycle].assign(share=lambda d: pd.to_numeric(d["demand_share"]))
        c = consensus[consensus["cycle_month"] == cycle].merge(rules, on="region_code")
        expected = (c["consensus_units"].astype(float) * c["share"]).groupby(c["site_code"]).sum()
        got = p.groupby("site")["demand"].sum().astype(float)
        assert np.allclose(got.reindex(expected.index).fillna(0.0), expected, atol=0.05 * len(p) / 100 + 0.1), cycle


def test_conservation_to_the_unit_for_every_sku_and_site(plan):
    num = plan.copy()
    for c in (
        "opening",
        "scheduled_receipts",
        "production",
        "shipped",
        "closing",
        "demand",
        "backlog_opening",
        "backlog_closing",
        "short_on_time",
    ):
        num[c] = num[c].astype(float)
    # every month: opening + receipts + production − shipped = closing, and shipped = demand + backlog in − out
    assert (
        (num["opening"] + num["scheduled_receipts"] + num["production"] - num["shipped"] - num["closing"]).abs()
        <= 0.011
    ).all()
    assert ((num["demand"] + num["backlog_opening"] - num["backlog_closing"] - num["shipped"]).abs() <= 0.011).all()
    # over the horizon: first opening + Σ receipts + Σ production − Σ shipped = last closing
    g = num.sort_values("month").groupby(["cycle_month", "sku", "site"])
    lhs = g["opening"].first() + g["scheduled_receipts"].sum() + g["production"].sum() - g["shipped"].sum()
    assert (lhs - g["closing"].last()).abs().max() <= 0.011 * 18
    # served on time + short on time = demand
    on_time = np.maximum(0.0, num["demand"] - num["backlog_closing"])
    assert ((on_time + num["short_on_time"] - num["demand"]).abs() <= 0.011).all()


def test_capacity_load_is_production_times_the_raw_routing_hours(serving, plan, raw):
    cap = serving.execute("SELECT * FROM capacity_utilization").df()
    cap["cycle_month"] = pd.to_datetime(cap["cycle_month"])
    cap["month"] = pd.to_datetime(cap["month"])
    for c in ("regular_hours", "load_hours", "overtime_hours", "overtime_cap_hours"):
        cap[c] = cap[c].astype(float)
    assert (cap["load_hours"] <= cap["regular_hours"] + cap["overtime_cap_hours"] + 0.011).all()
    for cycle, p in plan.groupby("cycle_month"):
        r = raw["routings"]
        r = r[r["_partition_month"] == cycle].assign(h=lambda d: pd.to_numeric(d["hours_per_unit"]))
        load = p.merge(r[["sku", "work_center_id", "h"]], on="sku")
        keys = [load["work_center_id"], load["month"]]
        hours = load["h"].groupby(keys).sum()
        load = (load["production"].astype(float) * load["h"]).groupby(keys).sum()
        got = cap[cap["cycle_month"] == cycle].set_index(["work_center", "month"])["load_hours"]
        load.index.names = hours.index.names = ["work_center", "month"]
        both = pd.concat([got.rename("got"), load.rename("expected"), hours.rename("h")], axis=1).fillna(0.0)
        # the plan mart stores production with two decimals (up to half a cent of a unit off per SKU, times its
        # hours per unit) and the capacity mart the load with two
        tolerance = 0.005 * both["h"] + 0.006
        assert ((both["got"] - both["expected"]).abs() <= tolerance).all(), cycle


def test_exceptions_say_what_and_why_and_the_policy_was_backtested(serving):
    exc = serving.execute("SELECT exception, sku, work_center, message FROM supply_exceptions").df()
    assert len(exc) > 0 and exc["message"].str.len().gt(20).all()
    outs = exc[exc["exception"] == "stock_out"]
    assert all(str(sku) in message for sku, message in zip(outs["sku"], outs["message"]))
    ss = serving.execute("SELECT * FROM safety_stock_policy").df()
    assert ((ss["service_level"] > 0.5) & (ss["service_level"] < 1)).all()
    measured = ss["backtest_cycle_service_level"].dropna()
    assert len(measured) > 0 and measured.between(0, 1).all()
    assert (ss["safety_stock"].astype(float) >= 0).all()


def test_the_plan_diff_compares_each_cycle_with_the_one_before(serving):
    diff = serving.execute("SELECT DISTINCT cycle_month, previous_cycle_month FROM supply_plan_diff ORDER BY 1").df()
    cycles = serving.execute("SELECT cycle_month FROM supply_plan_solves ORDER BY 1").df()["cycle_month"].tolist()
    assert diff["cycle_month"].tolist() == cycles[1:]
    assert diff["previous_cycle_month"].tolist() == cycles[:-1]


def test_a_range_run_plans_its_last_two_cycles_and_checks_those_months(built_company, serving):
    """The 14-month run plans the last 2 of its 3 forecast cycles (``SupplySettings``); the
    plan marts' suites judge those months, not the months that hold no plan."""
    from orchestration.quality.engine import run_mart_suite

    forecast_cycles = serving.execute("SELECT DISTINCT cycle_month FROM demand_forecast ORDER BY 1").df()
    solves = serving.execute("SELECT cycle_month FROM supply_plan_solves ORDER BY 1").df()
    assert len(forecast_cycles) == 3
    assert (
        pd.to_datetime(solves["cycle_month"]).tolist() == pd.to_datetime(forecast_cycles["cycle_month"]).tolist()[-2:]
    )
    run_months = [f"{m:%Y-%m}" for m in pd.date_range("2021-01-01", periods=14, freq="MS")]
    db = next((built_company.root / "warehouse").glob("*.duckdb"))
    with duckdb.connect(str(db), read_only=True) as con:
        outcome = run_mart_suite(con, "supply_plan", run_months)
    assert outcome.passed
    assert outcome.months == [f"{m:%Y-%m}" for m in pd.to_datetime(solves["cycle_month"])]
