"""One supply-planning cycle, end to end: from the cycle's consensus demand and ERP snapshot to every supply table.

``plan_cycle`` is what the monthly run calls (``orchestration/defs/supply_assets.py``): it chains
the modules of this package in the order a planner works, on the data as of the end of the
cycle month (the month being closed), and returns the tables BI reads, one frame each:

1. demand: the consensus demand of the cycle (SKU × region, 18 months) split over the stocking
   sites by the ERP's sourcing rules (``projection.site_demand``);
2. safety stock: ABC × XYZ classes from the last 12 months of demand, σ of the forecast *error*
   from the stored forecast snapshots (lag 1, consensus − actual; where a SKU × site has fewer than
   ``MIN_SNAPSHOT_ERRORS`` of them, the error of the naive forecast "next month = this month" over the
   last 24 months stands in, and ``error_source`` says so), then the policy's 12-month backtest;
3. MRP: the projection from the latest inventory snapshot and the open receipts, netted into
   planned orders with each site's lot-sizing rule; receipt messages (past due, reschedule);
4. rough-cut capacity of the unconstrained plan (planned orders × hours per unit);
5. the capacity-constrained plan (``lp``, HiGHS) on the same demand, stock, receipts and capacity;
6. exceptions from the constrained plan, the MRP messages and the item master;
7. optionally the planners' scenarios (``scenarios``) and the diff against the previous cycle's
   stored plan (``versions``).

Every input error names the file and row it comes from (the raw extracts' lineage columns) and
the rule; nothing is guessed around.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from orchestration.supply import capacity as rough_cut
from orchestration.supply import exceptions as exc
from orchestration.supply import lp, mrp, safety_stock, scenarios, versions
from orchestration.supply.frames import (
    DAYS_PER_MONTH,
    add_months,
    lead_time_months,
    require_columns,
    source_ref,
    to_month,
)
from orchestration.supply.policy import Policy
from orchestration.supply.projection import (
    bucket_receipts,
    consensus_to_demand,
    latest_on_hand,
    receipts_by_month,
    site_demand,
)

#: fewer lag-1 forecast errors than this per SKU × site, and the naive-forecast error stands in
MIN_SNAPSHOT_ERRORS = 6
#: months of history the classes, the naive-error proxy and the backtest look at
CLASS_MONTHS, PROXY_MONTHS, BACKTEST_MONTHS = 12, 24, 12
PROCUREMENT_TYPES = ("make", "buy", "transfer")
#: the MRP inputs are read from these extracts (for messages)
ITEM_SITES_FILE, SOURCING_FILE = "erp_item_sites", "erp_sourcing_rules"


class SupplyInputError(ValueError):
    """An input the supply plan cannot be built from; the message names the file, the row and the rule."""


@dataclass
class CycleData:
    """What one cycle plans from, as of the end of ``cycle`` (column names as in ``frames``).

    - consensus: ``forecast.consensus_demand`` rows of the cycle;
    - history: sku, region, ds, y (monthly ordered units, ``marts.demand_history_monthly``) up to the cycle;
    - forecast_errors: sku, region, ds, error (lag-1 consensus − actual of the stored snapshots; may be empty);
    - items: sku, family, unit_cost, unit_price, eol_date (the item master of the cycle's snapshot);
    - item_sites: sku, site, procurement_type, supplying_site, lead_time_days, lead_time_std_days,
      lot_rule, lot_size, periods, moq, multiple (+ lineage columns);
    - region_sites: region, site, share (+ lineage columns);
    - inventory: snapshot_date, sku, site, on_hand; receipts: receipt_id, sku, site, due_date, quantity;
    - capacity: work_center, site, month, available_hours; routings: sku, work_center, hours_per_unit.
    """

    cycle: pd.Timestamp
    consensus: pd.DataFrame
    history: pd.DataFrame
    forecast_errors: pd.DataFrame
    items: pd.DataFrame
    item_sites: pd.DataFrame
    region_sites: pd.DataFrame
    inventory: pd.DataFrame
    receipts: pd.DataFrame
    capacity: pd.DataFrame
    routings: pd.DataFrame


@dataclass
class CycleResult:
    """The tables of one cycle (see ``orchestration.supply.tables`` for their columns)."""

    cycle: pd.Timestamp
    months: list[pd.Timestamp]
    plan: lp.SupplyPlan
    inputs: lp.PlanInputs
    model_size: dict[str, int]
    supply_plan: pd.DataFrame
    inventory_projection: pd.DataFrame
    planned_orders: pd.DataFrame
    capacity: pd.DataFrame
    exceptions: pd.DataFrame
    safety_stock: pd.DataFrame
    service_by_class: pd.DataFrame
    scenario_kpis: pd.DataFrame = field(default_factory=pd.DataFrame)
    plan_diff: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: wall seconds per stage: checks, safety_stock, mrp, lp_build, lp_solve, lp_read, exceptions, scenarios, diff
    seconds: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------- validation
def check_item_sites(item_sites: pd.DataFrame, needed: pd.DataFrame) -> None:
    """Refuse planning parameters a plan cannot use: unknown procurement type or lot rule, a
    negative lead time or lot parameter, POQ without periods, a transfer without its supplying site,
    and a SKU × site with demand or stock but no parameters."""
    require_columns(
        item_sites,
        [
            "sku",
            "site",
            "procurement_type",
            "lead_time_days",
            "lead_time_std_days",
            "lot_rule",
            "lot_size",
            "periods",
            "moq",
            "multiple",
        ],
        ITEM_SITES_FILE,
    )
    it = item_sites.reset_index(drop=True)
    checks = [
        (~it["procurement_type"].isin(PROCUREMENT_TYPES), "procurement_type", f"one of {', '.join(PROCUREMENT_TYPES)}"),
        (~it["lot_rule"].isin(mrp.LOT_RULES), "lot_rule", f"one of {', '.join(mrp.LOT_RULES)}"),
        (
            pd.to_numeric(it["lead_time_days"], errors="coerce").fillna(-1) < 0,
            "lead_time_days",
            "a lead time is ≥ 0 days",
        ),
        (pd.to_numeric(it["lead_time_std_days"], errors="coerce").fillna(-1) < 0, "lead_time_std_days", "≥ 0"),
        (
            (it["lot_rule"] == "POQ") & (pd.to_numeric(it["periods"], errors="coerce").fillna(0) < 1),
            "poq_periods",
            "POQ needs poq_periods ≥ 1",
        ),
        (
            (it["lot_rule"] == "FOQ") & (pd.to_numeric(it["lot_size"], errors="coerce").fillna(0) <= 0),
            "lot_size",
            "FOQ needs lot_size > 0",
        ),
    ]
    for column in ("lot_size", "moq", "multiple"):
        checks.append((pd.to_numeric(it[column], errors="coerce").fillna(-1) < 0, column, "≥ 0"))
    if "supplying_site" in it.columns:
        blank = it["supplying_site"].isna() | (it["supplying_site"].astype(str).str.strip() == "")
        checks.append(
            (
                (it["procurement_type"] == "transfer") & blank,
                "supplying_site_code",
                "a transfer names its supplying site",
            )
        )
    for bad, column, rule in checks:
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            value = it.iloc[pos][_col(it, column)]
            value = value.item() if hasattr(value, "item") else value
            raise SupplyInputError(
                f"{source_ref(it, pos, ITEM_SITES_FILE)}: {column} {value!r} "
                f"of SKU {it['sku'].iloc[pos]} at {it['site'].iloc[pos]} (rule: {rule})"
            )
    dup = it.duplicated(["sku", "site"], keep="first")
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        raise SupplyInputError(
            f"{source_ref(it, pos, ITEM_SITES_FILE)}: a second row for SKU {it['sku'].iloc[pos]} at "
            f"{it['site'].iloc[pos]} (rule: one row per SKU and site)"
        )
    have = set(zip(it["sku"], it["site"]))
    missing = needed[[(s, t) not in have for s, t in zip(needed["sku"], needed["site"])]]
    if not missing.empty:
        r = missing.iloc[0]
        raise SupplyInputError(
            f"{ITEM_SITES_FILE}: no planning parameters for SKU {r['sku']} at {r['site']}, which has "
            f"demand or stock in the plan ({len(missing)} pair(s) in all) (rule: every planned SKU × "
            "site needs a row)"
        )


def _col(frame: pd.DataFrame, column: str) -> str:
    renamed = {"poq_periods": "periods", "supplying_site_code": "supplying_site"}
    return column if column in frame.columns else renamed.get(column, column)


def check_region_sites(region_sites: pd.DataFrame, regions) -> None:
    """Every demand region needs sites whose shares are in [0, 1] and sum to 1."""
    require_columns(region_sites, ["region", "site", "share"], SOURCING_FILE)
    rs = region_sites.reset_index(drop=True)
    bad = (rs["share"].astype(float) < 0) | (rs["share"].astype(float) > 1)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise SupplyInputError(
            f"{source_ref(rs, pos, SOURCING_FILE)}: demand_share {rs['share'].iloc[pos]} of "
            f"{rs['region'].iloc[pos]} at {rs['site'].iloc[pos]} (rule: a share is between 0 and 1)"
        )
    totals = rs.groupby("region")["share"].sum()
    for region, total in totals.items():
        if abs(float(total) - 1.0) > 1e-4:
            pos = int(np.flatnonzero((rs["region"] == region).to_numpy())[0])
            raise SupplyInputError(
                f"{source_ref(rs, pos, SOURCING_FILE)}: the shares of region {region} sum to "
                f"{float(total):g} (rule: a region's shares sum to 1)"
            )
    unknown = sorted(set(regions) - set(totals.index))
    if unknown:
        raise SupplyInputError(
            f"{SOURCING_FILE}: no site serves region(s) {', '.join(unknown)} (rule: every region "
            "with demand has a sourcing rule)"
        )


# ---------------------------------------------------------------- demand and error by site
def history_by_site(history: pd.DataFrame, region_sites: pd.DataFrame) -> pd.DataFrame:
    """sku, site, month, units: monthly demand of each region split over its sites by the sourcing shares."""
    h = history.rename(columns={"ds": "month", "y": "units"})[["sku", "region", "month", "units"]]
    return site_demand(h, region_sites[["region", "site", "share"]])


def site_errors(
    forecast_errors: pd.DataFrame, history_site: pd.DataFrame, region_sites: pd.DataFrame, cycle: pd.Timestamp
) -> pd.DataFrame:
    """sku, site, month, error, error_source per SKU × site.

    Lag-1 forecast errors of the stored snapshots (split by the sourcing shares) where a pair
    has at least ``MIN_SNAPSHOT_ERRORS``; else the naive forecast's errors (units_{t−1} − units_t)
    over the last ``PROXY_MONTHS`` months of demand, a conservative stand-in until enough
    snapshots exist.
    """
    keys = ["sku", "site"]
    parts = []
    if forecast_errors is not None and not forecast_errors.empty:
        e = forecast_errors.merge(region_sites[["region", "site", "share"]], on="region")
        e = e.assign(month=to_month(e["ds"]).to_numpy(), error=e["error"].astype(float) * e["share"].astype(float))
        e = e.groupby([*keys, "month"], as_index=False)["error"].sum()
        counts = e.groupby(keys)["error"].transform("count")
        parts.append(e[counts >= MIN_SNAPSHOT_ERRORS].assign(error_source="forecast_snapshots"))
    have = set(zip(parts[0]["sku"], parts[0]["site"])) if parts else set()
    window = pd.date_range(end=pd.Timestamp(cycle), periods=PROXY_MONTHS + 1, freq="MS")
    h = history_site[history_site["month"].isin(window)]
    full = h.pivot_table(index=keys, columns="month", values="units", aggfunc="sum").reindex(columns=window)
    # a month without demand after a pair's first month is a zero; before it the pair did not exist
    full = full.fillna(0.0).where(full.notna().cumsum(axis=1) > 0)
    full = full[[k not in have for k in full.index]]
    if not full.empty:
        diff = (full.shift(1, axis=1) - full).iloc[:, 1:]
        naive = diff.stack().dropna().rename("error").reset_index()
        naive.columns = [*keys, "month", "error"]
        parts.append(naive.assign(error_source="naive_forecast"))
    if not parts:
        return pd.DataFrame(columns=[*keys, "month", "error", "error_source"])
    return pd.concat(parts, ignore_index=True)


def read_cycle_scenarios(path, data: CycleData) -> pd.DataFrame:
    """The planners' scenario file validated against the cycle's families, regions, work centers and
    plan months (``scenarios.validate_scenarios``); no file means no scenarios."""
    path = Path(path)
    if not path.exists():
        return pd.DataFrame(columns=scenarios.CHANGE_COLUMNS)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except Exception as error:  # noqa: BLE001 - any parse failure is reported with the file name
        raise scenarios.ScenarioError(f"{path}: cannot be read as CSV: {error}") from error
    months = sorted(pd.Timestamp(m) for m in to_month(data.consensus["forecast_month"]).unique())
    return scenarios.validate_scenarios(
        raw,
        families=data.items["family"],
        regions=data.region_sites["region"],
        work_centers=data.capacity["work_center"],
        months=months,
        file=str(path),
    )


# ---------------------------------------------------------------- the cycle
def plan_cycle(
    data: CycleData,
    policy: Policy,
    *,
    scenario_changes: pd.DataFrame | None = None,
    previous: dict[str, pd.DataFrame] | None = None,
    time_limit_seconds: float | None = 60.0,
) -> CycleResult:
    """Plan one cycle (module doc). ``previous``: the last cycle's stored ``supply_plan`` and
    ``capacity`` rows and its ``cycle_month``, for the plan diff; ``scenario_changes``: validated scenario rows
    (``scenarios.read_scenarios``)."""
    clock = _Stopwatch()
    cycle = pd.Timestamp(data.cycle)
    demand_region = consensus_to_demand(data.consensus, cycle)
    if demand_region.empty:
        raise SupplyInputError(f"forecast.consensus_demand has no SKU × region rows for cycle {cycle:%Y-%m}")
    months = sorted(pd.Timestamp(m) for m in demand_region["month"].unique())
    if months[0] != add_months(cycle, 1):
        raise SupplyInputError(
            f"consensus demand of cycle {cycle:%Y-%m} starts in {months[0]:%Y-%m}, not the month after it"
        )

    check_region_sites(data.region_sites, demand_region["region"].unique())
    demand = site_demand(demand_region, data.region_sites[["region", "site", "share"]])
    opening = latest_on_hand(data.inventory, cycle + pd.offsets.MonthEnd(0))
    receipts = data.receipts[["receipt_id", "sku", "site", "due_date", "quantity"]]

    needed = pd.concat(
        [
            demand.loc[demand["units"] > 0, ["sku", "site"]],
            opening.loc[opening["on_hand"] > 0, ["sku", "site"]],
            receipts[["sku", "site"]],
        ]
    ).drop_duplicates()
    check_item_sites(data.item_sites, needed)
    # plan the pairs with demand, stock or open supply; the rest (a SKU not launched yet, with a
    # zero snapshot row) has nothing to plan
    planned = pd.MultiIndex.from_frame(needed[["sku", "site"]])
    demand = demand[pd.MultiIndex.from_frame(demand[["sku", "site"]]).isin(planned)].reset_index(drop=True)
    opening = opening[pd.MultiIndex.from_frame(opening[["sku", "site"]]).isin(planned)].reset_index(drop=True)
    items = data.items.copy()
    require_columns(items, ["sku", "family", "unit_cost", "unit_price"], "erp_items")
    routings = data.routings
    rough_cut.check_routings(
        routings, data.capacity, routings_file="erp_routings", capacity_file="erp_work_center_capacity"
    )
    capacity = data.capacity.assign(month=to_month(data.capacity["month"]).to_numpy())
    capacity = capacity[capacity["month"].isin(months)]
    made = demand.loc[demand["units"] > 0, ["sku", "month"]]
    rough_cut.check_months_covered(
        routings,
        capacity,
        made[made["sku"].isin(routings["sku"])],
        routings_file="erp_routings",
        capacity_file="erp_work_center_capacity",
    )

    clock.lap("checks")

    # safety stock from the forecast error, and its backtest
    history_site = history_by_site(data.history[pd.to_datetime(data.history["ds"]) <= cycle], data.region_sites)
    recent = history_site[history_site["month"] > add_months(cycle, -CLASS_MONTHS)]
    unit_values = items[["sku", "unit_cost"]].rename(columns={"unit_cost": "unit_value"})
    classes = safety_stock.classify(recent, unit_values, policy)
    errors = site_errors(data.forecast_errors, history_site, data.region_sites, cycle)
    params = data.item_sites[
        data.item_sites.set_index(["sku", "site"]).index.isin(needed.set_index(["sku", "site"]).index)
    ]
    lead_months = np.maximum(1, lead_time_months(params["lead_time_days"].astype(float)))
    rate = []
    by_pair = demand.groupby(["sku", "site"])
    for (sku, site), lm in zip(zip(params["sku"], params["site"]), lead_months):
        g = by_pair.get_group((sku, site)) if (sku, site) in by_pair.groups else None
        rate.append(float(g.sort_values("month")["units"].head(int(lm)).mean()) if g is not None else 0.0)
    demand_rate = pd.DataFrame(
        {"sku": params["sku"].to_numpy(), "site": params["site"].to_numpy(), "mean_demand": rate}
    )
    service = demand_rate[["sku", "site"]].merge(
        classes[["sku", "site", "service_level"]], on=["sku", "site"], how="left"
    )
    service["service_level"] = service["service_level"].fillna(min(policy.service_levels.values()))
    ss = safety_stock.safety_stocks(
        errors[["sku", "site", "month", "error"]],
        demand_rate,
        params[["sku", "site", "lead_time_days", "lead_time_std_days"]],
        service,
        history_site,
        review_months=1.0,
    )
    ss = ss.merge(params[["sku", "site", "lead_time_days"]], on=["sku", "site"], how="left")
    ss["safety_stock"] = ss["safety_stock"].fillna(0.0)
    ss["reorder_point"] = ss["reorder_point"].fillna(ss["mean_demand"] * (ss["lead_time_days"] / DAYS_PER_MONTH))
    bt_params = ss[["sku", "site", "reorder_point"]].assign(
        lead_time_months=lead_time_months(ss["lead_time_days"].astype(float)),
        order_up_to=ss["reorder_point"] + ss["mean_demand"],
    )
    backtest = safety_stock.backtest_policy(history_site, bt_params, n_months=BACKTEST_MONTHS)
    classes_pairs = ss[["sku", "site"]].merge(classes, on=["sku", "site"], how="left")
    classes_pairs["abc_xyz"] = classes_pairs["abc_xyz"].fillna("CZ")
    classes_pairs["service_level"] = classes_pairs["service_level"].fillna(min(policy.service_levels.values()))
    by_class = safety_stock.service_by_class(backtest, classes_pairs)
    sources = errors.drop_duplicates(["sku", "site"])[["sku", "site", "error_source"]]
    policy_rows = (
        ss.merge(
            classes_pairs.drop(columns=[c for c in ("service_level",) if c in ss.columns], errors="ignore"),
            on=["sku", "site"],
            how="left",
            suffixes=("", "_class"),
        )
        .merge(backtest, on=["sku", "site"], how="left", suffixes=("", "_backtest"))
        .merge(sources, on=["sku", "site"], how="left")
    )
    policy_rows["error_source"] = policy_rows["error_source"].fillna("none")

    clock.lap("safety_stock")

    # MRP: projection and planned orders, and the unconstrained rough-cut load
    mrp_items = params.merge(ss[["sku", "site", "safety_stock"]], on=["sku", "site"], how="left")
    result = mrp.plan_orders(demand, opening[["sku", "site", "on_hand"]], receipts, mrp_items, months)
    orders = result.planned_orders
    unconstrained = orders.rename(columns={"need_month": "month", "quantity": "units"})[["sku", "month", "units"]]
    unconstrained = unconstrained[unconstrained["sku"].isin(routings["sku"])]
    load = rough_cut.rough_cut_load(
        unconstrained, routings, capacity, routings_file="erp_routings", capacity_file="erp_work_center_capacity"
    )

    clock.lap("mrp")

    # the capacity-constrained plan
    costs = lp.sku_costs_from_policy(items, policy)
    bucketed = receipts_by_month(bucket_receipts(receipts, months))
    inputs = lp.PlanInputs(
        months=months,
        demand=demand,
        opening=opening[["sku", "site", "on_hand"]],
        routings=routings,
        capacity=capacity,
        sku_costs=costs,
        receipts=bucketed,
        overtime_premium=policy.overtime_premium_per_hour,
        overtime_cap=policy.overtime_cap_share,
        safety_stock=ss[["sku", "site", "safety_stock"]],
    )
    model = lp.build_model(inputs)
    clock.lap("lp_build")
    solution = lp.solve(model, time_limit_seconds=time_limit_seconds)
    clock.lap("lp_solve")
    if not solution.optimal:
        raise SupplyInputError(
            f"the supply plan of cycle {cycle:%Y-%m} has no optimal solution: HiGHS says "
            f"{solution.status} ({len(model.variables)} variables, {len(model.rows)} rows)"
        )
    plan = lp.read_solution(model, solution, inputs)
    model_size = {
        "variables": int(len(model.variables)),
        "constraints": int(len(model.rows)),
        "nonzeros": int(len(model.coefficients)),
    }
    clock.lap("lp_read")

    # exceptions
    found = exc.all_exceptions(
        exc.stock_outs(plan, inputs),
        exc.below_safety_stock(plan.inventory, ss[["sku", "site", "safety_stock"]]),
        exc.excess_stock(plan.inventory, items[["sku", "unit_cost"]], max_months=policy.excess_months),
        exc.capacity_overload(plan.hours, overtime_premium=policy.overtime_premium_per_hour),
        exc.late_supply(result.messages, orders),
        exc.end_of_life_stock(plan.inventory, items[["sku", "eol_date", "unit_cost"]]),
    )
    clock.lap("exceptions")

    out = CycleResult(
        cycle=cycle,
        months=months,
        plan=plan,
        inputs=inputs,
        model_size=model_size,
        supply_plan=supply_plan_rows(plan, ss, items),
        inventory_projection=result.projection,
        planned_orders=orders.merge(params[["sku", "site", "procurement_type"]], on=["sku", "site"], how="left"),
        capacity=capacity_rows(plan, load),
        exceptions=found,
        safety_stock=policy_rows,
        service_by_class=by_class,
    )
    if scenario_changes is not None:
        base = scenarios.ScenarioBase(
            months=months,
            demand=demand_region,
            region_sites=data.region_sites[["region", "site", "share"]],
            items=items,
            opening=inputs.opening,
            routings=routings,
            capacity=capacity,
            sku_costs=costs,
            receipts=receipts,
            overtime_premium=inputs.overtime_premium,
            overtime_cap=inputs.overtime_cap,
            safety_stock=inputs.safety_stock,
        )
        out.scenario_kpis = scenarios.run_scenarios(base, scenario_changes, time_limit_seconds=time_limit_seconds).kpis
        clock.lap("scenarios")
    if previous is not None and not previous.get("supply_plan", pd.DataFrame()).empty:
        plan_a, inputs_a = stored_version(previous["supply_plan"], previous["capacity"], routings)
        out.plan_diff = versions.diff_versions(plan_a, inputs_a, plan, inputs, items[["sku", "family"]])
        out.plan_diff.insert(0, "previous_cycle_month", pd.Timestamp(previous["cycle_month"]))
        clock.lap("diff")
    out.seconds = clock.laps
    return out


class _Stopwatch:
    """Wall seconds per named stage, for the run's metadata and ``make bench``."""

    def __init__(self):
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 4)
        self._last = now


