"""What-if supply scenarios: the planners' scenario file applied to the plan inputs, one plan each, KPIs side by side.

The planners own ``<data>/inputs/supply_scenarios.csv``; the pipeline only reads it. One row per
change; the rows sharing a ``scenario`` name make one scenario. Columns:

``scenario``     name of the scenario (``base``, the unchanged plan, is always run and reserved)
``lever``        ``demand``, ``capacity`` or ``lead_time``
``family``       product family (demand, lead_time); empty = every family
``region``       sales region (demand); empty = every region
``work_center``  work center (capacity; required there)
``month``        ``YYYY-MM`` within the plan (demand, capacity); empty = every month
``change``       demand and capacity: percent (``10`` = +10 %, ``-25`` = −25 %, ≥ −100);
                 lead_time: days (``30`` = open receipts of the family arrive 30 days later,
                 a supplier delay; negative = earlier)

Demand changes apply to the consensus demand by SKU × region before it is split over sites, so
"+10 % PMP in EUR" means what it says; several demand rows matching the same demand multiply.
Capacity changes scale the work center's regular hours (overtime allowed scales with them).
Lead-time changes move the due dates of the family's open receipts, which the plan then
buckets into months again (a receipt can move into the next month or out of the horizon).

Every row is validated; the first bad row raises ``ScenarioError`` naming the file, the row
(its line, header = 1) and the rule: unknown lever, family, region, work center, a month
outside the plan, a change that is not a number or out of range, a column that does not belong
to the lever.

KPIs (``plan_kpis``), the same for every scenario:

- fill_rate: units shipped in the month they were ordered / units ordered (backlog is served
  first, so on time in month t = max(0, demand_t − backlog_t));
- revenue_at_risk: list-price value of the units not shipped on time (late or not at all);
- inventory_value: average month-end stock at standard cost;
- overtime_cost: overtime hours × premium;
- utilization: load / regular hours over all loaded work centers and months (peak_utilization:
  the highest work-center month).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from orchestration.supply import lp
from orchestration.supply.frames import label, require_columns, to_month
from orchestration.supply.projection import bucket_receipts, receipts_by_month, site_demand

SCENARIOS_FILE = "supply_scenarios.csv"
BASE = "base"
LEVERS = ("demand", "capacity", "lead_time")
COLUMNS = ("scenario", "lever", "family", "region", "work_center", "month", "change")
CHANGE_COLUMNS = ["row", "scenario", "lever", "family", "region", "work_center", "month", "change"]
KPI_COLUMNS = [
    "scenario",
    "status",
    "fill_rate",
    "revenue_at_risk",
    "inventory_value",
    "overtime_cost",
    "utilization",
    "peak_utilization",
    "units_ordered",
    "units_short_on_time",
    "objective",
]
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
#: which optional columns each lever may use
_ALLOWED = {"demand": {"family", "region", "month"}, "capacity": {"work_center", "month"}, "lead_time": {"family"}}


class ScenarioError(ValueError):
    """A scenario file row that cannot be applied; the message names the file, row and rule."""


@dataclass
class ScenarioBase:
    """The unchanged inputs every scenario starts from (column names as in ``frames``).

    ``demand``: sku, region, month, units (``projection.consensus_to_demand``);
    ``region_sites``: region, site, share; ``items``: sku, family, unit_cost, unit_price;
    ``receipts``: receipt_id, sku, site, due_date, quantity (open receipts, not yet bucketed);
    the rest as in ``lp.PlanInputs``.
    """

    months: list[pd.Timestamp]
    demand: pd.DataFrame
    region_sites: pd.DataFrame
    items: pd.DataFrame
    opening: pd.DataFrame
    routings: pd.DataFrame
    capacity: pd.DataFrame
    sku_costs: pd.DataFrame
    receipts: pd.DataFrame | None = None
    overtime_premium: float = 0.0
    overtime_cap: float = 0.0
    safety_stock: pd.DataFrame | None = None


@dataclass
class ScenarioResults:
    kpis: pd.DataFrame  # KPI_COLUMNS, one row per scenario, base first
    plans: dict[str, lp.SupplyPlan] = field(default_factory=dict)
    inputs: dict[str, lp.PlanInputs] = field(default_factory=dict)


# ---------------------------------------------------------------- the file
def _text(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v).strip()


def validate_scenarios(
    raw: pd.DataFrame, *, families, regions, work_centers, months, file: str = SCENARIOS_FILE
) -> pd.DataFrame:
    """The rows of a scenario file as ``CHANGE_COLUMNS`` (row = line number), or ``ScenarioError``."""
    raw = raw.rename(columns=lambda c: str(c).strip().lower())
    missing = [c for c in ("scenario", "lever", "change") if c not in raw.columns]
    if missing:
        raise ScenarioError(f"{file}: missing column(s) {', '.join(missing)} (rule: columns are {', '.join(COLUMNS)})")
    families, regions, work_centers = set(families), set(regions), set(work_centers)
    plan_months = {label(m) for m in to_month(pd.Series(months))}
    out = []
    for i, rec in enumerate(raw.to_dict("records")):
        row = i + 2
        f = {c: _text(rec.get(c)) for c in COLUMNS}
        where = f"{file} row {row}"
        if not f["scenario"]:
            raise ScenarioError(f"{where}: scenario is empty (rule: every row names its scenario)")
        if f["scenario"] == BASE:
            raise ScenarioError(
                f"{where}: scenario '{BASE}' is reserved for the unchanged plan (rule: use another name)"
            )
        if f["lever"] not in LEVERS:
            raise ScenarioError(f"{where}: unknown lever {f['lever']!r} (rule: lever is one of {', '.join(LEVERS)})")
        extra = [c for c in ("family", "region", "work_center", "month") if f[c] and c not in _ALLOWED[f["lever"]]]
        if extra:
            raise ScenarioError(
                f"{where}: {extra[0]} does not apply to lever {f['lever']} "
                f"(rule: {f['lever']} rows use {', '.join(sorted(_ALLOWED[f['lever']]))})"
            )
        if f["family"] and f["family"] not in families:
            raise ScenarioError(
                f"{where}: unknown family {f['family']!r} (rule: family is one of the item master's "
                f"families: {', '.join(sorted(families))})"
            )
        if f["region"] and f["region"] not in regions:
            raise ScenarioError(
                f"{where}: unknown region {f['region']!r} (rule: region is one of {', '.join(sorted(regions))})"
            )
        if f["lever"] == "capacity":
            if not f["work_center"]:
                raise ScenarioError(f"{where}: capacity row without work_center (rule: name the work center)")
            if f["work_center"] not in work_centers:
                raise ScenarioError(
                    f"{where}: unknown work center {f['work_center']!r} (rule: work_center is one of "
                    "the capacity extract's work centers)"
                )
        if f["month"] and not (_MONTH.match(f["month"]) and f["month"] in plan_months):
            raise ScenarioError(
                f"{where}: month {f['month']!r} is not a plan month (rule: YYYY-MM within "
                f"{min(plan_months)}..{max(plan_months)})"
            )
        try:
            change = float(f["change"])
        except ValueError:
            change = float("nan")
        if not math.isfinite(change):
            raise ScenarioError(f"{where}: change {f['change']!r} is not a number (rule: change is a number)")
        if f["lever"] in ("demand", "capacity") and change < -100:
            raise ScenarioError(f"{where}: change {change:g}% is below −100% (rule: a percentage ≥ −100)")
        out.append(
            (
                row,
                f["scenario"],
                f["lever"],
                f["family"] or None,
                f["region"] or None,
                f["work_center"] or None,
                pd.Timestamp(f"{f['month']}-01") if f["month"] else None,
                change,
            )
        )
    return pd.DataFrame(out, columns=CHANGE_COLUMNS)


def read_scenarios(path: Path, base: ScenarioBase) -> pd.DataFrame:
    """Read and validate the scenario file against ``base``; a missing file means no scenarios."""
    path = Path(path)
    if not path.exists():
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except Exception as exc:  # noqa: BLE001 - any parse failure is reported with the file name
        raise ScenarioError(f"{path}: cannot be read as CSV: {exc}") from exc
    return validate_scenarios(
        raw,
        families=base.items["family"],
        regions=base.demand["region"],
        work_centers=base.capacity["work_center"],
        months=base.months,
        file=str(path),
    )


# ---------------------------------------------------------------- applying
def apply_demand_changes(demand: pd.DataFrame, items: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """demand (sku, region, month, units) with every matching demand row scaled by 1 + change/100."""
    d = demand.merge(items[["sku", "family"]], on="sku", how="left")
    factor = np.ones(len(d))
    for c in changes[changes["lever"] == "demand"].itertuples():
        hit = np.ones(len(d), dtype=bool)
        if c.family:
            hit &= (d["family"] == c.family).to_numpy()
        if c.region:
            hit &= (d["region"] == c.region).to_numpy()
        if pd.notna(c.month):
            hit &= (to_month(d["month"]) == c.month).to_numpy()
        factor[hit] *= 1.0 + c.change / 100.0
    return demand.assign(units=demand["units"].astype(float).to_numpy() * factor)


def apply_capacity_changes(capacity: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """capacity (work_center, month, available_hours) with matching rows scaled by 1 + change/100."""
    cap = capacity.copy()
    hours = cap["available_hours"].astype(float).to_numpy().copy()
    months = to_month(cap["month"]).to_numpy()
    for c in changes[changes["lever"] == "capacity"].itertuples():
        hit = (cap["work_center"] == c.work_center).to_numpy()
        if pd.notna(c.month):
            hit &= months == np.datetime64(c.month)
        hours[hit] *= 1.0 + c.change / 100.0
    cap["available_hours"] = hours
    return cap


def apply_lead_time_changes(receipts: pd.DataFrame, items: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """receipts (receipt_id, sku, site, due_date, quantity) with the family's due dates moved by change days."""
    r = receipts.merge(items[["sku", "family"]], on="sku", how="left")
    shift = np.zeros(len(r))
    for c in changes[changes["lever"] == "lead_time"].itertuples():
        hit = (r["family"] == c.family).to_numpy() if c.family else np.ones(len(r), dtype=bool)
        shift[hit] += c.change
    due = pd.to_datetime(r["due_date"]) + pd.to_timedelta(np.round(shift), unit="D")
    return receipts.assign(due_date=due.to_numpy())


