"""The data-quality engine on small hand-made extracts: what fails, how it is told, what is quarantined.

No Dagster: raw tables are loaded with the ingestion functions into an in-memory DuckDB and
the suites run through ``orchestration.quality.engine``. Expected counts come from the rows
written here, not from the engine.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.ingestion import LandingFolderReader, load_month
from orchestration.quality import datasets
from orchestration.quality.checks_file import freshness_threshold, run_parameters
from orchestration.quality.engine import (
    SuiteOutcome,
    month_batches,
    run_accuracy_suite,
    run_mart_suite,
    run_raw_suite,
)
from orchestration.quality.quarantine import quarantined_rows
from orchestration.quality.validation import Failure, Sample
from orchestration.sources import BY_NAME

OPPS = BY_NAME["crm_opportunities"]
MONTH = "2024-03"


def _opportunity(i: int, **changes) -> dict:
    row = {
        "Id": f"006{i:012d}",
        "Name": f"Deal {i}",
        "AccountId": "001000000000001",
        "OwnerId": "005000000000001",
        "Type": "New Business",
        "LeadSource": "Web",
        "StageName": "Closed Won",
        "Amount": f"{1000 + i}.00",
        "CurrencyIsoCode": "EUR",
        "Probability": "100",
        "ForecastCategoryName": "Closed",
        "CloseDate": "2024-03-15",
        "IsClosed": "true",
        "IsWon": "true",
        "CreatedDate": "2024-01-10T09:00:00Z",
        "LastModifiedDate": "2024-03-28T17:00:00Z",
    }
    row.update(changes)
    return row


def _write_csv(landing: Path, entity, month: str, rows: list[dict]) -> str:
    folder = entity.landing_dir(landing, month)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{entity.entity}_{month.replace('-', '')}.csv"
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(entity.column_names), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return str(path.relative_to(landing))


def _load(tmp_path: Path, rows: list[dict], month: str = MONTH):
    landing = tmp_path / "landing"
    rel = _write_csv(landing, OPPS, month, rows)
    con = duckdb.connect()
    load_month(con, OPPS, month, LandingFolderReader(landing), load_id="load-1")
    return con, rel


def test_clean_month_passes(tmp_path):
    con, _ = _load(tmp_path, [_opportunity(i) for i in range(1, 6)])
    outcome = run_raw_suite(con, OPPS, [MONTH])
    assert outcome.passed and outcome.severity is None and outcome.quarantined_rows == 0
    assert outcome.rows_validated == 5 and outcome.expectations > 20


def test_row_level_errors_are_counted_sampled_and_quarantined(tmp_path):
    rows = [_opportunity(i) for i in range(1, 9)]
    rows[1]["Amount"] = "-1200.00"  # data row 2
    rows[4]["Amount"] = "-5.50"  # data row 5
    rows[2]["CurrencyIsoCode"] = "XXX"  # data row 3
    rows[6]["Probability"] = "n/a"  # data row 7
    rows[7]["Id"] = rows[0]["Id"]  # rows 1 and 8 share a key
    con, rel = _load(tmp_path, rows)
    outcome = run_raw_suite(con, OPPS, [MONTH])
    by_rule = {f.rule: f for f in outcome.failures}
    assert set(by_rule) == {"values.non_negative", "values.allowed_currency", "schema.types", "keys.unique"}
    assert outcome.severity == "error"
    neg = by_rule["values.non_negative"]
    assert neg.unexpected_count == 2 and neg.column == "Amount"
    assert [(s.source_file, s.source_row) for s in neg.samples] == [(rel, 2), (rel, 5)]
    assert neg.samples[0].value == "Amount = -1200.00"
    assert by_rule["schema.types"].column == "Probability" and by_rule["schema.types"].samples[0].source_row == 7
    assert by_rule["keys.unique"].unexpected_count == 2
    assert f"{rel} row 2: rule values.non_negative (Amount = -1200.00); 2 rows" in outcome.description().splitlines()
    assert f"{rel} row 1: rule keys.unique (Id = {rows[0]['Id']}); 2 rows" in outcome.description().splitlines()
    q = quarantined_rows(con, "crm_opportunities", MONTH)
    assert sorted(zip(q["rule"], q["source_row"])) == sorted(
        [
            ("values.non_negative", 2),
            ("values.non_negative", 5),
            ("values.allowed_currency", 3),
            ("schema.types", 7),
            ("keys.unique", 1),
            ("keys.unique", 8),
        ]
    )
    assert set(q["load_id"]) == {"load-1"} and set(q["source_file"]) == {rel}
    assert json.loads(q[q["source_row"] == 3]["row_json"].iloc[0])["CurrencyIsoCode"] == "XXX"
    assert outcome.quarantined_rows == 6
    # the fixed file, loaded again and checked again, clears the month's quarantine
    con2_rows = [_opportunity(i) for i in range(1, 9)]
    _write_csv(tmp_path / "landing", OPPS, MONTH, con2_rows)
    load_month(con, OPPS, MONTH, LandingFolderReader(tmp_path / "landing"), load_id="load-2")
    assert run_raw_suite(con, OPPS, [MONTH]).passed
    assert quarantined_rows(con, "crm_opportunities", MONTH).empty


def test_only_warn_rules_failing_is_a_warning(tmp_path):
    rows = [_opportunity(i) for i in range(1, 4)]
    rows[0]["CloseDate"] = "2199-01-31"  # beyond the date window: values.dates_in_range (warn)
    con, _ = _load(tmp_path, rows)
    outcome = run_raw_suite(con, OPPS, [MONTH])
    assert [f.rule for f in outcome.failures] == ["values.dates_in_range"]
    assert outcome.severity == "warn" and outcome.quarantined_rows == 1


def test_freshness_threshold_is_month_end_minus_n_days():
    assert freshness_threshold("2024-02", 35) == datetime(2024, 3, 1) - timedelta(days=35)
    assert freshness_threshold("2024-12", 7) == datetime(2024, 12, 25)


def test_stale_month_fails_freshness_with_its_threshold(tmp_path):
    stale = (datetime(2024, 3, 28, 17) - timedelta(days=45)).strftime("%Y-%m-%dT%H:%M:%SZ")
    con, _ = _load(
        tmp_path, [_opportunity(i, LastModifiedDate=stale, CreatedDate="2024-01-01T00:00:00Z") for i in range(1, 4)]
    )
    outcome = run_raw_suite(con, OPPS, [MONTH])
    assert [(f.rule, f.severity) for f in outcome.failures] == [("freshness.updated_within", "error")]
    threshold = datetime(2024, 4, 1) - timedelta(days=35)  # N = 35 for opportunities in checks.yml
    assert f"expected on or after {threshold.isoformat()}" in outcome.description()


def test_outcome_reports_for_metadata():
    outcome = SuiteOutcome(
        "raw_x",
        [MONTH],
        failures=[
            Failure(
                "values.non_negative",
                "error",
                "expect_column_values_to_be_between",
                "Amount",
                3,
                [Sample("crm/x.csv", 17, "Amount = -1200.00")] * 7,
            )
        ],
    )
    [item] = outcome.failures_json()
    assert item["unexpected_count"] == 3 and len(item["samples"]) == 5
    assert item["samples"][0] == {"source_file": "crm/x.csv", "source_row": 17, "value": "Amount = -1200.00"}
    assert (
        outcome.failures_markdown().splitlines()[0]
        == "| rule | column | expectation | severity | unexpected | sample |"
    )
    assert outcome.description() == "crm/x.csv row 17: rule values.non_negative (Amount = -1200.00); 3 rows"


def _invoices(con, headers: list[tuple], lines: list[tuple]) -> None:
    con.execute("create schema if not exists raw")
    con.execute(
        "create table raw.erp_invoices (invoice_number varchar, currency_code varchar, total_amount double, "
        "_partition_month date, _source_file varchar, _source_row bigint, _load_id varchar)"
    )
    con.execute(
        "create table raw.erp_invoice_lines (invoice_number varchar, net_amount double, currency_code varchar, "
        "_partition_month date)"
    )
    for i, (number, total) in enumerate(headers, 1):
        con.execute(
            "insert into raw.erp_invoices values (?, 'EUR', ?, '2024-03-01', 'erp/inv.parquet', ?, 'l')",
            [number, total, i],
        )
    for number, amount in lines:
        con.execute("insert into raw.erp_invoice_lines values (?, ?, 'EUR', '2024-03-01')", [number, amount])


def test_invoice_headers_must_equal_the_sum_of_their_lines():
    con = duckdb.connect()
    _invoices(
        con, [("INV1", 300.0), ("INV2", 99.0), ("INV3", 10.0)], [("INV1", 100.0), ("INV1", 200.0), ("INV2", 100.0)]
    )
    frame = datasets.invoice_headers_vs_lines(con, [MONTH])
    assert dict(zip(frame["invoice_number"], frame["difference"])) == {"INV1": 0.0, "INV2": -1.0, "INV3": 10.0}
    outcome = run_accuracy_suite(con, "invoice_headers_vs_lines", [MONTH])
    assert outcome.severity == "error"
    samples = [s for f in outcome.failures for s in f.samples]
    assert {s.source_row for s in samples} == {2, 3}
    assert all(s.source_file == "erp/inv.parquet" for s in samples)


def test_fx_coverage_names_the_missing_currency_and_month():
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw.erp_invoices (currency_code varchar, _partition_month date)")
    con.execute(
        "insert into raw.erp_invoices values ('EUR', '2024-03-01'), ('JPY', '2024-03-01'), ('USD', '2024-03-01')"
    )
    con.execute(
        "create table raw.market_fx_rates (rate_month varchar, currency_code varchar, usd_per_unit varchar, "
        "_partition_month date)"
    )
    con.execute("insert into raw.market_fx_rates values ('2024-03-01', 'EUR', '1.08', '2024-03-01')")
    frame = datasets.fx_rate_coverage(con, [MONTH])
    assert frame.set_index("currency_code")["usd_per_unit"].isna().to_dict() == {
        "EUR": False,
        "JPY": True,
        "USD": False,
    }
    outcome = run_accuracy_suite(con, "fx_rate_coverage", [MONTH])
    assert not outcome.passed and outcome.failures[0].unexpected_count == 1
    assert "2024-03: no usd_per_unit for JPY (used by erp_invoices)" in outcome.description()


@pytest.mark.parametrize("months", [["2024-03"], ["2024-01", "2024-03"]])
def test_run_parameters_follow_the_last_month(months):
    params = run_parameters(months)
    assert params["latest_timestamp"] == pd.Timestamp("2024-04-02")
    assert params["bookings_min_relative_difference"] == -params["bookings_max_relative_difference"]


def test_an_empty_delta_month_passes(tmp_path):
    """A month in which nothing changed delivers a header-only extract: nothing to judge, no failure."""
    con, _ = _load(tmp_path, [])
    outcome = run_raw_suite(con, OPPS, [MONTH])
    assert outcome.passed and outcome.rows_validated == 0


def test_a_date_beyond_the_nanosecond_range_is_reported_not_crashed(tmp_path):
    con, rel = _load(tmp_path, [_opportunity(1), _opportunity(2, CloseDate="9999-12-31")])
    outcome = run_raw_suite(con, OPPS, [MONTH])
    assert outcome.description() == f"{rel} row 2: rule values.dates_in_range (CloseDate = 9999-12-31); 1 row"


def test_data_docs_page_and_index_are_written_per_check(tmp_path):
    rows = [_opportunity(i) for i in range(1, 4)]
    rows[0]["Amount"] = "-1.00"
    con, _ = _load(tmp_path, rows)
    outcome = run_raw_suite(con, OPPS, [MONTH], reports_root=tmp_path / "reports")
    site = tmp_path / "reports" / MONTH / "data_docs"
    assert outcome.data_docs == site / "validations" / "raw_crm_opportunities.html" and outcome.data_docs.is_file()
    assert "values.non_negative" in outcome.data_docs.read_text() or "Amount" in outcome.data_docs.read_text()
    index = (site / "index.html").read_text()
    assert "raw_crm_opportunities" in index and "failed (error)" in index
    assert outcome.data_docs.relative_to(site).as_posix() in index
    # a second check of the same month replaces its line in the index
    _write_csv(tmp_path / "landing", OPPS, MONTH, [_opportunity(i) for i in range(1, 4)])
    load_month(con, OPPS, MONTH, LandingFolderReader(tmp_path / "landing"), load_id="load-2")
    run_raw_suite(con, OPPS, [MONTH], reports_root=tmp_path / "reports")
    index = (site / "index.html").read_text()
    assert index.count(">raw_crm_opportunities<") == 1 and "failed (error)" not in index
    # ... and its page: one per suite
    assert sorted(p.name for p in (site / "validations").iterdir()) == ["raw_crm_opportunities.html"]


# ------------------------------------------------------------------ values.dates_ordered
def test_a_deal_closed_before_it_was_created_blocks_and_names_file_row_rule_and_both_dates(tmp_path):
    rows = [_opportunity(i) for i in range(1, 6)]
    rows[4].update(CloseDate="2024-01-09", CreatedDate="2024-01-10T09:00:00Z")  # data row 5: closed the day before
    rows[1].update(CloseDate="2024-01-10", CreatedDate="2024-01-10T23:59:00Z")  # data row 2: same day, later hour
    con, rel = _load(tmp_path, rows)
    outcome = run_raw_suite(con, OPPS, [MONTH])
    assert [(f.rule, f.severity) for f in outcome.failures] == [("values.dates_ordered", "error")]
    assert outcome.severity == "error"
    [failure] = outcome.failures
    assert failure.unexpected_count == 1 and failure.column == "CloseDate"
    assert outcome.description() == (
        f"{rel} row 5: rule values.dates_ordered (CloseDate 2024-01-09 is before CreatedDate 2024-01-10); 1 row"
    )
    q = quarantined_rows(con, "crm_opportunities", MONTH)
    assert list(zip(q["rule"], q["severity"], q["source_file"], q["source_row"])) == [
        ("values.dates_ordered", "error", rel, 5)
    ]
    assert json.loads(q["row_json"].iloc[0])["CloseDate"] == "2024-01-09"
    assert (
        q["reason"]
        .iloc[0]
        .startswith("CloseDate 2024-01-09 is before CreatedDate 2024-01-10 breaks values.dates_ordered")
    )


def test_an_open_deal_may_expect_a_close_date_before_its_creation_and_a_clean_row_passes(tmp_path):
    rows = [
        _opportunity(1),
        _opportunity(
            2,
            StageName="Qualification",
            IsClosed="false",
            IsWon="false",
            Probability="10",
            ForecastCategoryName="Pipeline",
            CloseDate="2023-12-31",
        ),
    ]
    con, _ = _load(tmp_path, rows)
    outcome = run_raw_suite(con, OPPS, [MONTH])
    assert outcome.passed and outcome.quarantined_rows == 0


# ------------------------------------------------------------------ per-column date windows
def _items_landing(tmp_path: Path, month: str, frame: pd.DataFrame):
    from orchestration.connectors.landing_files import write_extract

    items = BY_NAME["erp_items"]
    landing = tmp_path / "landing"
    path = write_extract(landing, items, month, frame)
    con = duckdb.connect()
    load_month(con, items, month, LandingFolderReader(landing), load_id="load-1")
    return con, str(path.relative_to(landing))


def _demo_item_master():
    from types import SimpleNamespace

    from orchestration.demo import calendar as cal
    from orchestration.demo.geography import TERRITORIES
    from orchestration.demo.master_extracts import items
    from orchestration.demo.products import build_product_line

    company = SimpleNamespace(products=build_product_line(7, 1.0, len(TERRITORIES)))
    return {cal.month_label(i): items(company, i) for i in range(cal.EPOCH_INDEX, cal.HORIZON_INDEX + 1)}


def test_a_clean_item_master_passes_the_date_rules_in_every_month():
    """Planned end-of-life dates lie up to 15 years ahead of the history's first month: the
    column's own window (checks.yml dates.columns) keeps every clean item in every month."""
    from orchestration.quality.validation import load_suite_json, offending_mask

    suite = load_suite_json("raw_erp_items")
    rules = [e for e in suite["expectations"] if e["meta"]["rule"] in ("values.dates_in_range", "values.dates_ordered")]
    assert {e["meta"]["column"] for e in rules} >= {"eol_date", "launch_date"}
    masters = _demo_item_master()
    far = max(
        (f["eol_date"].max() - pd.Timestamp(m + "-01")).days for m, f in masters.items() if f["eol_date"].notna().any()
    )
    assert far > 10 * 366  # the default window (future_years: 10) would quarantine these items
    for month, raw in masters.items():
        frame = datasets.with_day_columns(datasets.with_nanosecond_datetimes(raw.copy()), BY_NAME["erp_items"], suite)
        params = run_parameters([month])
        for e in rules:
            mask = offending_mask(e["type"], e["kwargs"], frame, params)
            assert mask is not None and not mask.any(), (month, e["meta"], frame[mask.to_numpy()])


