"""The supply bench (``python -m orchestration.benchmarks.supply``) plans a real demo cycle and writes its figures."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from orchestration.benchmarks import supply as bench
from orchestration.supply.cycle import plan_cycle
from orchestration.supply.policy import Policy

SCALE, SEED, START, THROUGH = 0.03, 3, "2023-01", "2024-12"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One bench run at a tiny scale through the CLI, keeping the landing files."""
    root = tmp_path_factory.mktemp("supply_bench")
    out, work = root / "out", root / "work"
    assert (
        bench.main(
            [
                "--scale",
                str(SCALE),
                "--seed",
                str(SEED),
                "--start",
                START,
                "--through",
                THROUGH,
                "--output-dir",
                str(out),
                "--work-dir",
                str(work),
            ]
        )
        == 0
    )
    figures = json.loads((out / f"supply_scale{SCALE:g}.json").read_text())
    return figures, work / f"scale{SCALE:g}" / "landing"


@pytest.mark.slow
def test_bench_times_every_stage_of_an_optimal_plan(run):
    figures, _ = run
    assert figures["scale"] == SCALE and figures["cycle"] == THROUGH
    assert figures["highs_status"] == "Optimal"
    stages = figures["stage_seconds"]
    assert set(stages) == {"checks", "safety_stock", "mrp", "lp_build", "lp_solve", "lp_read", "exceptions"}
    assert all(seconds >= 0 for seconds in stages.values())
    assert figures["plan_cycle_seconds"] >= sum(stages.values()) - 0.01
    assert figures["plan_cycle_seconds"] >= stages["lp_solve"] >= figures["highs_solve_seconds"] > 0
    lp = figures["lp"]
    assert lp["variables"] > 0 and lp["constraints"] > 0 and lp["nonzeros"] >= lp["variables"]
    assert 0 < figures["skus_planned"] <= figures["skus"] and figures["sites"] > 1
    assert figures["skus_planned"] <= figures["pairs_planned"] <= figures["skus"] * figures["sites"]
    assert figures["months"] == bench.CONSENSUS_HORIZON
    assert figures["exceptions"] == sum(figures["exceptions_by_kind"].values()) > 0
    assert figures["peak_rss_mb"] >= figures["rss_before_plan_mb"] > 0


@pytest.mark.slow
def test_cycle_data_from_landing_reads_the_cycle_snapshots(run):
    _, landing = run
    data = bench.cycle_data_from_landing(landing, THROUGH)
    cycle = pd.Timestamp(f"{THROUGH}-01")
    items_sites = set(zip(data.item_sites["sku"], data.item_sites["site"]))
    # planning parameters: every SKU of the item master at every site, one row each
    sites = set(data.item_sites["site"])
    assert items_sites == {(s, t) for s in data.items["sku"] for t in sites}
    assert len(data.item_sites) == len(items_sites)
    assert sites == set(data.region_sites["site"])
    # the inventory snapshot (of the cycle month only) has the same pairs, except obsolete SKUs with nothing left
    assert set(pd.to_datetime(data.inventory["snapshot_date"])) == {cycle + pd.offsets.MonthEnd(0)}
    stock_sites = set(zip(data.inventory["sku"], data.inventory["site"]))
    assert stock_sites <= items_sites
    status = data.items.set_index("sku")["lifecycle_status"]
    assert all(status[sku] == "obsolete" for sku, _ in items_sites - stock_sites)
    # the lineage names the landing file and its data row
    first = data.item_sites.iloc[0]
    lines = (landing / first["_source_file"]).read_text().splitlines()
    for _, row in data.item_sites.sample(10, random_state=1).iterrows():
        assert lines[row["_source_row"]].split(",")[:2] == [row["sku"], row["site"]]
    # CSV blanks are nulls: only transfers name a supplying site
    assert data.item_sites["supplying_site"].notna().eq(data.item_sites["procurement_type"] == "transfer").all()
    # capacity covers the cycle month and the 18 after it; the consensus the 18 months after the cycle
    assert pd.to_datetime(data.capacity["month"]).nunique() == 19
    assert sorted(data.consensus["horizon_step"].unique()) == list(range(1, 19))
    assert (data.consensus["consensus_units"] > 0).all()
    assert data.history["ds"].max() == cycle and data.history["family"].notna().all()


@pytest.mark.slow
def test_plan_cycle_takes_the_snapshot_as_delivered(run):
    """Zero rows of the snapshot (a SKU not launched yet) have nothing to plan and need no parameters."""
    _, landing = run
    data = bench.cycle_data_from_landing(landing, THROUGH)
    assert (data.inventory["on_hand"] == 0).any()
    assert plan_cycle(data, Policy()).plan.status == "Optimal"
