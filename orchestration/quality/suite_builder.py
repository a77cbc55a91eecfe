"""Generate the default Great Expectations suites from the source catalog and the dbt marts.

One suite per raw entity (``raw_<system>_<entity>``), one per BI-facing mart (every model
under ``dbt_project/models/marts/`` with an enforced contract: ``mart_<model>``) and one per
cross-table accuracy rule. Each expectation carries its rule in ``meta``:
``{"rule": ..., "severity": "error"|"warn", "row_level": bool, "column": ...}``; values that
depend on the month are ``{"$PARAMETER": ...}`` references filled in at run time (see
``orchestration.quality.checks_file.run_parameters``). Expectations with
``meta.batch == "month"`` (freshness) judge each month's newest update: on a one-row summary
per month when a run covers several months, on the rows themselves (summary column added) when
it covers one; the rest run on the rows of the run's months.

Also writes ``expectations/suites.yml``: which suite checks which Dagster asset, under which
check name, and what else it reads.

    python -m orchestration.quality.suite_builder --write   # regenerate expectations/
    python -m orchestration.quality.suite_builder --check   # exit 1 if they are out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from orchestration.quality.checks_file import (
    EXPECTATIONS_DIR,
    DatePair,
    QualitySettings,
    dbt_reference_lists,
    latest_date_parameter,
    settings,
)
from orchestration.settings import DBT_PROJECT_DIR
from orchestration.sources import CATALOG, SourceEntity

SUITES_DIR = EXPECTATIONS_DIR / "suites"
MAPPING_FILE = EXPECTATIONS_DIR / "suites.yml"
MARTS_DIR = DBT_PROJECT_DIR / "models" / "marts"

#: Regular expressions the CSV text of each catalog type must match (empty cells are NULL).
TYPE_PATTERNS = {
    "integer": r"^-?\d+$",
    "decimal": r"^-?\d+(?:\.\d+)?$",
    "date": r"^\d{4}-\d{2}-\d{2}$",
    "timestamp": r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?$",
    "boolean": r"^(?:true|false)$",
}
CURRENCY_COLUMNS = ("CurrencyIsoCode", "currency_code")
REGION_COLUMNS = ("Region__c", "region_code")
STAGE_COLUMNS = ("StageName",)

#: The cross-table accuracy suites: name -> (asset checked, assets also read, description)
ACCURACY_SUITES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "bookings_vs_order_intake": (
        "raw_crm_opportunities",
        ("raw_crm_opportunity_line_items", "raw_erp_sales_order_lines"),
        "CRM closed-won amounts of the month match the ERP order lines of the same opportunities",
    ),
    "invoice_headers_vs_lines": (
        "raw_erp_invoices",
        ("raw_erp_invoice_lines",),
        "every invoice header total equals the sum of its lines",
    ),
    "fx_rate_coverage": (
        "raw_market_fx_rates",
        (
            "raw_crm_opportunities",
            "raw_crm_opportunity_line_items",
            "raw_crm_quotas",
            "raw_erp_sales_order_lines",
            "raw_erp_invoices",
            "raw_erp_invoice_lines",
        ),
        "an FX rate exists for every currency and month the transactions use",
    ),
    "mart_totals_vs_raw": (
        "revenue_by_region_family_monthly",
        (
            "raw_crm_opportunities",
            "raw_crm_opportunity_line_items",
            "raw_erp_sales_order_lines",
            "raw_erp_invoice_lines",
            "raw_market_fx_rates",
        ),
        "bookings, orders and billings of the mart equal the raw totals at the month's rate",
    ),
}


def _exp(
    type_: str,
    rule: str,
    config: QualitySettings,
    *,
    row_level: bool,
    about: str | None = None,
    batch: str = "rows",
    **kwargs,
) -> dict:
    """One expectation; ``about`` is the source column a failure is reported under (default: ``column``)."""
    meta = {"rule": rule, "severity": config.severity(rule), "row_level": row_level}
    about = about if about is not None else kwargs.get("column")
    if about is not None:
        meta["column"] = about
    if batch != "rows":
        meta["batch"] = batch
    return {"type": type_, "kwargs": kwargs, "meta": meta}


def value_column(entity: SourceEntity, column: str) -> str:
    """The frame column holding ``column`` as a typed value (CSV text is parsed alongside)."""
    return f"{column}__value" if entity.file_format == "csv" else column


def day_column(column: str) -> str:
    """The frame column holding ``column`` as a day number (timestamps cut to their date), for
    comparing two dates by day; the engine adds it (``datasets.with_day_columns``)."""
    return f"{column}__day"


def dates_ordered_expectation(entity: SourceEntity, pair: DatePair, config: QualitySettings) -> dict:
    """values.dates_ordered: the ``later`` date of a row is not before its ``earlier`` one (by day)."""
    types = {c.name: c.type for c in entity.columns}
    for name in (pair.earlier, pair.later, *(c for c, _ in pair.when)):
        if name not in types:
            raise KeyError(f"dates_ordered.{entity.name}: {name!r} is not a column of {entity.name}")
    for name in (pair.earlier, pair.later):
        if types[name] not in ("date", "timestamp"):
            raise ValueError(f"dates_ordered.{entity.name}: {name!r} is not a date or timestamp column")
    kwargs: dict = {
        "column_A": day_column(pair.later),
        "column_B": day_column(pair.earlier),
        "or_equal": True,
        "ignore_row_if": "either_value_is_missing",
    }
    if pair.when:

        def literal(column: str, value: str) -> str:
            if entity.file_format != "csv" and types[column] == "boolean":
                return "True" if value == "true" else "False"
            return json.dumps(value)

        kwargs["row_condition"] = " and ".join(f"`{c}` == {literal(c, v)}" for c, v in pair.when)
        kwargs["condition_parser"] = "pandas"
    exp = _exp(
        "expect_column_pair_values_a_to_be_greater_than_b",
        "values.dates_ordered",
        config,
        row_level=True,
        about=pair.later,
        **kwargs,
    )
    exp["meta"].update({"earlier": pair.earlier, "later": pair.later})
    return exp


def months_from_extract_column(column: str) -> str:
    """The frame column holding how many months ``column``'s date lies after the row's extract month
    (negative: before it); the engine adds it (``datasets.with_day_columns``)."""
    return f"{column}__months_from_extract"


def in_extract_month_expectation(
    entity: SourceEntity, column: str, bounds: tuple[int | None, int | None], config: QualitySettings
) -> dict:
    """values.in_extract_month: a business date lies within ``before`` months before and ``after``
    months after the month whose extract delivered the row."""
    types = {c.name: c.type for c in entity.columns}
    if column not in types:
        raise KeyError(f"in_extract_month.{entity.name}: {column!r} is not a column of {entity.name}")
    if types[column] not in ("date", "timestamp"):
        raise ValueError(f"in_extract_month.{entity.name}: {column!r} is not a date or timestamp column")
    before, after = bounds
    kwargs: dict = {"column": months_from_extract_column(column)}
    if before is not None:
        kwargs["min_value"] = -before
    if after is not None:
        kwargs["max_value"] = after
    exp = _exp(
        "expect_column_values_to_be_between", "values.in_extract_month", config, row_level=True, about=column, **kwargs
    )
    exp["meta"]["extract_window"] = [before, after]
    return exp


def raw_suite(entity: SourceEntity, config: QualitySettings) -> dict:
    """The suite of one raw entity: schema, keys, validity and freshness of a month's rows."""
    lists = dbt_reference_lists()
    exps = [
        _exp(
            "expect_table_columns_to_match_set",
            "schema.required_columns",
            config,
            row_level=False,
            column_set=list(entity.column_names),
            exact_match=False,
        )
    ]
    for col in entity.columns:
        if entity.file_format == "csv":
            if col.type in TYPE_PATTERNS:
                exps.append(
                    _exp(
                        "expect_column_values_to_match_regex",
                        "schema.types",
                        config,
                        row_level=True,
                        column=col.name,
                        regex=TYPE_PATTERNS[col.type],
                    )
                )
        # Parquet columns are typed by the raw table itself: a load whose values do not cast to
        # the catalog type fails ingestion with rule schema.types, so there is nothing to re-check
    for col in entity.columns:
        if col.nullable:
            continue
        rule = "keys.not_null" if col.name in entity.key else "values.not_null"
        exps.append(_exp("expect_column_values_to_not_be_null", rule, config, row_level=True, column=col.name))
    exps.append(
        _exp(
            "expect_compound_columns_to_be_unique",
            "keys.unique",
            config,
            row_level=True,
            about=", ".join(entity.key),
            column_list=[*entity.key, "_partition_month"],
        )
    )
    for col in entity.columns:
        if col.name in CURRENCY_COLUMNS:
            exps.append(
                _exp(
                    "expect_column_values_to_be_in_set",
                    "values.allowed_currency",
                    config,
                    row_level=True,
                    column=col.name,
                    value_set=lists["currency_codes"],
                )
            )
        elif col.name in REGION_COLUMNS:
            exps.append(
                _exp(
                    "expect_column_values_to_be_in_set",
                    "values.allowed_region",
                    config,
                    row_level=True,
                    column=col.name,
                    value_set=lists["region_codes"],
                )
            )
        elif col.name in STAGE_COLUMNS:
            exps.append(
                _exp(
                    "expect_column_values_to_be_in_set",
                    "values.allowed_stage",
                    config,
                    row_level=True,
                    column=col.name,
                    value_set=lists["opportunity_stages"],
                )
            )
    for col in entity.columns:
        target = value_column(entity, col.name)
        if col.type in ("decimal", "integer") and f"{entity.name}.{col.name}" not in config.signed_columns:
            exps.append(
                _exp(
                    "expect_column_values_to_be_between",
                    "values.non_negative",
                    config,
                    row_level=True,
                    about=col.name,
                    **{"column": target, "min_value": 0},
                )
            )
        elif col.type in ("date", "timestamp"):
            bounds = {"column": target, "min_value": {"$PARAMETER": "earliest_date"}}
            qualified = f"{entity.name}.{col.name}"
            if col.type == "date" and qualified in config.date_windows:
                years = config.date_windows[qualified]  # the column's own window; None: no upper bound
                if years is not None:
                    bounds["max_value"] = {"$PARAMETER": latest_date_parameter(years)}
            else:
                bounds["max_value"] = {"$PARAMETER": "latest_date" if col.type == "date" else "latest_timestamp"}
            exps.append(
                _exp(
                    "expect_column_values_to_be_between",
                    "values.dates_in_range",
                    config,
                    row_level=True,
                    about=col.name,
                    **bounds,
                )
            )
    for pair in config.dates_ordered.get(entity.name, ()):
        exps.append(dates_ordered_expectation(entity, pair, config))
    for column, bounds in config.in_extract_month.get(entity.name, {}).items():
        exps.append(in_extract_month_expectation(entity, column, bounds, config))
    # one row per month: its newest update (NULL for an empty delta extract: nothing to judge)
    exps.append(
        _exp(
            "expect_column_values_to_be_between",
            "freshness.updated_within",
            config,
            row_level=False,
            about=entity.updated_at,
            batch="month",
            **{"column": "latest_updated_at", "min_value": {"$PARAMETER": "fresh_after"}},
        )
    )
    return {
        "name": entity.asset_name,
        "expectations": exps,
        "meta": {
            "dataset": f"raw.{entity.name}",
            "kind": "raw",
            "entity": entity.name,
            "file_format": entity.file_format,
            "key": list(entity.key),
            "updated_at": entity.updated_at,
            "freshness_days": config.freshness_days_for(entity.name),
        },
    }


