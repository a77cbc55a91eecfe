"""A bad planner file stops the supply step with file, row and rule, and nothing is published.

The supply assets, the supply marts and the publication run in process on a copy of the small
demo company (built once for the session by ``built_company``), for its last month.
"""

from __future__ import annotations

import shutil

import duckdb
import pytest
from dagster import DagsterEventType, DagsterInstance, materialize

from orchestration.definitions import DBT_EXECUTABLE
from orchestration.defs.dbt_assets import dbt_resource, sop_dbt_planning_models
from orchestration.defs.resources import ForecastSettings, SopDataResource, SupplySettings
from orchestration.defs.serving_assets import serving_marts
from orchestration.defs.supply_assets import supply_assets
from tests.conftest import LAST

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline")]


def _published_version(root) -> str:
    with duckdb.connect(str(root / "serve" / "sop.duckdb"), read_only=True) as con:
        return con.execute("SELECT version FROM sop_publication").fetchone()[0]


@pytest.fixture
def company(built_company, tmp_path):
    root = tmp_path / "data"
    for part in ("warehouse", "serve"):
        shutil.copytree(built_company.root / part, root / part, symlinks=True)
    (root / "inputs").mkdir(parents=True)
    return root


def _run(root):
    instance = DagsterInstance.ephemeral()
    dbt = dbt_resource(DBT_EXECUTABLE)
    result = materialize(
        [*supply_assets, sop_dbt_planning_models, serving_marts],
        partition_key=f"{LAST}-01",
        instance=instance,
        resources={
            "sop_data": SopDataResource(data_dir=str(root)),
            "dbt": dbt,
            "forecast_settings": ForecastSettings(backfill_cycles=1),
            "supply_settings": SupplySettings(),
        },
        raise_on_error=False,
    )
    failures = [
        e.event_specific_data.error.to_string()
        for e in result.all_events
        if e.event_type == DagsterEventType.STEP_FAILURE
    ]
    return result, failures


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "scenario,lever,family,region,work_center,month,change\nup,demand,XYZ,,,,10\n",
            r"supply_scenarios.csv row 2.*XYZ",
        ),
        (
            "scenario,lever,family,region,work_center,month,change\ndown,capacity,,,WC-NOPE,,-10\n",
            r"supply_scenarios.csv row 2.*WC-NOPE",
        ),
    ],
)
def test_a_bad_scenario_file_blocks_the_step_and_keeps_the_publication(company, text, expected):
    import re

    before = _published_version(company)
    (company / "inputs" / "supply_scenarios.csv").write_text(text)
    result, failures = _run(company)
    assert not result.success
    assert any(re.search(expected, f) for f in failures), failures
    assert _published_version(company) == before
    # the planners' file is read, never rewritten
    assert (company / "inputs" / "supply_scenarios.csv").read_text() == text


def test_a_bad_policy_file_names_the_key_and_rule(company):
    (company / "inputs" / "supply_policy.yaml").write_text("overtime:\n  cap_share: 2\n")
    before = _published_version(company)
    result, failures = _run(company)
    assert not result.success
    assert any("supply_policy.yaml" in f and "overtime.cap_share" in f for f in failures), failures
    assert _published_version(company) == before


def test_a_good_scenario_file_gives_one_kpi_row_per_scenario(company):
    (company / "inputs" / "supply_scenarios.csv").write_text(
        "scenario,lever,family,region,work_center,month,change\nall_up,demand,,,,,25\n"
    )
    result, failures = _run(company)
    assert result.success, failures
    db = next((company / "warehouse").glob("*.duckdb"))
    with duckdb.connect(str(db), read_only=True) as con:
        kpis = (
            con.execute("SELECT scenario, units_ordered FROM supply.scenarios WHERE cycle_month = ?", [f"{LAST}-01"])
            .df()
            .set_index("scenario")
        )
    assert list(kpis.index) == ["base", "all_up"]
    assert float(kpis.loc["all_up", "units_ordered"]) == pytest.approx(
        1.25 * float(kpis.loc["base", "units_ordered"]), rel=1e-6
    )
