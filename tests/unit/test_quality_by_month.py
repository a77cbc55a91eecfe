"""A range's failures are attributed to the months they belong to (one check result per partition)."""

from __future__ import annotations

from orchestration.quality.by_month import failure_months, outcome_for_month
from orchestration.quality.engine import SuiteOutcome
from orchestration.quality.validation import Failure, Sample

MONTHS = ["2024-01", "2024-02", "2024-03"]


def failure(month=None, samples=(), months=None) -> Failure:
    f = Failure(
        "values.non_negative", "error", "expect_column_values_to_be_between", "Amount", 2, list(samples), month=month
    )
    if months is not None:
        f.months = months
    return f


def test_a_failure_belongs_to_its_rows_months_else_its_own_else_its_samples_else_every_month():
    assert failure_months(failure(months=["2024-02"]), MONTHS) == {"2024-02"}
    assert failure_months(failure(month="2024-03"), MONTHS) == {"2024-03"}
    in_files = [
        Sample("crm/opportunities/2024-01/opportunities_202401.csv", 4, "-1"),
        Sample("crm/opportunities/2024-03/opportunities_202403.csv", 9, "-2"),
    ]
    assert failure_months(failure(samples=in_files), MONTHS) == {"2024-01", "2024-03"}
    assert failure_months(failure(samples=[Sample(None, None, "2024-02 EUR: CRM 10 vs ERP 12")]), MONTHS) == {"2024-02"}
    # nothing names a month: no month can be called clean of it
    assert failure_months(failure(samples=[Sample("marts.revenue", None, "-3")]), MONTHS) == set(MONTHS)
    # a month outside the range does not make the rest clean either
    assert failure_months(failure(month="2023-12"), MONTHS) == set(MONTHS)


def test_the_outcome_of_one_month_keeps_only_its_failures():
    outcome = SuiteOutcome("raw_crm_opportunities", MONTHS, [failure(month="2024-02"), failure(months=["2024-03"])])
    assert outcome_for_month(outcome, "2024-01").passed
    feb = outcome_for_month(outcome, "2024-02")
    assert not feb.passed and feb.months == ["2024-02"] and len(feb.failures) == 1
    assert feb.failures[0].month == "2024-02"
    assert not outcome.passed and len(outcome.failures) == 2  # the range's own outcome is unchanged


def test_a_range_run_names_the_months_of_the_offending_rows(tmp_path):
    """Two months validated at once, a negative amount in the second only: the failure belongs to
    that month alone, and the first month's own result passes."""
    import duckdb

    from orchestration.ingestion import LandingFolderReader, load_month
    from orchestration.quality.engine import run_raw_suite
    from tests.unit.test_quality_engine import OPPS, _opportunity, _write_csv

    landing = tmp_path / "landing"
    february = [_opportunity(i, CloseDate="2024-02-15", LastModifiedDate="2024-02-27T17:00:00Z") for i in (1, 2)]
    march = [_opportunity(i) for i in (3, 4)]
    march[1]["Amount"] = "-5.00"
    con = duckdb.connect()
    for month, rows in (("2024-02", february), ("2024-03", march)):
        _write_csv(landing, OPPS, month, rows)
        load_month(con, OPPS, month, LandingFolderReader(landing), load_id="load-1")
    outcome = run_raw_suite(con, OPPS, ["2024-02", "2024-03"])
    negative = [f for f in outcome.failures if f.rule == "values.non_negative"]
    assert len(negative) == 1 and negative[0].months == ["2024-03"]
    assert failure_months(negative[0], outcome.months) == {"2024-03"}
    assert [f.rule for f in outcome_for_month(outcome, "2024-02").failures] == []
