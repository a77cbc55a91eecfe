"""Run a suite of ``expectations/`` on a DataFrame with Great Expectations and explain the result.

One GX context per process (ephemeral: nothing is written but the Data Docs site), suites
parsed and validation definitions built once per process, progress bars off: GX's fixed cost
is paid per expectation, not per run. Results are ``BASIC`` (observed values, unexpected
counts and a few unexpected values: what the Data Docs pages show) and carry the run's name
(its months, ``data_docs.run_name``). The result becomes ``Failure``s: rule, severity,
column, expectation, unexpected count and up to five sample rows (file and data row of the
extract, the offending value). Row-level failures also name every offending row so the
caller can quarantine them; the rows are found again with the same rule as a pandas filter
(cheaper than asking GX for complete index lists on every run, and only done on failure).
"""

from __future__ import annotations

import copy
import json
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from orchestration.quality.data_docs import PAGE_SITE_ROOT, write_page
from orchestration.quality.suite_builder import SUITES_DIR

MAX_SAMPLES = 5
#: what GX returns per expectation, and Data Docs show: the observed value (aggregates), the
#: unexpected count and percent and up to 20 unexpected values (row rules). BOOLEAN_ONLY left
#: every observed value at "--"; SUMMARY adds value counts and index lists for about twice
#: BASIC's extra cost, and the failures' samples come from the rows found again anyway.
RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 20}

_lock = threading.RLock()

#: expectations about a table's columns, not its values: judged on the table's schema alone
#: (``datasets.table_schema_frame``), so a mart's values can be read column by column
SCHEMA_EXPECTATIONS = frozenset({"expect_table_columns_to_match_set"})


def expectation_part(expectation: dict) -> str:
    """The part of its suite an expectation belongs to: ``schema`` or ``values`` (together the
    ``rows`` batch: the rows of the run's months) or ``month`` (a month's one-row summary)."""
    batch = expectation["meta"].get("batch", "rows")
    if batch != "rows":
        return batch
    return "schema" if expectation["type"] in SCHEMA_EXPECTATIONS else "values"


def batch_parts(batch: str) -> set[str]:
    """The parts a batch name stands for: ``rows`` is ``schema`` and ``values``; names join with ``+``."""
    parts: set[str] = set()
    for name in batch.split("+"):
        parts |= {"schema", "values"} if name == "rows" else {name}
    return parts


def columns_of_values(suite_json: dict) -> set[str] | None:
    """The columns the ``values`` part of a suite reads, or None when a rule filters rows with a
    condition (which may name any column): then the whole table is needed."""
    columns: set[str] = set()
    for e in suite_json["expectations"]:
        if expectation_part(e) != "values":
            continue
        kwargs = e["kwargs"]
        if kwargs.get("row_condition"):
            return None
        columns.update(v for k in ("column", "column_A", "column_B") if isinstance(v := kwargs.get(k), str))
        columns.update(kwargs.get("column_list") or [])
    return columns


_gx_property = None


def gx_configuration_property() -> property:
    """GX's own ``Expectation.configuration`` property, as GX defines it."""
    global _gx_property
    if _gx_property is None:
        from great_expectations.expectations.expectation import Expectation

        _gx_property = Expectation.__dict__["configuration"]
    return _gx_property


@contextmanager
def one_configuration_per_expectation() -> Iterator[None]:
    """Within the block, each expectation builds its configuration once.

    GX 1.x's ``Expectation.configuration`` is a property that dumps the pydantic model into a
    new ``ExpectationConfiguration`` on every read, and validating a suite reads it about 50
    times per expectation (once per domain, success and runtime keyword): a third of a raw
    suite's validation time. An expectation does not change while it is validated, so the
    first configuration is kept per object for the block and GX's property is put back after
    it, whatever happens (``tests/unit/test_gx_configuration_memo.py`` proves the results equal
    GX's own). Callers hold ``_lock``: the property is the class's, shared by every thread."""
    from great_expectations.expectations.expectation import Expectation

    gx_property = gx_configuration_property()
    kept: dict[int, tuple[object, object]] = {}

    def configuration(self):
        hit = kept.get(id(self))
        if hit is None or hit[0] is not self:
            hit = kept[id(self)] = (self, gx_property.fget(self))
        return hit[1]

    Expectation.configuration = property(configuration, doc=gx_property.__doc__)
    try:
        yield
    finally:
        Expectation.configuration = gx_property


