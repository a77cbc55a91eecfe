"""Month arithmetic for the demo company.

Months are handled as absolute integers (``year * 12 + month - 1``) so that a month's random
stream, its ids and its position in the master-data timeline never depend on where a
particular generation run starts or stops. Dates are ``numpy.datetime64[D]`` and timestamps
``numpy.datetime64[s]`` (UTC, naive) throughout the generator.
"""

from __future__ import annotations

import re

import numpy as np

#: First month of the demo company's history; the master-data timeline starts here.
HISTORY_EPOCH = "2021-01"
#: Last month the master data (accounts, reps, SKUs, prices) is drawn for. Drawing master data
#: over this fixed horizon keeps every month's files independent of how far a run goes.
HORIZON_END = "2035-12"

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_EPOCH_OFFSET = 1970 * 12  # numpy datetime64[M] counts months from 1970-01


def month_index(label: str) -> int:
    """``'YYYY-MM'`` -> absolute month number; raises ``ValueError`` on anything else."""
    match = _MONTH.match(str(label))
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"expected a month as 'YYYY-MM', got {label!r}")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def month_label(index: int) -> str:
    """Absolute month number -> ``'YYYY-MM'``."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def compact_label(index: int) -> str:
    """Absolute month number -> ``'YYYYMM'`` (file names and record ids)."""
    return f"{index // 12:04d}{index % 12 + 1:02d}"


EPOCH_INDEX = month_index(HISTORY_EPOCH)
HORIZON_INDEX = month_index(HORIZON_END)
#: Number of months in the master-data timeline (epoch .. horizon end, inclusive).
HORIZON_MONTHS = HORIZON_INDEX - EPOCH_INDEX + 1


def months_between(start: str, through: str) -> list[str]:
    """Every month from ``start`` to ``through`` inclusive, as ``'YYYY-MM'`` labels."""
    first, last = month_index(start), month_index(through)
    if last < first:
        raise ValueError(f"through ({through}) is before start ({start})")
    return [month_label(i) for i in range(first, last + 1)]


def first_day(index: int) -> np.datetime64:
    return np.datetime64(f"{month_label(index)}-01", "D")


def last_day(index: int) -> np.datetime64:
    return first_day(index + 1) - np.timedelta64(1, "D")


def days_in_month(index: int) -> int:
    return int((first_day(index + 1) - first_day(index)) / np.timedelta64(1, "D"))


def month_of(dates: np.ndarray) -> np.ndarray:
    """Absolute month number of each date (or timestamp)."""
    return np.asarray(dates).astype("datetime64[M]").astype(np.int64) + _EPOCH_OFFSET


def month_of_year(index: int) -> int:
    """1..12."""
    return index % 12 + 1


def weekdays_in_month(index: int) -> np.ndarray:
    days = np.arange(first_day(index), first_day(index + 1), dtype="datetime64[D]")
    return days[np.is_busday(days)]


def working_days(index: int) -> int:
    return int(np.busday_count(first_day(index), first_day(index + 1)))


def random_weekdays(rng: np.random.Generator, index: int, size: int) -> np.ndarray:
    """``size`` weekdays drawn uniformly from the month."""
    days = weekdays_in_month(index)
    return days[rng.integers(0, len(days), size=size)]


def next_weekday(dates: np.ndarray) -> np.ndarray:
    """Move Saturdays and Sundays to the following Monday."""
    return np.busday_offset(np.asarray(dates, dtype="datetime64[D]"), 0, roll="forward")


def at_seconds(dates: np.ndarray, seconds) -> np.ndarray:
    """Timestamps: ``dates`` plus ``seconds`` after midnight (UTC)."""
    return np.asarray(dates, dtype="datetime64[D]").astype("datetime64[s]") + np.asarray(
        np.round(seconds), dtype=np.int64
    ).astype("timedelta64[s]")


def at_hour(dates: np.ndarray, hour: float) -> np.ndarray:
    return at_seconds(dates, np.full(np.shape(dates), hour * 3600.0))


def month_end_time(index: int, hour: int = 23) -> np.datetime64:
    """A timestamp on the month's last day; used as the extract time of snapshots."""
    return last_day(index).astype("datetime64[s]") + np.timedelta64(hour * 3600, "s")


def horizon_position(index: int) -> int:
    """Position of a month in the master-data timeline (0 = HISTORY_EPOCH)."""
    return index - EPOCH_INDEX


def years_since_epoch(index: int) -> float:
    return (index - EPOCH_INDEX) / 12.0
