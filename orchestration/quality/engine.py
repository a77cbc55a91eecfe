"""Run one suite for the months of a run and decide: pass, warn or block.

The three kinds of suite (see ``suite_builder``) are run here on the run's own DuckDB
connection; the asset checks in ``orchestration/defs/quality_checks.py`` only call these
functions and turn the ``SuiteOutcome`` into an ``AssetCheckResult``.

- raw suites validate the rows of the run's months once and each month's freshness (its
  parameter ``fresh_after`` is month end minus the source's N days): for one month in the
  same validation, for a range on a one-row summary per month (a range is read and validated a
  batch of whole months at a time, so memory stays bounded);
  rows that break a row-level rule are written to the quarantine table (stage ``check``,
  replacing that entity × month), and lines ingestion could not parse (stage ``ingest``,
  severity error) fail the suite too;
- mart suites validate the mart's rows of the run's months (or the whole table): the rules on
  values on the columns they read, the rule on the columns on the table's schema;
- accuracy suites validate a small computed frame (one row per month, invoice or currency).

Any failing expectation of severity ``error`` makes the outcome ``error`` (the check blocks);
only ``warn`` ones make it ``warn``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.quality import datasets
from orchestration.quality.checks_file import freshness_threshold, run_parameters, settings
from orchestration.quality.data_docs import run_name, site_dir_for, site_lock, update_index
from orchestration.quality.quarantine import ingest_error_rows, replace_quarantine
from orchestration.quality.validation import (
    MAX_SAMPLES,
    Failure,
    Sample,
    Validation,
    columns_of_values,
    load_suite_json,
    merge_validations,
    runner,
)
from orchestration.sources import SourceEntity

ACCURACY_FRAMES = {
    "bookings_vs_order_intake": datasets.bookings_vs_order_intake,
    "invoice_headers_vs_lines": datasets.invoice_headers_vs_lines,
    "fx_rate_coverage": datasets.fx_rate_coverage,
    "mart_totals_vs_raw": datasets.mart_totals_vs_raw,
}


@dataclass
class SuiteOutcome:
    suite: str
    months: list[str]
    failures: list[Failure] = field(default_factory=list)
    quarantined_rows: int = 0
    #: master-data rows that broke only a WARN rule: recorded (stage ``flag``) but kept in staging
    flagged_rows: int = 0
    rows_validated: int = 0
    expectations: int = 0
    data_docs: Path | None = None
    seconds: float = 0.0
    #: the GX validations the verdict and the Data Docs page come from
    validations: list[Validation] = field(default_factory=list, repr=False)

    @property
    def severity(self) -> str | None:
        """``error`` if any failure is of severity error, ``warn`` if only warn ones, else None."""
        if any(f.severity == "error" for f in self.failures):
            return "error"
        return "warn" if self.failures else None

    @property
    def passed(self) -> bool:
        return not self.failures

    def failures_json(self) -> list[dict]:
        return [f.as_dict() for f in self.failures]

    def failures_markdown(self) -> str:
        """The failed expectations as a markdown table (rule, column, expectation, severity, count, sample)."""
        if not self.failures:
            return "All expectations passed."
        lines = ["| rule | column | expectation | severity | unexpected | sample |", "|---|---|---|---|---:|---|"]
        for f in self.failures:
            sample = "; ".join(_where(s) + s.value for s in f.samples[:2]).replace("|", "\\|")
            lines.append(
                f"| {f.rule} | {f.column or ''} | {f.expectation} | {f.severity} | {f.unexpected_count:,} | {sample} |"
            )
        return "\n".join(lines)

    def description(self) -> str:
        """One line per failure: where (file and row of the first offender), rule, value, count."""
        if not self.failures and not self.months:
            return f"{self.suite}: nothing stored yet, nothing to validate"
        if not self.failures:
            return f"{self.suite}: all {self.expectations} expectations passed for {', '.join(self.months)}"
        lines = []
        for f in self.failures:
            first = f.samples[0] if f.samples else Sample(None, None, "")
            where = _where(first).rstrip(": ") or (f"{self.suite} {f.month}" if f.month else self.suite)
            count = f"{f.unexpected_count:,} row{'s' if f.unexpected_count != 1 else ''}"
            lines.append(f"{where}: rule {f.rule} ({first.value}); {count}")
        return "\n".join(lines)


def _where(sample: Sample) -> str:
    if sample.source_file and sample.source_row is not None:
        return f"{sample.source_file} row {sample.source_row}: "
    if sample.source_file:
        return f"{sample.source_file}: "
    return ""


def _finish(
    outcome: SuiteOutcome, validations: list[Validation], reports_root: Path | None, started: float
) -> SuiteOutcome:
    outcome.validations = list(validations)
    outcome.expectations = sum(v.expectations for v in validations)
    if reports_root is not None and validations:
        site = site_dir_for(reports_root, max(outcome.months))
        with site_lock(site):
            page = runner().build_data_docs(site, validations)
            update_index(
                site,
                {
                    "suite": outcome.suite,
                    "months": outcome.months,
                    "run_name": run_name(outcome.months),
                    "passed": outcome.passed,
                    "severity": outcome.severity or "",
                    "failures": len(outcome.failures),
                    "page": str(page),
                    "validated_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
                },
            )
        outcome.data_docs = page
    outcome.seconds = time.perf_counter() - started
    return outcome


# ------------------------------------------------------------------------------------ raw
def _row_json(frame: pd.DataFrame, entity: SourceEntity, positions) -> list[str]:
    cols = [c for c in entity.column_names if c in frame.columns]
    rows = frame.iloc[positions][cols]
    return [
        json.dumps({c: (None if pd.isna(v) else str(v)) for c, v in zip(cols, values)}, ensure_ascii=False)
        for values in rows.itertuples(index=False, name=None)
    ]


def quarantine_frame(frame: pd.DataFrame, entity: SourceEntity, failures: list[Failure]) -> pd.DataFrame:
    """One quarantine row per (offending row, rule) of the row-level failures."""
    parts = []
    for f in failures:
        if f.row_positions is None or not len(f.row_positions):
            continue
        pos = f.row_positions
        column = f.column if f.column in frame.columns else None
        values = frame.iloc[pos][column].map(lambda v: "NULL" if pd.isna(v) else str(v)) if column else None
        if f.row_reasons is not None:
            reason = pd.Series([f"{r} breaks {f.rule} ({f.expectation})" for r in f.row_reasons])
        elif column is not None:
            reason = f"{f.column} = " + values + f" breaks {f.rule} ({f.expectation})"
        else:
            reason = pd.Series([f"{f.column} breaks {f.rule} ({f.expectation})"] * len(pos))
        parts.append(
            pd.DataFrame(
                {
                    "month": frame.iloc[pos]["_partition_month"].dt.strftime("%Y-%m").to_numpy(),
                    "rule": f.rule,
                    "severity": f.severity,
                    "source_file": frame.iloc[pos]["_source_file"].to_numpy(),
                    "source_row": frame.iloc[pos]["_source_row"].to_numpy(),
                    "load_id": frame.iloc[pos]["_load_id"].to_numpy(),
                    "reason": reason.to_numpy(),
                    "row_json": _row_json(frame, entity, pos),
                }
            )
        )
    if not parts:
        return pd.DataFrame(
            columns=["month", "rule", "severity", "source_file", "source_row", "load_id", "reason", "row_json"]
        )
    return pd.concat(parts, ignore_index=True)


def _ingest_failures(con: duckdb.DuckDBPyConnection, entity: SourceEntity, months: list[str]) -> list[Failure]:
    rows = ingest_error_rows(con, entity.name, months)
    out = []
    for rule, group in rows.groupby("rule", sort=True):
        samples = [
            Sample(
                r.source_file, None if pd.isna(r.source_row) else int(r.source_row), str(r.reason or r.row_json or "")
            )
            for r in group.head(MAX_SAMPLES).itertuples()
        ]
        out.append(
            Failure(
                rule=str(rule),
                severity="error",
                expectation="ingestion: line could not be loaded",
                column=None,
                unexpected_count=len(group),
                samples=samples,
                month=str(group["partition_month"].iloc[0]),
            )
        )
    return out


#: a range is validated a batch of whole months at a time, of about this many rows (a month
#: bigger than that is a batch of its own): a pandas frame of text columns takes a few hundred
#: bytes per row and cell, and all of a scale-10 history at once took 13.7 GB
RAW_ROWS_PER_BATCH = 500_000


def month_batches(rows_per_month: dict[str, int], limit: int) -> list[list[str]]:
    """Consecutive months grouped so that each group holds at most ``limit`` rows (a bigger
    month alone), in the order given."""
    batches: list[list[str]] = []
    rows = 0
    for month, count in rows_per_month.items():
        if batches and rows + count <= limit:
            batches[-1].append(month)
            rows += count
        else:
            batches.append([month])
            rows = count
    return batches


def run_raw_suite(
    con: duckdb.DuckDBPyConnection,
    entity: SourceEntity,
    months: list[str],
    reports_root: Path | None = None,
    *,
    rows_per_batch: int = RAW_ROWS_PER_BATCH,
) -> SuiteOutcome:
    """Validate ``raw.<entity>`` for ``months``; quarantine offending rows; report ingestion errors.

    One month is one validation (rows and freshness together). A range is validated a batch
    of whole months at a time (``month_batches``, ``rows_per_batch``): each batch's offending
    rows are quarantined from its own frame, its months' freshness judged on their summaries,
    and the batches' row validations merged into one (``validation.merge_validations``), so
    the verdict, the counts and the Data Docs page are those of the whole range."""
    started = time.perf_counter()
    config = settings()
    suite = load_suite_json(entity.asset_name)
    outcome = SuiteOutcome(suite["name"], list(months))
    gx = runner()
    name = run_name(months)
    params = run_parameters(months, config)
    days = config.freshness_days_for(entity.name)

    def explain_freshness(v, frame: pd.DataFrame, month: str, fresh_after: pd.Timestamp, latest) -> None:
        for f in v.failures:
            if f.rule.startswith("freshness."):
                f.month = month
                f.unexpected_count = 1
                f.samples = [
                    Sample(
                        _files_of(frame, month),
                        None,
                        f"newest {entity.updated_at} {_ts(latest)}, expected on or after "
                        f"{fresh_after.isoformat()} ({days} days before the end of {month})",
                    )
                ]

    def frame_of(batch: list[str]) -> pd.DataFrame:
        return datasets.with_day_columns(datasets.raw_frame(con, entity, batch), entity, suite)

    validations = []
    if len(months) == 1:
        # one month (closing a month): its freshness is judged on the same frame, one validation
        month = months[0]
        frame = frame_of(months)
        outcome.rows_validated = len(frame)
        fresh_after = pd.Timestamp(freshness_threshold(month, days))
        latest = datasets.month_summary(frame, entity, month)["latest_updated_at"].iloc[0]
        frame["latest_updated_at"] = pd.Series(latest, index=frame.index, dtype="datetime64[ns]")
        v = gx.validate(
            suite, frame, dict(params, fresh_after=fresh_after), batch="rows+month", month=month, run_name=name
        )
        explain_freshness(v, frame, month, fresh_after, latest)
        validations.append(v)
        outcome.failures.extend(v.failures)
        _quarantine(con, entity, months, quarantine_frame(frame, entity, v.failures), outcome)
    else:
        row_validations, month_validations = [], []
        for batch in month_batches(datasets.month_row_counts(con, entity, months), rows_per_batch):
            frame = frame_of(batch)
            outcome.rows_validated += len(frame)
            failures = []
            rows_validation = gx.validate(suite, frame, params, run_name=name)
            if rows_validation is not None:
                for f in rows_validation.failures:
                    if f.row_positions is not None and len(f.row_positions):
                        f.months = sorted(frame.iloc[f.row_positions]["_partition_month"].dt.strftime("%Y-%m").unique())
                row_validations.append(rows_validation)
                failures.extend(rows_validation.failures)
            for month in batch:
                fresh_after = pd.Timestamp(freshness_threshold(month, days))
                summary = datasets.month_summary(frame, entity, month)
                v = gx.validate(
                    suite, summary, dict(params, fresh_after=fresh_after), batch="month", month=month, run_name=name
                )
                if v is not None:
                    explain_freshness(v, frame, month, fresh_after, summary["latest_updated_at"].iloc[0])
                    month_validations.append(v)
            _quarantine(con, entity, batch, quarantine_frame(frame, entity, failures), outcome)
            del frame
        if row_validations:
            merged = merge_validations(row_validations)
            validations.append(merged)
            outcome.failures.extend(merged.failures)
        validations.extend(month_validations)
        outcome.failures.extend(f for v in month_validations for f in v.failures)
    outcome.failures.extend(_ingest_failures(con, entity, months))
    return _finish(outcome, validations, reports_root, started)


def _quarantine(
    con: duckdb.DuckDBPyConnection,
    entity: SourceEntity,
    months: list[str],
    quarantine: pd.DataFrame,
    outcome: SuiteOutcome,
) -> None:
    """Replace the check's quarantine of ``months`` with ``quarantine``'s rows and count them.

    Master data that breaks only a WARN rule is flagged, not set aside: leaving an item or a
    customer out would orphan every fact that references it (``SourceEntity.is_master_data``)."""
    flagged = (quarantine["severity"] == "warn") & entity.is_master_data
    for month in months:
        in_month = quarantine["month"] == month
        rows = quarantine[in_month & ~flagged].drop(columns="month")
        outcome.quarantined_rows += replace_quarantine(con, entity.name, month, "check", rows)
        outcome.flagged_rows += replace_quarantine(
            con, entity.name, month, "flag", quarantine[in_month & flagged].drop(columns="month")
        )


def _files_of(frame: pd.DataFrame, month: str) -> str | None:
    rows = frame[frame["_partition_month"] == pd.Timestamp(month + "-01")]
    files = sorted(rows["_source_file"].dropna().unique())
    return ", ".join(files) if files else None


def _ts(value) -> str:
    return "none (no rows)" if value is None or pd.isna(value) else pd.Timestamp(value).isoformat()


# ------------------------------------------------------------------------------------ marts
#: the key column of the plan-version marts (supply plans): the planning cycle's month
CYCLE_COLUMN = "cycle_month"


def is_plan_version_mart(mart: str) -> bool:
    """A mart that holds every stored plan version, keyed by ``cycle_month``: it is rebuilt whole
    by each run (not partitioned by month), and validated whole."""
    return load_suite_json(f"mart_{mart}")["meta"].get("month_column") == CYCLE_COLUMN


def run_mart_suite(
    con: duckdb.DuckDBPyConnection, mart: str, months: list[str] | None, reports_root: Path | None = None
) -> SuiteOutcome:
    """Validate ``marts.<mart>`` for ``months`` (the whole table when it has no month column).

    A plan-version mart (keyed by ``cycle_month``: one row set per planning cycle) is validated
    whole when ``months`` is None, and its outcome's months are the cycles it holds; given
    months, it is judged on those that hold a cycle, since a verdict on a month with no plan
    would say nothing."""
    started = time.perf_counter()
    suite = load_suite_json(f"mart_{mart}")
    month_column = suite["meta"].get("month_column")
    # the rules on values read their own columns only; the rule on the columns judges the table
    columns = columns_of_values(suite)
    if columns is not None and month_column:
        columns.add(month_column)  # the months judged, and a plan-version mart's cycles
    if months is None:
        frame = datasets.mart_frame(con, mart, None, [], columns)
        months = []
    else:
        frame = datasets.mart_frame(con, mart, month_column, months, columns)
    if month_column == CYCLE_COLUMN and len(frame):
        planned = sorted(set(pd.to_datetime(frame[month_column]).dt.strftime("%Y-%m")))
        months = [m for m in months if m in planned] if months else planned
    outcome = SuiteOutcome(suite["name"], list(months))
    outcome.rows_validated = len(frame)
    if not months:  # nothing stored yet: no plan version to judge
        return _finish(outcome, [], reports_root, started)
    gx, params, name = runner(), run_parameters(months), run_name(months)
    if columns is None:
        validations = [gx.validate(suite, frame, params, run_name=name)]
    else:
        schema = datasets.table_schema_frame(con, f"marts.{mart}")
        parts = [(schema, "schema"), (frame, "values")]
        validations = [v for part, batch in parts if (v := gx.validate(suite, part, params, batch, run_name=name))]
    for v in validations:
        for f in v.failures:
            f.samples = [Sample(f"marts.{mart}", None, s.value) for s in f.samples]
        outcome.failures.extend(v.failures)
    return _finish(outcome, validations, reports_root, started)


# ------------------------------------------------------------------------------------ accuracy
def run_accuracy_suite(
    con: duckdb.DuckDBPyConnection, name: str, months: list[str], reports_root: Path | None = None
) -> SuiteOutcome:
    """Validate the computed frame of accuracy suite ``name`` for ``months``."""
    started = time.perf_counter()
    suite = load_suite_json(name)
    outcome = SuiteOutcome(suite["name"], list(months))
    frame = ACCURACY_FRAMES[name](con, months)
    outcome.rows_validated = len(frame)
    v = runner().validate(suite, frame, run_parameters(months), run_name=run_name(months))
    for f in v.failures:
        f.samples = _accuracy_samples(name, frame, f)
        f.unexpected_count = _accuracy_count(name, frame, f)
    outcome.failures.extend(v.failures)
    return _finish(outcome, [v], reports_root, started)


def accuracy_offenders(name: str, frame: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
    """The rows of an accuracy frame that break its rule (the same bounds the suite uses)."""
    p = params or run_parameters(sorted(set(frame["month"])) or ["2000-01"])
    if name == "bookings_vs_order_intake":
        return frame[frame["relative_difference"].abs() > p["bookings_max_relative_difference"]]
    if name == "invoice_headers_vs_lines":
        return frame[frame["lines_total"].isna() | (frame["difference"].abs() > p["invoice_max_abs_difference"])]
    if name == "fx_rate_coverage":
        return frame[frame["usd_per_unit"].isna()]
    if name == "mart_totals_vs_raw":
        return frame[frame["difference_usd"].abs() > p["mart_max_abs_difference_usd"]]
    raise KeyError(name)


def _accuracy_count(name: str, frame: pd.DataFrame, failure: Failure) -> int:
    return max(len(accuracy_offenders(name, frame)), 1)


def _accuracy_samples(name: str, frame: pd.DataFrame, failure: Failure) -> list[Sample]:
    bad = accuracy_offenders(name, frame).head(MAX_SAMPLES)
    out = []
    for r in bad.to_dict("records"):
        if name == "bookings_vs_order_intake":
            value = (
                f"{r['month']} {r['currency_code']}: CRM closed won {r['crm_closed_won']:,.2f} {r['currency_code']} "
                "vs ERP order "
                f"intake {r['erp_order_intake']:,.2f} {r['currency_code']} over {r['matched']} of "
                f"{r['won_opportunities']} won deals ({r['relative_difference']:+.1%})"
            )
            out.append(Sample(None, None, value))
        elif name == "invoice_headers_vs_lines":
            value = (
                f"invoice {r['invoice_number']}: total_amount = {r['total_amount']} vs lines "
                f"{r['lines_total']} {r['currency_code']}"
            )
            out.append(Sample(r["_source_file"], int(r["_source_row"]), value))
        elif name == "fx_rate_coverage":
            out.append(
                Sample(None, None, f"{r['month']}: no usd_per_unit for {r['currency_code']} (used by {r['used_by']})")
            )
        else:
            out.append(
                Sample(
                    None, None, f"{r['month']} {r['measure']}: mart {r['mart_usd']:,.2f} vs raw {r['raw_usd']:,.2f} USD"
                )
            )
    return out or failure.samples


# ------------------------------------------------------------------------------------ all suites
def run_all_suites(
    con: duckdb.DuckDBPyConnection, months: list[str], reports_root: Path | None = None
) -> list[SuiteOutcome]:
    """Every suite of ``expectations/suites.yml`` for ``months``, in the order a run meets them:
    raw entities, the cross-table controls, then the marts (for benchmarks and re-checks)."""
    import yaml

    from orchestration.quality.suite_builder import MAPPING_FILE
    from orchestration.sources import BY_NAME

    mapping = yaml.safe_load(Path(MAPPING_FILE).read_text())["suites"]
    raw = {e.asset_name: e for e in BY_NAME.values()}
    outcomes = [run_raw_suite(con, raw[name], months, reports_root) for name in mapping if name in raw]
    outcomes += [
        run_accuracy_suite(con, name, months, reports_root) for name, spec in mapping.items() if "reads" in spec
    ]
    outcomes += [
        run_mart_suite(con, spec["asset"], months, reports_root)
        for name, spec in mapping.items()
        if name not in raw and "reads" not in spec
    ]
    return outcomes