@dataclass
class Sample:
    source_file: str | None
    source_row: int | None
    value: str

    def as_dict(self) -> dict:
        return {"source_file": self.source_file, "source_row": self.source_row, "value": self.value}


@dataclass
class Failure:
    rule: str
    severity: str
    expectation: str
    column: str | None
    unexpected_count: int
    samples: list[Sample] = field(default_factory=list)
    month: str | None = None
    #: positions (in the validated frame) of every offending row, for row-level rules
    row_positions: np.ndarray | None = None
    #: the months (``YYYY-MM``) of the offending rows, when a range was validated at once
    months: list[str] | None = None
    #: what is wrong with each offending row (same order as ``row_positions``), when the rule
    #: compares columns (the quarantine's reason); None: ``<column> = <value> breaks <rule>``
    row_reasons: list[str] | None = None

    def as_dict(self) -> dict:
        return {
            "rule": self.rule,
            "expectation": self.expectation,
            "column": self.column,
            "severity": self.severity,
            "unexpected_count": int(self.unexpected_count),
            "samples": [s.as_dict() for s in self.samples[:MAX_SAMPLES]],
        }


@dataclass
class Validation:
    """The outcome of one GX validation: its failures and the id Data Docs know it by."""

    suite: str
    success: bool
    failures: list[Failure]
    result: object  # ExpectationSuiteValidationResult
    expectations: int
    #: the part of the suite validated (``rows``, ``month``, ``rows+month``, ``schema`` or
    #: ``values``) and its month, if one
    batch: str = "rows"
    month: str | None = None


def load_suite_json(name: str, suites_dir: Path = SUITES_DIR) -> dict:
    path = Path(suites_dir) / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(
            f"no suite {name!r}: expected {path}; run `python -m orchestration.quality.suite_builder --write`"
        )
    return json.loads(path.read_text())


class GxRunner:
    """A GX ephemeral context with the project's suites, reused for every validation of the process."""

    def __init__(self) -> None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        self.gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        asset = self.context.data_sources.add_pandas("sop_quality").add_dataframe_asset("frames")
        self._asset = asset
        self._definitions: dict[str, object] = {}

    def _definition(self, suite_json: dict, batch: str):
        """The validation definition of the expectations of ``suite_json`` run on ``batch``.

        ``batch`` is ``rows`` (the rows of the run's months), ``month`` (a one-row summary of a
        month) or ``rows+month`` (both kinds on the rows of a single month, whose summary
        columns are added to every row: one validation instead of two); ``schema`` and
        ``values`` are the two halves of ``rows`` (``batch_parts``), for a mart whose values are
        read without the columns no rule uses."""
        from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

        # a whole suite keeps its own name in Data Docs; a part of one is named after the part
        parts = batch_parts(batch)
        whole = {expectation_part(e) for e in suite_json["expectations"]} <= parts
        name = suite_json["name"] if whole else f"{suite_json['name']}.{batch}"
        if name in self._definitions:
            return self._definitions[name]
        exps = [
            ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e["meta"]).to_domain_obj()
            for e in suite_json["expectations"]
            if expectation_part(e) in parts
        ]
        if not exps:
            self._definitions[name] = None
            return None
        suite = self.context.suites.add(self.gx.ExpectationSuite(name=name, expectations=exps, meta=suite_json["meta"]))
        batch_definition = self._asset.add_batch_definition_whole_dataframe(name)
        definition = self.context.validation_definitions.add(
            self.gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
        )
        self._definitions[name] = definition
        return definition

    def validate(
        self,
        suite_json: dict,
        frame: pd.DataFrame,
        parameters: dict,
        batch: str = "rows",
        month: str | None = None,
        run_name: str | None = None,
    ) -> Validation | None:
        """Validate ``frame`` against the ``batch`` part of the suite; None if that part is empty.

        ``run_name`` names the GX run (``data_docs.run_name`` of the run's months)."""
        from great_expectations.core.run_identifier import RunIdentifier

        with _lock:
            definition = self._definition(suite_json, batch)
            if definition is None:
                return None
            run_id = RunIdentifier(run_name=run_name, run_time=datetime.now(timezone.utc))
            with one_configuration_per_expectation():
                result = definition.run(
                    batch_parameters={"dataframe": frame},
                    expectation_parameters=parameters,
                    result_format=RESULT_FORMAT,
                    run_id=run_id,
                )
            self._forget(result)
        failures = [explain(r, frame, parameters, month) for r in result.results if not r.success]
        return Validation(
            suite_json["name"], bool(result.success), failures, result, len(result.results), batch=batch, month=month
        )

    def _forget(self, result) -> None:
        """Drop a result from the context's in-memory store (pages are rendered from the result itself)."""
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        key = ValidationResultIdentifier(
            batch_identifier=_batch_id(result),
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
            run_id=result.meta["run_id"],
        )
        try:
            self.context.validation_results_store.remove_key(key)
        except Exception:  # noqa: BLE001 - not stored, or already gone
            pass

    def build_data_docs(self, site_dir: Path, validations: list[Validation]) -> Path:
        """Write the Data Docs page of one check (``validations/<suite>.html``) to the site in ``site_dir``.

        All validations of the check (a range run validates the rows once and each month's
        summary) go on the suite's one page (``page_result``), which replaces the suite's
        previous one. Returns the page. The index is the caller's (``data_docs.update_index``)."""
        from orchestration.quality.gx_page_view import render_validation_page

        site_dir = Path(site_dir)
        suite = validations[0].suite
        with _lock:
            page_html = render_validation_page(
                page_result(validations),
                site_root=PAGE_SITE_ROOT,
                site_title=f"Data quality checks, {site_dir.parent.name}",
            )
        return write_page(site_dir, suite, page_html)


