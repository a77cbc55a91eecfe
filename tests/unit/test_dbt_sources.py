"""The dbt project declares exactly the entities and columns of the source catalog."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from orchestration.sources import CATALOG, LINEAGE_COLUMNS, SYSTEMS

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
STAGING = DBT_PROJECT / "models" / "staging"


def _sources_yaml(system: str) -> dict:
    path = STAGING / system / f"_{system}__sources.yml"
    (source,) = yaml.safe_load(path.read_text())["sources"]
    return source


def _dbt_tables() -> dict[str, dict]:
    tables = {}
    for system in SYSTEMS:
        source = _sources_yaml(system)
        assert source["name"] == system
        assert source["schema"] == "raw"
        for table in source["tables"]:
            tables[f"{system}_{table['name']}"] = table
    return tables


def test_sources_list_exactly_the_catalog_entities():
    assert sorted(_dbt_tables()) == sorted(e.name for e in CATALOG)


@pytest.mark.parametrize("entity", CATALOG, ids=lambda e: e.name)
def test_source_table_matches_catalog_entity(entity):
    table = _dbt_tables()[entity.name]
    assert table["identifier"] == entity.name
    assert table["loaded_at_field"] == "_loaded_at"
    assert table["description"]

    expected = entity.columns + LINEAGE_COLUMNS
    columns = table["columns"]
    assert [c["name"] for c in columns] == [c.name for c in expected]
    for declared, column in zip(columns, expected):
        assert declared["description"] == column.description, column.name


@pytest.mark.parametrize("entity", CATALOG, ids=lambda e: e.name)
def test_every_entity_has_a_documented_staging_model(entity):
    model_name = f"stg_{entity.system}__{entity.entity}"
    sql = (STAGING / entity.system / f"{model_name}.sql").read_text()
    assert f"source('{entity.system}', '{entity.entity}')" in sql

    models = yaml.safe_load((STAGING / entity.system / f"_{entity.system}__models.yml").read_text())
    documented = {m["name"]: m for m in models["models"]}
    assert model_name in documented
    assert all(c.get("description") for c in documented[model_name]["columns"])


def test_source_is_only_referenced_in_staging():
    offenders = [
        path.relative_to(DBT_PROJECT)
        for path in (DBT_PROJECT / "models").rglob("*.sql")
        if re.search(r"\bsource\s*\(", path.read_text()) and STAGING not in path.parents
    ]
    assert offenders == []
