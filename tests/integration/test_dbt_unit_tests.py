"""The dbt unit tests (``unit_tests:`` in the models' YAML) pass on the built warehouse.

Monthly runs leave them out (``dbt build --exclude-resource-type unit_test``, as dbt Labs
advise for production builds): they test the models' SQL on fixed rows, not the month's data,
so they run here, once per test session, against a copy of the small company's warehouse
(``built_warehouse_copy``, shared with the dbt docs test).
"""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO / "dbt_project"


def test_every_dbt_unit_test_passes(built_warehouse_copy):
    manifest = json.loads((DBT_PROJECT / "target" / "manifest.json").read_text())
    declared = set(manifest["unit_tests"])
    assert len(declared) >= 10, sorted(declared)
    result = built_warehouse_copy.dbt("test", "--select", "test_type:unit")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    results = [  # the project's on-run-start hooks are results too
        r
        for r in json.loads((built_warehouse_copy.target / "run_results.json").read_text())["results"]
        if r["unique_id"].startswith("unit_test.")
    ]
    assert {r["unique_id"] for r in results} == declared
    assert all(r["status"] == "pass" for r in results), [(r["unique_id"], r["status"]) for r in results]
