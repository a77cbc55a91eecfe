"""The pack's charts: Vega-Lite specs built with Altair, rendered to SVG by vl-convert (no browser, no network).

Each function takes the frame it plots and the title (a sentence stating the finding, from ``findings``)
and returns the SVG markup, embedded inline in the pack so that it opens offline and prints sharply.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import vl_convert

WIDTH, HEIGHT = 620, 200
_MONTH = alt.X("month:T", title=None, axis=alt.Axis(format="%b %y", labelAngle=0))


def _svg(chart: alt.TopLevelMixin) -> str:
    spec = chart.properties(width=WIDTH, height=HEIGHT).configure_view(stroke=None).to_dict()
    return vl_convert.vegalite_to_svg(spec)


def _title(text: str) -> alt.TitleParams:
    return alt.TitleParams(text, anchor="start", fontSize=13)


def kpi_trend(history: pd.DataFrame, title: str, unit: str) -> str:
    """history: month, actual, target, year_ago_actual of one KPI × scope."""
    fmt = "$,.3s" if unit == "USD" else (".0%" if unit == "ratio" else ",.0f")
    long = history.melt(
        id_vars="month", value_vars=["actual", "target", "year_ago_actual"], var_name="series", value_name="value"
    ).dropna(subset=["value"])
    long["series"] = long["series"].map({"actual": "actual", "target": "target", "year_ago_actual": "last year"})
    chart = (
        alt.Chart(long, title=_title(title))
        .mark_line(point=True)
        .encode(
            x=_MONTH,
            y=alt.Y("value:Q", title=None, axis=alt.Axis(format=fmt), scale=alt.Scale(zero=False)),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=["actual", "target", "last year"], range=["#1f4e79", "#c0392b", "#aaaaaa"]),
                legend=alt.Legend(orient="top", title=None),
            ),
            strokeDash=alt.StrokeDash(
                "series:N",
                scale=alt.Scale(domain=["actual", "target", "last year"], range=[[1, 0], [6, 3], [2, 2]]),
                legend=None,
            ),
        )
    )
    return _svg(chart)


def demand_forecast(history: pd.DataFrame, forecast: pd.DataFrame, previous: pd.DataFrame, title: str) -> str:
    """history: month, units; forecast: month, units, lo_80, hi_80 (this cycle); previous: month, units."""
    band = (
        alt.Chart(forecast)
        .mark_area(opacity=0.25, color="#1f4e79")
        .encode(x=_MONTH, y=alt.Y("lo_80:Q", title="units"), y2="hi_80:Q")
    )
    lines = pd.concat(
        [
            history.assign(series="actual"),
            forecast[["month", "units"]].assign(series="consensus, this cycle"),
            previous.assign(series="consensus, last cycle"),
        ],
        ignore_index=True,
    )
    domain = ["actual", "consensus, this cycle", "consensus, last cycle"]
    line = (
        alt.Chart(lines)
        .mark_line()
        .encode(
            x=_MONTH,
            y=alt.Y("units:Q", title="units", axis=alt.Axis(format=",.0f")),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=domain, range=["#333333", "#1f4e79", "#e67e22"]),
                legend=alt.Legend(orient="top", title=None),
            ),
            strokeDash=alt.StrokeDash(
                "series:N", scale=alt.Scale(domain=domain, range=[[1, 0], [1, 0], [5, 3]]), legend=None
            ),
        )
    )
    return _svg(alt.layer(band, line, title=_title(title)))


def accuracy_trend(frame: pd.DataFrame, title: str) -> str:
    """frame: month, series (e.g. 'WAPE lag 1'), value."""
    chart = (
        alt.Chart(frame, title=_title(title))
        .mark_line(point=True)
        .encode(
            x=_MONTH,
            y=alt.Y("value:Q", title=None, axis=alt.Axis(format=".0%")),
            color=alt.Color("series:N", legend=alt.Legend(orient="top", title=None)),
        )
    )
    return _svg(chart)


def capacity(frame: pd.DataFrame, title: str) -> str:
    """frame: month, work_center, utilization (load / regular hours)."""
    base = alt.Chart(frame).encode(x=_MONTH)
    lines = base.mark_line(point=True).encode(
        y=alt.Y("utilization:Q", title="load / regular hours", axis=alt.Axis(format=".0%")),
        color=alt.Color("work_center:N", legend=alt.Legend(orient="top", title=None)),
    )
    rule = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(color="#c0392b", strokeDash=[4, 3]).encode(y="y:Q")
    return _svg(alt.layer(lines, rule, title=_title(title)))


def inventory(frame: pd.DataFrame, title: str) -> str:
    """frame: month, closing_value_usd, safety_stock_value_usd."""
    long = frame.melt(id_vars="month", var_name="series", value_name="usd")
    long["series"] = long["series"].map(
        {"closing_value_usd": "projected stock", "safety_stock_value_usd": "safety stock"}
    )
    chart = (
        alt.Chart(long, title=_title(title))
        .mark_line(point=True)
        .encode(
            x=_MONTH,
            y=alt.Y("usd:Q", title="USD at cost", axis=alt.Axis(format="$,.3s")),
            color=alt.Color("series:N", legend=alt.Legend(orient="top", title=None)),
        )
    )
    return _svg(chart)


def revenue_plan(frame: pd.DataFrame, title: str) -> str:
    """frame: month, forecast_usd, lo_80_usd, hi_80_usd, target_usd, last_year_usd."""
    band = (
        alt.Chart(frame)
        .mark_area(opacity=0.2, color="#1f4e79")
        .encode(x=_MONTH, y=alt.Y("lo_80_usd:Q", title=None), y2="hi_80_usd:Q")
    )
    long = frame.melt(
        id_vars="month", value_vars=["forecast_usd", "target_usd", "last_year_usd"], var_name="series", value_name="usd"
    ).dropna(subset=["usd"])
    names = {"forecast_usd": "revenue forecast", "target_usd": "target", "last_year_usd": "last year"}
    long["series"] = long["series"].map(names)
    domain = list(names.values())
    line = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=_MONTH,
            y=alt.Y("usd:Q", title="bookings, USD", axis=alt.Axis(format="$,.3s")),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=domain, range=["#1f4e79", "#c0392b", "#aaaaaa"]),
                legend=alt.Legend(orient="top", title=None),
            ),
        )
    )
    return _svg(alt.layer(band, line, title=_title(title)))