@dataclass(frozen=True)
class MartContract:
    name: str
    columns: tuple[str, ...]
    types: dict[str, str]
    key: tuple[str, ...]
    month_column: str | None
    #: columns the enforced contract declares not null (DuckDB refuses NULLs there)
    not_null: frozenset[str] = frozenset()


def mart_contracts(marts_dir: Path = MARTS_DIR) -> list[MartContract]:
    """Every model under ``models/marts`` with an enforced contract, from its YAML."""
    out = []
    for path in sorted(marts_dir.rglob("*.yml")):
        doc = yaml.safe_load(path.read_text()) or {}
        for model in doc.get("models", []) or []:
            contract = (model.get("config") or {}).get("contract") or {}
            if not contract.get("enforced"):
                continue
            cols = model.get("columns") or []
            names = tuple(c["name"] for c in cols)
            types = {c["name"]: str(c.get("data_type", "")).lower() for c in cols}
            key: tuple[str, ...] = ()
            for test in model.get("data_tests") or []:
                if isinstance(test, dict) and "unique_combination_of_columns" in test:
                    spec = test["unique_combination_of_columns"]
                    key = tuple((spec.get("arguments") or spec)["combination_of_columns"])
                    break
            if not key:
                for c in cols:
                    if "unique" in [t if isinstance(t, str) else next(iter(t)) for t in c.get("data_tests") or []]:
                        key = (c["name"],)
                        break
            # dimensions are validated whole; facts and monthly marts on the run's months
            month = next((c for c in key if types.get(c) == "date" and "month" in c), None)
            if month is None and not model["name"].startswith("dim_"):
                month = next((c for c in names if types.get(c) == "date" and c.endswith("_month")), None)
            not_null = frozenset(
                c["name"] for c in cols if any(k.get("type") == "not_null" for k in c.get("constraints") or [])
            )
            out.append(MartContract(model["name"], names, types, key, month, not_null))
    return out