def test_a_clean_item_master_month_passes_and_a_damaged_eol_date_still_warns(tmp_path):
    masters = _demo_item_master()
    month = "2021-01"
    clean = masters[month]
    assert (clean["eol_date"] > pd.Timestamp("2031-01-31")).any()  # beyond the default 10 years
    con, _ = _items_landing(tmp_path / "clean", month, clean)
    assert run_raw_suite(con, BY_NAME["erp_items"], [month]).passed

    damaged = clean.copy()
    row = int(np.flatnonzero(damaged["eol_date"].notna().to_numpy())[0])
    damaged.loc[damaged.index[row], "eol_date"] = pd.Timestamp("2199-06-30")
    con, rel = _items_landing(tmp_path / "damaged", month, damaged)
    outcome = run_raw_suite(con, BY_NAME["erp_items"], [month])
    assert [(f.rule, f.severity, f.column) for f in outcome.failures] == [("values.dates_in_range", "warn", "eol_date")]
    assert (
        outcome.description()
        == f"{rel} row {row + 1}: rule values.dates_in_range (eol_date = 2199-06-30T00:00:00); 1 row"
    )
    # an item is master data: flagged and kept (order lines point at it), not set aside
    assert (outcome.quarantined_rows, outcome.flagged_rows) == (0, 1)
    q = quarantined_rows(con, "erp_items", month)
    assert list(zip(q["stage"], q["severity"], q["source_row"])) == [("flag", "warn", row + 1)]


