"""The build window: one DDL for Python and dbt, set for a dbt step and cleared after it, whatever happens."""

from __future__ import annotations

import re
from datetime import date

import duckdb
import pytest

from orchestration.build_window import BUILD_WINDOW_DDL, BUILD_WINDOW_TABLE, build_window, set_build_window
from orchestration.settings import DBT_PROJECT_DIR


def test_dbt_macro_runs_the_same_ddl_as_python():
    text = (DBT_PROJECT_DIR / "macros" / "ensure_build_window_table.sql").read_text()
    body = re.search(r"-- ddl:begin\n(.*?)-- ddl:end", text, re.S).group(1)
    assert [s.strip() for s in body.split(";") if s.strip()] == list(BUILD_WINDOW_DDL)
    hooks = (DBT_PROJECT_DIR / "dbt_project.yml").read_text()
    assert "ensure_build_window_table()" in hooks.split("on-run-start:")[1].split("\n\n")[0]


def test_the_project_has_no_month_vars_to_change_from_run_to_run():
    project = (DBT_PROJECT_DIR / "dbt_project.yml").read_text()
    assert not re.search(r"^\s+(min_month|max_month):", project, re.M)


def _rows(path) -> list[tuple]:
    with duckdb.connect(str(path)) as con:
        return con.execute(f"select * from {BUILD_WINDOW_TABLE}").fetchall()


def test_the_window_holds_for_the_block_and_is_cleared_after_it_even_on_failure(tmp_path):
    db = tmp_path / "wh.duckdb"
    with build_window(db, date(2024, 3, 1), date(2024, 5, 1)):
        assert _rows(db) == [(date(2024, 3, 1), date(2024, 5, 1))]
    assert _rows(db) == []
    with pytest.raises(RuntimeError), build_window(db, date(2024, 6, 1), date(2024, 6, 1)):
        raise RuntimeError("dbt failed")
    assert _rows(db) == []


def test_setting_a_window_replaces_the_previous_one(tmp_path):
    con = duckdb.connect()
    set_build_window(con, date(2024, 1, 1), date(2024, 1, 1))
    set_build_window(con, date(2024, 2, 1), date(2024, 3, 1))
    assert con.execute(f"select * from {BUILD_WINDOW_TABLE}").fetchall() == [(date(2024, 2, 1), date(2024, 3, 1))]