def merge_validations(validations: list[Validation]) -> Validation:
    """One validation of a suite's part from its validations on consecutive batches of rows.

    A range is validated a batch of whole months at a time so that memory stays bounded
    (``engine.run_raw_suite``); every raw rule is judged within a row or a month (keys include
    ``_partition_month``), so the batches' verdicts add up to the range's. Each expectation's
    results are merged by position: counts summed, percents recomputed as GX computes them,
    the first unexpected values kept; its failures likewise (``_merged_failure``)."""
    if len(validations) == 1:
        return validations[0]
    first = validations[0]
    count = len(first.result.results)
    results = [_merged_expectation_result([v.result.results[i] for v in validations]) for i in range(count)]
    by_position = [_failures_by_position(v) for v in validations]
    failures = [
        _merged_failure([failed[i] for failed in by_position if i in failed])
        for i in range(count)
        if any(i in failed for failed in by_position)
    ]
    passed = sum(1 for r in results if r.success)
    result = copy.copy(first.result)
    result.results = results
    result.success = all(v.success for v in validations)
    result.statistics = {
        "evaluated_expectations": count,
        "successful_expectations": passed,
        "unsuccessful_expectations": count - passed,
        "success_percent": 100.0 * passed / count if count else None,
    }
    return Validation(first.suite, result.success, failures, result, count, batch=first.batch, month=first.month)


def _failures_by_position(validation: Validation) -> dict[int, Failure]:
    """A validation's failures by their expectation's position (``validate`` explains failed results in order)."""
    failed = [i for i, r in enumerate(validation.result.results) if not r.success]
    return dict(zip(failed, validation.failures, strict=True))