def test_an_item_discontinued_before_its_launch_blocks(tmp_path):
    month = "2021-01"
    frame = _demo_item_master()[month].copy()
    frame.loc[frame.index[2], ["launch_date", "eol_date"]] = [pd.Timestamp("2020-05-01"), pd.Timestamp("2020-04-30")]
    con, rel = _items_landing(tmp_path, month, frame)
    outcome = run_raw_suite(con, BY_NAME["erp_items"], [month])
    assert outcome.severity == "error"
    assert (
        f"{rel} row 3: rule values.dates_ordered (eol_date 2020-04-30 is before launch_date 2020-05-01); 1 row"
        in outcome.description().splitlines()
    )


# ------------------------------------------------------------------ values.in_extract_month
def _demo_month_frames(month: str) -> dict[str, pd.DataFrame]:
    """Every entity's clean extract of ``month`` of a tiny demo company (simulated from 2021-01)."""
    from orchestration.demo import calendar as cal
    from orchestration.demo.company import build_company
    from orchestration.demo.simulation import CompanySimulation

    simulation = CompanySimulation(build_company(11, 0.03), cal.month_index("2021-01"))
    for i in range(cal.month_index("2021-01"), cal.month_index(month) + 1):
        frames = simulation.month(i)
    return frames


def _landing_of(tmp_path: Path, entity, extracts: dict[str, pd.DataFrame]):
    from orchestration.connectors.landing_files import write_extract

    landing = tmp_path / "landing"
    con = duckdb.connect()
    rels = {}
    for month, frame in extracts.items():
        path = write_extract(landing, entity, month, frame)
        load_month(con, entity, month, LandingFolderReader(landing), load_id=f"load-{month}")
        rels[month] = str(path.relative_to(landing))
    return con, rels


