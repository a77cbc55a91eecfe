"""The planners' KPI targets (``inputs/kpi_targets.csv``): read, validated, never rewritten.

One row per KPI × scope × period::

    kpi,scope,period,target,amber_band,red_band,band_unit
    bookings_usd,total,2026,9500000,5,10,pct
    demand_bias_lag1,total,2026-10,0,0.03,0.08,abs

- ``kpi``: a scorecard KPI id (``kpis.SCORECARD_KPIS``); ``scope``: ``total`` or a sales region code.
- ``period``: ``YYYY-MM`` (that month) or ``YYYY`` (every month of the calendar year); a month row wins
  over its year's row.
- ``target``: in the KPI's unit (USD, a ratio such as 0.95, days).
- ``amber_band`` ≤ ``red_band``: how far the actual may fall on the KPI's bad side of the target before
  it turns amber, then red (``scorecard.rag_status``); ``band_unit`` ``pct`` (percent of the target, the
  default) or ``abs`` (in the KPI's unit; required when the target is 0).

A bad row is refused, not guessed: it is kept with its error (file, row, rule) in the cycle's snapshot
and listed in the pack, and its KPI shows no status. A file whose columns are wrong is an error.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from orchestration.sop_cycle.kpis import BY_ID, TOTAL

TARGETS_FILE = "kpi_targets.csv"
REQUIRED = ("kpi", "scope", "period", "target", "amber_band", "red_band")
OPTIONAL = ("band_unit",)
BAND_UNITS = ("pct", "abs")
#: columns of ``TargetsRead.rows``
COLUMNS = [
    "file",
    "row",
    "kpi",
    "scope",
    "period",
    "target",
    "amber_band",
    "red_band",
    "band_unit",
    "valid",
    "error",
]


class TargetsFileError(ValueError):
    """The targets file cannot be read at all (its header is wrong)."""


@dataclass(frozen=True)
class TargetsRead:
    rows: pd.DataFrame  # COLUMNS: every data row as read, valid or refused with its error

    @property
    def valid(self) -> pd.DataFrame:
        return self.rows[self.rows["valid"].astype(bool)]

    @property
    def refused(self) -> pd.DataFrame:
        return self.rows[~self.rows["valid"].astype(bool)]


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_targets(path: Path, regions: set[str], label: str | None = None) -> TargetsRead:
    """Every row of the targets file at ``path``, each valid or refused with the rules it breaks.

    ``regions``: the sales region codes a scope may name besides ``total``. ``label``: how errors
    name the file (default ``inputs/<name>``). A missing file is an empty set of targets.
    """
    label = label or f"inputs/{Path(path).name}"
    if not Path(path).exists():
        return TargetsRead(pd.DataFrame(columns=COLUMNS))
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        missing = [c for c in REQUIRED if c not in header]
        unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
        if missing or unknown:
            raise TargetsFileError(
                f"{label}: the header must have the columns {', '.join(REQUIRED)} (and optionally band_unit)"
                + (f"; missing: {', '.join(missing)}" if missing else "")
                + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            )
        records = []
        for line_number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            record = {c: (values[i].strip() if i < len(values) else "") for i, c in enumerate(header)}
            records.append((line_number, record))
    rows = [_check(label, n, r, regions) for n, r in records]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    # the same KPI × scope × period twice: neither row is believed
    if not frame.empty:
        key = ["kpi", "scope", "period"]
        dup = frame.duplicated(key, keep=False) & frame["error"].isna()
        for i in frame.index[dup]:
            others = frame.loc[dup & (frame[key] == frame.loc[i, key]).all(axis=1), "row"]
            rows_text = ", ".join(str(r) for r in others if r != frame.loc[i, "row"])
            frame.loc[i, "error"] = (
                f"{label} row {frame.loc[i, 'row']}: rule duplicate_target: {frame.loc[i, 'kpi']} × "
                f"{frame.loc[i, 'scope']} × {frame.loc[i, 'period']} is also set on row {rows_text}"
            )
        frame["valid"] = frame["error"].isna()
    return TargetsRead(frame)


def _check(label: str, line: int, record: dict, regions: set[str]) -> dict:
    """One row parsed, with the rules it breaks (``error`` None when it breaks none)."""
    errors = []

    def fail(rule: str, text: str) -> None:
        errors.append(f"rule {rule}: {text}")

    kpi, scope, period = record.get("kpi", ""), record.get("scope", ""), record.get("period", "")
    if kpi not in BY_ID:
        fail("unknown_kpi", f"{kpi!r} is not a scorecard KPI (docs/sop_cycle.md lists them)")
    if scope != TOTAL and scope not in regions:
        fail("unknown_scope", f"scope {scope!r} is neither 'total' nor a sales region ({', '.join(sorted(regions))})")
    elif kpi in BY_ID and scope != TOTAL and not BY_ID[kpi].by_region:
        fail("unknown_scope", f"{kpi} is measured for the total only, not per region")
    if not (re.fullmatch(r"\d{4}", period) or re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period)):
        fail("bad_period", f"period {period!r} must be YYYY-MM (a month) or YYYY (every month of the year)")
    target = _number(record.get("target", ""))
    if target is None:
        fail("bad_target", f"target {record.get('target', '')!r} is not a number")
    amber, red = _number(record.get("amber_band", "")), _number(record.get("red_band", ""))
    if amber is None or red is None or amber < 0 or red < 0:
        fail("bad_band", "amber_band and red_band must be numbers ≥ 0")
    elif amber > red:
        fail("bands_out_of_order", f"amber_band {amber:g} is wider than red_band {red:g}")
    unit = record.get("band_unit", "") or "pct"
    if unit not in BAND_UNITS:
        fail("bad_band_unit", f"band_unit {unit!r} must be pct (percent of the target) or abs (the KPI's unit)")
    elif unit == "pct" and target == 0:
        fail("pct_band_on_zero_target", "a target of 0 needs band_unit abs (a percent of 0 is no band)")
    return {
        "file": label,
        "row": line,
        "kpi": kpi,
        "scope": scope,
        "period": period,
        "target": target,
        "amber_band": amber,
        "red_band": red,
        "band_unit": unit,
        "valid": not errors,
        "error": f"{label} row {line}: " + "; ".join(errors) if errors else None,
    }


def targets_by_month(valid: pd.DataFrame, months: list[pd.Timestamp]) -> pd.DataFrame:
    """kpi, scope, month, target, amber_band, red_band, band_unit, target_row: the target that applies to each
    month (a month row wins over a year row), for the valid rows of a ``TargetsRead``."""
    out = []
    for m in months:
        m = pd.Timestamp(m)
        month_text, year_text = f"{m:%Y-%m}", f"{m:%Y}"
        hit = valid[valid["period"].isin([month_text, year_text])].copy()
        if hit.empty:
            continue
        hit["_month_row"] = hit["period"].str.len() == 7
        hit = hit.sort_values("_month_row").drop_duplicates(["kpi", "scope"], keep="last")
        hit["month"] = m
        out.append(hit)
    columns = ["kpi", "scope", "month", "target", "amber_band", "red_band", "band_unit", "target_row"]
    if not out:
        return pd.DataFrame(columns=columns)
    return pd.concat(out, ignore_index=True).rename(columns={"row": "target_row"})[columns]
