"""The KPIs of the S&OP scorecard: the same list every month, so that progress shows over time.

Each scorecard KPI names the KPI dictionary entry it measures (``dbt_project/seeds/kpi_dictionary.csv``,
where the formula lives), its unit, the scopes it is measured for (``total`` and each sales region,
or the total only) and its *direction*: which way is good. The direction decides the red/amber/green
status against a planner's target (``scorecard.rag_status``):

- ``higher``: more is better (bookings, fill rate); the shortfall below target is what counts;
- ``lower``: less is better (forecast error); the excess above target counts;
- ``zero``: best at the target, either side is bad (forecast bias); the distance counts.
"""

from __future__ import annotations

from dataclasses import dataclass

HIGHER, LOWER, ZERO = "higher", "lower", "zero"
DIRECTIONS = (HIGHER, LOWER, ZERO)

#: the scope of the whole company; the other scopes are sales region codes
TOTAL = "total"


@dataclass(frozen=True)
class Kpi:
    kpi: str  # scorecard id, the name planners use in inputs/kpi_targets.csv and inputs/sop_actions.csv
    label: str  # for people: the pack and the summary
    dictionary_kpi: str  # kpi_name in the KPI dictionary seed
    unit: str  # USD, ratio, days, times (a multiple: inventory turns)
    direction: str  # higher, lower or zero
    by_region: bool  # measured per sales region as well as for the total
    area: str  # sales, demand, finance, supply: the pack section that shows it
    definition: str  # how the scorecard measures it, in one sentence


SCORECARD_KPIS: tuple[Kpi, ...] = (
    Kpi(
        "revenue_usd",
        "Revenue (billings)",
        "billings_usd",
        "USD",
        HIGHER,
        True,
        "finance",
        "Net value invoiced in the month in USD (revenue_monthly.billings_usd).",
    ),
    Kpi(
        "bookings_usd",
        "Bookings",
        "bookings_usd",
        "USD",
        HIGHER,
        True,
        "sales",
        "Value of opportunities won in the month in USD (revenue_monthly.bookings_usd).",
    ),
    Kpi(
        "quota_attainment",
        "Quota attainment",
        "quota_attainment",
        "ratio",
        HIGHER,
        True,
        "sales",
        "Bookings / quota of the reps with a quota in the month (sales_performance_monthly, sums first).",
    ),
    Kpi(
        "win_rate",
        "Win rate",
        "win_rate",
        "ratio",
        HIGHER,
        True,
        "sales",
        "Won / (won + lost) opportunities closed in the month (sales_performance_monthly, sums first).",
    ),
    Kpi(
        "pipeline_coverage",
        "Pipeline coverage",
        "pipeline_coverage",
        "ratio",
        HIGHER,
        True,
        "sales",
        "Open pipeline at month end / the quota of the next three months (sales_performance_monthly, sums first).",
    ),
    Kpi(
        "net_revenue_retention",
        "Net revenue retention",
        "net_revenue_retention",
        "ratio",
        HIGHER,
        True,
        "finance",
        "Trailing-12-month billings of last year's active customers now / then (customer_retention_monthly).",
    ),
    Kpi(
        "demand_wape_lag1",
        "Forecast WAPE, lag 1",
        "wape",
        "ratio",
        LOWER,
        True,
        "demand",
        "Σ|consensus − actual| / Σ actual over SKU × region series, forecast made one month before (snapshots).",
    ),
    Kpi(
        "demand_wape_lag3",
        "Forecast WAPE, lag 3",
        "wape",
        "ratio",
        LOWER,
        True,
        "demand",
        "As demand_wape_lag1, for the forecast made three months before.",
    ),
    Kpi(
        "demand_bias_lag1",
        "Forecast bias, lag 1",
        "forecast_bias",
        "ratio",
        ZERO,
        True,
        "demand",
        "Σ(consensus − actual) / Σ actual over SKU × region series at lag 1; positive = over-forecast.",
    ),
    Kpi(
        "demand_bias_lag3",
        "Forecast bias, lag 3",
        "forecast_bias",
        "ratio",
        ZERO,
        True,
        "demand",
        "As demand_bias_lag1, at lag 3.",
    ),
    Kpi(
        "forecast_value_added_lag1",
        "Forecast value added, lag 1",
        "fva",
        "ratio",
        HIGHER,
        True,
        "demand",
        "WAPE of the seasonal naive forecast − WAPE of the consensus at lag 1 (points; positive = the process helps).",
    ),
    Kpi(
        "fill_rate",
        "Fill rate",
        "fill_rate",
        "ratio",
        HIGHER,
        True,
        "supply",
        "Units shipped by the requested date / units ordered, order lines requested in the month "
        "(fct_order_line_fulfilment).",
    ),
    Kpi(
        "otif",
        "OTIF",
        "otif",
        "ratio",
        HIGHER,
        True,
        "supply",
        "Share of order lines requested in the month shipped in full by their requested date "
        "(fct_order_line_fulfilment).",
    ),
    Kpi(
        "days_of_supply",
        "Days of supply",
        "days_of_supply",
        "days",
        LOWER,
        False,
        "supply",
        "Units on hand at month end (ERP inventory snapshot) / average daily units shipped over the month.",
    ),
    Kpi(
        "inventory_turns",
        "Inventory turns",
        "inventory_turns",
        "times",
        HIGHER,
        False,
        "supply",
        "Cost of the units shipped in the month × 12 / value of the month-end stock at standard cost.",
    ),
    Kpi(
        "capacity_utilization",
        "Capacity utilization (plan, next month)",
        "capacity_utilization",
        "ratio",
        LOWER,
        False,
        "supply",
        "Load hours / regular hours of all work centers in the first month of the cycle's supply plan.",
    ),
)

BY_ID: dict[str, Kpi] = {k.kpi: k for k in SCORECARD_KPIS}
KPI_IDS: frozenset[str] = frozenset(BY_ID)