def mart_suite(mart: MartContract, config: QualitySettings) -> dict:
    """The suite of one BI-facing mart: its contract's columns, a complete and unique key.

    Key columns under a ``not_null`` constraint of the enforced contract are not re-checked:
    DuckDB refuses the NULL when dbt builds the table."""
    exps = [
        _exp(
            "expect_table_columns_to_match_set",
            "schema.required_columns",
            config,
            row_level=False,
            column_set=list(mart.columns),
            exact_match=True,
        )
    ]
    for col in mart.key:
        if col not in mart.not_null:  # the contract's not_null constraint already refuses NULL keys
            exps.append(
                _exp("expect_column_values_to_not_be_null", "keys.not_null", config, row_level=True, column=col)
            )
    if len(mart.key) == 1:
        exps.append(
            _exp("expect_column_values_to_be_unique", "keys.unique", config, row_level=True, column=mart.key[0])
        )
    elif mart.key:
        exps.append(
            _exp(
                "expect_compound_columns_to_be_unique",
                "keys.unique",
                config,
                row_level=True,
                about=", ".join(mart.key),
                column_list=list(mart.key),
            )
        )
    return {
        "name": f"mart_{mart.name}",
        "expectations": exps,
        "meta": {
            "dataset": f"marts.{mart.name}",
            "kind": "mart",
            "mart": mart.name,
            "key": list(mart.key),
            "month_column": mart.month_column,
        },
    }