def _merged_expectation_result(results: list):
    """One expectation's results on several batches as the result GX gives on all their rows."""
    base = next((r for r in results if not r.success), results[0])
    merged = copy.copy(base)
    merged.success = all(r.success for r in results)
    summaries = [r.result or {} for r in results]
    summary = dict(base.result or {})
    if all(s.get("element_count") is not None for s in summaries):
        n = summary["element_count"] = sum(s["element_count"] for s in summaries)
        unexpected = None
        if all(s.get("unexpected_count") is not None for s in summaries):
            unexpected = summary["unexpected_count"] = sum(s["unexpected_count"] for s in summaries)
        total = unexpected / n * 100 if unexpected is not None and n > 0 else None
        if "missing_count" in summary:  # GX's ``_format_map_output``, when nulls are counted apart
            missing = summary["missing_count"] = sum(s.get("missing_count") or 0 for s in summaries)
            nonnull = n - missing
            summary["missing_percent"] = missing / n * 100 if total is not None else None
            nonmissing = unexpected / nonnull * 100 if total is not None and nonnull > 0 else None
            summary["unexpected_percent_total"] = total
            summary["unexpected_percent_nonmissing"] = nonmissing
            summary["unexpected_percent"] = nonmissing
        elif "unexpected_percent" in summary:
            summary["unexpected_percent"] = total
    if "partial_unexpected_list" in summary:
        values = [v for s in summaries for v in s.get("partial_unexpected_list") or []]
        summary["partial_unexpected_list"] = values[: RESULT_FORMAT["partial_unexpected_count"]]
    merged.result = summary
    raised = next((r for r in results if r.exception_info and r.exception_info.get("raised_exception")), None)
    if raised is not None:
        merged.exception_info = raised.exception_info
    return merged


def _merged_failure(parts: list[Failure]) -> Failure:
    """One rule's failures on several batches: counts added (a table-level rule counts once),
    the first samples, the months of every offending row. Row positions are per batch and
    stay with it (the engine quarantines each batch's rows from its own frame)."""
    row_level = any(f.row_positions is not None for f in parts)
    months = sorted({m for f in parts for m in (f.months or ([f.month] if f.month else []))})
    return replace(
        parts[0],
        unexpected_count=sum(f.unexpected_count for f in parts)
        if row_level
        else max(f.unexpected_count for f in parts),
        samples=[s for f in parts for s in f.samples][:MAX_SAMPLES],
        months=months or None,
        row_positions=None,
        row_reasons=None,
    )


def page_result(validations: list[Validation]):
    """The results of a check's validations as one ``ExpectationSuiteValidationResult`` named after the suite.

    Results of a month's summary (range runs) are described with their month (GX shows an
    expectation's description instead of its own sentence), so the page tells the months
    apart; a row rule that had no value to judge says so instead of GX's "--". The run (name
    and time) is the first validation's."""
    from great_expectations.core import ExpectationSuiteValidationResult

    results = []
    for v in validations:
        for r in v.result.results:
            if v.month and v.batch == "month" and r.expectation_config is not None:
                r = copy.copy(r)
                r.expectation_config = copy.copy(r.expectation_config)
                r.expectation_config.description = _month_description(r.expectation_config, v.month)
            nothing = _nothing_observed(r.result or {})
            if nothing:
                r = copy.copy(r)
                r.result = dict(r.result, observed_value=nothing)
            results.append(r)
    passed = sum(1 for r in results if r.success)
    first = validations[0].result
    return ExpectationSuiteValidationResult(
        success=all(v.success for v in validations),
        results=results,
        suite_name=validations[0].suite,
        suite_parameters=first.suite_parameters,
        statistics={
            "evaluated_expectations": len(results),
            "successful_expectations": passed,
            "unsuccessful_expectations": len(results) - passed,
            "success_percent": 100.0 * passed / len(results) if results else None,
        },
        meta=copy.copy(first.meta),
        batch_id=first.batch_id,
    )


def _month_description(config, month: str) -> str:
    """``2024-03: values of latest_updated_at must be at least 2024-02-25 00:00:00``: a month's rule, month first."""
    kwargs = config.kwargs
    bounds = [
        f"{word} {kwargs[key]}"
        for key, word in (("min_value", "at least"), ("max_value", "at most"))
        if kwargs.get(key) is not None
    ]
    subject = f"values of {kwargs['column']}" if kwargs.get("column") else "the month's summary"
    if bounds:
        return f"{month}: {subject} must be {' and '.join(bounds)}"
    return f"{month}: {config.type.removeprefix('expect_').replace('_', ' ')} ({subject})"


def _nothing_observed(summary: dict) -> str | None:
    """``no rows`` or ``null`` for a row rule that had no value to judge (GX renders "--"), else None."""
    if summary.get("observed_value") is not None or summary.get("unexpected_percent") is not None:
        return None
    count = summary.get("element_count")
    if count is None or summary.get("missing_count", 0) < count:
        return None
    return "no rows" if count == 0 else "null" if count == 1 else f"all {count:,} values null"


