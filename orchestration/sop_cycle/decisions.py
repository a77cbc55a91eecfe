"""The decisions the meeting is asked to take, derived from the cycle's numbers.

A decision is needed where the numbers call for one and nobody owns it yet: a red KPI (total scope)
with no open action linked to it, a red KPI whose action is overdue, supply exceptions that a lever
closes (stock-outs, capacity overloads), a consensus plan that moved by more than ``PLAN_MOVE`` against
the last cycle, and actions carried over ``CARRIED_OVER`` times or more.
"""

from __future__ import annotations

import pandas as pd

from orchestration.sop_cycle.findings import amount
from orchestration.sop_cycle.kpis import TOTAL

#: a plan change of the total larger than this share asks the meeting to confirm the plan
PLAN_MOVE = 0.05
#: an action carried over this many cycles asks to be re-planned or dropped
CARRIED_OVER = 2
_OPEN = ("open", "in_progress")


def decisions_needed(
    scorecard: pd.DataFrame, actions: pd.DataFrame, exceptions: pd.DataFrame, plan_changes: pd.DataFrame
) -> list[str]:
    """Plain sentences, most pressing first.

    ``scorecard``: the cycle month's rows (kpi, label, scope, unit, actual, target, status);
    ``actions``: the cycle's action history rows; ``exceptions``: the largest supply exceptions
    (exception, message); ``plan_changes``: the cycle's plan comparison rows.
    """
    out: list[str] = []
    open_actions = actions[actions["status"].isin(_OPEN)] if not actions.empty else actions
    linked = {}
    if not open_actions.empty:
        for r in open_actions.itertuples():
            if isinstance(r.link, str) and r.link.startswith("kpi:"):
                linked.setdefault(r.link[4:], []).append(r)
    red = scorecard[(scorecard["scope"] == TOTAL) & (scorecard["status"] == "red")] if not scorecard.empty else None
    if red is not None:
        for r in red.sort_values("kpi").itertuples():
            owners = linked.get(r.kpi, [])
            gap = f"{amount(r.actual, r.unit)} against a target of {amount(r.target, r.unit)}"
            if not owners:
                out.append(f"{r.label} is red ({gap}) and no open action owns it: agree an action and an owner.")
            else:
                late = [a for a in owners if bool(a.is_overdue)]
                if late:
                    names = ", ".join(f"{a.action_id} ({a.owner})" for a in late)
                    out.append(f"{r.label} is red ({gap}) and its action {names} is overdue: escalate or re-plan.")
    if not exceptions.empty:
        for r in exceptions[exceptions["exception"].isin(["stock_out", "capacity_overload"])].head(3).itertuples():
            out.append(f"Supply: {r.message}")
    if not plan_changes.empty:
        for plan, label in (("consensus_demand", "consensus demand"), ("revenue_forecast", "revenue forecast")):
            rows = plan_changes[plan_changes["plan"] == plan]
            before = float(rows["previous_value_usd"].sum()) if not rows.empty else 0.0
            after = float(rows["current_value_usd"].sum()) if not rows.empty else 0.0
            if before and abs(after - before) / abs(before) > PLAN_MOVE:
                change = (after - before) / abs(before)
                out.append(
                    f"Confirm the {label}: {abs(change):.1%} {'above' if change > 0 else 'below'} last cycle's "
                    f"({amount(after - before, 'USD')} over the months compared)."
                )
    if not open_actions.empty:
        stale = open_actions[open_actions["times_carried_over"] >= CARRIED_OVER].sort_values("action_id")
        for r in stale.itertuples():
            out.append(
                f"Action {r.action_id} ({r.owner}: {r.title}) carried over {int(r.times_carried_over)} times: "
                "re-plan it or drop it."
            )
    return out