def accuracy_suites(config: QualitySettings) -> list[dict]:
    """The cross-table suites; each validates a small computed frame (see ``accuracy_frames``)."""
    rule = "accuracy.{}".format
    suites = {
        "bookings_vs_order_intake": [
            _exp(
                "expect_column_values_to_be_between",
                rule("bookings_vs_order_intake"),
                config,
                row_level=False,
                about="relative_difference",
                **{
                    "column": "relative_difference",
                    "min_value": {"$PARAMETER": "bookings_min_relative_difference"},
                    "max_value": {"$PARAMETER": "bookings_max_relative_difference"},
                },
            ),
        ],
        "invoice_headers_vs_lines": [
            _exp(
                "expect_column_values_to_not_be_null",
                rule("invoice_headers_vs_lines"),
                config,
                row_level=False,
                column="lines_total",
            ),
            _exp(
                "expect_column_values_to_be_between",
                rule("invoice_headers_vs_lines"),
                config,
                row_level=False,
                about="difference",
                **{
                    "column": "difference",
                    "min_value": {"$PARAMETER": "invoice_min_abs_difference"},
                    "max_value": {"$PARAMETER": "invoice_max_abs_difference"},
                },
            ),
        ],
        "fx_rate_coverage": [
            _exp(
                "expect_column_values_to_not_be_null",
                rule("fx_rate_coverage"),
                config,
                row_level=False,
                column="usd_per_unit",
            ),
        ],
        "mart_totals_vs_raw": [
            _exp(
                "expect_column_values_to_be_between",
                rule("mart_totals_vs_raw"),
                config,
                row_level=False,
                about="difference_usd",
                **{
                    "column": "difference_usd",
                    "min_value": {"$PARAMETER": "mart_min_abs_difference_usd"},
                    "max_value": {"$PARAMETER": "mart_max_abs_difference_usd"},
                },
            ),
        ],
    }
    out = []
    for name, exps in suites.items():
        asset, reads, description = ACCURACY_SUITES[name]
        out.append(
            {
                "name": name,
                "expectations": exps,
                "meta": {"kind": "accuracy", "asset": asset, "reads": list(reads), "description": description},
            }
        )
    return out


