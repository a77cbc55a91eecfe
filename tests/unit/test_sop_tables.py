"""The sop tables' declarations, the generated dbt files of the area, and the scorecard KPIs' dictionary entries."""

from __future__ import annotations

import csv

from orchestration.settings import DBT_PROJECT_DIR
from orchestration.sop_cycle import actions, dbt_yaml, plan_comparison, scorecard, tables
from orchestration.sop_cycle.kpis import SCORECARD_KPIS


def test_the_generated_dbt_files_are_up_to_date():
    assert dbt_yaml.out_of_date() == [], "run: .venv/bin/python -m orchestration.sop_cycle.dbt_yaml --write"


def test_the_tables_declare_the_columns_the_domain_writes():
    assert list(tables.KPI_SCORECARD.columns) == scorecard.COLUMNS
    assert list(tables.PLAN_COMPARISON.columns) == plan_comparison.COLUMNS
    assert list(tables.ACTION_SNAPSHOTS.columns) == actions.SNAPSHOT_COLUMNS
    assert list(tables.ACTION_HISTORY.columns) == actions.HISTORY_COLUMNS


def test_every_scorecard_kpi_names_a_dictionary_entry():
    with open(DBT_PROJECT_DIR / "seeds" / "kpi_dictionary.csv", newline="") as handle:
        names = {row["kpi_name"] for row in csv.DictReader(handle)}
    assert {k.dictionary_kpi for k in SCORECARD_KPIS} <= names
    assert len({k.kpi for k in SCORECARD_KPIS}) == len(SCORECARD_KPIS)
