"""Sentences that state what a chart or a table shows ("Bookings 12% below target for the 3rd month").

The pack titles every chart with its finding, not a metric name, so that a reader who only reads the
titles still gets the message. Each function takes the numbers it speaks about and returns one sentence.
"""

from __future__ import annotations

import pandas as pd

from orchestration.sop_cycle.kpis import HIGHER, LOWER, ZERO


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def amount(value: float, unit: str) -> str:
    """$1.2M, 87.5%, 12.3 days."""
    if unit == "USD":
        size = abs(value)
        text = f"${size / 1e6:,.1f}M" if size >= 1e6 else (f"${size / 1e3:,.0f}k" if size >= 1e3 else f"${size:,.0f}")
        return ("−" if value < 0 else "") + text
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "times":
        return f"{value:,.1f}×"
    return f"{value:,.1f} days" if unit == "days" else f"{value:,.0f}"


def _gap(actual: float, target: float, unit: str) -> str:
    if unit == "ratio":
        return f"{abs(actual - target) * 100:.1f} points"
    if target:
        return f"{abs(actual - target) / abs(target) * 100:.0f}%"
    return amount(abs(actual - target), unit)


def _bad_side(actual: float, target: float, direction: str) -> bool:
    if direction == HIGHER:
        return actual < target
    if direction == LOWER:
        return actual > target
    return actual != target


def kpi_finding(label: str, history: pd.DataFrame, unit: str, direction: str) -> str:
    """The last month of ``history`` (month, actual, target, status, year_ago_actual, sorted by month) in words."""
    rows = history.dropna(subset=["actual"]).sort_values("month")
    if rows.empty:
        return f"{label}: no data yet"
    last = rows.iloc[-1]
    if pd.notna(last.get("target")):
        actual, target = float(last["actual"]), float(last["target"])
        if abs(actual - target) <= 1e-9 * max(1.0, abs(target)):
            return f"{label} on target ({amount(actual, unit)})"
        side = "below" if actual < target else "above"
        if direction == ZERO:
            side = "above" if actual > target else "below"
        streak = 0
        for r in reversed(list(rows.itertuples())):
            if pd.isna(r.target) or not _bad_side(float(r.actual), float(r.target), direction):
                break
            if (float(r.actual) < float(r.target)) != (actual < target):
                break
            streak += 1
        text = f"{label} {_gap(actual, target, unit)} {side} target"
        if _bad_side(actual, target, direction) and streak >= 2:
            text += f" for the {ordinal(streak)} month"
        return text
    if pd.notna(last.get("year_ago_actual")) and float(last["year_ago_actual"]) != 0:
        base = float(last["year_ago_actual"])
        change = float(last["actual"]) - base
        if unit == "ratio":
            return f"{label} {abs(change) * 100:.1f} points {'up' if change >= 0 else 'down'} on last year (no target)"
        return (
            f"{label} {'up' if change >= 0 else 'down'} {abs(change) / abs(base) * 100:.0f}% on last year (no target)"
        )
    return f"{label} at {amount(float(last['actual']), unit)} (no target)"


def demand_finding(current_total: float, previous_total: float | None, months: int) -> str:
    if previous_total is None or previous_total == 0:
        return f"Consensus demand of {current_total:,.0f} units over the next {months} months (no earlier cycle)"
    change = (current_total - previous_total) / previous_total * 100
    word = "above" if change >= 0 else "below"
    return f"Consensus demand for the next {months} months {abs(change):.1f}% {word} last cycle's plan"


def accuracy_finding(wape: pd.Series) -> str:
    """wape: lag-1 WAPE by month (sorted)."""
    values = wape.dropna()
    if values.empty:
        return "Forecast accuracy: no month measured yet"
    last = values.iloc[-1]
    if len(values) >= 2:
        first = values.iloc[max(0, len(values) - 4)]
        word = "down" if last < first else ("up" if last > first else "unchanged")
        return f"Lag-1 forecast error (WAPE) {last * 100:.1f}%, {word} from {first * 100:.1f}%"
    return f"Lag-1 forecast error (WAPE) {last * 100:.1f}%"


def capacity_finding(frame: pd.DataFrame) -> str:
    """frame: month, work_center, utilization of the plan."""
    if frame.empty:
        return "No capacity plan for this cycle"
    top = frame.sort_values("utilization", ascending=False).iloc[0]
    over = frame[frame["utilization"] > 1.0]
    if over.empty:
        return (
            f"No work center above its regular hours; the tightest is {top['work_center']} at {top['utilization']:.0%}"
        )
    return (
        f"{over['work_center'].nunique()} work center(s) need overtime; {top['work_center']} peaks at "
        f"{top['utilization']:.0%} in {pd.Timestamp(top['month']):%b %Y}"
    )


def inventory_finding(frame: pd.DataFrame) -> str:
    """frame: month, closing_value_usd, safety_stock_value_usd."""
    if frame.empty:
        return "No supply plan for this cycle"
    first, last = frame.iloc[0], frame.iloc[-1]
    word = "falls" if last["closing_value_usd"] < first["closing_value_usd"] else "rises"
    return (
        f"Projected stock {word} from {amount(first['closing_value_usd'], 'USD')} to "
        f"{amount(last['closing_value_usd'], 'USD')} at cost; "
        f"safety stock {amount(last['safety_stock_value_usd'], 'USD')}"
    )


def revenue_finding(forecast: float, target: float | None, last_year: float | None, months: int) -> str:
    if target:
        change = (forecast - target) / target * 100
        return (
            f"Revenue forecast for the next {months} months {abs(change):.1f}% "
            f"{'above' if change >= 0 else 'below'} target"
        )
    if last_year:
        change = (forecast - last_year) / last_year * 100
        return (
            f"Revenue forecast for the next {months} months {abs(change):.1f}% "
            f"{'above' if change >= 0 else 'below'} the same months last year (no target)"
        )
    return f"Revenue forecast of {amount(forecast, 'USD')} for the next {months} months"