def _check_date_settings(config: QualitySettings) -> None:
    """``dates.columns`` and ``dates_ordered`` of checks.yml name catalog entities and date columns."""
    dates = {f"{e.name}.{c.name}" for e in CATALOG for c in e.columns if c.type == "date"}
    unknown = sorted(set(config.date_windows) - dates)
    if unknown:
        raise KeyError(f"dates.columns: not a date column of the catalog: {', '.join(unknown)}")
    entities = {e.name for e in CATALOG}
    unknown = sorted(set(config.dates_ordered) - entities)
    if unknown:
        raise KeyError(f"dates_ordered: not a catalog entity: {', '.join(unknown)}")


def build_suites(config: QualitySettings | None = None) -> dict[str, dict]:
    """Every suite, by name, as the JSON-ready dicts written to ``expectations/suites/``."""
    config = config or settings()
    _check_date_settings(config)
    suites = [raw_suite(e, config) for e in CATALOG]
    suites += [mart_suite(m, config) for m in mart_contracts()]
    suites += accuracy_suites(config)
    return {s["name"]: s for s in suites}


def build_mapping(suites: dict[str, dict]) -> dict:
    """Suite -> the Dagster asset it checks, the check's name and the other assets it reads."""
    mapping = {}
    for name, suite in suites.items():
        meta = suite["meta"]
        if meta["kind"] == "raw":
            mapping[name] = {"asset": name, "check": "gx_suite", "file": f"suites/{name}.json"}
        elif meta["kind"] == "mart":
            mapping[name] = {"asset": meta["mart"], "check": "gx_suite", "file": f"suites/{name}.json"}
        else:
            mapping[name] = {
                "asset": meta["asset"],
                "check": f"gx_{name}",
                "file": f"suites/{name}.json",
                "reads": meta["reads"],
            }
    return {"suites": mapping}


def suite_files(suites: dict[str, dict] | None = None) -> dict[Path, str]:
    """Path -> text of every generated file."""
    suites = suites if suites is not None else build_suites()
    files = {SUITES_DIR / f"{name}.json": json.dumps(suite, indent=2) + "\n" for name, suite in suites.items()}
    header = (
        "# Generated by `python -m orchestration.quality.suite_builder --write`: which suite checks which\n"
        "# Dagster asset, under which asset-check name, and what else it reads. Do not edit by hand.\n"
    )
    files[MAPPING_FILE] = header + yaml.safe_dump(build_mapping(suites), sort_keys=False)
    return files


def out_of_date() -> list[str]:
    """Generated files that differ from what is on disk, and stale suite files."""
    files = suite_files()
    stale = [str(p) for p, text in files.items() if not p.exists() or p.read_text() != text]
    extra = [str(p) for p in SUITES_DIR.glob("*.json") if p not in files] if SUITES_DIR.exists() else []
    return stale + extra


def write() -> list[Path]:
    files = suite_files()
    SUITES_DIR.mkdir(parents=True, exist_ok=True)
    for path in SUITES_DIR.glob("*.json"):
        if path not in files:
            path.unlink()
    for path, text in files.items():
        path.write_text(text)
    return list(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the GX suites of expectations/ from the catalog and dbt.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true", help="write the suites and suites.yml")
    group.add_argument("--check", action="store_true", help="exit 1 when the committed suites are out of date")
    args = parser.parse_args(argv)
    if args.write:
        print(f"wrote {len(write())} files under {EXPECTATIONS_DIR}")
        return 0
    stale = out_of_date()
    for path in stale:
        print(f"out of date: {path}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
