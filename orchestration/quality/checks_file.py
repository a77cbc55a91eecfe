"""The data-quality settings of ``expectations/checks.yml``: severities, freshness, tolerances.

The file is the one place a deployment changes how hard a rule blocks (``error`` or
``warn``), how fresh each source must be and how much the cross-table totals may differ.
The suites carry rule ids and parameter names only; values that depend on the month
(freshness threshold, date window) are computed here at run time and passed to GX as
suite parameters.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from orchestration.settings import DBT_PROJECT_DIR, PROJECT_ROOT

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
CHECKS_FILE = EXPECTATIONS_DIR / "checks.yml"
SEVERITIES = ("error", "warn")


@dataclass(frozen=True)
class DatePair:
    """Two date columns of one row where ``earlier`` must not be after ``later`` (compared by day).

    ``when`` limits the rule to rows whose columns hold the given values (e.g. closed deals)."""

    earlier: str
    later: str
    when: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class QualitySettings:
    severities: dict[str, str]
    freshness_days: dict[str, int]
    earliest_date: str
    future_years: int
    timestamp_slack_days: int
    signed_columns: frozenset[str]
    accuracy: dict[str, dict]
    #: ``<entity>.<column>`` -> its own ``future_years`` for values.dates_in_range (None: no upper bound)
    date_windows: dict[str, int | None] = field(default_factory=dict)
    #: entity -> the (earlier, later) date column pairs of values.dates_ordered
    dates_ordered: dict[str, tuple[DatePair, ...]] = field(default_factory=dict)
    #: entity -> column -> (months allowed before, months allowed after) the extract month, for
    #: values.in_extract_month (None: no bound on that side)
    in_extract_month: dict[str, dict[str, tuple[int | None, int | None]]] = field(default_factory=dict)

    def severity(self, rule: str) -> str:
        """The configured severity of ``rule``; an unknown rule id is a configuration error."""
        try:
            return self.severities[rule]
        except KeyError:
            raise KeyError(f"rule {rule!r} has no severity in {CHECKS_FILE}") from None

    def freshness_days_for(self, entity_name: str) -> int:
        return int(self.freshness_days.get(entity_name, self.freshness_days["default"]))


def load_settings(path: Path = CHECKS_FILE) -> QualitySettings:
    """Read and validate ``checks.yml``; errors name the file and the bad entry."""
    raw = yaml.safe_load(Path(path).read_text())
    severities = {str(k): str(v) for k, v in raw["severities"].items()}
    bad = {k: v for k, v in severities.items() if v not in SEVERITIES}
    if bad:
        raise ValueError(f"{path}: severities must be one of {SEVERITIES}: {bad}")
    freshness = {str(k): int(v) for k, v in raw["freshness_days"].items()}
    if "default" not in freshness:
        raise ValueError(f"{path}: freshness_days needs a `default`")
    dates = raw.get("dates", {})
    windows = {}
    for name, spec in (dates.get("columns") or {}).items():
        if not isinstance(spec, dict) or "future_years" not in spec:
            raise ValueError(f"{path}: dates.columns.{name} needs `future_years` (a number of years, or null)")
        years = spec["future_years"]
        windows[str(name)] = None if years is None else int(years)
    ordered = {}
    for entity_name, pairs in (raw.get("dates_ordered") or {}).items():
        parsed = []
        for pair in pairs or []:
            if not isinstance(pair, dict) or not {"earlier", "later"} <= set(pair):
                raise ValueError(f"{path}: dates_ordered.{entity_name} entries need `earlier` and `later`: {pair!r}")
            when = tuple(
                (str(k), str(v).lower() if isinstance(v, bool) else str(v)) for k, v in (pair.get("when") or {}).items()
            )
            parsed.append(DatePair(str(pair["earlier"]), str(pair["later"]), when))
        ordered[str(entity_name)] = tuple(parsed)
    windows_by_entity: dict[str, dict[str, tuple[int | None, int | None]]] = {}
    for entity_name, columns in (raw.get("in_extract_month") or {}).items():
        parsed_columns = {}
        for column, spec in (columns or {}).items():
            if not isinstance(spec, dict) or not set(spec) <= {"before", "after"} or not spec:
                raise ValueError(
                    f"{path}: in_extract_month.{entity_name}.{column} needs `before` and/or `after` "
                    f"(months, or null for no bound): {spec!r}"
                )
            bounds = tuple(None if spec.get(k) is None else int(spec[k]) for k in ("before", "after"))
            if any(b is not None and b < 0 for b in bounds):
                raise ValueError(f"{path}: in_extract_month.{entity_name}.{column}: months must be >= 0: {spec!r}")
            parsed_columns[str(column)] = bounds
        windows_by_entity[str(entity_name)] = parsed_columns
    return QualitySettings(
        severities=severities,
        freshness_days=freshness,
        earliest_date=str(dates.get("earliest_date", "1990-01-01")),
        future_years=int(dates.get("future_years", 10)),
        timestamp_slack_days=int(dates.get("timestamp_slack_days", 1)),
        signed_columns=frozenset(raw.get("signed_columns") or ()),
        accuracy={k: dict(v or {}) for k, v in (raw.get("accuracy") or {}).items()},
        date_windows=windows,
        dates_ordered=ordered,
        in_extract_month=windows_by_entity,
    )


@lru_cache(maxsize=1)
def settings() -> QualitySettings:
    """The settings of the committed ``checks.yml`` (read once per process)."""
    return load_settings()


@lru_cache(maxsize=1)
def dbt_reference_lists() -> dict[str, list[str]]:
    """The accepted-value lists the dbt tests use (vars of ``dbt_project.yml``)."""
    dbt_vars = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    return {
        "currency_codes": list(dbt_vars["currency_codes"]),
        "region_codes": list(dbt_vars["region_codes"]),
        "opportunity_stages": list(dbt_vars["opportunity_stages"]),
    }


def month_start(month: str) -> date:
    return datetime.strptime(month, "%Y-%m").date()


def month_end(month: str) -> date:
    """Last day of ``YYYY-MM``."""
    start = month_start(month)
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def freshness_threshold(month: str, days: int) -> datetime:
    """The oldest acceptable newest-update time: the end of the month's last day minus ``days``."""
    end = datetime.combine(month_end(month) + timedelta(days=1), datetime.min.time())
    return end - timedelta(days=days)