def _batch_id(result) -> str:
    """The batch id GX stores a validation result under (``<datasource>-<asset>``)."""
    batch = result.meta["active_batch_definition"]
    return f"{batch['datasource_name']}-{batch['data_asset_name']}"


@lru_cache(maxsize=1)
def runner() -> GxRunner:
    """The process-wide runner (GX context and suites are built once)."""
    return GxRunner()


# ---------------------------------------------------------------------------- explaining results
def _resolve(value, parameters: dict):
    if isinstance(value, dict) and "$PARAMETER" in value:
        return parameters[value["$PARAMETER"]]
    return value


def offending_mask(expectation_type: str, kwargs: dict, frame: pd.DataFrame, parameters: dict) -> pd.Series | None:
    """The rows of ``frame`` that break a row-level expectation (the same rule GX applies)."""
    if expectation_type == "expect_compound_columns_to_be_unique":
        cols = kwargs["column_list"]
        return frame.duplicated(cols, keep=False) & frame[cols].notna().all(axis=1)
    if expectation_type == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = kwargs["column_A"], kwargs["column_B"]
        if a not in frame.columns or b not in frame.columns:
            return None
        both = frame[a].notna() & frame[b].notna()
        ordered = frame[a] >= frame[b] if kwargs.get("or_equal") else frame[a] > frame[b]
        bad = both & ~ordered
        condition = kwargs.get("row_condition")
        if isinstance(condition, dict):  # GX keeps a pandas condition string as a pass-through filter
            condition = condition.get("pass_through_filter")
        if condition:
            bad &= frame.eval(condition).astype(bool)
        return bad
    column = kwargs.get("column")
    if column not in frame.columns:
        return None
    values = frame[column]
    present = values.notna()
    if expectation_type == "expect_column_values_to_not_be_null":
        return ~present
    if expectation_type == "expect_column_values_to_be_unique":
        return values.duplicated(keep=False) & present
    if expectation_type == "expect_column_values_to_match_regex":
        pattern = re.compile(kwargs["regex"])
        return present & ~values.astype(str).map(lambda v: bool(pattern.search(v)))
    if expectation_type == "expect_column_values_to_be_in_set":
        return present & ~values.isin(kwargs["value_set"])
    if expectation_type == "expect_column_values_to_be_between":
        low, high = _resolve(kwargs.get("min_value"), parameters), _resolve(kwargs.get("max_value"), parameters)
        bad = pd.Series(False, index=frame.index)
        if low is not None:
            bad |= present & (values < low)
        if high is not None:
            bad |= present & (values > high)
        return bad
    if expectation_type == "expect_column_min_to_be_between":
        low = _resolve(kwargs.get("min_value"), parameters)
        return present & (values < low) if low is not None else None
    if expectation_type == "expect_column_max_to_be_between":
        high = _resolve(kwargs.get("max_value"), parameters)
        return present & (values > high) if high is not None else None
    if expectation_type == "expect_column_values_to_be_in_type_list":
        return pd.Series(str(values.dtype) not in kwargs["type_list"], index=frame.index)
    return None


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return "NULL"
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _day(number) -> str:
    """A day number of ``datasets.day_numbers`` as ``YYYY-MM-DD``."""
    return date.fromordinal(int(number)).isoformat()


def _extract_month_reason(meta: dict, frame: pd.DataFrame, pos: int) -> str:
    """``StartDate 2023-01-01 is 12 months after the extract month 2022-01 (allowed: within the month)``."""
    column = meta["column"]
    value_column = f"{column}__value" if f"{column}__value" in frame.columns else column
    value = frame[value_column].iloc[pos]
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        value = value.strftime("%Y-%m-%d")  # a date: no time of day
    offset = frame[f"{column}__months_from_extract"].iloc[pos]
    month = pd.Timestamp(frame["_partition_month"].iloc[pos]).strftime("%Y-%m")
    before, after = meta["extract_window"]
    n = int(abs(offset))
    where = f"{n} month{'s' if n != 1 else ''} {'after' if offset > 0 else 'before'}"
    if before == 0 and after == 0:
        allowed = "within the month"
    else:
        allowed = ", ".join(
            filter(
                None,
                [
                    "any time before"
                    if before is None
                    else (f"up to {before} month(s) before" if before else "not before it"),
                    "any time after"
                    if after is None
                    else (f"up to {after} month(s) after" if after else "not after it"),
                ],
            )
        )
    return f"{column} {_cell(value)} is {where} the extract month {month} (allowed: {allowed})"


