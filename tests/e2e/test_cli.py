"""The `sop` console command: every subcommand has --help; status and generate work end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SOP = str(Path(sys.executable).with_name("sop"))
SUBCOMMANDS = ["demo", "generate", "run", "status", "bench", "dev"]


def sop(*args, env=None, check=True):
    return subprocess.run([SOP, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, check=check)


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_every_subcommand_has_help(sub):
    out = sop(sub, "--help").stdout
    assert out.startswith(f"usage: sop {sub}")
    assert "--data-dir" in out


def test_top_level_help_lists_subcommands():
    out = sop("--help").stdout
    for sub in SUBCOMMANDS:
        assert sub in out


def test_bad_month_is_refused_with_a_clear_message(tmp_path):
    proc = sop("run", "--month", "2024-13", "--data-dir", str(tmp_path), check=False)
    assert proc.returncode == 2
    assert "'2024-13' is not a month like 2024-03" in proc.stderr


def test_generate_then_status(tmp_path):
    out = sop("generate", "--data-dir", str(tmp_path), "--scale", "0.02", "--start", "2021-01", "--through", "2021-02").stdout
    assert "Wrote" in out
    assert (tmp_path / "landing" / "erp" / "sales_order_lines" / "2021-02").is_dir()
    status = sop("status", "--data-dir", str(tmp_path)).stdout
    assert str(tmp_path) in status and "nothing yet" in status


def test_a_failure_message_becomes_one_block_per_problem():
    from orchestration.cli import problem_blocks

    message = (
        "crm/opportunities/2024-03/opportunities_202403.csv row 17: rule values.non_negative (Amount = -1200.00); 3 rows\n"
        "crm/opportunities/2024-03/opportunities_202403.csv: rule freshness.updated_within (newest 2024-01-15)"
    )
    blocks = problem_blocks("raw_crm_opportunities", "gx_suite", message)
    assert len(blocks) == 2
    assert blocks[0].splitlines() == [
        "  ✗ raw_crm_opportunities (check gx_suite)",
        "      rule    values.non_negative",
        "      file    crm/opportunities/2024-03/opportunities_202403.csv",
        "      row     17",
        "      detail  (Amount = -1200.00); 3 rows",
    ]
    assert "      row     -" in blocks[1] and "rule    freshness.updated_within" in blocks[1]


def test_the_checks_sample_rows_of_the_same_rule_and_file_are_listed_with_the_row():
    from orchestration.cli import problem_blocks

    path = "crm/opportunities/2024-03/opportunities_202403.csv"
    samples = [
        {"rule": "csv.well_formed", "source_file": path, "source_row": 1, "value": "x"},
        {"rule": "csv.well_formed", "source_file": path, "source_row": 6, "value": "y"},
        {"rule": "csv.well_formed", "source_file": "other.csv", "source_row": 9, "value": "z"},
        {"rule": "keys.unique", "source_file": path, "source_row": 4, "value": "k"},
    ]
    (block,) = problem_blocks("raw_crm_opportunities", "gx_suite", f"{path} row 1: rule csv.well_formed (bad); 2 rows",
                              samples)
    assert "      row     1, 6\n" in block


def test_an_ingestion_error_and_a_crash_are_shown_whole():
    from orchestration.cli import problem_blocks

    (block,) = problem_blocks("raw_crm_users", None, "crm_users: crm/users/2021-02/users_202102.csv row 0 (header): "
                              "rule file.encoding_utf8 — not UTF-8 at byte 0")
    assert "rule    file.encoding_utf8" in block and "row     0 (header)" in block
    assert "detail  not UTF-8 at byte 0" in block and "(step failed)" in block
    (crash,) = problem_blocks("sop_dbt_models", None, "dbt exited with 2\nsee the log")
    assert crash.splitlines() == ["  ✗ sop_dbt_models (step failed)", "      dbt exited with 2", "      see the log"]


def test_the_blocked_report_says_what_stays_published(tmp_path):
    import duckdb

    from orchestration.cli import _publication_line, blocked_report
    from orchestration.defs.runner import CycleRun, RunFailure

    assert _publication_line(tmp_path / "none.duckdb") == "Published version: nothing is published yet."
    serve = tmp_path / "sop.duckdb"
    with duckdb.connect(str(serve)) as con:
        con.execute("CREATE TABLE sop_publication (published_at TIMESTAMP, version VARCHAR, run_id VARCHAR, "
                    "first_month DATE, last_month DATE, tables JSON)")
        con.execute("INSERT INTO sop_publication VALUES ('2024-03-02 05:10:00', 'v1', 'r1', '2024-01-01', "
                    "'2024-02-01', '{}')")
    line = _publication_line(serve)
    assert line == "Published version v1 stays current (months 2024-01 .. 2024-02, published 2024-03-02 05:10 UTC)."
    run = CycleRun("r2", False, ["raw_crm_users"], [], [], [RunFailure("raw_crm_users", None, "raw_crm_users",
                   "crm_users: crm/users/2024-03/users_202403.csv row 4: rule file.encoding_utf8 — not UTF-8")])
    report = blocked_report(run, "2024-03", "2024-03", line, tmp_path / "run.log")
    assert report.startswith("Month 2024-03 is BLOCKED: 1 failure(s) in run r2")
    assert "file    crm/users/2024-03/users_202403.csv" in report and line in report
    assert "sop run --month 2024-03" in report


def test_demo_forecasts_four_cycles_unless_told(monkeypatch):
    import argparse

    from orchestration.cli import _demo_forecast_cycles
    from orchestration.defs.forecast_assets import BACKFILL_CYCLES_ENV, backfill_cycles

    monkeypatch.delenv(BACKFILL_CYCLES_ENV, raising=False)
    assert _demo_forecast_cycles(argparse.Namespace(forecast_cycles=None)) == 4 == backfill_cycles()
    monkeypatch.setenv(BACKFILL_CYCLES_ENV, "2")
    assert _demo_forecast_cycles(argparse.Namespace(forecast_cycles=None)) == 2 == backfill_cycles()
    assert _demo_forecast_cycles(argparse.Namespace(forecast_cycles=6)) == 6 == backfill_cycles()
    bad = sop("demo", "--forecast-cycles", "0", check=False)
    assert bad.returncode == 2 and "'0' is not a whole number of at least 1" in bad.stderr
