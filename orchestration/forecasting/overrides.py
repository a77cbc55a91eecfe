"""Planner overrides of the statistical demand forecast, and the consensus demand they give.

The planners own ``<data>/inputs/forecast_overrides.csv``; the pipeline only reads it
(opened read-only, never rewritten, never touched). Columns:

``level``   ``sku`` or ``family``
``item``    the SKU or the product family
``region``  sales region code
``month``   forecast month, ``YYYY-MM``, within the cycle's horizon (cycle + 1 .. cycle + H)
``kind``    ``absolute`` (the month's units are ``value``) or ``percent`` (the statistical
            forecast changes by ``value`` percent: ``10`` = +10 %, ``-25`` = -25 %)
``value``   a number; absolute >= 0, percent >= -100
``author``  who made it (required)
``reason``  why (required)

Each row is validated; a refused row gets a clear error naming the file, the row (its
line number in the file, the header being line 1) and the rule, and is not applied; valid
rows are. Rules: known level, known SKU/family, known region, a series for that SKU or
family in that region, month in the horizon, known kind, numeric value in range, author
and reason present, and no conflicting duplicates (two rows for the same level, item,
region and month with different kind or value: all of them are refused; identical copies
are applied once).

Applying (on the SKU x region statistical forecast, to the cent; values and percentages in
decimal arithmetic, rounded half up):

- **family** rows set the family x region month: absolute = ``value``, percent = the
  family's statistical total x (1 + value/100); the new total is spread over the family's
  SKUs in that region pro rata to their statistical forecast (equally when that is 0),
  in whole cents by largest remainder, so the SKUs sum exactly to it;
- **sku** rows then set their SKU x region month from its *statistical* forecast
  (absolute replaces, percent multiplies by 1 + value/100), replacing whatever a family
  row gave that SKU: the SKU override wins for that SKU, and the family total then moves
  by the difference.

Consensus = statistical forecast with the overrides applied at the bottom, re-aggregated
to every level as exact sums (see ``hierarchy.sum_bottom_to_nodes``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd

OVERRIDES_FILE = "forecast_overrides.csv"
COLUMNS = ("level", "item", "region", "month", "kind", "value", "author", "reason")
LEVELS = ("sku", "family")
KINDS = ("absolute", "percent")
MONTH_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class OverridesFileError(ValueError):
    """The file as a whole cannot be read (missing columns, not CSV)."""


@dataclass
class Override:
    row: int  # line number in the file (header = 1)
    level: str
    item: str
    region: str
    month: str
    kind: str
    value: float
    author: str
    reason: str


@dataclass
class OverrideCheck:
    """Valid overrides and refused rows (with their errors) of one file."""

    path: Path | None
    valid: list[Override] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)  # row fields + row + error
    duplicates: list[dict] = field(default_factory=list)  # identical copies of a valid row

    def log(self) -> pd.DataFrame:
        """One row per file row: its fields, status (applied/refused) and error."""
        rows = [
            {**{c: getattr(o, c) for c in ("row", *COLUMNS)}, "status": "applied", "error": None} for o in self.valid
        ]
        rows += [{**r, "status": "refused"} for r in self.refused]
        rows += [{**r, "status": "duplicate"} for r in self.duplicates]
        cols = ["row", *COLUMNS, "status", "error"]
        out = pd.DataFrame(rows, columns=cols)
        out["value"] = pd.to_numeric(out["value"], errors="coerce")
        return out.sort_values("row").reset_index(drop=True)


def _text(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(v).strip()


def read_overrides(
    path: Path,
    *,
    skus_by_region: dict[str, set[str]],
    families_by_region: dict[str, set[str]],
    sku_families: dict[str, str] | None = None,
    horizon_months: list[str],
) -> OverrideCheck:
    """Read and validate the overrides file; a missing file means no overrides.

    ``skus_by_region`` / ``families_by_region``: region -> the SKUs / families with a
    forecast series there. ``horizon_months``: the cycle's forecast months (``YYYY-MM``).
    """
    path = Path(path)
    check = OverrideCheck(path=path)
    if not path.exists():
        return check
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except Exception as exc:  # noqa: BLE001 - any parse failure is reported with the file name
        raise OverridesFileError(f"{path}: cannot be read as CSV: {exc}") from exc
    raw.columns = [c.strip().lower() for c in raw.columns]
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise OverridesFileError(f"{path}: missing column(s) {', '.join(missing)} (expected {', '.join(COLUMNS)})")
    all_skus = set().union(*skus_by_region.values()) if skus_by_region else set()
    all_families = set().union(*families_by_region.values()) if families_by_region else set()
    regions = set(skus_by_region) | set(families_by_region)
    horizon = set(horizon_months)

    candidates: list[Override] = []
    for i, rec in enumerate(raw.to_dict("records")):
        row = i + 2
        fields = {c: _text(rec.get(c)) for c in COLUMNS}
        error = _row_error(
            fields, all_skus, all_families, regions, skus_by_region, families_by_region, horizon, horizon_months
        )
        if error:
            check.refused.append({"row": row, **fields, "error": f"{path}: row {row}: {error}"})
            continue
        candidates.append(Override(row=row, **{**fields, "value": float(fields["value"])}))

    by_key: dict[tuple, list[Override]] = {}
    for o in candidates:
        by_key.setdefault((o.level, o.item, o.region, o.month), []).append(o)
    for key, group in by_key.items():
        distinct = {(o.kind, o.value) for o in group}
        if len(distinct) > 1:
            rows = ", ".join(str(o.row) for o in group)
            for o in group:
                check.refused.append(
                    {
                        "row": o.row,
                        **{c: getattr(o, c) for c in COLUMNS},
                        "error": f"{path}: row {o.row}: conflicting duplicate: rows {rows} override "
                        f"{key[0]} {key[1]} in {key[2]} for {key[3]} with different kind/value",
                    }
                )
        else:
            check.valid.append(group[0])  # identical copies are applied once
            for o in group[1:]:
                check.duplicates.append(
                    {
                        "row": o.row,
                        **{c: getattr(o, c) for c in COLUMNS},
                        "error": f"{path}: row {o.row}: identical to row {group[0].row}, applied once",
                    }
                )
    check.valid.sort(key=lambda o: o.row)
    return check


def _row_error(
    f, all_skus, all_families, regions, skus_by_region, families_by_region, horizon, horizon_months
) -> str | None:
    if f["level"] not in LEVELS:
        return f"level must be one of {', '.join(LEVELS)}, got {f['level']!r}"
    if not f["item"]:
        return "item is missing"
    if f["level"] == "sku" and f["item"] not in all_skus:
        return f"unknown sku {f['item']!r}"
    if f["level"] == "family" and f["item"] not in all_families:
        return f"unknown family {f['item']!r}"
    if f["region"] not in regions:
        return f"unknown region {f['region']!r} (known: {', '.join(sorted(regions))})"
    known_here = skus_by_region if f["level"] == "sku" else families_by_region
    if f["item"] not in known_here.get(f["region"], set()):
        return f"{f['level']} {f['item']!r} has no forecast series in region {f['region']!r}"
    if not MONTH_PATTERN.match(f["month"]):
        return f"month must be YYYY-MM, got {f['month']!r}"
    if f["month"] not in horizon:
        return (
            f"month {f['month']} is outside the forecast horizon {horizon_months[0]}..{horizon_months[-1]}"
            if horizon_months
            else "no forecast horizon"
        )
    if f["kind"] not in KINDS:
        return f"kind must be one of {', '.join(KINDS)}, got {f['kind']!r}"
    try:
        value = float(f["value"])
    except ValueError:
        return f"value must be a number, got {f['value']!r}"
    if not math.isfinite(value):
        return f"value must be a finite number, got {f['value']!r}"
    if f["kind"] == "absolute" and value < 0:
        return f"absolute value must be >= 0, got {value:g}"
    if f["kind"] == "percent" and value < -100:
        return f"percent value must be >= -100, got {value:g}"
    if not f["author"]:
        return "author is missing"
    if not f["reason"]:
        return "reason is missing"
    return None


def scale_cents(cents: int, percent: float) -> int:
    """``cents`` x (1 + percent/100), rounded half up to a whole cent, in exact decimal arithmetic
    (5.55 +10 % = 6.11, not 6.10 as binary floating point would give)."""
    value = Decimal(int(cents)) * (Decimal(100) + Decimal(str(percent))) / Decimal(100)
    return max(int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP)), 0)


def value_cents(value: float) -> int:
    """An absolute override value in whole cents, rounded half up."""
    return int((Decimal(str(value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _to_cents(x) -> np.ndarray:
    return np.round(np.asarray(x, dtype=float) * 100.0).astype(np.int64)


def distribute_cents(total_cents: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total_cents`` over ``weights`` pro rata, in whole cents, summing exactly.

    Equal split when the weights sum to 0. Largest remainder: the cents left after
    flooring go to the largest fractional parts (ties to the first).
    """
    weights = np.asarray(weights, dtype=float)
    n = len(weights)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if weights.sum() <= 0:
        weights = np.ones(n)
    exact = total_cents * weights / weights.sum()
    floors = np.floor(exact).astype(np.int64)
    left = int(total_cents - floors.sum())
    order = np.argsort(-(exact - floors), kind="stable")
    floors[order[:left]] += 1
    return floors


