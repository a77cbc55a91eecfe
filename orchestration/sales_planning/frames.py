"""Small helpers every sales-planning module shares: whole cents, required columns, month starts."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd


def to_cents(amount) -> int:
    """``amount`` USD in whole cents, rounded half up."""
    return int((Decimal(str(float(amount))) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_usd(cents: int) -> float:
    return float(Decimal(int(cents)) / 100)


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """ValueError naming ``what`` and the columns ``frame`` lacks."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing columns {', '.join(missing)}")


def month_start(value) -> date:
    """The first day of the month of ``value`` (a date, datetime, pandas Timestamp or ISO text)."""
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        raise ValueError(f"{value!r} is not a date")
    return date(stamp.year, stamp.month, 1)