def latest_date_parameter(years: int) -> str:
    """The suite parameter of a column's own date window (``dates.columns`` of checks.yml)."""
    return f"latest_date_{years}y"


def _years_after(end: date, years: int) -> date:
    return end.replace(year=end.year + years, day=min(end.day, 28))


def run_parameters(months: list[str], config: QualitySettings | None = None) -> dict:
    """Suite parameters shared by every suite of a run covering ``months`` (``YYYY-MM``)."""
    config = config or settings()
    last = max(months)
    end = month_end(last)
    latest_date = _years_after(end, config.future_years)
    latest_ts = datetime.combine(end + timedelta(days=1 + config.timestamp_slack_days), datetime.min.time())
    earliest = pd.Timestamp(config.earliest_date)
    params = {
        "earliest_date": earliest,
        "latest_date": pd.Timestamp(latest_date),
        "latest_timestamp": pd.Timestamp(latest_ts),
    }
    for years in sorted({y for y in config.date_windows.values() if y is not None}):
        params[latest_date_parameter(years)] = pd.Timestamp(_years_after(end, years))
    acc = config.accuracy
    params["bookings_max_relative_difference"] = float(
        acc.get("bookings_vs_order_intake", {}).get("max_relative_difference", 0.02)
    )
    params["invoice_max_abs_difference"] = float(
        acc.get("invoice_headers_vs_lines", {}).get("max_abs_difference", 0.01)
    )
    params["mart_max_abs_difference_usd"] = float(acc.get("mart_totals_vs_raw", {}).get("max_abs_difference_usd", 1.0))
    for name in ("bookings_max_relative_difference", "invoice_max_abs_difference", "mart_max_abs_difference_usd"):
        params[name.replace("_max_", "_min_")] = -params[name]
    return params
