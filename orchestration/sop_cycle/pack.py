"""The S&OP meeting pack: one self-contained HTML file per cycle, in the meeting's agenda order.

Sections: review of open and overdue actions → last month's performance (scorecard, KPI charts vs
target and last year) → current issues (refused planner rows, quarantined data, largest forecast
misses, supply exceptions) → demand review → supply review → financial view → decisions needed → the
action register. Charts are inline SVG (``charts``) titled with their finding (``findings``); the
numbers shown are also embedded as JSON (``<script type="application/json" id="pack-data">``) and as
``data-*`` attributes, so a test can check them against the marts. No script runs and nothing is
fetched: the file opens offline and prints on A4 or Letter.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import jinja2
import pandas as pd

from orchestration.sop_cycle import findings
from orchestration.sop_cycle.decisions import decisions_needed
from orchestration.sop_cycle.kpis import BY_ID, SCORECARD_KPIS, TOTAL
from orchestration.sop_cycle.pack_inputs import PackInputs

PACK_FILE = "sop_pack.html"
TEMPLATE_DIR = Path(__file__).with_name("templates")
#: the KPIs charted in the performance section (the rest are in the table)
CHARTED = ("bookings_usd", "revenue_usd", "fill_rate", "otif")
SECTIONS = (
    ("actions-review", "1. Actions from last cycle"),
    ("performance", "2. Last month's performance"),
    ("issues", "3. Current issues"),
    ("demand", "4. Demand review"),
    ("supply", "5. Supply review"),
    ("financials", "6. Financial view"),
    ("sales-plan", "7. Sales plan"),
    ("decisions", "8. Decisions needed"),
    ("register", "9. Action register"),
)


def _clean(value):
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.strftime("%Y-%m-%d")
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def _records(frame: pd.DataFrame, columns: list[str] | None = None) -> list[dict]:
    if frame is None or frame.empty:
        return []
    f = frame[columns] if columns else frame
    return [{k: _clean(v) for k, v in row.items()} for row in f.to_dict("records")]


def fmt(value, unit: str) -> str:
    """A KPI value for people; an em dash when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return findings.amount(float(value), unit)


def sales_plan_page(sales: dict[str, pd.DataFrame]) -> dict:
    """What the sales-plan page shows: the bookings target against the S&OP plan and the quotas (one number),
    territories top-down against bottom-up, the payout forecast, the sales KPIs, hires and the rebalancing."""
    if not sales or sales.get("reconciliation") is None or sales["reconciliation"].empty:
        return {}
    reconciliation = sales["reconciliation"]
    total = reconciliation[reconciliation["region_code"] == TOTAL].iloc[0]
    band = f"{total['band_lower']:.2f}–{total['band_upper']:.2f}"
    within = "within" if bool(total["within_band"]) else "outside"
    source = {"file": "set by the planners", "sop_plan_growth": "S&OP plan", "sop_plan": "the S&OP plan"}
    growth = total.get("growth_rate")
    basis = (
        f"S&OP revenue plan {fmt(total['sop_plan_usd'], 'USD')} + {float(growth) * 100:.1f}%"
        if total["target_source"] == "sop_plan_growth" and growth is not None and not pd.isna(growth)
        else source.get(total["target_source"], total["target_source"])
    )
    headline = (
        f"FY{int(total['fiscal_year'])} bookings target {fmt(total['bookings_target_usd'], 'USD')} ({basis}); "
        f"quotas {fmt(total['quota_usd'], 'USD')} = {float(total['over_assignment']):.2f}× target, {within} the "
        f"band {band}"
    )
    territories = sales.get("territories", pd.DataFrame())
    stretched = territories[territories["assessment"] == "stretch"] if not territories.empty else territories
    payout = sales.get("payout_forecast", pd.DataFrame())
    moves = sales.get("moves", pd.DataFrame())
    balance = sales.get("balance", pd.DataFrame())
    cv = []
    if not balance.empty:
        for region, rows in balance.groupby("region_code"):
            by_state = dict(zip(rows["state"], rows["potential_cv"]))
            cv.append({"region_code": region, "before": by_state.get("before"), "proposed": by_state.get("proposed")})
    return {
        "headline": headline,
        "territory_finding": (
            f"{len(stretched)} of {len(territories)} territories stretched more than 10% beyond their bottom-up number"
            if not territories.empty
            else ""
        ),
        "reconciliation": _records(reconciliation),
        "territories": _records(territories),
        "payout": _records(payout)[0] if not payout.empty else None,
        "kpis": _records(sales.get("kpis", pd.DataFrame())),
        "hires": _records(sales.get("hires", pd.DataFrame())),
        "moves": _records(moves),
        "balance": cv,
    }