def scenario_inputs(base: ScenarioBase, changes: pd.DataFrame) -> lp.PlanInputs:
    """The ``lp.PlanInputs`` of ``base`` with ``changes`` (``CHANGE_COLUMNS`` rows of one scenario) applied."""
    demand = apply_demand_changes(base.demand, base.items, changes)
    receipts = None
    if base.receipts is not None and not base.receipts.empty:
        moved = apply_lead_time_changes(base.receipts, base.items, changes)
        receipts = receipts_by_month(bucket_receipts(moved, base.months))
    return lp.PlanInputs(
        months=base.months,
        demand=site_demand(demand, base.region_sites),
        opening=base.opening,
        routings=base.routings,
        capacity=apply_capacity_changes(base.capacity, changes),
        sku_costs=base.sku_costs,
        receipts=receipts,
        overtime_premium=base.overtime_premium,
        overtime_cap=base.overtime_cap,
        safety_stock=base.safety_stock,
    )


# ---------------------------------------------------------------- KPIs and runs
def plan_kpis(plan: lp.SupplyPlan, items: pd.DataFrame) -> dict[str, float]:
    """The scenario KPIs of one plan (module doc); ``items``: sku, unit_cost, unit_price."""
    require_columns(items, ["sku", "unit_cost", "unit_price"], "items")
    inv = plan.inventory.merge(items[["sku", "unit_cost", "unit_price"]], on="sku", how="left")
    on_time = np.maximum(0.0, inv["demand"] - inv["backlog_closing"])
    late = inv["demand"] - on_time
    ordered = float(inv["demand"].sum())
    stock_value = (inv["closing"] * inv["unit_cost"]).groupby(inv["month"]).sum()
    h = plan.hours
    loaded = h[h["load_hours"] > 0]
    return {
        "fill_rate": float(on_time.sum() / ordered) if ordered > 0 else float("nan"),
        "revenue_at_risk": float((late * inv["unit_price"]).sum()),
        "inventory_value": float(stock_value.mean()) if len(stock_value) else 0.0,
        "overtime_cost": float(h["overtime_cost"].sum()),
        "utilization": float(loaded["load_hours"].sum() / loaded["regular_hours"].sum()) if len(loaded) else 0.0,
        "peak_utilization": float(h["utilization"].max()) if len(h) else 0.0,
        "units_ordered": ordered,
        "units_short_on_time": float(late.sum()),
        "objective": plan.objective,
    }


def run_scenarios(base: ScenarioBase, changes: pd.DataFrame, **solve_options) -> ScenarioResults:
    """One plan for ``base`` and one per scenario of ``changes``; KPIs side by side (base first)."""
    results = ScenarioResults(pd.DataFrame(columns=KPI_COLUMNS))
    names = [BASE, *dict.fromkeys(changes["scenario"])]
    rows = []
    for name in names:
        inputs = scenario_inputs(base, changes[changes["scenario"] == name])
        model = lp.build_model(inputs)
        solution = lp.solve(model, **solve_options)
        results.inputs[name] = inputs
        if not solution.optimal:
            rows.append({"scenario": name, "status": solution.status})
            continue
        plan = lp.read_solution(model, solution, inputs)
        results.plans[name] = plan
        rows.append({"scenario": name, "status": plan.status, **plan_kpis(plan, base.items)})
    results.kpis = pd.DataFrame(rows).reindex(columns=KPI_COLUMNS)
    return results
