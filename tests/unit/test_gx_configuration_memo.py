"""GX 1.x rebuilds an expectation's configuration on every read of ``Expectation.configuration``;
``validation`` keeps one per expectation for the duration of a validation. The results must be
those of GX without it, down to every observed value, and GX's own property must be back after."""

from __future__ import annotations

import contextlib

import duckdb
import pytest
from great_expectations.expectations.expectation import Expectation

from orchestration.ingestion import LandingFolderReader, load_month
from orchestration.quality import datasets, validation
from orchestration.quality.checks_file import run_parameters, settings
from orchestration.sources import BY_NAME
from tests.unit.test_quality_engine import MONTH, OPPS, _opportunity, _write_csv


def _faulty_opportunities(tmp_path) -> duckdb.DuckDBPyConnection:
    rows = [_opportunity(i) for i in range(1, 9)]
    rows[1]["Amount"] = "-1200.00"
    rows[2]["CurrencyIsoCode"] = "XXX"
    rows[6]["Probability"] = "n/a"
    rows[7]["Id"] = rows[0]["Id"]
    _write_csv(tmp_path / "landing", OPPS, MONTH, rows)
    con = duckdb.connect()
    load_month(con, OPPS, MONTH, LandingFolderReader(tmp_path / "landing"), load_id="load-1")
    return con


def _results(con) -> list[dict]:
    """Every expectation's result (config, success, observed and unexpected values) of the suite."""
    suite = validation.load_suite_json(BY_NAME["crm_opportunities"].asset_name)
    frame = datasets.with_day_columns(datasets.raw_frame(con, OPPS, [MONTH]), OPPS, suite)
    checked = validation.runner().validate(suite, frame, run_parameters([MONTH], settings()), run_name="memo-test")
    assert checked is not None
    out = []
    for r in checked.result.results:
        d = r.to_json_dict()
        d.get("expectation_config", {}).pop("id", None)
        out.append(d)
    return sorted(out, key=repr)


def test_validation_with_one_configuration_per_expectation_gives_gxs_own_results(tmp_path, monkeypatch):
    con = _faulty_opportunities(tmp_path)
    memoized = _results(con)
    assert Expectation.__dict__["configuration"] is validation.gx_configuration_property()
    monkeypatch.setattr(validation, "one_configuration_per_expectation", contextlib.nullcontext)
    plain = _results(con)
    assert any(not r["success"] for r in plain)  # the faults are found: a comparison of failures
    assert memoized == plain


def test_the_memo_is_dropped_and_gxs_property_restored_even_on_error():
    with pytest.raises(RuntimeError), validation.one_configuration_per_expectation():
        assert Expectation.__dict__["configuration"] is not validation.gx_configuration_property()
        raise RuntimeError("validation failed")
    assert Expectation.__dict__["configuration"] is validation.gx_configuration_property()
