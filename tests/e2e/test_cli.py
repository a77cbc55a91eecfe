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
    out = sop(
        "generate", "--data-dir", str(tmp_path), "--scale", "0.02", "--start", "2021-01", "--through", "2021-02"
    ).stdout
    assert "Wrote" in out
    assert (tmp_path / "landing" / "erp" / "sales_order_lines" / "2021-02").is_dir()
    status = sop("status", "--data-dir", str(tmp_path)).stdout
    assert str(tmp_path) in status and "nothing yet" in status


def test_a_failure_message_becomes_one_block_per_problem():
    from orchestration.cli.main import problem_blocks

    message = (
        "crm/opportunities/2024-03/opportunities_202403.csv row 17: "
        "rule values.non_negative (Amount = -1200.00); 3 rows\n"
        "crm/opportunities/2024-03/opportunities_202403.csv: rule freshness.updated_within (newest 2024-01-15)"
    )
    blocks = problem_blocks("raw_crm_opportunities", "gx_suite", message)
    assert len(blocks) == 2
    assert blocks[0].splitlines() == [
        "  ✗ raw_crm_opportunities (check gx_suite)",
        "      rule    values.non_negative",
        "      file    crm/opportunities/2024-03/opportunities_202403.csv",
        "      row     17 (1 of 3 rows shown)",
        "      detail  (Amount = -1200.00); 3 rows",
    ]
    assert "      row     -" in blocks[1] and "rule    freshness.updated_within" in blocks[1]


def test_the_checks_sample_rows_of_the_same_rule_and_file_are_listed_with_the_row():
    from orchestration.cli.main import problem_blocks

    path = "crm/opportunities/2024-03/opportunities_202403.csv"
    samples = [
        {"rule": "csv.well_formed", "source_file": path, "source_row": 1, "value": "x"},
        {"rule": "csv.well_formed", "source_file": path, "source_row": 6, "value": "y"},
        {"rule": "csv.well_formed", "source_file": "other.csv", "source_row": 9, "value": "z"},
        {"rule": "keys.unique", "source_file": path, "source_row": 4, "value": "k"},
    ]
    (block,) = problem_blocks(
        "raw_crm_opportunities", "gx_suite", f"{path} row 1: rule csv.well_formed (bad); 2 rows", samples
    )
    assert "      row     1, 6\n" in block


def test_an_ingestion_error_and_a_crash_are_shown_whole():
    from orchestration.cli.main import problem_blocks

    (block,) = problem_blocks(
        "raw_crm_users",
        None,
        "crm_users: crm/users/2021-02/users_202102.csv row 0 (header): rule file.encoding_utf8 — not UTF-8 at byte 0",
    )
    assert "rule    file.encoding_utf8" in block and "row     0 (header)" in block
    assert "detail  not UTF-8 at byte 0" in block and "(step failed)" in block
    (crash,) = problem_blocks("sop_dbt_models", None, "dbt exited with 2\nsee the log")
    assert crash.splitlines() == ["  ✗ sop_dbt_models (step failed)", "      dbt exited with 2", "      see the log"]


def test_the_blocked_report_says_what_stays_published(tmp_path):
    import duckdb

    from orchestration.cli.main import _publication_line, blocked_report
    from orchestration.runner import CycleRun, RunFailure

    assert _publication_line(tmp_path / "none.duckdb") == "Published version: nothing is published yet."
    serve = tmp_path / "sop.duckdb"
    with duckdb.connect(str(serve)) as con:
        con.execute(
            "CREATE TABLE sop_publication (published_at TIMESTAMP, version VARCHAR, run_id VARCHAR, "
            "first_month DATE, last_month DATE, tables JSON)"
        )
        con.execute(
            "INSERT INTO sop_publication VALUES ('2024-03-02 05:10:00', 'v1', 'r1', '2024-01-01', '2024-02-01', '{}')"
        )
    line = _publication_line(serve)
    assert line == "Published version v1 stays current (months 2024-01 .. 2024-02, published 2024-03-02 05:10 UTC)."
    run = CycleRun(
        "r2",
        False,
        ["raw_crm_users"],
        [],
        [],
        [
            RunFailure(
                "raw_crm_users",
                None,
                "raw_crm_users",
                "crm_users: crm/users/2024-03/users_202403.csv row 4: rule file.encoding_utf8 — not UTF-8",
            )
        ],
    )
    report = blocked_report(run, "2024-03", "2024-03", line, tmp_path / "run.log")
    assert report.startswith("Month 2024-03 is BLOCKED: 1 failure(s) in run r2")
    assert "file    crm/users/2024-03/users_202403.csv" in report and line in report
    assert "sop run --month 2024-03" in report