def apply_overrides(stat: pd.DataFrame, overrides: list[Override]) -> pd.DataFrame:
    """Consensus at the SKU x region level.

    ``stat``: sku, region, family, month (``YYYY-MM``), statistical (units, cents).
    Returns the rows with ``consensus`` (units, cents) and ``override_rows`` (the file
    rows applied to that SKU-month, e.g. ``"4,7"``, or None).
    """
    df = stat.copy().reset_index(drop=True)
    cents = _to_cents(df["statistical"])
    applied: list[list[int]] = [[] for _ in range(len(df))]
    for o in (o for o in overrides if o.level == "family"):
        idx = np.flatnonzero(
            ((df["family"] == o.item) & (df["region"] == o.region) & (df["month"] == o.month)).to_numpy()
        )
        if len(idx) == 0:
            continue
        stat_cents = _to_cents(df.loc[idx, "statistical"])
        target = value_cents(o.value) if o.kind == "absolute" else scale_cents(int(stat_cents.sum()), o.value)
        cents[idx] = distribute_cents(max(target, 0), stat_cents.astype(float))
        for i in idx:
            applied[i].append(o.row)
    for o in (o for o in overrides if o.level == "sku"):
        idx = np.flatnonzero(((df["sku"] == o.item) & (df["region"] == o.region) & (df["month"] == o.month)).to_numpy())
        for i in idx:
            stat_cents = int(_to_cents(df.loc[i, "statistical"]))
            cents[i] = value_cents(o.value) if o.kind == "absolute" else scale_cents(stat_cents, o.value)
            applied[i].append(o.row)
    df["consensus"] = cents / 100.0
    df["override_rows"] = [",".join(str(r) for r in rows) if rows else None for rows in applied]
    return df
