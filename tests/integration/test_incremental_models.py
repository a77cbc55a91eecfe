"""Building the incremental ERP facts month by month gives exactly the full-refresh result.

A tiny demo company is generated and loaded into two warehouses: one receives the months
one at a time, each followed by a dbt run limited to that month (the range the orchestration
hands over in ``pipeline.build_window``), with one month re-run to prove idempotency; the other
is loaded at once and built with ``--full-refresh`` and no range. The three incremental facts
must be identical, row for row.

Every dbt run on one warehouse file uses one target folder and the same vars, so dbt keeps its
partially parsed project between them (a new file path or new vars re-parse the whole project);
the tests that change a warehouse do it on a copy at one scratch path, one test after another on
the module's worker.
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
MONTHS = ["2021-01", "2021-02", "2021-03"]

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


def _set_window(db: Path, month: str | None) -> None:
    """The orchestration's way of limiting a build to ``month`` (``None``: every month)."""
    first_day = pd.Timestamp(f"{month}-01").date() if month else None
    with duckdb.connect(str(db)) as con:
        set_build_window(con, first_day, first_day)


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
        _set_window(incremental_db, month)
        _dbt_run(incremental_db, root / "inc")
    # closing a month again replaces it: nothing doubles
    _set_window(incremental_db, MONTHS[1])
    _dbt_run(incremental_db, root / "inc")
    _set_window(incremental_db, None)

    full_db = root / "full.duckdb"
    _load(full_db, landing, MONTHS)
    _dbt_run(full_db, root / "full", "--full-refresh")
    return incremental_db, full_db


@pytest.fixture
def scratch(warehouses) -> tuple[Path, Path]:
    """(the scratch warehouse path, its dbt work folder): one path for every test that changes a
    copy of a warehouse, so their dbt runs share one partially parsed project."""
    work = warehouses[0].parent / "scratch"
    work.mkdir(exist_ok=True)
    return work / "copy.duckdb", work


@pytest.mark.parametrize("fact", list(FACTS))
def test_month_by_month_equals_full_refresh(warehouses, fact):
    incremental_db, full_db = warehouses
    built_incrementally = _read_fact(incremental_db, fact)
    built_in_full = _read_fact(full_db, fact)
    assert len(built_in_full) > 0
    assert built_incrementally[FACTS[fact]].duplicated().sum() == 0
    pd.testing.assert_frame_equal(built_incrementally, built_in_full, check_exact=True)


def test_a_partition_run_by_hand_with_vars_touches_only_its_month(warehouses, scratch):
    """Re-running one month (``--vars`` by hand) with a changed upstream row changes that month only."""
    incremental_db, _ = warehouses
    db, work = scratch
    db.write_bytes(incremental_db.read_bytes())
    before = _read_fact(db, "fct_invoice_lines")
    with duckdb.connect(str(db)) as con:
        # a late correction lands for every month; only the partition being built takes it
        con.execute("update raw.erp_invoice_lines set net_amount = net_amount + 1")
    # vars of its own: a target folder of its own, so the other scratch runs keep their parse
    _dbt_run(db, work / "with-vars", "--vars", _month_vars(MONTHS[1]))
    after = _read_fact(db, "fct_invoice_lines")
    changed_months = set(after.loc[after.net_amount != before.net_amount, "invoice_month"].astype(str))
    assert changed_months == {f"{MONTHS[1]}-01"}


@pytest.mark.parametrize("window", ["table", "none"])
def test_the_orchestrations_build_window_table_sets_the_range_and_an_empty_one_means_every_month(
    warehouses, scratch, window
):
    """The orchestration hands the range over in pipeline.build_window, not as vars."""
    incremental_db, _ = warehouses
    db, work = scratch
    db.write_bytes(incremental_db.read_bytes())
    before = _read_fact(db, "fct_invoice_lines")
    with duckdb.connect(str(db)) as con:
        con.execute("update raw.erp_invoice_lines set net_amount = net_amount + 1")
        if window == "table":
            month = pd.Timestamp(f"{MONTHS[2]}-01").date()
            set_build_window(con, month, month)
    _dbt_run(db, work)
    after = _read_fact(db, "fct_invoice_lines")
    changed_months = set(after.loc[after.net_amount != before.net_amount, "invoice_month"].astype(str))
    assert changed_months == ({f"{MONTHS[2]}-01"} if window == "table" else {f"{m}-01" for m in MONTHS})


def test_first_build_ignores_the_partition_range(warehouses, scratch):
    """A warehouse that gains the facts while closing one month still gets every month."""
    _, full_db = warehouses
    db, work = scratch
    db.write_bytes(full_db.read_bytes())
    with duckdb.connect(str(db)) as con:
        for name in FACTS:
            con.execute(f"drop table marts.{name}")
        set_build_window(con, pd.Timestamp(f"{MONTHS[-1]}-01").date(), pd.Timestamp(f"{MONTHS[-1]}-01").date())
    _dbt_run(db, work)
    for name in FACTS:
        pd.testing.assert_frame_equal(_read_fact(db, name), _read_fact(full_db, name), check_exact=True)
