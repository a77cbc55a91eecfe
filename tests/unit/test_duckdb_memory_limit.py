"""DuckDB's memory cap: set per data root (``SopDataResource.duckdb_memory_limit``) and applied
to the warehouse connection, the dbt profile and publishing, instead of DuckDB's default of 80%
of the machine's RAM."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import yaml
from pydantic import ValidationError

from orchestration.defs.dbt_assets import _dbt_vars
from orchestration.defs.resources import DEFAULT_DUCKDB_MEMORY_LIMIT, SopDataResource
from orchestration.publishing import publish_marts

PROFILES = Path(__file__).resolve().parents[2] / "dbt_project" / "profiles.yml"


def _as_duckdb_shows(limit: str) -> str:
    """How DuckDB reports ``limit`` (it normalises units: 512MB is shown as 488.2 MiB)."""
    with duckdb.connect() as con:
        con.execute(f"SET memory_limit = '{limit}'")
        return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def test_the_warehouse_connection_has_the_configured_cap(tmp_path):
    data = SopDataResource(data_dir=str(tmp_path), duckdb_memory_limit="512MB")
    with data.warehouse() as con:
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == _as_duckdb_shows("512MB")
    with SopDataResource(data_dir=str(tmp_path)).warehouse() as con:
        shown = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert shown == _as_duckdb_shows(DEFAULT_DUCKDB_MEMORY_LIMIT)


@pytest.mark.parametrize("bad", ["4 gigs", "4", "-1GB", "GB"])
def test_a_malformed_cap_is_refused_naming_the_setting(tmp_path, bad):
    with pytest.raises(ValidationError, match="duckdb_memory_limit"):
        SopDataResource(data_dir=str(tmp_path), duckdb_memory_limit=bad)


def test_dbt_gets_the_cap_through_the_profile(tmp_path):
    data = SopDataResource(data_dir=str(tmp_path), duckdb_memory_limit="6GB")
    assert json.loads(_dbt_vars(data)) == {"warehouse_db": str(data.paths.warehouse_db), "duckdb_memory_limit": "6GB"}
    settings = yaml.safe_load(PROFILES.read_text())["sop"]["outputs"]["local"]["settings"]
    assert "var('duckdb_memory_limit'" in settings["memory_limit"]
    assert f"'{DEFAULT_DUCKDB_MEMORY_LIMIT}'" in settings["memory_limit"]  # by hand: the same default


def test_publishing_under_a_cap_publishes_every_row(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.numbers AS SELECT range AS n FROM range(200000)")
    result = publish_marts(warehouse, tmp_path / "serve", memory_limit="64MB")
    assert result.tables == {"numbers": 200000}
    with duckdb.connect(str(result.serve_db), read_only=True) as con:
        assert con.execute("SELECT sum(n) FROM numbers").fetchone()[0] == 199999 * 200000 // 2
