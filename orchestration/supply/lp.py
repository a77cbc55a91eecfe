"""The capacity-constrained supply plan: a linear program, solved with HiGHS.

Three steps, each a plain function, so the model can be read, tested and solved apart:

1. ``build_model(inputs)`` writes the plan as a small solver-agnostic ``LinearProgram``:
   a table of variables (bounds, cost), a table of named constraint rows (bounds) and the
   coefficients (row, column, value);
2. ``solve(lp)`` hands it to HiGHS (``highspy``) and returns a ``Solution``: status, objective,
   solve seconds (HiGHS's own run clock), primal values and row duals (shadow prices);
3. ``read_solution(lp, solution, inputs)`` turns the values back into DataFrames: production,
   inventory per SKU × site × month, backlog, work-center hours and the binding capacity rows
   with their shadow prices (``SupplyPlan``).

The model, per month t of the horizon (monthly buckets):

Variables
    ``make[sku, site, t]`` ≥ 0: units made at the SKU's plant (the site of its routing's work
    centers) for stocking site ``site``, usable there in month t (the transfer inside the month is
    ignored at this rough-cut level). SKUs without a routing have none: only their opening stock
    and scheduled receipts serve them.
    ``stock[sku, site, t]`` ≥ 0: closing on hand.
    ``backlog[sku, site, t]`` ≥ 0: demand due by month t and not yet shipped. Shortage is
    *backlogged*, not lost: an industrial customer mostly waits for a pump rather than buying one
    elsewhere, and a backlog keeps the late units in the plan, to be made as soon as capacity
    allows. Backlog left in the last month is what the horizon cannot deliver.
    ``overtime[wc, t]`` ≥ 0: hours beyond the regular hours.

Rows
    ``balance[sku, site, t]`` (=): stock_t − backlog_t − stock_{t−1} + backlog_{t−1} − make_t
    = scheduled_receipts_t − demand_t, with stock_{t−1} the opening on-hand in the first month
    (moved to the right-hand side) and no opening backlog. Shipped in t is then
    demand_t + backlog_{t−1} − backlog_t, and opening + receipts + make − shipped = closing.
    ``capacity[wc, t]`` (≤): Σ hours_per_unit × make − overtime ≤ regular hours.
    ``safety_stock[sku, site, t]`` (≥, only with ``inputs.safety_stock``): stock_t + below_ss_t ≥ the
    safety stock, with ``below_ss`` ≥ 0 (at most the safety stock) costing ``below_safety_cost`` per
    unit-month: a soft target, given up before any demand goes short when that cost is under the
    backlog cost, and held when it is over the holding cost.
    ``overtime_cap[wc, t]`` (≤): overtime ≤ cap share × regular hours (a row rather than a bound,
    so that its shadow price is reported: what one more allowed overtime hour would save).

Objective (minimised)
    Σ backlog_cost × backlog + Σ holding_cost × stock + Σ overtime premium × overtime
    (+ Σ below_safety_cost × below_ss with a safety stock), the costs
    per unit (hour) and month. Making early and holding (pre-building) is allowed and competes
    with overtime and backlog on cost. Regular production has no cost term: every plan pays it for
    the units it makes, and the backlog penalty (policy: a multiple of margin) prices the units it
    does not. A SKU's holding and backlog costs are ≥ 0 and not both 0, so that holding stock and
    backlog at once is never optimal (shipped is then never negative); a backlog cost of 0 (no
    margin) lets the plan leave that SKU short whenever making it would cost anything.

Shadow prices are HiGHS row duals: the change of the objective per one unit more on the row's
right-hand side. For a capacity row that is ≤ 0: −shadow price is what one more regular hour in
that month is worth.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from orchestration.supply.capacity import capacity_table, check_months_covered, check_routings
from orchestration.supply.frames import label, require_columns, to_month

#: values this close to 0 are reported as 0; rows with this little slack are binding
TOLERANCE = 1e-7

VARIABLE_COLUMNS = ["name", "kind", "sku", "site", "work_center", "month", "lower", "upper", "cost"]
ROW_COLUMNS = ["name", "kind", "sku", "site", "work_center", "month", "lower", "upper"]
PRODUCTION_COLUMNS = ["sku", "site", "plant", "month", "units"]
INVENTORY_COLUMNS = [
    "sku",
    "site",
    "month",
    "opening",
    "scheduled_receipts",
    "production",
    "demand",
    "shipped",
    "backlog_opening",
    "backlog_closing",
    "closing",
]
HOURS_COLUMNS = [
    "work_center",
    "month",
    "regular_hours",
    "load_hours",
    "overtime_hours",
    "overtime_cap_hours",
    "utilization",
    "overtime_cost",
]
BINDING_COLUMNS = ["row", "kind", "work_center", "month", "activity", "bound", "shadow_price"]


class PlanInputError(ValueError):
    """Inputs the supply plan cannot be built from; the message names the frame and the rule."""


@dataclass
class PlanInputs:
    """Everything one supply plan is built from (column names as in ``frames``).

    - ``months``: the horizon, consecutive months (first day); the first is the first plan month.
    - ``demand``: sku, site, month, units (consensus demand by site, ``projection.site_demand``).
    - ``opening``: sku, site, on_hand at the start of the first month.
    - ``routings``: sku, work_center, hours_per_unit.
    - ``capacity``: work_center, month, available_hours (regular hours); site = the plant (optional).
    - ``sku_costs``: sku, holding_cost, backlog_cost: $ per unit per month
      (``sku_costs_from_policy``).
    - ``receipts``: sku, site, month, units: scheduled receipts bucketed by month
      (``projection.bucket_receipts``); optional.
    - ``overtime_premium``: $ per overtime hour; ``overtime_cap``: overtime allowed as a share of
      the month's regular hours.
    - ``safety_stock``: sku, site, safety_stock (optional): the plan then holds it as a soft target,
      priced by ``sku_costs.below_safety_cost`` ($ per unit-month below it).
    """

    months: list[pd.Timestamp]
    demand: pd.DataFrame
    opening: pd.DataFrame
    routings: pd.DataFrame
    capacity: pd.DataFrame
    sku_costs: pd.DataFrame
    receipts: pd.DataFrame | None = None
    overtime_premium: float = 0.0
    overtime_cap: float = 0.0
    safety_stock: pd.DataFrame | None = None


@dataclass
class LinearProgram:
    """A solver-agnostic LP: minimise Σ cost·x subject to lower ≤ A·x ≤ upper, bounds on x.

    ``variables``: name, kind (make, stock, backlog, overtime), sku, site, work_center, month,
    lower, upper, cost. ``rows``: name, kind (balance, capacity, overtime_cap), sku, site,
    work_center, month, lower, upper (±inf when open). ``coefficients``: row, col, value with row
    and col the positions in ``rows`` and ``variables``.
    """

    variables: pd.DataFrame
    rows: pd.DataFrame
    coefficients: pd.DataFrame

    def matrix(self) -> np.ndarray:
        """The constraint matrix, dense (for small models and tests)."""
        a = np.zeros((len(self.rows), len(self.variables)))
        np.add.at(
            a,
            (self.coefficients["row"].to_numpy(), self.coefficients["col"].to_numpy()),
            self.coefficients["value"].to_numpy(),
        )
        return a


@dataclass
class Solution:
    status: str  # HiGHS model status, e.g. "Optimal", "Infeasible"
    optimal: bool
    objective: float
    seconds: float  # HiGHS run time of this solve
    values: np.ndarray  # primal value per variable (position in LinearProgram.variables)
    row_duals: np.ndarray  # per row: d objective / d right-hand side
    row_activity: np.ndarray  # per row: A·x


@dataclass
class SupplyPlan:
    """The plan read back from a solution; every frame documented by its ``*_COLUMNS``.

    - ``production``: sku, site, plant, month, units (non-zero rows).
    - ``inventory``: sku, site, month, opening, scheduled_receipts, production, demand, shipped,
      backlog_opening, backlog_closing, closing (every node and month).
    - ``short``: the inventory rows with backlog_closing > 0.
    - ``hours``: work_center, month, regular_hours, load_hours, overtime_hours, overtime_cap_hours,
      utilization (load / regular hours), overtime_cost.
    - ``binding``: capacity rows at their bound, and overtime-cap rows at their bound with a
      non-zero shadow price: row, kind, work_center, month, activity, bound, shadow_price
      (d objective / d bound).
    - ``costs``: holding, backlog, overtime and total objective ($).
    """

    status: str
    objective: float
    seconds: float
    production: pd.DataFrame
    inventory: pd.DataFrame
    short: pd.DataFrame
    hours: pd.DataFrame
    binding: pd.DataFrame
    costs: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------- inputs
def sku_costs_from_policy(items: pd.DataFrame, policy) -> pd.DataFrame:
    """sku, holding_cost, backlog_cost ($ per unit per month) from the item master and the policy.

    ``items``: sku, unit_cost, unit_price ($). Holding = unit_cost × holding_cost_rate / 12;
    backlog = ``policy.backlog_cost_per_unit_month(unit_price − unit_cost)``; below_safety_cost =
    holding + safety_stock_weight × (backlog − holding), at least the holding cost (0 with a weight
    of 0: the plan then ignores the safety stock). ``policy`` is a
    ``policy.Policy``.
    """
    require_columns(items, ["sku", "unit_cost", "unit_price"], "items")
    cost = items["unit_cost"].astype(float)
    margin = items["unit_price"].astype(float) - cost
    holding = (cost * policy.holding_cost_rate / 12.0).to_numpy()
    backlog = policy.backlog_cost_per_unit_month(margin.to_numpy())
    w = policy.safety_stock_weight
    below = holding + w * np.maximum(0.0, backlog - holding) if w > 0 else np.zeros_like(holding)
    return pd.DataFrame(
        {"sku": items["sku"].to_numpy(), "holding_cost": holding, "backlog_cost": backlog, "below_safety_cost": below}
    )


def _months(inputs: PlanInputs) -> list[pd.Timestamp]:
    months = list(to_month(pd.Series(inputs.months)))
    if not months:
        raise PlanInputError("the plan needs at least one month")
    expected = list(pd.date_range(months[0], periods=len(months), freq="MS"))
    if months != expected:
        raise PlanInputError(f"plan months must be consecutive, got {[label(m) for m in months]}")
    return months


def _keyed(df: pd.DataFrame | None, keys: list[str], value: str, what: str, months=None) -> dict:
    """{key tuple: summed value}; months normalised; rows outside ``months`` refused."""
    if df is None or df.empty:
        return {}
    require_columns(df, [*keys, value], what)
    d = df[[*keys, value]].copy()
    if "month" in keys:
        d["month"] = to_month(d["month"]).to_numpy()
        if months is not None:
            outside = ~d["month"].isin(months)
            if outside.any():
                m = d["month"][outside].iloc[0]
                raise PlanInputError(
                    f"{what} has rows in {label(m)}, outside the plan months "
                    f"{label(months[0])}..{label(months[-1])} (rule: bucket them into the horizon)"
                )
    vals = pd.to_numeric(d[value], errors="coerce")
    if not np.isfinite(vals).all():
        raise PlanInputError(f"{what}.{value} must be numbers")
    d[value] = vals
    grouped = d.groupby(keys, sort=False)[value].sum()
    return {k if isinstance(k, tuple) else (k,): float(v) for k, v in grouped.items()}


# ---------------------------------------------------------------- 1. the model
class _Builder:
    def __init__(self):
        self.vars: list[tuple] = []
        self.rows: list[tuple] = []
        self.coef: list[tuple[int, int, float]] = []

    def var(self, kind, sku=None, site=None, wc=None, month=None, *, lower=0.0, upper=np.inf, cost=0.0) -> int:
        key = ",".join(str(x) for x in (sku, site, wc) if x is not None)
        name = f"{kind}[{key},{label(month)}]"
        self.vars.append((name, kind, sku, site, wc, month, lower, upper, cost))
        return len(self.vars) - 1

    def row(self, kind, terms, lower, upper, sku=None, site=None, wc=None, month=None) -> int:
        key = ",".join(str(x) for x in (sku, site, wc) if x is not None)
        self.rows.append((f"{kind}[{key},{label(month)}]", kind, sku, site, wc, month, lower, upper))
        r = len(self.rows) - 1
        self.coef.extend((r, c, float(v)) for c, v in terms if v != 0)
        return r

    def program(self) -> LinearProgram:
        return LinearProgram(
            pd.DataFrame(self.vars, columns=VARIABLE_COLUMNS),
            pd.DataFrame(self.rows, columns=ROW_COLUMNS),
            pd.DataFrame(self.coef, columns=["row", "col", "value"]).astype({"row": int, "col": int}),
        )


def build_model(inputs: PlanInputs) -> LinearProgram:
    """The supply plan of ``inputs`` as a ``LinearProgram`` (model in the module doc).

    Nodes are the SKU × site pairs with demand, opening stock or receipts. Raises
    ``PlanInputError`` for inconsistent inputs and ``capacity.CapacityError`` (file, row, rule)
    for a routing to an unknown work center or a plan month without capacity.
    """
    months = _months(inputs)
    demand = _keyed(inputs.demand, ["sku", "site", "month"], "units", "demand", months)
    receipts = _keyed(inputs.receipts, ["sku", "site", "month"], "units", "receipts", months)
    opening = _keyed(inputs.opening, ["sku", "site"], "on_hand", "opening")
    require_columns(inputs.sku_costs, ["sku", "holding_cost", "backlog_cost"], "sku_costs")
    costs = inputs.sku_costs.set_index("sku")[["holding_cost", "backlog_cost"]].astype(float)
    if costs.index.duplicated().any():
        raise PlanInputError(f"sku_costs has SKU {costs.index[costs.index.duplicated()][0]} twice")
    if not 0.0 <= inputs.overtime_cap <= 1.0 or inputs.overtime_premium < 0:
        raise PlanInputError("overtime_cap must be in [0, 1] and overtime_premium ≥ 0")

    nodes = sorted({k[:2] for k in demand} | set(opening) | {k[:2] for k in receipts})
    missing_costs = sorted({s for s, _ in nodes} - set(costs.index))
    if missing_costs:
        raise PlanInputError(
            f"sku_costs has no row for SKU(s) {missing_costs[:5]} (rule: every planned SKU needs costs)"
        )
    bad = costs[
        (costs["backlog_cost"] < 0)
        | (costs["holding_cost"] < 0)
        | ((costs["backlog_cost"] == 0) & (costs["holding_cost"] == 0))
    ]
    if not bad.empty:
        raise PlanInputError(
            f"sku_costs for SKU {bad.index[0]}: holding_cost and backlog_cost must be ≥ 0 and not both 0"
        )

    routings = inputs.routings
    check_routings(routings, inputs.capacity)
    cap = capacity_table(inputs.capacity)
    planned_skus = sorted({s for s, _ in nodes})
    check_months_covered(
        routings, cap, pd.DataFrame([(s, m) for s in planned_skus for m in months], columns=["sku", "month"])
    )
    route: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for sku, wc, h in zip(routings["sku"], routings["work_center"], routings["hours_per_unit"].astype(float)):
        route[sku].append((wc, h))
    regular = {(wc, m): h for wc, m, h in zip(cap["work_center"], cap["month"], cap["available_hours"])}
    safety = _keyed(inputs.safety_stock, ["sku", "site"], "safety_stock", "safety_stock")
    below_cost = (
        inputs.sku_costs.set_index("sku")["below_safety_cost"].astype(float)
        if "below_safety_cost" in inputs.sku_costs.columns
        else None
    )
    if safety and below_cost is None:
        raise PlanInputError("a safety stock needs sku_costs.below_safety_cost (rule: the soft target is priced)")

    b = _Builder()
    load_terms: dict[tuple[str, pd.Timestamp], list[tuple[int, float]]] = defaultdict(list)
    for sku, site in nodes:
        hold, penalty = costs.at[sku, "holding_cost"], costs.at[sku, "backlog_cost"]
        prev_stock = prev_backlog = None
        for i, m in enumerate(months):
            terms = []
            if route.get(sku):
                make = b.var("make", sku, site, month=m)
                terms.append((make, -1.0))
                for wc, h in route[sku]:
                    load_terms[(wc, m)].append((make, h))
            stock = b.var("stock", sku, site, month=m, cost=hold)
            backlog = b.var("backlog", sku, site, month=m, cost=penalty)
            terms += [(stock, 1.0), (backlog, -1.0)]
            rhs = receipts.get((sku, site, m), 0.0) - demand.get((sku, site, m), 0.0)
            if i == 0:
                rhs += opening.get((sku, site), 0.0)
            else:
                terms += [(prev_stock, -1.0), (prev_backlog, 1.0)]
            b.row("balance", terms, rhs, rhs, sku=sku, site=site, month=m)
            target = safety.get((sku, site), 0.0)
            if target > 0:
                below = b.var("below_ss", sku, site, month=m, upper=target, cost=float(below_cost.get(sku, 0.0)))
                b.row("safety_stock", [(stock, 1.0), (below, 1.0)], target, np.inf, sku=sku, site=site, month=m)
            prev_stock, prev_backlog = stock, backlog

    for (wc, m), terms in sorted(load_terms.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        hours = regular[(wc, m)]
        ot = b.var("overtime", wc=wc, month=m, cost=inputs.overtime_premium)
        b.row("capacity", [*terms, (ot, -1.0)], -np.inf, hours, wc=wc, month=m)
        b.row("overtime_cap", [(ot, 1.0)], -np.inf, inputs.overtime_cap * hours, wc=wc, month=m)
    return b.program()


# ---------------------------------------------------------------- 2. solving
def solve(lp: LinearProgram, *, time_limit_seconds: float | None = None, threads: int = 1) -> Solution:
    """Solve ``lp`` with HiGHS. A non-optimal status comes back with empty values, not an error."""
    import highspy

    inf = highspy.kHighsInf
    v, r, c = lp.variables, lp.rows, lp.coefficients.sort_values(["col", "row"], kind="stable")
    model = highspy.HighsLp()
    model.num_col_, model.num_row_ = len(v), len(r)
    model.col_cost_ = v["cost"].to_numpy(dtype=float)
    model.col_lower_ = np.where(np.isinf(v["lower"]), -inf, v["lower"]).astype(float)
    model.col_upper_ = np.where(np.isinf(v["upper"]), inf, v["upper"]).astype(float)
    model.row_lower_ = np.where(np.isinf(r["lower"]), -inf, r["lower"]).astype(float)
    model.row_upper_ = np.where(np.isinf(r["upper"]), inf, r["upper"]).astype(float)
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = np.searchsorted(c["col"].to_numpy(), np.arange(len(v) + 1)).astype(np.int32)
    model.a_matrix_.index_ = c["row"].to_numpy(dtype=np.int32)
    model.a_matrix_.value_ = c["value"].to_numpy(dtype=float)

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", int(threads))
    if time_limit_seconds is not None:
        h.setOptionValue("time_limit", float(time_limit_seconds))
    h.passModel(model)
    h.run()
    status = h.getModelStatus()
    optimal = status == highspy.HighsModelStatus.kOptimal
    sol = h.getSolution()
    empty = np.full(0, np.nan)
    return Solution(
        status=h.modelStatusToString(status),
        optimal=bool(optimal),
        objective=float(h.getInfo().objective_function_value) if optimal else float("nan"),
        seconds=float(h.getRunTime()),
        values=np.asarray(sol.col_value, dtype=float) if optimal else empty,
        row_duals=np.asarray(sol.row_dual, dtype=float) if optimal else empty,
        row_activity=np.asarray(sol.row_value, dtype=float) if optimal else empty,
    )


# ---------------------------------------------------------------- 3. reading the plan
def _clean(x: np.ndarray) -> np.ndarray:
    return np.where(np.abs(x) < TOLERANCE, 0.0, x)


def read_solution(lp: LinearProgram, solution: Solution, inputs: PlanInputs) -> SupplyPlan:
    """The plan frames of an optimal ``solution`` (``SupplyPlan``); raises ValueError otherwise."""
    if not solution.optimal:
        raise ValueError(f"the supply plan has no optimal solution: HiGHS status {solution.status}")
    months = _months(inputs)
    v = lp.variables.assign(value=_clean(solution.values))

    routings = inputs.routings
    cap = capacity_table(inputs.capacity)
    site_of_wc = dict(zip(cap["work_center"], cap["site"])) if "site" in cap.columns else {}
    plants = (
        routings.assign(plant=routings["work_center"].map(site_of_wc))
        .dropna(subset=["plant"])
        .groupby("sku")["plant"]
        .agg(lambda p: "+".join(sorted(set(p))))
    )
    make = v[v["kind"] == "make"]
    production = pd.DataFrame(
        {
            "sku": make["sku"],
            "site": make["site"],
            "plant": make["sku"].map(plants),
            "month": make["month"],
            "units": make["value"],
        }
    )
    production = production[production["units"] != 0].reset_index(drop=True)[PRODUCTION_COLUMNS]

    inventory = _inventory(v, inputs, months)
    hours = _hours(lp, v, solution, inputs.overtime_premium)
    binding = _binding(lp, solution)
    totals = {
        "holding": float((v["cost"] * v["value"])[v["kind"] == "stock"].sum()),
        "backlog": float((v["cost"] * v["value"])[v["kind"] == "backlog"].sum()),
        "overtime": float((v["cost"] * v["value"])[v["kind"] == "overtime"].sum()),
        "below_safety_stock": float((v["cost"] * v["value"])[v["kind"] == "below_ss"].sum()),
    }
    totals["total"] = solution.objective
    short = inventory[inventory["backlog_closing"] > TOLERANCE].reset_index(drop=True)
    return SupplyPlan(
        solution.status, solution.objective, solution.seconds, production, inventory, short, hours, binding, totals
    )


def _inventory(v: pd.DataFrame, inputs: PlanInputs, months) -> pd.DataFrame:
    keys = ["sku", "site", "month"]
    wide = v[v["kind"].isin(["make", "stock", "backlog"])].pivot_table(
        index=keys, columns="kind", values="value", aggfunc="sum", fill_value=0.0
    )
    for k in ("make", "stock", "backlog"):
        if k not in wide.columns:
            wide[k] = 0.0
    inv = wide.reset_index().rename(columns={"make": "production", "stock": "closing", "backlog": "backlog_closing"})
    for frame, col in ((inputs.demand, "demand"), (inputs.receipts, "scheduled_receipts")):
        if frame is None or frame.empty:
            inv[col] = 0.0
            continue
        f = frame.assign(month=to_month(frame["month"]).to_numpy()).groupby(keys, as_index=False)["units"].sum()
        inv = inv.merge(f.rename(columns={"units": col}), on=keys, how="left")
        inv[col] = inv[col].fillna(0.0).astype(float)
    inv = inv.sort_values(keys).reset_index(drop=True)
    g = inv.groupby(["sku", "site"], sort=False)
    opening_stock = inputs.opening.astype({"on_hand": float}).groupby(["sku", "site"], as_index=False)["on_hand"].sum()
    start = inv[["sku", "site"]].merge(opening_stock, on=["sku", "site"], how="left")["on_hand"].fillna(0.0)
    first = inv["month"] == months[0]
    inv["opening"] = np.where(first, start.astype(float).to_numpy(), g["closing"].shift(1).fillna(0.0).to_numpy())
    inv["backlog_opening"] = g["backlog_closing"].shift(1).fillna(0.0).where(~first, 0.0)
    inv["shipped"] = _clean((inv["demand"] + inv["backlog_opening"] - inv["backlog_closing"]).to_numpy())
    return inv[INVENTORY_COLUMNS]


def _hours(lp: LinearProgram, v: pd.DataFrame, solution: Solution, premium: float) -> pd.DataFrame:
    rows = lp.rows.assign(activity=solution.row_activity)
    cap = rows[rows["kind"] == "capacity"][["work_center", "month", "upper", "activity"]]
    otc = rows[rows["kind"] == "overtime_cap"][["work_center", "month", "upper"]]
    ot = v[v["kind"] == "overtime"][["work_center", "month", "value"]]
    out = (
        cap.rename(columns={"upper": "regular_hours"})
        .merge(otc.rename(columns={"upper": "overtime_cap_hours"}), on=["work_center", "month"])
        .merge(ot.rename(columns={"value": "overtime_hours"}), on=["work_center", "month"])
    )
    out["load_hours"] = _clean((out["activity"] + out["overtime_hours"]).to_numpy())
    with np.errstate(divide="ignore", invalid="ignore"):
        out["utilization"] = out["load_hours"] / out["regular_hours"]
    out["overtime_cost"] = out["overtime_hours"] * premium
    return out[HOURS_COLUMNS].sort_values(["work_center", "month"]).reset_index(drop=True)


def _binding(lp: LinearProgram, solution: Solution) -> pd.DataFrame:
    rows = lp.rows.assign(activity=solution.row_activity, shadow_price=_clean(solution.row_duals))
    rows = rows[rows["kind"].isin(["capacity", "overtime_cap"])]
    at_bound = (rows["upper"] - rows["activity"]).abs() <= TOLERANCE * np.maximum(1.0, rows["upper"].abs())
    # an overtime cap of 0 h with no overtime wanted is "at its bound" without binding anything
    priced = (rows["kind"] == "capacity") | (rows["shadow_price"] != 0)
    out = rows[at_bound & priced].rename(columns={"name": "row", "upper": "bound"})
    return out[BINDING_COLUMNS].sort_values(["work_center", "month", "kind"]).reset_index(drop=True)


def plan(inputs: PlanInputs, **solve_options) -> SupplyPlan:
    """Build, solve and read in one call."""
    lp = build_model(inputs)
    return read_solution(lp, solve(lp, **solve_options), inputs)
