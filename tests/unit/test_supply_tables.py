"""The dbt project declares exactly the tables the supply step writes (orchestration/supply/tables.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orchestration.supply import tables

DBT = Path(__file__).resolve().parents[2] / "dbt_project" / "models"
SOURCES = DBT / "staging" / "supply" / "_supply__sources.yml"
STAGING = DBT / "staging" / "supply" / "_supply__models.yml"
MARTS = DBT / "marts" / "supply" / "_supply__models.yml"


def _source() -> dict:
    (source,) = yaml.safe_load(SOURCES.read_text())["sources"]
    return source


def _models(path: Path) -> dict[str, dict]:
    return {m["name"]: m for m in yaml.safe_load(path.read_text())["models"]}


def test_the_source_is_the_supply_schema_and_names_its_dagster_assets():
    source = _source()
    assert source["name"] == source["schema"] == tables.SCHEMA
    assert source["meta"]["dagster_key_prefix"] == tables.SCHEMA
    assert [t["name"] for t in source["tables"]] == [tables.table_name(s) for s in tables.ALL]


@pytest.mark.parametrize("spec", tables.ALL, ids=tables.table_name)
def test_source_columns_match_the_table_spec(spec):
    (table,) = [t for t in _source()["tables"] if t["name"] == tables.table_name(spec)]
    assert table["description"] == spec.description
    declared = [(c["name"], c["data_type"], c["description"]) for c in table["columns"]]
    assert declared == [(name, sql.lower(), text) for name, (sql, text) in spec.columns.items()]


@pytest.mark.parametrize("spec", tables.ALL, ids=tables.table_name)
def test_staging_model_reads_the_source_and_keeps_every_column(spec):
    name = tables.table_name(spec)
    sql = (DBT / "staging" / "supply" / f"stg_supply__{name}.sql").read_text()
    assert f"source('supply', '{name}')" in sql
    model = _models(STAGING)[f"stg_supply__{name}"]
    assert [c["name"] for c in model["columns"]] == list(spec.columns)
    assert all(c["description"] for c in model["columns"])


def test_every_supply_mart_has_an_enforced_contract_and_documented_columns():
    marts = _models(MARTS)
    staged = {f"stg_supply__{tables.table_name(s)}": s for s in tables.ALL}
    assert len(marts) == len(tables.ALL)
    for name, model in marts.items():
        sql = (DBT / "marts" / "supply" / f"{name}.sql").read_text()
        (ref,) = [s for s in staged if f"ref('{s}')" in sql]
        spec = staged[ref]
        assert model["config"]["contract"]["enforced"] is True
        assert [(c["name"], c["data_type"]) for c in model["columns"]] == [
            (n, t.lower()) for n, (t, _) in spec.columns.items()
        ]
        assert all(c["description"] for c in model["columns"])


def test_the_generated_dbt_files_are_up_to_date():
    from orchestration.supply import dbt_yaml

    assert dbt_yaml.out_of_date() == [], "run: .venv/bin/python -m orchestration.supply.dbt_yaml --write"
