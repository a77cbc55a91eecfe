"""Building the incremental ERP facts month by month gives exactly the full-refresh result.

A tiny demo company is generated and loaded into two warehouses: one receives the months
one at a time, each followed by a dbt run limited to that month (the vars the orchestration
passes for a partition), with one month re-run to prove idempotency; the other is loaded
at once and built with ``--full-refresh`` and no vars. The three incremental facts must be
identical, row for row.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.build_window import set_build_window
from orchestration.demo import generate_company
from orchestration.ingestion import LandingFolderReader, load_month
from orchestration.sources import CATALOG

#: one worker builds the module's two warehouses (about 10 dbt runs) and runs every test on them
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("incremental")]

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")
MONTHS = ["2021-01", "2021-02", "2021-03", "2021-04"]

#: fact -> its key columns
FACTS = {
    "fct_sales_order_lines": ["order_number", "order_line_number"],
    "fct_shipments": ["shipment_number"],
    "fct_invoice_lines": ["invoice_number", "invoice_line_number"],
}
SELECTION = [f"+{name}" for name in FACTS]


def _load(db: Path, landing: Path, months: list[str]) -> None:
    reader = LandingFolderReader(landing)
    with duckdb.connect(str(db)) as con:
        for entity in CATALOG:
            for month in months:
                load_month(con, entity, month, reader, load_id=f"test:{entity.name}:{month}")


def _dbt_run(db: Path, work: Path, *extra: str) -> None:
    env = {**os.environ, "SOP_WAREHOUSE_DB": str(db)}
    cmd = [
        str(DBT),
        "run",
        "--profiles-dir",
        str(DBT_PROJECT),
        "--project-dir",
        str(DBT_PROJECT),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--select",
        *SELECTION,
        *extra,
    ]
    result = subprocess.run(cmd, cwd=DBT_PROJECT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def _month_vars(month: str) -> str:
    first_day = f"{month}-01"
    return f'{{"min_month": "{first_day}", "max_month": "{first_day}"}}'


def _read_fact(db: Path, name: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        frame = con.execute(f"select * from marts.{name}").df()
    return frame.sort_values(FACTS[name]).reset_index(drop=True)


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("incremental")
    landing = root / "landing"
    generate_company(landing, seed=11, scale=0.05, start=MONTHS[0], through=MONTHS[-1])

    incremental_db = root / "incremental.duckdb"
    for month in MONTHS:
        _load(incremental_db, landing, [month])
        _dbt_run(incremental_db, root / "inc", "--vars", _month_vars(month))
    # closing a month again replaces it: nothing doubles
    _dbt_run(incremental_db, root / "inc", "--vars", _month_vars(MONTHS[2]))

    full_db = root / "full.duckdb"
    _load(full_db, landing, MONTHS)
    _dbt_run(full_db, root / "full", "--full-refresh")
    return incremental_db, full_db


@pytest.mark.parametrize("fact", list(FACTS))
def test_month_by_month_equals_full_refresh(warehouses, fact):
    incremental_db, full_db = warehouses
    built_incrementally = _read_fact(incremental_db, fact)
    built_in_full = _read_fact(full_db, fact)
    assert len(built_in_full) > 0
    assert built_incrementally[FACTS[fact]].duplicated().sum() == 0
    pd.testing.assert_frame_equal(built_incrementally, built_in_full, check_exact=True)


def test_a_partition_run_touches_only_its_month(warehouses, tmp_path):
    """Re-running one month with a changed upstream row changes that month only."""
    incremental_db, _ = warehouses
    db = tmp_path / "copy.duckdb"
    db.write_bytes(incremental_db.read_bytes())
    before = _read_fact(db, "fct_invoice_lines")
    with duckdb.connect(str(db)) as con:
        # a late correction lands for every month; only the partition being built takes it
        con.execute("update raw.erp_invoice_lines set net_amount = net_amount + 1")
    _dbt_run(db, tmp_path, "--vars", _month_vars(MONTHS[1]))
    after = _read_fact(db, "fct_invoice_lines")
    changed_months = set(after.loc[after.net_amount != before.net_amount, "invoice_month"].astype(str))
    assert changed_months == {f"{MONTHS[1]}-01"}


@pytest.mark.parametrize("window", ["table", "none"])
def test_the_orchestrations_build_window_table_sets_the_range_and_an_empty_one_means_every_month(
    warehouses, tmp_path, window
):
    """The orchestration hands the range over in pipeline.build_window, not as vars."""
    incremental_db, _ = warehouses
    db = tmp_path / "copy.duckdb"
    db.write_bytes(incremental_db.read_bytes())
    before = _read_fact(db, "fct_invoice_lines")
    with duckdb.connect(str(db)) as con:
        con.execute("update raw.erp_invoice_lines set net_amount = net_amount + 1")
        if window == "table":
            month = pd.Timestamp(f"{MONTHS[2]}-01").date()
            set_build_window(con, month, month)
    _dbt_run(db, tmp_path)
    after = _read_fact(db, "fct_invoice_lines")
    changed_months = set(after.loc[after.net_amount != before.net_amount, "invoice_month"].astype(str))
    assert changed_months == ({f"{MONTHS[2]}-01"} if window == "table" else {f"{m}-01" for m in MONTHS})


def test_first_build_ignores_the_partition_range(warehouses, tmp_path):
    """A warehouse that gains the facts while closing one month still gets every month."""
    _, full_db = warehouses
    db = tmp_path / "fresh.duckdb"
    db.write_bytes(full_db.read_bytes())
    with duckdb.connect(str(db)) as con:
        for name in FACTS:
            con.execute(f"drop table marts.{name}")
    _dbt_run(db, tmp_path, "--vars", _month_vars(MONTHS[-1]))
    for name in FACTS:
        pd.testing.assert_frame_equal(_read_fact(db, name), _read_fact(full_db, name), check_exact=True)