def test_a_quota_file_for_the_wrong_period_blocks_with_the_date_and_the_extract_month(tmp_path):
    quotas = BY_NAME["crm_quotas"]
    frame = _demo_month_frames("2021-02")["crm_quotas"].copy()
    frame["StartDate"] = "2023-01-01"  # the whole file is for another period
    con, rels = _landing_of(tmp_path, quotas, {"2021-02": frame})
    outcome = run_raw_suite(con, quotas, ["2021-02"])
    assert [(f.rule, f.severity, f.column) for f in outcome.failures] == [
        ("values.in_extract_month", "error", "StartDate")
    ]
    assert outcome.failures[0].unexpected_count == len(frame)
    first = outcome.description().splitlines()[0]
    assert first.startswith(f"{rels['2021-02']} row 1: rule values.in_extract_month (StartDate 2023-01-01")
    assert "is 23 months after the extract month 2021-02 (allowed: within the month)" in first


def test_an_invoice_dated_a_year_after_its_extract_blocks_at_the_invoice_file(tmp_path):
    invoices = BY_NAME["erp_invoices"]
    frame = _demo_month_frames("2021-03")["erp_invoices"].copy()
    frame.loc[frame.index[1], "invoice_date"] = pd.Timestamp("2022-03-15")
    con, rels = _landing_of(tmp_path, invoices, {"2021-03": frame})
    outcome = run_raw_suite(con, invoices, ["2021-03"])
    assert outcome.severity == "error"
    assert [f.rule for f in outcome.failures] == ["values.in_extract_month"]
    assert outcome.description() == (
        f"{rels['2021-03']} row 2: rule values.in_extract_month (invoice_date 2022-03-15 is 12 months after the "
        "extract month 2021-03 (allowed: within the month)); 1 row"
    )
    q = quarantined_rows(con, "erp_invoices", "2021-03")
    assert list(q["source_row"]) == [2] and list(q["severity"]) == ["error"]


