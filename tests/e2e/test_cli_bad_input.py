"""`sop run` on a month with bad input: non-zero exit, and stderr names file, row and rule."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from orchestration.demo import Fault, generate_company
from tests.cli_support import SOP, instance_home, sop_env

pytestmark = [pytest.mark.slow]

MONTH = "2021-02"


def test_sop_run_on_a_faulty_month_exits_non_zero_naming_file_row_and_rule(tmp_path):
    faults = [
        Fault("wrong_encoding", "crm_users", MONTH),
        Fault("empty_file", "erp_invoices", MONTH),
        Fault("malformed_row", "crm_opportunities", MONTH),
    ]
    generate_company(tmp_path / "landing", seed=7, scale=0.02, start="2021-01", through=MONTH, faults=faults)
    with instance_home() as home:
        proc = subprocess.run(
            [SOP, "run", "--month", MONTH, "--data-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            env=sop_env(home),
            timeout=600,
        )

    assert proc.returncode == 1, proc.stderr[-3000:]
    err = proc.stderr
    assert "Traceback" not in err and "Stack Trace" not in err  # tracebacks go to the log file
    assert f"Month {MONTH} is BLOCKED" in err
    blocks = err.split("  ✗ ")[1:]
    encoding = next(b for b in blocks if b.startswith("raw_crm_users (step failed)"))
    assert re.search(r"rule\s+file\.encoding_utf8\n", encoding)
    assert re.search(rf"file\s+crm/users/{MONTH}/users_{MONTH.replace('-', '')}\.csv\n", encoding)
    assert re.search(r"row\s+\d+\n", encoding)  # the data row holding the first byte that is not UTF-8
    empty = next(b for b in blocks if b.startswith("raw_erp_invoices (step failed)"))
    assert re.search(r"rule\s+extract\.not_empty\n", empty)
    assert re.search(rf"file\s+erp/invoices/{MONTH}/invoices_{MONTH.replace('-', '')}\.parquet\n", empty)
    malformed = [b for b in blocks if b.startswith("raw_crm_opportunities (check gx_suite)")]
    assert malformed, err
    assert any(
        re.search(r"rule\s+csv\.well_formed\n", b)
        and re.search(r"row\s+\d+, \d+, \d+\n", b)
        and f"file    crm/opportunities/{MONTH}/opportunities_{MONTH.replace('-', '')}.csv" in b
        for b in malformed
    ), err
    # the run's log (the Dagster event log) has a line per malformed line set aside, and the count
    log_file = Path(re.search(r"\(log: (\S+)\)", proc.stdout)[1])
    log_lines = log_file.read_text().splitlines()
    set_aside = [line for line in log_lines if "set aside in quarantine" in line and "rule csv.well_formed" in line]
    assert len(set_aside) == 3, set_aside
    assert any("3 malformed line(s) set aside in quarantine" in line for line in log_lines)
    assert "Published version: nothing is published yet." in err
    assert f"sop run --month {MONTH}" in err
    assert not (tmp_path / "serve" / "sop.duckdb").exists()


def _sop_run(data_dir: Path, first: str, last: str) -> subprocess.CompletedProcess:
    with instance_home() as home:
        return subprocess.run(
            [SOP, "run", "--from", first, "--to", last, "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            env=sop_env(home),
            timeout=900,
        )


def test_hand_damaged_extracts_block_at_their_files_and_the_fixed_files_pass(tmp_path):
    """Damage made by hand, the way real exports go wrong: a quota file for another period, an
    invoice dated a year ahead, and the order lines downloaded twice (a copy named '(1)')."""
    from datetime import date

    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    generate_company(tmp_path / "landing", seed=7, scale=0.02, start="2021-01", through=MONTH)
    landing = tmp_path / "landing"
    stamp = MONTH.replace("-", "")
    quotas = landing / "crm" / "quotas" / MONTH / f"quotas_{stamp}.csv"
    invoices = landing / "erp" / "invoices" / MONTH / f"invoices_{stamp}.parquet"
    orders = landing / "erp" / "sales_order_lines" / MONTH / f"sales_order_lines_{stamp}.parquet"
    clean = {p: p.read_bytes() for p in (quotas, invoices, orders)}

    quota_rows = pd.read_csv(quotas, dtype=str, keep_default_na=False)
    quota_rows["StartDate"] = "2023-02-01"
    quota_rows.to_csv(quotas, index=False)
    original = pq.read_table(invoices)
    table = original.to_pandas()
    table.loc[0, "invoice_date"] = date(2022, 2, 14)
    pq.write_table(pa.Table.from_pandas(table, schema=original.schema, preserve_index=False), invoices)
    copy = orders.with_name(f"sales_order_lines_{stamp} (1).parquet")
    copy.write_bytes(orders.read_bytes())
    damaged = {p: p.read_bytes() for p in (quotas, invoices, orders, copy)}

    proc = _sop_run(tmp_path, "2021-01", MONTH)
    assert proc.returncode == 1, proc.stderr[-3000:]
    err = proc.stderr
    blocks = err.split("  ✗ ")[1:]
    quota = next(b for b in blocks if b.startswith("raw_crm_quotas (check gx_suite)"))
    assert re.search(r"rule\s+values\.in_extract_month\n", quota)
    assert f"crm/quotas/{MONTH}/quotas_{stamp}.csv" in quota
    assert f"StartDate 2023-02-01 is 24 months after the extract month {MONTH} (allowed: within the month)" in quota
    invoice = next(b for b in blocks if b.startswith("raw_erp_invoices (check gx_suite)"))
    assert f"invoice_date 2022-02-14 is 12 months after the extract month {MONTH}" in invoice
    assert re.search(r"row\s+1\n", invoice)
    twice = next(b for b in blocks if b.startswith("raw_erp_sales_order_lines (step failed)"))
    assert re.search(r"rule\s+extract\.one_per_month\n", twice)
    assert f"'sales_order_lines_{stamp} (1).parquet' and 'sales_order_lines_{stamp}.parquet'" in twice
    assert "Published version: nothing is published yet." in err
    # nothing lost: every landing file is as it was delivered, damaged or not
    assert {p: p.read_bytes() for p in damaged} == damaged

    # the sender's fix: the right files again, the copy moved out; the month's extracts then load
    # and pass their checks (that a fixed month publishes is test_bad_input_matrix's last test)
    copy.unlink()
    for path, content in clean.items():
        path.write_bytes(content)
    from dagster import DagsterInstance

    from tests.integration.bad_input_support import materialize_raw

    fixed = materialize_raw(
        tmp_path, ["crm_quotas", "erp_invoices", "erp_sales_order_lines"], MONTH, DagsterInstance.ephemeral()
    )
    assert fixed.success
    evaluations = fixed.get_asset_check_evaluations()
    assert evaluations and all(e.passed for e in evaluations)
