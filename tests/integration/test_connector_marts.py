"""Switching the ERP from files to PostgreSQL changes nothing downstream: the marts are equal, row for row.

One small demo company is built twice into two warehouses: once from its files, once with its
ERP history replayed month by month into a real PostgreSQL database and extracted back through
the connector (what ``sop demo --erp`` does). Every mart built from the source systems alone
(the revenue warehouse: facts, dimensions, KPI marts) must be identical in both.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.connectors.postgres import PostgresConnector
from orchestration.demo import generate_company
from orchestration.demo.erp_replay import replay_erp
from orchestration.ingestion import LandingFolderReader, load_month
from orchestration.settings import DBT_PROJECT_DIR
from orchestration.sources import CATALOG
from tests.integration.postgres_fixtures import erp_database, postgres_server  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("postgres")]

MONTHS = ["2021-01", "2021-02", "2021-03", "2021-04"]
DBT = Path(sys.executable).with_name("dbt")
#: the schemas Python writes: marts built over them are not the source systems' alone
PYTHON_SOURCES = {"forecasting", "supply", "sop_cycle", "sales_planning"}


def source_system_marts() -> list[str]:
    """The marts whose lineage reaches only the CRM, ERP and market sources (and seeds)."""
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    parents = manifest["parent_map"]

    def ancestors(node: str, seen: set[str]) -> set[str]:
        for parent in parents.get(node, []):
            if parent not in seen:
                seen.add(parent)
                ancestors(parent, seen)
        return seen

    out = []
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or "/marts/" not in "/" + node["original_file_path"]:
            continue
        sources = {a.split(".")[2] for a in ancestors(unique_id, set()) if a.startswith("source.")}
        if not sources & PYTHON_SOURCES:
            out.append(node["name"])
    return sorted(out)


def _build(landing: Path, db: Path, work: Path, marts: list[str]) -> None:
    """Load ``landing`` into ``db`` and ``dbt run`` the marts there. Both builds use one path for
    ``db`` and one ``work`` folder, so the second keeps the first's partially parsed project (a new
    warehouse path re-parses the whole project)."""
    reader = LandingFolderReader(landing)
    with duckdb.connect(str(db)) as con:
        for entity in CATALOG:
            for month in MONTHS:
                load_month(con, entity, month, reader, load_id=f"test:{entity.name}:{month}")
    cmd = [str(DBT), "run", "--profiles-dir", str(DBT_PROJECT_DIR), "--project-dir", str(DBT_PROJECT_DIR)]
    cmd += ["--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    cmd += ["--vars", json.dumps({"warehouse_db": str(db)}), "--select", *[f"+{m}" for m in marts]]
    result = subprocess.run(cmd, cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]


def _mart(db: Path, name: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"select * from marts.{name} order by all").df()


def test_marts_built_from_the_postgresql_erp_equal_those_built_from_the_files(erp_database, tmp_path):  # noqa: F811
    files = tmp_path / "files" / "landing"
    generate_company(files, seed=13, scale=0.04, through=MONTHS[-1])

    via_postgres = tmp_path / "postgres" / "landing"
    for system in ("crm", "market"):
        shutil.copytree(files / system, via_postgres / system)
    summary = replay_erp(
        PostgresConnector(erp_database, chunk_rows=500), files, via_postgres, MONTHS, timedelta(hours=3)
    )
    assert summary.months == len(MONTHS) and summary.rows_applied > 0

    marts = source_system_marts()
    assert len(marts) >= 20 and "revenue_by_region_family_monthly" in marts
    building = tmp_path / "dbt" / "warehouse.duckdb"
    building.parent.mkdir()
    _build(files, building, tmp_path / "dbt", marts)
    building.rename(tmp_path / "files.duckdb")
    _build(via_postgres, building, tmp_path / "dbt", marts)
    building.rename(tmp_path / "postgres.duckdb")

    empty = []
    for name in marts:
        from_files, from_postgres = _mart(tmp_path / "files.duckdb", name), _mart(tmp_path / "postgres.duckdb", name)
        pd.testing.assert_frame_equal(from_postgres, from_files, check_exact=True, obj=name)
        if from_files.empty:
            empty.append(name)
    # the comparison is about rows: nearly every mart has some
    assert len(empty) <= 2, empty