def test_each_row_is_judged_against_its_own_extract_month_in_a_range_run(tmp_path):
    """A backfill validates months together: an order dated in January is wrong in the February
    extract, and the March extract is judged against March."""
    orders = BY_NAME["erp_sales_order_lines"]
    february = _demo_month_frames("2021-02")["erp_sales_order_lines"].copy()
    march = _demo_month_frames("2021-03")["erp_sales_order_lines"].copy()
    february.loc[february.index[0], "order_date"] = pd.Timestamp("2021-01-28")
    con, rels = _landing_of(tmp_path, orders, {"2021-02": february, "2021-03": march})
    outcome = run_raw_suite(con, orders, ["2021-02", "2021-03"])
    assert [(f.rule, f.unexpected_count) for f in outcome.failures] == [("values.in_extract_month", 1)]
    assert outcome.description().startswith(
        f"{rels['2021-02']} row 1: rule values.in_extract_month (order_date 2021-01-28 is 1 month before the "
        "extract month 2021-02 (allowed: within the month)); 1 row"
    )


def test_clean_extracts_of_every_entity_pass_the_extract_month_rule(tmp_path):
    frames = _demo_month_frames("2021-02")
    checked = []
    for name, frame in frames.items():
        entity = BY_NAME[name]
        con, _ = _landing_of(tmp_path / name, entity, {"2021-02": frame})
        outcome = run_raw_suite(con, entity, ["2021-02"])
        assert not [f for f in outcome.failures if f.rule == "values.in_extract_month"], (name, outcome.description())
        checked.append(name)
    assert len(checked) == len(frames) == 22


