"""One sales-planning run, end to end: quotas for the next fiscal year, territory balance and the
rebalancing proposal, this fiscal year's payouts with their forecast, and the headcount plan.

``read_plan_data`` (``warehouse``) reads what the run needs from the marts; ``plan_sales`` turns it
and the planners' files into the tables of schema ``sales_planning`` (``tables``):

1. the company target of the plan year (``inputs/sales_targets.csv``, or the S&OP revenue plan ×
   growth) split top-down by a blend of market potential and history, then to reps with ramp and the
   revenue forecast's monthly seasonality, checked against the over-assignment band, set against the
   bottom-up estimate per territory and reconciled with the S&OP revenue plan per region;
2. territory coverage and balance before and after the proposal of ``rebalance`` (HiGHS), with the
   planners' decisions of ``inputs/territory_decisions.csv``;
3. payouts of the current fiscal year under ``inputs/comp_plans.yaml`` from the CRM quotas and the
   credited bookings, the payout forecast to year end (P10/P50/P90 from the revenue forecast), cost of
   sales, and the what-if of ``inputs/comp_plans_what_if.yaml`` when it exists;
4. the headcount and hiring plan that lets each territory reach its target.

Nothing here writes a planner file. A bad file raises ``PlannerFileError`` and nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from orchestration.sales_planning import (
    comp_plans,
    headcount,
    payout_forecast,
    payouts,
    potential,
    quota,
    rebalance_decisions,
    sales_kpis,
    sales_targets,
    territory_balance,
)
from orchestration.sales_planning import rebalance as rebalancing
from orchestration.sales_planning.errors import PlannerFileError
from orchestration.sales_planning.frames import month_start
from orchestration.sales_planning.headcount import HeadcountPolicy
from orchestration.sales_planning.plan_data import PlanData
from orchestration.sales_planning.quota import QuotaPolicy
from orchestration.sales_planning.rebalance import RebalancePolicy

COMP_PLANS_FILE = "comp_plans.yaml"
WHAT_IF_FILE = "comp_plans_what_if.yaml"
DECISIONS_FILE = "territory_decisions.csv"
TOTAL = "total"


@dataclass(frozen=True)
class SalesPlanningPolicy:
    """The method's parameters that are not the planners' files (those win where they overlap: the
    targets file's over-assignment and potential weight)."""

    quota: QuotaPolicy = field(default_factory=QuotaPolicy)
    headcount: HeadcountPolicy = field(default_factory=HeadcountPolicy)
    rebalance: RebalancePolicy = field(default_factory=RebalancePolicy)
    #: share of the market the company can win; None: today's share (trailing bookings / market)
    attainable_share: float | None = None


@dataclass
class SalesPlan:
    """One run's tables (name -> rows, without ``cycle_month``) and what the run's metadata shows."""

    tables: dict[str, pd.DataFrame]
    company: dict  # sales_targets.company_target
    over_assignment: dict  # quota.over_assignment_check
    rebalance_status: str  # the solver's status per region
    notes: list[str]
    errors: list[str]  # the planner files refused: file, row or key, rule
    headline: dict  # a few figures for the run's metadata


def complete_plan(revenue_plan: pd.DataFrame, months: list[date], regions: list[str]) -> pd.DataFrame:
    """The S&OP revenue plan over all ``months``: a month beyond the forecast's horizon takes the
    forecast of the same month a year before (the last year of the forecast repeated), so the plan
    year is whole even when the horizon ends inside it."""
    plan = revenue_plan.copy()
    plan["month"] = [month_start(m) for m in plan["month"]]
    rows = []
    for region in regions:
        own = plan[plan["region_code"] == region].set_index("month")
        for month in months:
            source = month
            while source not in own.index and source >= months[0]:
                source = (pd.Timestamp(source) - pd.DateOffset(years=1)).date()
            if source in own.index:
                row = own.loc[source]
                rows.append((region, month, float(row["p10_usd"]), float(row["p50_usd"]), float(row["p90_usd"])))
            else:
                rows.append((region, month, 0.0, 0.0, 0.0))
    return pd.DataFrame(rows, columns=["region_code", "month", "p10_usd", "p50_usd", "p90_usd"])


def _seasonality(plan: pd.DataFrame) -> pd.DataFrame:
    weights = plan[["region_code", "month", "p50_usd"]].rename(columns={"p50_usd": "weight"})
    # a month the forecast gives nothing (or less) still gets a sliver, so a rep's quota is never 0 in it
    floor = weights.groupby("region_code")["weight"].transform(lambda w: max(float(w.mean()), 1.0) * 0.01)
    weights["weight"] = np.maximum(weights["weight"], floor)
    return weights


def plan_quotas(data: PlanData, targets_file: Path, policy: SalesPlanningPolicy) -> dict:
    """Company target, territory split, rep quotas, bottom-up and reconciliation of the plan year."""
    targets = sales_targets.read_sales_targets(
        targets_file, fiscal_years=data.fiscal_years, display_name=f"inputs/{sales_targets.TARGETS_FILE}"
    )
    regions = sorted(data.territories["region_code"].unique())
    plan = complete_plan(data.revenue_plan, data.plan_months, regions)
    sop_plan_usd = round(float(plan["p50_usd"].sum()), 2)
    company = sales_targets.company_target(data.plan_year, targets, sop_plan_usd)
    quota_policy = quota.policy_for_year(company, policy.quota)

    share = policy.attainable_share or potential.default_attainable_share(
        float(data.market["trailing_bookings_usd"].sum()), float(data.market["market_size_usd"].sum())
    )
    accounts = potential.account_potential(data.accounts, data.market[["region_code", "market_size_usd"]], share)
    by_territory = accounts.groupby("territory_id")["potential_usd"].sum()
    territories = data.territories[["territory_id", "region_code"]].copy()
    territories["potential_usd"] = territories["territory_id"].map(by_territory).fillna(0.0)
    history = data.territory_history.set_index("territory_id")
    territories["history_usd"] = territories["territory_id"].map(history["run_rate_usd"]).fillna(0.0)
    targets_by_territory = quota.territory_targets(company["target_usd"], territories, quota_policy)

    rep_quotas = quota.rep_monthly_quotas(
        targets_by_territory, data.reps, data.plan_months, _seasonality(plan), quota_policy
    )
    check = quota.over_assignment_check(rep_quotas, company["target_usd"], quota_policy.over_assignment_band)

    ramp_months = len(policy.headcount.ramp)
    productivity = headcount.ramped_productivity(data.rep_months, ramp_months, regions=regions)
    capacity = headcount.rep_capacity(
        data.reps, data.plan_months, productivity, policy.headcount, territories=data.territories
    )
    bottom = data.territory_history[["territory_id", "region_code", "run_rate_usd", "open_pipeline_usd"]].copy()
    bottom["win_rate"] = data.territory_history["win_rate"].fillna(0.0).to_numpy()
    bottom["rep_capacity_usd"] = bottom["territory_id"].map(capacity.set_index("territory_id")["capacity_usd"])
    bottom["rep_capacity_usd"] = bottom["rep_capacity_usd"].fillna(0.0)
    bottom_up = quota.bottom_up(bottom)
    comparison = quota.compare_top_down_bottom_up(targets_by_territory, bottom_up, quota_policy)

    plan_by_region = plan.groupby("region_code", as_index=False)["p50_usd"].sum()
    plan_by_region = plan_by_region.rename(columns={"p50_usd": "sop_plan_usd"})
    reconciliation = quota.reconcile_with_revenue_plan(company, targets_by_territory, plan_by_region)

    trailing = sorted({month_start(m) for m in data.rep_months["month"]}) or [data.as_of]
    attrition = headcount.attrition_rate(data.reps_history, trailing)
    summary, monthly, hires = headcount.hiring_plan(
        targets_by_territory[["territory_id", "region_code", "target_usd"]],
        data.reps,
        data.plan_months,
        productivity,
        attrition,
        policy.headcount,
        data.as_of,
    )
    return {
        "company": company,
        "policy": quota_policy,
        "check": check,
        "accounts": accounts,
        "territory_targets": targets_by_territory,
        "rep_quotas": rep_quotas,
        "bottom_up": bottom_up,
        "comparison": comparison,
        "reconciliation": reconciliation,
        "productivity": productivity,
        "attrition": attrition,
        "headcount_summary": summary,
        "headcount_monthly": monthly,
        "hires": hires,
        "revenue_plan": plan,
    }


def quota_tables(data: PlanData, q: dict) -> dict[str, pd.DataFrame]:
    """The quota and headcount tables of ``plan_quotas``'s result, in the columns of ``tables``."""
    year = {"fiscal_year": data.plan_year}
    names = dict(zip(data.reps["rep_id"], data.reps["rep_name"]))
    rep_quotas = q["rep_quotas"].assign(**year)
    rep_quotas["rep_name"] = rep_quotas["rep_id"].map(names)

    targets = q["territory_targets"].rename(columns={"target_usd": "top_down_target_usd"})
    territory = targets.merge(
        q["comparison"][["territory_id", "quota_pool_usd", "gap_usd", "gap_pct", "assessment"]], on="territory_id"
    ).merge(q["bottom_up"].drop(columns=["region_code"]), on="territory_id")
    territory = territory.assign(**year)

    check, company = q["check"], q["company"]
    quotas_by_region = rep_quotas.groupby("region_code")["quota_usd"].sum()
    reconciliation = q["reconciliation"].assign(**year)
    reconciliation["quota_usd"] = [
        round(float(rep_quotas["quota_usd"].sum()), 2) if r == TOTAL else round(float(quotas_by_region.get(r, 0)), 2)
        for r in reconciliation["region_code"]
    ]
    reconciliation["over_assignment"] = (
        reconciliation["quota_usd"] / reconciliation["bookings_target_usd"].replace(0, np.nan)
    ).round(4)
    reconciliation["target_source"] = company["source"]
    reconciliation["growth_rate"] = company.get("growth_rate")
    reconciliation["band_lower"], reconciliation["band_upper"] = check["lower"], check["upper"]
    reconciliation["within_band"] = [
        bool(check["within_band"]) if r == TOTAL else None for r in reconciliation["region_code"]
    ]

    monthly = q["headcount_monthly"].copy()
    hires = q["hires"]
    starting = hires.groupby(["territory_id", "start_month"])["hires"].sum() if len(hires) else pd.Series(dtype=int)
    keys = list(zip(monthly["territory_id"], [month_start(m) for m in monthly["month"]]))
    starting.index = [(t, month_start(m)) for t, m in starting.index]
    monthly["hires_starting"] = [int(starting.get(k, 0)) for k in keys]
    monthly = monthly.assign(**year)

    summary = q["headcount_summary"].assign(**year)
    productivity = q["productivity"].set_index("region_code")["productivity_usd_per_rep_month"]
    attrition = q["attrition"].set_index("region_code")["annual_attrition"]
    summary["productivity_usd_per_rep_month"] = summary["region_code"].map(productivity)
    summary["annual_attrition"] = summary["region_code"].map(attrition)
    return {
        "quota_plan": rep_quotas,
        "territory_plan": territory,
        "quota_reconciliation": reconciliation,
        "headcount_plan": monthly,
        "headcount_summary": summary,
        "hiring_plan": hires.assign(**year),
    }


PLANNER_FILES = (sales_targets.TARGETS_FILE, DECISIONS_FILE, COMP_PLANS_FILE, WHAT_IF_FILE)


def plan_sales(data: PlanData, inputs_dir: Path, policy: SalesPlanningPolicy = SalesPlanningPolicy()) -> SalesPlan:
    """The sales plan of one run. Each part rests on one planner file; a refused file leaves its part out
    of ``tables`` (the stored version stays) and its error in ``errors``, the other parts go on."""
    inputs_dir = Path(inputs_dir)
    frames: dict[str, pd.DataFrame] = {}
    errors: list[str] = []
    notes: list[str] = []
    headline: dict = {}
    company, check, status = {"target_usd": 0.0, "source": "refused"}, {"ratio": 0.0, "within_band": False}, "none"

    try:
        q = plan_quotas(data, inputs_dir / sales_targets.TARGETS_FILE, policy)
    except PlannerFileError as exc:
        errors.append(str(exc))
        q = None
    if q is not None:
        frames.update(quota_tables(data, q))
        company, check = q["company"], q["check"]
        headline["hires_needed"] = int(q["headcount_summary"]["hires_needed"].sum())

    accounts = q["accounts"] if q is not None else None
    if accounts is not None:
        try:
            territory, status = plan_territories(data, accounts, inputs_dir / DECISIONS_FILE, policy)
            frames.update(territory)
            headline["accounts_to_move"] = int(len(territory["rebalance_proposal"]))
        except PlannerFileError as exc:
            errors.append(str(exc))

    comp_file = inputs_dir / COMP_PLANS_FILE
    if not comp_file.exists():
        notes.append(f"no inputs/{COMP_PLANS_FILE}: no payouts computed")
    else:
        try:
            comp = plan_payouts(data, comp_file, inputs_dir / WHAT_IF_FILE, notes)
            frames.update(comp)
            if "payout_forecast" in comp and len(comp["payout_forecast"]):
                total = comp["payout_forecast"][comp["payout_forecast"]["rep_id"] == TOTAL]
                if len(total):
                    headline["payout_fy_p50_usd"] = float(total["total_pay_fy_p50_usd"].iloc[0])
        except PlannerFileError as exc:
            errors.append(str(exc))

    regions = sorted(data.territories["region_code"].unique())
    kpis = sales_kpis.sales_kpis(
        regions,
        frames.get("quota_reconciliation"),
        frames.get("comp_payouts"),
        data.current_quotas,
        data.current_credits,
        dict(zip(data.reps_history["rep_id"], data.reps_history["region_code"])),
        data.rep_months,
        len(policy.headcount.ramp),
    )
    frames["sales_kpis"] = kpis.assign(plan_fiscal_year=data.plan_year, paid_fiscal_year=data.current_year)
    return SalesPlan(frames, company, check, status, notes, errors, headline)


def plan_territories(
    data: PlanData, accounts: pd.DataFrame, decisions_file: Path, policy: SalesPlanningPolicy
) -> tuple[dict[str, pd.DataFrame], str]:
    """Coverage and balance of today's books, the rebalancing proposal, and the planners' decisions on it.

    ``accounts`` carry their potential (``potential.account_potential``). The balance is reported three
    ways: today's books (``before``), with the whole proposal (``proposed``) and with the moves the planners
    accepted so far (``decided``)."""
    reps = data.reps[["rep_id", "territory_id", "region_code"]]
    book = accounts[
        [
            "account_id",
            "account_name",
            "region_code",
            "territory_id",
            "owner_rep_id",
            "potential_usd",
            "trailing_bookings_usd",
            "open_opportunities",
            "open_pipeline_usd",
        ]
    ]
    result = rebalancing.propose_rebalance(book, reps, policy.rebalance)
    decisions = rebalance_decisions.read_rebalance_decisions(decisions_file, display_name=f"inputs/{DECISIONS_FILE}")
    decided_book, moves = rebalance_decisions.apply_decisions(book, result.moves, decisions, data.as_of)
    names = dict(zip(book["account_id"], book["account_name"]))
    moves = moves.copy()
    moves.insert(1, "account_name", moves["account_id"].map(names))
    balance = []
    for state, state_book in (
        ("before", book),
        ("proposed", rebalancing.apply_moves(book, result.moves)),
        ("decided", decided_book),
    ):
        coverage = territory_balance.territory_coverage(state_book, reps).assign(level="territory")
        regions = territory_balance.region_balance(state_book, reps).assign(level="region")
        coverage["scope"] = coverage["territory_id"]
        regions["scope"] = regions["region_code"]
        frame = pd.concat([coverage, regions], ignore_index=True)
        frame.insert(0, "state", state)
        balance.append(frame)
    return {"territory_balance": pd.concat(balance, ignore_index=True), "rebalance_proposal": moves}, result.status


def full_year_quotas(data: PlanData) -> pd.DataFrame:
    """The current fiscal year's quotas per rep and month: the CRM's up to the cycle month, and for each later
    month the mean monthly quota so far of every rep still carrying one at the cycle month (the CRM holds a
    month's quota from that month on; the comp plan's base rate needs the year's)."""
    actual = data.current_quotas[["rep_id", "month", "quota_usd"]].copy()
    actual["month"] = [month_start(m) for m in actual["month"]]
    later = [m for m in data.current_months if m > data.as_of]
    active = set(data.reps["rep_id"]) & set(actual["rep_id"])
    if not later or not active:
        return actual
    mean = actual[actual["rep_id"].isin(active)].groupby("rep_id")["quota_usd"].mean().round(2)
    extension = pd.DataFrame(
        [(rep, month, float(mean[rep])) for rep in sorted(active) for month in later],
        columns=["rep_id", "month", "quota_usd"],
    )
    return pd.concat([actual, extension], ignore_index=True).sort_values(["rep_id", "month"], ignore_index=True)


def rep_bookings_forecast(data: PlanData, quotas: pd.DataFrame) -> pd.DataFrame:
    """The rest of the fiscal year's bookings per rep at P10/P50/P90: each region's revenue forecast of a
    month split over the region's reps by their share of the region's quota in that month (the reps of a
    region move together: the forecast's uncertainty is the region's)."""
    columns = ["rep_id", "month", "p10_usd", "p50_usd", "p90_usd"]
    later = quotas[[month_start(m) > data.as_of for m in quotas["month"]]]
    if data.revenue_rest_of_year.empty or later.empty:
        return pd.DataFrame(columns=columns)
    region = dict(zip(data.reps["rep_id"], data.reps["region_code"]))
    rows = later[later["rep_id"].isin(list(region))].copy()
    rows["month"] = [month_start(m) for m in rows["month"]]
    rows["region_code"] = rows["rep_id"].map(region)
    rows["share"] = rows["quota_usd"] / rows.groupby(["region_code", "month"])["quota_usd"].transform("sum")
    plan = data.revenue_rest_of_year.copy()
    plan["month"] = [month_start(m) for m in plan["month"]]
    rows = rows.merge(plan, on=["region_code", "month"])
    # the blend scaled by the statistical interval: keep P10 <= P50 <= P90 where the scaling crosses
    rows["p10_usd"] = np.minimum(rows["p10_usd"], rows["p50_usd"])
    rows["p90_usd"] = np.maximum(rows["p90_usd"], rows["p50_usd"])
    for p in ("p10_usd", "p50_usd", "p90_usd"):
        rows[p] = (rows[p].clip(lower=0) * rows["share"]).round(2)
    return rows[columns].sort_values(["rep_id", "month"], ignore_index=True)


def plan_payouts(data: PlanData, comp_file: Path, what_if_file: Path, notes: list[str]) -> dict[str, pd.DataFrame]:
    """Payouts of the current fiscal year to date, the payout forecast to year end, cost of sales, and the
    what-if under the alternative plan file when it exists."""
    known = set(data.reps_history["rep_id"])
    options = dict(known_reps=known, fiscal_year_start_month=data.fiscal_year_start_month)
    book = comp_plans.load_comp_plans(
        comp_file, fiscal_years=data.fiscal_years, display_name=f"inputs/{COMP_PLANS_FILE}", **options
    )
    if book.fiscal_year != data.current_year:
        notes.append(
            f"inputs/{COMP_PLANS_FILE} is for fiscal year {book.fiscal_year}, the cycle pays {data.current_year}: "
            "no payouts computed"
        )
        return {}
    reps = _payee_reps(data)
    quotas, credits = full_year_quotas(data), data.current_credits
    year = {"fiscal_year": data.current_year}
    paid = payouts.compute_payouts(book, reps, quotas, credits)
    paid = paid[[month_start(m) <= data.as_of for m in paid["month"]]].reset_index(drop=True)
    out = {
        "comp_payouts": paid.assign(**year),
        "cost_of_sales": payouts.cost_of_sales(paid).assign(**year),
    }
    forecast = payout_forecast.forecast_payouts(book, reps, quotas, credits, rep_bookings_forecast(data, quotas))
    out["payout_forecast"] = forecast.assign(**year)
    if what_if_file.exists():
        alternative = comp_plans.load_comp_plans(
            what_if_file, fiscal_years={data.current_year}, display_name=f"inputs/{WHAT_IF_FILE}", **options
        )
        # the year so far under both plans: the same months, the same bookings
        compared = payouts.compare_plans(book, alternative, reps, quotas, credits, through=data.as_of)
        out["comp_what_if"] = compared.assign(**year)
    return out


def _payee_reps(data: PlanData) -> pd.DataFrame:
    """Every rep with a quota this fiscal year (leavers included: they were paid while employed)."""
    history = data.reps_history[["rep_id", "region_code"]].copy()
    history["role"] = "Sales Rep"
    return history[history["rep_id"].isin(set(data.current_quotas["rep_id"]))].reset_index(drop=True)
