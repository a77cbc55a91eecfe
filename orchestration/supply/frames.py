"""Column conventions shared by the supply modules, and the renames from the ERP extract names.

Every supply function takes and returns pandas DataFrames with these column names:

=================  ==============================================================================
``sku``            stock-keeping unit
``site``           stocking site code (US01, DE01, ...); a plant is also a site
``plant``          site code of the work center(s) that make a SKU
``region``         sales region code (NAM, EUR, ...), the level of ``forecast.consensus_demand``
``family``         product family code (PMP, VLV, ...)
``work_center``    work center id (WC-DE01-ASSY, ...)
``month``          first day of a month (``pd.Timestamp``); every bucket is a calendar month
``units``          a quantity in units (demand, production, receipts)
``on_hand``        units on hand
``hours``          work-center hours
=================  ==============================================================================

The ERP extracts (``orchestration.sources``) use other names for some of these; ``from_erp``
renames them (``site_code`` -> ``site``, ``work_center_id`` -> ``work_center``,
``capacity_month`` -> ``month``, ``on_hand_qty`` -> ``on_hand``). Dates never come from the
clock: the plan's first month and every "as of" date are arguments.

Lead times arrive in days; a month here is ``DAYS_PER_MONTH`` = 365.25 / 12 days.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

DAYS_PER_MONTH = 365.25 / 12

#: ERP extract column -> supply column
ERP_RENAMES: dict[str, str] = {
    "site_code": "site",
    "work_center_id": "work_center",
    "capacity_month": "month",
    "on_hand_qty": "on_hand",
    "product_family": "family",
    "region_code": "region",
}

#: lineage columns the ingestion step adds to raw rows; used to name a file and row in errors
SOURCE_FILE, SOURCE_ROW = "_source_file", "_source_row"


def from_erp(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the ERP column names of ``ERP_RENAMES`` replaced by the supply names."""
    return df.rename(columns={k: v for k, v in ERP_RENAMES.items() if k in df.columns})


def require_columns(df: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise ValueError naming ``what`` and the missing columns."""
    columns = list(columns)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {missing}; needs {columns}")


def to_month(values) -> pd.Series:
    """Dates (anything ``pd.to_datetime`` reads) as the first day of their month."""
    return pd.to_datetime(pd.Series(values)).dt.to_period("M").dt.to_timestamp()


def month_start(value) -> pd.Timestamp:
    """One date as the first day of its month."""
    return pd.Timestamp(value).to_period("M").to_timestamp()


def months_between(a, b) -> int:
    """Whole months from the month of ``a`` to the month of ``b`` (negative when b is earlier)."""
    a, b = pd.Timestamp(a), pd.Timestamp(b)
    return (b.year - a.year) * 12 + (b.month - a.month)


def add_months(month, k: int) -> pd.Timestamp:
    return (month_start(month).to_period("M") + int(k)).to_timestamp()


def label(month) -> str:
    """``YYYY-MM``."""
    return f"{pd.Timestamp(month):%Y-%m}"


def lead_time_months(days) -> np.ndarray:
    """Lead time in whole months, rounded up: 1-30 days -> 1, 31-60 -> 2 (0 days -> 0).

    Rounded up because a receipt due partway into a month is only usable for that month's
    plan if it arrives in time; planning it a month early is the safe side.
    """
    d = np.asarray(days, dtype=float)
    return np.ceil(np.round(d / DAYS_PER_MONTH, 9)).astype(int)


def source_ref(df: pd.DataFrame, position: int, default_file: str) -> str:
    """``<file> row <n>`` for the row at ``position`` of ``df``.

    From the lineage columns ``_source_file`` / ``_source_row`` when the frame carries them
    (raw extracts do), otherwise ``default_file`` and the line number the row would have in a
    CSV with a header (position + 2).
    """
    if SOURCE_FILE in df.columns and SOURCE_ROW in df.columns:
        f, r = df[SOURCE_FILE].iloc[position], df[SOURCE_ROW].iloc[position]
        if isinstance(f, str) and f and r is not None and not (isinstance(r, float) and math.isnan(r)):
            return f"{f} row {int(r)}"
    return f"{default_file} row {position + 2}"


def money(x: float) -> str:
    """``$9,600`` (cents only when the amount has them: ``$12.50``)."""
    x = float(x)
    if abs(x - round(x)) < 0.005:
        return f"${x:,.0f}"
    return f"${x:,.2f}"


def number(x: float) -> str:
    """``1,200`` (one decimal when not whole: ``12.5``)."""
    x = float(x)
    if abs(x - round(x)) < 0.05:
        return f"{x:,.0f}"
    return f"{x:,.1f}"
