"""The planners' company bookings targets (``inputs/sales_targets.csv``): read, validated, never rewritten.

One row per fiscal year::

    fiscal_year,target_usd,growth_rate,over_assignment,potential_weight,note
    2026,12500000,,1.2,0.5,board-approved plan
    2027,,0.08,,,8% over the S&OP revenue plan

- ``target_usd`` or ``growth_rate``, exactly one of them (the other blank): an explicit company
  bookings target in USD, or a growth rate applied to the S&OP revenue plan (the revenue forecast's
  total for the fiscal year): target = plan × (1 + growth), rounded to the cent.
- ``over_assignment`` (e.g. 1.2: the reps' quotas add up to 120% of the target, so the company makes its
  number even when some reps miss) and ``potential_weight`` (0..1: how much market potential, rather than
  the bookings history, decides each territory's share) are optional; blank means the quota policy's
  default (``quota.QuotaPolicy``).
- ``note``: free text, kept as is.

A year without a row takes the S&OP revenue plan itself as its target (growth 0). Every problem of a file is
collected and raised once as a ``PlannerFileError`` naming the file, the row (line; the header is line 1) and
the rule. A missing file is no targets at all.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

from orchestration.sales_planning.errors import PlannerFileError
from orchestration.sales_planning.planner_csv import read_records

TARGETS_FILE = "sales_targets.csv"
COLUMNS = ["fiscal_year", "target_usd", "growth_rate", "over_assignment", "potential_weight", "note"]
#: growth_rate must lie in (GROWTH_LOWER, GROWTH_UPPER]
GROWTH_LOWER, GROWTH_UPPER = -0.5, 2.0
#: over_assignment must lie in [OVER_ASSIGNMENT_LOWER, OVER_ASSIGNMENT_UPPER]
OVER_ASSIGNMENT_LOWER, OVER_ASSIGNMENT_UPPER = 1.0, 2.0
SOURCES = ("file", "sop_plan_growth", "sop_plan")


def _number(text: str) -> float | None:
    """The finite number written in ``text``, or None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "fiscal_year": pd.Series(dtype="int64"),
            "target_usd": pd.Series(dtype="float64"),
            "growth_rate": pd.Series(dtype="float64"),
            "over_assignment": pd.Series(dtype="float64"),
            "potential_weight": pd.Series(dtype="float64"),
            "note": pd.Series(dtype="object"),
        }
    )


