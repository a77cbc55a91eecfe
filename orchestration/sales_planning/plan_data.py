"""What one sales-planning run reads from the warehouse: ``warehouse.read_plan_data`` fills it,
``plan.plan_sales`` uses it. Tests build it by hand, without a database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd


@dataclass
class PlanData:
    """What a run reads from the warehouse (``warehouse.read_plan_data``)."""

    as_of: date
    fiscal_years: set[int]
    fiscal_year_start_month: int
    current_year: int
    current_months: list[date]
    plan_year: int
    plan_months: list[date]
    territories: pd.DataFrame
    reps: pd.DataFrame
    reps_history: pd.DataFrame
    rep_months: pd.DataFrame
    accounts: pd.DataFrame
    market: pd.DataFrame
    territory_history: pd.DataFrame
    revenue_plan: pd.DataFrame  # region x every month of the latest revenue forecast: p10/p50/p90
    revenue_rest_of_year: pd.DataFrame  # region x month of the current year after as_of
    current_quotas: pd.DataFrame
    current_credits: pd.DataFrame