def build_pack(inputs: PackInputs, future_targets: pd.DataFrame | None = None, generated: str = "") -> str:
    """The pack's HTML for ``inputs`` (``pack_inputs.read_pack_inputs``).

    ``future_targets``: month, target of bookings_usd (total) for the months the revenue forecast covers.
    """
    # altair and vl-convert load here, when a pack is drawn, not with the Definitions (about 0.3 s)
    from orchestration.sop_cycle import charts

    cycle = inputs.cycle
    score = inputs.scorecard.copy()
    order = {k.kpi: i for i, k in enumerate(SCORECARD_KPIS)}
    if not score.empty:
        score["_order"] = score["kpi"].map(order)
        score = score.sort_values(["_order", "scope"]).drop(columns="_order")
    total = score[score["scope"] == TOTAL] if not score.empty else score
    regions = sorted(set(score["scope"]) - {TOTAL}) if not score.empty else []
    matrix = []
    for k in SCORECARD_KPIS:
        if not k.by_region or score.empty:
            continue
        cells = score[score["kpi"] == k.kpi].set_index("scope")
        matrix.append(
            {
                "kpi": k.kpi,
                "label": k.label,
                "cells": [
                    {
                        "scope": r,
                        "status": cells.loc[r, "status"] if r in cells.index else None,
                        "text": fmt(cells.loc[r, "actual"], k.unit) if r in cells.index else "—",
                    }
                    for r in regions
                ],
            }
        )

    kpi_charts = []
    history = inputs.scorecard_history
    for kpi in CHARTED:
        rows = history[history["kpi"] == kpi].sort_values("month") if not history.empty else pd.DataFrame()
        if rows.empty:
            continue
        k = BY_ID[kpi]
        title = findings.kpi_finding(k.label, rows, k.unit, k.direction)
        kpi_charts.append(
            {
                "kpi": kpi,
                "title": title,
                "svg": charts.kpi_trend(rows[["month", "actual", "target", "year_ago_actual"]], title, k.unit),
            }
        )

    demand_svg = demand_title = None
    if not inputs.demand_forecast.empty:
        fc = inputs.demand_forecast.head(12)
        prev = inputs.demand_previous
        common = prev[prev["month"].isin(fc["month"])] if not prev.empty else prev
        cur_common = fc[fc["month"].isin(common["month"])] if not common.empty else fc
        demand_title = findings.demand_finding(
            float(cur_common["units"].sum()),
            float(common["units"].sum()) if not common.empty else None,
            len(cur_common),
        )
        demand_svg = charts.demand_forecast(
            inputs.demand_history.tail(24),
            fc,
            prev[prev["month"] <= fc["month"].max()] if not prev.empty else prev,
            demand_title,
        )
    accuracy_svg = accuracy_title = None
    if not history.empty:
        acc = history[history["kpi"].isin(["demand_wape_lag1", "demand_wape_lag3"])][["month", "kpi", "actual"]]
        if not acc.empty:
            acc = acc.rename(columns={"kpi": "series", "actual": "value"})
            acc["series"] = acc["series"].map({"demand_wape_lag1": "WAPE lag 1", "demand_wape_lag3": "WAPE lag 3"})
            accuracy_title = findings.accuracy_finding(
                acc[acc["series"] == "WAPE lag 1"].sort_values("month")["value"].reset_index(drop=True)
            )
            accuracy_svg = charts.accuracy_trend(acc, accuracy_title)

    capacity_svg = capacity_title = None
    if not inputs.capacity.empty:
        cap = inputs.capacity
        top = cap.groupby("work_center")["utilization"].max().sort_values(ascending=False).head(5).index
        capacity_title = findings.capacity_finding(cap)
        capacity_svg = charts.capacity(cap[cap["work_center"].isin(top)], capacity_title)
    inventory_svg = inventory_title = None
    if not inputs.inventory.empty:
        inventory_title = findings.inventory_finding(inputs.inventory)
        inventory_svg = charts.inventory(inputs.inventory, inventory_title)

    revenue = inputs.revenue.copy()
    revenue_svg = revenue_title = None
    if not revenue.empty:
        revenue["target_usd"] = float("nan")
        if future_targets is not None and not future_targets.empty:
            t = future_targets.set_index(pd.to_datetime(future_targets["month"]))["target"]
            revenue["target_usd"] = revenue["month"].map(t).astype(float)
        has_target = revenue["target_usd"].notna().all()
        revenue_title = findings.revenue_finding(
            float(revenue["forecast_usd"].sum()),
            float(revenue["target_usd"].sum()) if has_target else None,
            float(revenue["last_year_usd"].sum()) if revenue["last_year_usd"].notna().all() else None,
            len(revenue),
        )
        revenue_svg = charts.revenue_plan(revenue, revenue_title)

    actions = inputs.actions
    review = (
        actions[~actions["is_new"] & actions["status"].isin(["open", "in_progress"])] if not actions.empty else actions
    )
    decisions = decisions_needed(score, actions, inputs.exception_examples, inputs.plan_changes)
    demand_changes = (
        inputs.plan_changes[inputs.plan_changes["plan"] == "consensus_demand"].head(8)
        if not inputs.plan_changes.empty
        else inputs.plan_changes
    )
    revenue_changes = (
        inputs.plan_changes[inputs.plan_changes["plan"] == "revenue_forecast"]
        if not inputs.plan_changes.empty
        else inputs.plan_changes
    )
    red_total = [r["kpi"] for r in _records(total) if r.get("status") == "red"]
    sales = sales_plan_page(inputs.sales_plan)
    data = {
        "cycle_month": f"{cycle:%Y-%m}",
        "previous_cycle_month": f"{inputs.previous_cycle:%Y-%m}" if inputs.previous_cycle is not None else None,
        "scorecard": _records(score, ["kpi", "scope", "actual", "target", "variance", "status", "trend"]),
        "red_kpis": red_total,
        "actions": _records(actions, ["action_id", "status", "owner", "is_overdue", "days_overdue"]),
        "plan_changes": _records(
            inputs.plan_changes, ["plan", "product_family", "region_code", "change_value_usd", "cause"]
        ),
        "exceptions": _records(inputs.exceptions),
        "decisions": decisions,
        "sales_plan": {k: v for k, v in sales.items() if k in ("reconciliation", "territories", "payout", "kpis")},
    }
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=jinja2.select_autoescape(["html", "j2"])
    )
    env.filters["fmt"] = fmt
    env.filters["usd"] = lambda v: fmt(v, "USD")
    env.filters["num"] = lambda v: "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{float(v):,.0f}"
    env.filters["month"] = lambda v: "—" if v is None or pd.isna(v) else f"{pd.Timestamp(v):%Y-%m}"
    env.filters["day"] = lambda v: "—" if v is None or pd.isna(v) else f"{pd.Timestamp(v):%Y-%m-%d}"
    return env.get_template("sop_pack.html.j2").render(
        cycle=f"{cycle:%B %Y}",
        cycle_key=f"{cycle:%Y-%m}",
        previous=f"{inputs.previous_cycle:%B %Y}" if inputs.previous_cycle is not None else None,
        generated=generated,
        sections=SECTIONS,
        total=_records(total),
        regions=regions,
        matrix=matrix,
        kpi_charts=kpi_charts,
        review=_records(review),
        refused=_records(inputs.refused),
        quarantine=_records(inputs.quarantine),
        misses=_records(inputs.forecast_misses),
        exceptions=_records(inputs.exceptions),
        exception_examples=_records(inputs.exception_examples),
        demand_svg=demand_svg,
        accuracy_svg=accuracy_svg,
        overrides=_records(inputs.overrides),
        fva=_records(inputs.override_value_added.tail(6)) if not inputs.override_value_added.empty else [],
        demand_changes=_records(demand_changes),
        capacity_svg=capacity_svg,
        inventory_svg=inventory_svg,
        supply_changes=_records(inputs.supply_changes),
        revenue_svg=revenue_svg,
        revenue_changes=_records(revenue_changes),
        sales=sales,
        decisions=decisions,
        register=_records(actions),
        data_json=json.dumps(data, sort_keys=True).replace("</", "<\\/"),
    )


def write_pack(html: str, path: Path) -> Path:
    """Write the pack atomically (temp file in the same folder, then rename): a reader never sees half a pack."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(html)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