def _plan_version_mart(con, mart: str, rows: list[dict]) -> list[str]:
    """``marts.<mart>`` with the suite's exact columns (all text but ``cycle_month``) and ``rows``."""
    suite = json.loads((Path(__file__).parents[2] / "expectations" / "suites" / f"mart_{mart}.json").read_text())
    columns = next(e["kwargs"]["column_set"] for e in suite["expectations"] if "column_set" in e["kwargs"])
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    cols = ", ".join(f"{c} {'DATE' if c == 'cycle_month' else 'VARCHAR'}" for c in columns)
    con.execute(f"CREATE OR REPLACE TABLE marts.{mart} ({cols})")
    for row in rows:
        values = [row.get(c, "x") for c in columns]
        con.execute(f"INSERT INTO marts.{mart} VALUES ({', '.join('?' for _ in columns)})", values)
    return suite["meta"]["key"]


def test_a_plan_version_mart_is_validated_whole_over_the_cycles_it_holds():
    with duckdb.connect() as con:
        assert _plan_version_mart(con, "supply_plan_solves", []) == ["cycle_month"]
        empty = run_mart_suite(con, "supply_plan_solves", None)
        assert empty.passed and empty.months == [] and "nothing stored yet" in empty.description()
        _plan_version_mart(con, "supply_plan_solves", [{"cycle_month": "2024-02-01"}, {"cycle_month": "2024-03-01"}])
        whole = run_mart_suite(con, "supply_plan_solves", None)
        assert whole.passed and whole.months == ["2024-02", "2024-03"] and whole.rows_validated == 2
        # given months, only those holding a plan are judged
        assert run_mart_suite(con, "supply_plan_solves", ["2024-01", "2024-03"]).months == ["2024-03"]
        _plan_version_mart(con, "supply_plan_solves", [{"cycle_month": "2024-03-01"}, {"cycle_month": "2024-03-01"}])
        duplicated = run_mart_suite(con, "supply_plan_solves", None)
        assert not duplicated.passed and {f.rule for f in duplicated.failures} == {"keys.unique"}