def read_sales_targets(
    path: Path | str, *, fiscal_years: set[int], display_name: str = "inputs/sales_targets.csv"
) -> pd.DataFrame:
    """The targets file at ``path`` as a frame of ``COLUMNS`` (blank numbers are NaN), one row per fiscal year.

    ``fiscal_years``: the years of the planning calendar a row may name. ``display_name``: how errors name
    the file. A missing file is an empty frame with the columns. Raises ``PlannerFileError`` listing every
    row and rule broken.
    """
    path = Path(path)
    if not path.exists():
        return _empty()
    records, problems = read_records(path, COLUMNS, display_name)
    rows: list[dict] = []
    first_row_of_year: dict[int, int] = {}
    for line, record in records:
        errors: list[str] = []

        def fail(rule: str, text: str) -> None:
            errors.append(f"row {line}: rule {rule}: {text}")

        year_text = record["fiscal_year"]
        year: int | None = int(year_text) if re.fullmatch(r"[0-9]+", year_text) else None
        if year is None:
            fail("bad_fiscal_year", f"fiscal_year {year_text!r} is not an integer year")
        elif year not in fiscal_years:
            calendar = ", ".join(str(y) for y in sorted(fiscal_years)) or "none"
            fail("year_outside_calendar", f"a target for a year outside the calendar: {year} (calendar: {calendar})")
        elif year in first_row_of_year:
            fail("duplicate_fiscal_year", f"fiscal year {year} is also set on row {first_row_of_year[year]}")
        else:
            first_row_of_year[year] = line

        target_text, growth_text = record["target_usd"], record["growth_rate"]
        target = growth = None
        if bool(target_text) == bool(growth_text):
            fail(
                "target_or_growth",
                "give exactly one of target_usd (an explicit target) or growth_rate (over the S&OP plan)"
                + (", not both" if target_text else ", not neither"),
            )
        elif target_text:
            target = _number(target_text)
            if target is None or target <= 0:
                fail("bad_target", f"target_usd {target_text!r} is not a positive number")
        else:
            growth = _number(growth_text)
            if growth is None or not GROWTH_LOWER < growth <= GROWTH_UPPER:
                fail("bad_growth_rate", f"growth_rate {growth_text!r} is not a number in (-0.5, 2]")

        over_assignment = None
        if record["over_assignment"]:
            over_assignment = _number(record["over_assignment"])
            if over_assignment is None or not OVER_ASSIGNMENT_LOWER <= over_assignment <= OVER_ASSIGNMENT_UPPER:
                fail("bad_over_assignment", f"over_assignment {record['over_assignment']!r} is not a number in [1, 2]")
        potential_weight = None
        if record["potential_weight"]:
            potential_weight = _number(record["potential_weight"])
            if potential_weight is None or not 0 <= potential_weight <= 1:
                fail("bad_potential_weight", f"potential_weight {record['potential_weight']!r} is not in [0, 1]")

        if errors:
            problems.extend(errors)
            continue
        rows.append(
            {
                "fiscal_year": year,
                "target_usd": math.nan if target is None else target,
                "growth_rate": math.nan if growth is None else growth,
                "over_assignment": math.nan if over_assignment is None else over_assignment,
                "potential_weight": math.nan if potential_weight is None else potential_weight,
                "note": record["note"],
            }
        )
    if problems:
        raise PlannerFileError(display_name, problems)
    if not rows:
        return _empty()
    return pd.DataFrame(rows, columns=COLUMNS).astype({"fiscal_year": "int64"})


def _to_cent(amount: float | Decimal) -> float:
    """``amount`` rounded half up to the cent."""
    return float(Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def company_target(fiscal_year: int, targets: pd.DataFrame, sop_plan_usd: float) -> dict:
    """The company bookings target of ``fiscal_year``: ``fiscal_year, target_usd, source, growth_rate, sop_plan_usd``.

    ``targets``: ``read_sales_targets``'s frame. ``sop_plan_usd``: the S&OP revenue plan (the revenue
    forecast's total) of the fiscal year. Source ``file`` (an explicit target; growth_rate None),
    ``sop_plan_growth`` (plan × (1 + growth)) or ``sop_plan`` (no row: the plan itself, growth 0). Also
    ``over_assignment`` and ``potential_weight`` from the row (None when blank or without a row). The target
    is rounded to the cent.
    """
    plan = _to_cent(sop_plan_usd)
    row = targets[targets["fiscal_year"] == fiscal_year] if not targets.empty else targets
    if len(row) > 1:
        raise ValueError(f"sales targets: fiscal year {fiscal_year} has {len(row)} rows (rule: one row per year)")
    out = {
        "fiscal_year": int(fiscal_year),
        "sop_plan_usd": plan,
        "over_assignment": None,
        "potential_weight": None,
    }
    if row.empty:
        return {**out, "target_usd": plan, "source": "sop_plan", "growth_rate": 0.0}
    record = row.iloc[0]
    for key in ("over_assignment", "potential_weight"):
        if pd.notna(record[key]):
            out[key] = float(record[key])
    if pd.notna(record["target_usd"]):
        return {**out, "target_usd": _to_cent(record["target_usd"]), "source": "file", "growth_rate": None}
    growth = float(record["growth_rate"])
    target = _to_cent(Decimal(str(plan)) * (1 + Decimal(str(growth))))
    return {**out, "target_usd": target, "source": "sop_plan_growth", "growth_rate": growth}