def explain(result, frame: pd.DataFrame, parameters: dict, month: str | None) -> Failure:
    """Turn one failed GX expectation result into a ``Failure`` with counts and sample rows."""
    config = result.expectation_config
    meta = config.meta or {}
    kwargs = dict(config.kwargs)
    column = meta.get("column") or kwargs.get("column")
    summary = result.result or {}
    count = summary.get("unexpected_count")
    failure = Failure(
        rule=meta.get("rule", config.type),
        severity=meta.get("severity", "error"),
        expectation=config.type,
        column=column,
        unexpected_count=int(count) if count is not None else 0,
        month=month,
    )
    if result.exception_info and result.exception_info.get("raised_exception"):
        failure.samples.append(
            Sample(None, None, f"GX could not evaluate: {result.exception_info.get('exception_message')}")
        )
        failure.unexpected_count = failure.unexpected_count or 1
        return failure
    if meta.get("row_level"):
        mask = offending_mask(config.type, kwargs, frame, parameters)
        if mask is not None and mask.any():
            positions = np.flatnonzero(mask.to_numpy())
            failure.row_positions = positions
            # the rows quarantined: GX's own count may treat nulls or key parts differently
            failure.unexpected_count = len(positions)
            shown = [
                c
                for c in (kwargs.get("column_list") or [meta.get("column") or kwargs.get("column")])
                if c in frame.columns and c != "_partition_month"
            ]
            if "extract_window" in meta:  # values.in_extract_month: the date, its extract month, the window
                failure.row_reasons = [_extract_month_reason(meta, frame, pos) for pos in positions]
            if "earlier" in meta and "later" in meta:  # values.dates_ordered: both dates, by day
                later, earlier = frame[kwargs["column_A"]].to_numpy(), frame[kwargs["column_B"]].to_numpy()
                failure.row_reasons = [
                    f"{meta['later']} {_day(later[pos])} is before {meta['earlier']} {_day(earlier[pos])}"
                    for pos in positions
                ]
            for i, pos in enumerate(positions[:MAX_SAMPLES]):
                row = frame.iloc[pos]
                if failure.row_reasons is not None:
                    value = failure.row_reasons[i]
                else:
                    value = ", ".join(f"{c} = {_cell(row[c])}" for c in shown)
                failure.samples.append(
                    Sample(
                        row.get("_source_file") if "_source_file" in frame.columns else None,
                        int(row["_source_row"])
                        if "_source_row" in frame.columns and pd.notna(row["_source_row"])
                        else None,
                        value,
                    )
                )
            return failure
    # table-level rule (or nothing found again): show what GX observed
    observed = summary.get("observed_value")
    if observed is None and config.type == "expect_table_columns_to_match_set":
        observed = summary.get("details", {}).get("mismatched")
    if config.type == "expect_table_columns_to_match_set":
        missing = sorted(set(kwargs["column_set"]) - set(frame.columns))
        extra = sorted(set(frame.columns) - set(kwargs["column_set"])) if kwargs.get("exact_match") else []
        observed = "; ".join(filter(None, [missing and f"missing {missing}", extra and f"unexpected {extra}"]))
    value = f"{column} observed {_cell(observed)}" if column else _cell(observed)
    bounds = [b for b in (kwargs.get("min_value"), kwargs.get("max_value")) if b is not None]
    if bounds:
        low = _cell(_resolve(kwargs.get("min_value"), parameters)) if kwargs.get("min_value") is not None else "-inf"
        high = _cell(_resolve(kwargs.get("max_value"), parameters)) if kwargs.get("max_value") is not None else "+inf"
        value += f", expected between {low} and {high}"
    failure.samples.append(Sample(None, None, value))
    failure.unexpected_count = failure.unexpected_count or 1
    return failure