def test_months_are_batched_in_order_up_to_the_row_limit():
    assert month_batches({"2021-01": 3, "2021-02": 3, "2021-03": 5, "2021-04": 1}, 6) == [
        ["2021-01", "2021-02"],
        ["2021-03", "2021-04"],
    ]
    # a month bigger than the limit is a batch of its own; an empty month joins its neighbours
    assert month_batches({"2021-01": 10, "2021-02": 0, "2021-03": 1}, 5) == [["2021-01"], ["2021-02", "2021-03"]]
    assert month_batches({}, 5) == []


def _faulty_order_lines(tmp_path: Path):
    """Three months of order lines, each with its own damage: 2 rows in February, 2 in March, 3 in April."""
    months = ["2021-02", "2021-03", "2021-04"]
    frames = {m: _demo_month_frames(m)["erp_sales_order_lines"].copy() for m in months}
    february, march, april = frames.values()
    february.loc[february.index[0], "order_date"] = pd.Timestamp("2021-01-28")
    february.loc[february.index[1], "quantity"] = -3
    march.loc[march.index[0], "currency_code"] = "XYZ"
    march.loc[march.index[1], "quantity"] = -1
    april.loc[april.index[1], ["order_number", "line_number"]] = april.loc[
        april.index[0], ["order_number", "line_number"]
    ].to_numpy()
    april.loc[april.index[2], "sku"] = None
    return _landing_of(tmp_path, BY_NAME["erp_sales_order_lines"], frames), months


def _results(outcome) -> list[tuple]:
    return [
        (v.batch, v.month, r.expectation_config.type, dict(r.expectation_config.kwargs), r.success, r.result)
        for v in outcome.validations
        for r in v.result.results
    ]