def test_demo_forecasts_four_cycles_and_run_three_unless_told(tmp_path):
    from dagster import validate_run_config

    from orchestration.cli.main import DEMO_FORECAST_CYCLES, build_parser
    from orchestration.definitions import defs
    from orchestration.runner import cycle_run_config

    parser = build_parser()
    assert parser.parse_args(["demo"]).forecast_cycles is None and DEMO_FORECAST_CYCLES == 4
    assert parser.parse_args(["run", "--forecast-cycles", "6"]).forecast_cycles == 6
    config = cycle_run_config(tmp_path, 6)
    assert config["resources"] == {
        "sop_data": {"config": {"data_dir": str(tmp_path.resolve())}},
        "forecast_settings": {"config": {"backfill_cycles": 6}},
    }
    job = defs.resolve_job_def("monthly_sop_cycle")
    resolved = validate_run_config(job, config)
    assert resolved["resources"]["forecast_settings"]["config"]["backfill_cycles"] == 6
    assert "resources" not in cycle_run_config()  # no override: the resources' own defaults
    assert validate_run_config(job, cycle_run_config())["resources"]["forecast_settings"]["config"] == {
        "backfill_cycles": 3
    }
    bad = sop("demo", "--forecast-cycles", "0", check=False)
    assert bad.returncode == 2 and "'0' is not a whole number of at least 1" in bad.stderr


def test_a_block_says_how_many_of_the_rows_it_lists():
    from orchestration.cli.main import problem_blocks

    path = "erp/invoice_lines/2024-03/invoice_lines_202403.csv"
    samples = [{"rule": "values.non_negative", "source_file": path, "source_row": r, "value": -1} for r in (2, 3, 5)]
    (block,) = problem_blocks(
        "raw_erp_invoice_lines", "gx_suite", f"{path} row 2: rule values.non_negative (NetAmount = -1); 6 rows", samples
    )
    assert "      row     2, 3, 5 (3 of 6 rows shown)\n" in block
    (all_rows,) = problem_blocks(
        "raw_erp_invoice_lines", "gx_suite", f"{path} row 2: rule values.non_negative (NetAmount = -1); 3 rows", samples
    )
    assert "      row     2, 3, 5\n" in all_rows


def test_version_plain_help_and_a_closed_pipe():
    assert sop("--version").stdout.strip().startswith("sop ")
    assert "``" not in sop("--help").stdout
    # `sop status | head -1`: the reader closes the pipe early; no traceback, nothing on stderr
    proc = subprocess.run(
        f"'{SOP}' status --data-dir /nonexistent-sop-test-dir-$$ | head -1", shell=True, capture_output=True, text=True
    )
    assert proc.stdout.startswith("data root") and "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def test_verdict_lines_name_the_version_the_months_and_the_time(tmp_path):
    import duckdb

    from orchestration.cli.main import verdict_line

    serve = tmp_path / "sop.duckdb"
    assert (
        verdict_line(False, "2024-03", "2024-03", serve, 12.4, 2)
        == "BLOCKED 2024-03: 2 failure(s), nothing is published; 12s"
    )
    with duckdb.connect(str(serve)) as con:
        con.execute(
            "CREATE TABLE sop_publication (published_at TIMESTAMP, version VARCHAR, run_id VARCHAR, "
            "first_month DATE, last_month DATE, run_first_month DATE, run_last_month DATE, tables JSON)"
        )
        con.execute(
            "INSERT INTO sop_publication VALUES ('2024-04-02 05:10:00', 'v7', 'r1', '2021-01-01', "
            "'2024-03-01', '2024-03-01', '2024-03-01', '{}')"
        )
    assert (
        verdict_line(True, "2024-03", "2024-03", serve, 61.6)
        == "PUBLISHED v7 (months 2021-01 .. 2024-03): built 2024-03 in 62s"
    )
    assert (
        verdict_line(False, "2024-04", "2024-04", serve, 5, 1)
        == "BLOCKED 2024-04: 1 failure(s), v7 (months 2021-01 .. 2024-03) stays published; 5s"
    )


@pytest.mark.parametrize(
    "path",
    [
        "erp/sales_order_lines/2022-01/sales_order_lines_202201 (1).parquet",
        "crm/accounts/2022-01/Kunden [März] ü.csv",
        "market/fx_rates/2022-01/fx: rates.csv",
    ],
)
def test_a_file_name_with_spaces_brackets_or_accents_is_shown_whole(path):
    from orchestration.cli.main import problem_blocks

    (block,) = problem_blocks("raw_erp_sales_order_lines", "gx_suite", f"{path} row 3: rule keys.unique (k); 2 rows")
    assert f"      file    {path}\n" in block and "      row     3 (1 of 2 rows shown)" in block
    (ingest,) = problem_blocks(
        "raw_crm_accounts", None, f"crm_accounts: {path} row 0 (header): rule file.encoding_utf8 — x"
    )
    assert f"      file    {path}\n" in ingest
