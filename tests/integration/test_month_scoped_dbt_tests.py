"""A dbt test that judges only the months a run rebuilt does exactly that, and every month
without a range (``macro partition_range_condition``).

On a copy of the shared company's warehouse, one month-end pipeline snapshot row is altered in
the first month and one in the last; the test that recomputes the snapshots from the history
then finds the last month's row alone when the build window is the last month, and both with
an empty window (a full build, or ``dbt build`` by hand).
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest

from orchestration.build_window import set_build_window
from tests.conftest import FIRST, LAST, WarehouseCopy

pytestmark = [pytest.mark.slow]

TEST = "assert_pipeline_snapshot_matches_latest_history_row"


def _alter_one_row(con: duckdb.DuckDBPyConnection, month: str) -> None:
    """Move one snapshot row's close date by a day."""
    (opportunity_id,) = con.execute(
        "select min(opportunity_id) from marts.fct_pipeline_snapshot_monthly where snapshot_month = ?",
        [f"{month}-01"],
    ).fetchone()
    con.execute(
        "update marts.fct_pipeline_snapshot_monthly set close_date = close_date + interval 1 day "
        "where snapshot_month = ? and opportunity_id = ?",
        [f"{month}-01", opportunity_id],
    )


def _failures(copy: WarehouseCopy, window_month: str | None) -> int:
    first_day = pd.Timestamp(f"{window_month}-01").date() if window_month else None
    with duckdb.connect(str(copy.db)) as con:
        set_build_window(con, first_day, first_day)
    proc = copy.dbt("test", "--select", TEST)
    results = json.loads((copy.target / "run_results.json").read_text())["results"]
    (result,) = [r for r in results if r["unique_id"].startswith(f"test.sop.{TEST}")]
    assert (proc.returncode == 0) == (result["status"] == "pass"), proc.stdout[-3000:]
    return result["failures"]


def test_the_snapshot_test_judges_the_rebuilt_months_only(built_company, tmp_path):
    copy = WarehouseCopy.of_company(built_company, tmp_path)
    with duckdb.connect(str(copy.db)) as con:
        _alter_one_row(con, FIRST)
        _alter_one_row(con, LAST)

    assert _failures(copy, LAST) == 1
    assert _failures(copy, FIRST) == 1
    assert _failures(copy, None) == 2