def test_a_range_validated_a_month_at_a_time_gives_the_verdict_of_the_whole_range(tmp_path):
    """Batches bound the memory of a long range; the failures, counts, samples, quarantine and
    the results the Data Docs page shows are those of one validation of all the rows."""
    orders = BY_NAME["erp_sales_order_lines"]
    (con_whole, rels), months = _faulty_order_lines(tmp_path / "whole")
    (con_batched, _), _ = _faulty_order_lines(tmp_path / "batched")
    whole = run_raw_suite(con_whole, orders, months)
    batched = run_raw_suite(con_batched, orders, months, rows_per_batch=1)

    assert whole.severity == "error" and whole.quarantined_rows == 7  # both lines of the duplicate pair
    assert sorted((f.rule, f.column, f.unexpected_count, f.months) for f in whole.failures) == [
        ("keys.unique", "order_number, line_number", 2, ["2021-04"]),
        ("values.allowed_currency", "currency_code", 1, ["2021-03"]),
        ("values.in_extract_month", "order_date", 1, ["2021-02"]),
        ("values.non_negative", "quantity", 2, ["2021-02", "2021-03"]),
        ("values.not_null", "sku", 1, ["2021-04"]),
    ]
    assert [f.as_dict() for f in batched.failures] == [f.as_dict() for f in whole.failures]
    assert [f.months for f in batched.failures] == [f.months for f in whole.failures]
    assert batched.description() == whole.description() and rels["2021-02"] in whole.description()
    assert (batched.rows_validated, batched.quarantined_rows) == (whole.rows_validated, whole.quarantined_rows)
    for month in months:
        columns = ["rule", "source_file", "source_row", "reason"]
        assert (
            quarantined_rows(con_batched, "erp_sales_order_lines", month)[columns]
            .sort_values(columns)
            .reset_index(drop=True)
            .equals(
                quarantined_rows(con_whole, "erp_sales_order_lines", month)[columns]
                .sort_values(columns)
                .reset_index(drop=True)
            )
        )
    assert len(batched.validations) == len(whole.validations) == 1 + len(months)  # the rows, each month
    assert _results(batched) == _results(whole)


def test_a_mart_is_read_on_the_columns_its_value_rules_use_and_its_schema_judged_on_the_table(monkeypatch):
    read = []
    original = datasets.mart_frame
    monkeypatch.setattr(datasets, "mart_frame", lambda *a, **k: read.append(frame := original(*a, **k)) or frame)
    with duckdb.connect() as con:
        con.execute("CREATE SCHEMA marts")
        con.execute(
            "CREATE TABLE marts.fct_shipments AS SELECT * FROM (VALUES "
            "('S1', DATE '2024-03-01', 'O1', 12.5), ('S1', DATE '2024-03-01', 'O2', 3.0), "
            "('S2', DATE '2024-02-01', 'O3', 1.0)) AS t(shipment_number, ship_month, order_number, quantity_shipped)"
        )
        outcome = run_mart_suite(con, "fct_shipments", ["2024-03"])
    assert list(read[0].columns) == ["shipment_number", "ship_month"] and len(read[0]) == 2
    assert outcome.rows_validated == 2
    assert [(f.rule, f.unexpected_count) for f in outcome.failures] == [
        ("schema.required_columns", 1),
        ("keys.unique", 2),
    ]
    missing = outcome.failures[0].samples[0].value
    assert "missing" in missing and "shipment_value_usd" in missing and "order_number" not in missing
    assert [v.batch for v in outcome.validations] == ["schema", "values"]


def test_a_plan_version_mart_with_a_rule_on_its_columns_only_is_judged_on_its_cycles():
    with duckdb.connect() as con:
        _plan_version_mart(con, "supply_exceptions", [{"cycle_month": "2024-02-01"}, {"cycle_month": "2024-03-01"}])
        outcome = run_mart_suite(con, "supply_exceptions", None)
        assert outcome.passed and outcome.months == ["2024-02", "2024-03"] and outcome.rows_validated == 2
        assert [v.batch for v in outcome.validations] == ["schema"]
        con.execute("ALTER TABLE marts.supply_exceptions DROP COLUMN message")
        failed = run_mart_suite(con, "supply_exceptions", ["2024-03"])
        assert [f.rule for f in failed.failures] == ["schema.required_columns"] and failed.months == ["2024-03"]
        assert "message" in failed.failures[0].samples[0].value