# ---------------------------------------------------------------- tables
def supply_plan_rows(plan: lp.SupplyPlan, ss: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """The constrained plan per SKU × site × month: the inventory balance, its production and plant,
    the safety stock, and the stock's value and months of supply."""
    inv = plan.inventory.copy()
    prod = plan.production.groupby(["sku", "site", "month"], as_index=False).agg(plant=("plant", "first"))
    inv = inv.merge(prod, on=["sku", "site", "month"], how="left")
    inv = inv.merge(ss[["sku", "site", "safety_stock"]], on=["sku", "site"], how="left")
    inv = inv.merge(items[["sku", "family", "unit_cost", "unit_price"]], on="sku", how="left")
    inv["safety_stock"] = inv["safety_stock"].fillna(0.0)
    inv["short_on_time"] = inv["demand"] - np.maximum(0.0, inv["demand"] - inv["backlog_closing"])
    inv["closing_value_usd"] = inv["closing"] * inv["unit_cost"]
    mean = inv.groupby(["sku", "site"])["demand"].transform("mean")
    with np.errstate(divide="ignore", invalid="ignore"):
        inv["months_of_supply"] = np.where(mean > 0, inv["closing"] / mean, np.nan)
    return inv


def capacity_rows(plan: lp.SupplyPlan, unconstrained: pd.DataFrame) -> pd.DataFrame:
    """Work center × month: the constrained plan's hours next to the unconstrained (MRP) load,
    with the shadow price of the capacity row where it binds."""
    h = plan.hours.merge(
        unconstrained[["work_center", "month", "load_hours"]].rename(
            columns={"load_hours": "unconstrained_load_hours"}
        ),
        on=["work_center", "month"],
        how="left",
    )
    h["unconstrained_load_hours"] = h["unconstrained_load_hours"].fillna(0.0)
    b = plan.binding[plan.binding["kind"] == "capacity"][["work_center", "month", "shadow_price"]]
    h = h.merge(b, on=["work_center", "month"], how="left")
    h["hour_value_usd"] = (-h["shadow_price"]).clip(lower=0.0).fillna(0.0)
    return h.drop(columns=["shadow_price"])


def stored_version(plan_rows: pd.DataFrame, capacity: pd.DataFrame, routings: pd.DataFrame):
    """A stored plan version (``supply_plan`` and ``capacity`` rows of one cycle) in the shapes
    ``versions.diff_versions`` reads: the plan's inventory and production, and its inputs' demand,
    receipts, capacity and routings (today's routings: a version does not store them)."""
    p = plan_rows.assign(month=to_month(plan_rows["month"]).to_numpy())
    plan = SimpleNamespace(
        inventory=p,
        production=p[["sku", "site", "month", "production"]].rename(columns={"production": "units"}),
    )
    inputs = SimpleNamespace(
        demand=p[["sku", "site", "month", "demand"]].rename(columns={"demand": "units"}),
        receipts=p[["sku", "site", "month", "scheduled_receipts"]].rename(columns={"scheduled_receipts": "units"}),
        capacity=capacity.assign(month=to_month(capacity["month"]).to_numpy()).rename(
            columns={"regular_hours": "available_hours"}
        )[["work_center", "month", "available_hours"]],
        routings=routings,
    )
    return plan, inputs
