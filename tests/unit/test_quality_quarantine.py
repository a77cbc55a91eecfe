"""The quarantine table: one DDL for Python and dbt, month × stage replaced, never appended twice."""

from __future__ import annotations

import json
import re

import duckdb
import pandas as pd
import pytest

from orchestration.quality.quarantine import (
    QUARANTINE_COLUMNS,
    QUARANTINE_DDL,
    QUARANTINE_TABLE,
    ensure_quarantine_table,
    ingest_error_rows,
    quarantined_rows,
    replace_quarantine,
)
from orchestration.settings import DBT_PROJECT_DIR


def _rows(n: int, rule: str = "values.non_negative", severity: str = "error", load_id: str = "run1:crm_opportunities"):
    return pd.DataFrame(
        {
            "rule": [rule] * n,
            "severity": [severity] * n,
            "source_file": ["crm/opportunities/2024-03/opportunities.csv"] * n,
            "source_row": list(range(1, n + 1)),
            "load_id": [load_id] * n,
            "reason": [f"Amount = -{i}.00 is negative" for i in range(n)],
            "row_json": [json.dumps({"Id": f"006{i}", "Amount": f"-{i}.00"}) for i in range(n)],
        }
    )


def test_dbt_macro_runs_the_same_ddl_as_python():
    text = (DBT_PROJECT_DIR / "macros" / "ensure_quarantine_table.sql").read_text()
    body = re.search(r"-- ddl:begin\n(.*?)-- ddl:end", text, re.S).group(1)
    statements = [s.strip() for s in body.split(";") if s.strip()]
    assert statements == list(QUARANTINE_DDL)
    hooks = (DBT_PROJECT_DIR / "dbt_project.yml").read_text()
    assert "ensure_quarantine_table()" in hooks.split("on-run-start:")[1].split("\n\n")[0]


def test_table_has_the_agreed_columns_and_creation_is_idempotent():
    con = duckdb.connect()
    ensure_quarantine_table(con)
    ensure_quarantine_table(con)
    cols = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'quarantine' and table_name = 'quarantined_rows' order by ordinal_position"
    ).fetchall()
    assert cols == list(QUARANTINE_COLUMNS.items())


def test_replace_quarantine_replaces_entity_month_stage_only():
    con = duckdb.connect()
    assert replace_quarantine(con, "crm_opportunities", "2024-03", "check", _rows(3)) == 3
    assert replace_quarantine(con, "crm_opportunities", "2024-04", "check", _rows(2)) == 2
    assert replace_quarantine(con, "crm_opportunities", "2024-03", "ingest", _rows(1, "csv.well_formed")) == 1
    # re-running the check of March replaces its 3 rows by 1, leaves April and ingest alone
    assert replace_quarantine(con, "crm_opportunities", "2024-03", "check", _rows(1)) == 1
    counts = dict(
        con.execute(f"select partition_month || '/' || stage, count(*) from {QUARANTINE_TABLE} group by 1").fetchall()
    )
    assert counts == {"2024-03/check": 1, "2024-04/check": 2, "2024-03/ingest": 1}
    # an empty frame clears the month (the input was fixed)
    assert replace_quarantine(con, "crm_opportunities", "2024-04", "check", _rows(0)) == 0
    got = quarantined_rows(con, entity="crm_opportunities")
    assert sorted(got["partition_month"] + "/" + got["stage"]) == ["2024-03/check", "2024-03/ingest"]
    row = quarantined_rows(con, month="2024-03").query("stage == 'check'").iloc[0]
    assert row["source_row"] == 1 and row["severity"] == "error" and row["entity"] == "crm_opportunities"
    assert row["load_id"] == "run1:crm_opportunities" and json.loads(row["row_json"])["Amount"] == "-0.00"
    assert row["quarantined_at"] is not None


def test_ingest_errors_are_found_for_the_months_asked():
    con = duckdb.connect()
    replace_quarantine(con, "crm_users", "2024-03", "ingest", _rows(2, "csv.well_formed"))
    replace_quarantine(con, "crm_users", "2024-04", "ingest", _rows(1, "csv.well_formed", severity="warn"))
    assert len(ingest_error_rows(con, "crm_users", ["2024-03", "2024-04"])) == 2
    assert len(ingest_error_rows(con, "crm_users", ["2024-04"])) == 0
    assert len(ingest_error_rows(con, "crm_accounts", ["2024-03"])) == 0


@pytest.mark.parametrize(
    "month, stage, severity",
    [("2024-3", "check", "error"), ("2024-03", "load", "error"), ("2024-03", "check", "fatal")],
)
def test_bad_scope_or_severity_is_refused(month, stage, severity):
    with pytest.raises(ValueError):
        replace_quarantine(duckdb.connect(), "crm_users", month, stage, _rows(1, severity=severity))


def _render_exclude_macro(entity: str, alias: str = "raw_rows") -> str:
    import jinja2

    text = (DBT_PROJECT_DIR / "macros" / "exclude_quarantined.sql").read_text()
    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    module = env.from_string(text).module
    return str(module.exclude_quarantined(entity, alias))


def test_every_staging_model_leaves_out_its_quarantined_rows():
    from orchestration.sources import CATALOG

    staging = DBT_PROJECT_DIR / "models" / "staging"
    for entity in CATALOG:
        sql = (staging / entity.system / f"stg_{entity.system}__{entity.entity}.sql").read_text()
        assert f"{{{{ source('{entity.system}', '{entity.entity}') }}}} as raw_rows" in sql, entity.name
        assert sql.count(f"exclude_quarantined('{entity.name}')") == 1, entity.name


def test_exclusion_matches_load_file_and_row_of_check_quarantine_only():
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute(
        'create table raw.crm_opportunities ("Id" varchar, _load_id varchar, _source_file varchar, _source_row bigint)'
    )
    f = "crm/opportunities/2024-03/opportunities.csv"
    con.execute(
        "insert into raw.crm_opportunities values "
        f"('a', 'run2:crm_opportunities', '{f}', 1), ('b', 'run2:crm_opportunities', '{f}', 2), "
        f"('c', 'run2:crm_opportunities', '{f}', 3), ('d', 'run2:crm_opportunities', 'other.csv', 2)"
    )
    rows = _rows(1, rule="values.dates_in_range", severity="warn", load_id="run2:crm_opportunities")
    rows["source_row"] = [2]
    replace_quarantine(con, "crm_opportunities", "2024-03", "check", rows)
    # same row number, but quarantined by ingestion (never in raw) or by an older load: kept
    replace_quarantine(
        con, "crm_opportunities", "2024-03", "ingest", _rows(3, "csv.well_formed", load_id="run2:crm_opportunities")
    )
    replace_quarantine(con, "crm_opportunities", "2024-02", "check", _rows(3, load_id="run1:crm_opportunities"))
    condition = _render_exclude_macro("crm_opportunities")
    kept = con.execute(f'select "Id" from raw.crm_opportunities as raw_rows where {condition} order by 1').fetchall()
    assert [k[0] for k in kept] == ["a", "c", "d"]
