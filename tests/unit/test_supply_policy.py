"""The planners' supply policy file: documented defaults, partial files, and errors naming file, key and rule."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import yaml

from orchestration.supply import policy as pol
from orchestration.supply.lp import sku_costs_from_policy


def test_the_documented_example_is_exactly_the_defaults(tmp_path):
    path = tmp_path / pol.POLICY_FILE
    path.write_text(pol.EXAMPLE_POLICY)
    read = pol.read_policy(path)
    assert dataclasses.replace(read, source="x") == dataclasses.replace(pol.Policy(), source="x")
    assert set(yaml.safe_load(pol.EXAMPLE_POLICY)["service_levels"]) == set(pol.CLASSES)


def test_missing_file_gives_defaults_and_a_partial_file_changes_only_its_keys(tmp_path):
    assert pol.read_policy(tmp_path / "nope.yaml").service_level("AX") == 0.98
    path = tmp_path / pol.POLICY_FILE
    path.write_text("service_levels:\n  CZ: 0.8\novertime:\n  cap_share: 0.25\nbacklog_cost:\n  per_unit: 12\n")
    p = pol.read_policy(path)
    assert p.service_level("CZ") == 0.8 and p.service_level("AX") == 0.98
    assert p.overtime_cap_share == 0.25 and p.overtime_premium_per_hour == 35.0
    assert p.backlog_per_unit == 12.0 and p.backlog_margin_multiple is None
    assert path.read_text().startswith("service_levels:")  # read, never rewritten


@pytest.mark.parametrize(
    "text, key, rule",
    [
        ("service_levels:\n  AX: 1.2\n", "service_levels.AX", "0 < level < 1"),
        ("service_levels:\n  AQ: 0.9\n", "service_levels.AQ", "unknown key"),
        ("abc_thresholds:\n  A: 0.9\n  B: 0.85\n", "abc_thresholds.B", "0 < A < B ≤ 1"),
        ("xyz_thresholds:\n  Y: 0.3\n", "xyz_thresholds.Y", "0 < X < Y"),
        ("backlog_cost:\n  per_unit: 5\n  margin_multiple: 1\n", "backlog_cost", "exactly one"),
        ("overtime:\n  cap_share: 1.5\n", "overtime.cap_share", "0 ≤ share ≤ 1"),
        ("holding_cost_rate: high\n", "holding_cost_rate", "not a number"),
        ("lead_time: 3\n", "lead_time", "unknown key"),
    ],
)
def test_errors_name_the_file_the_key_and_the_rule(tmp_path, text, key, rule):
    path = tmp_path / pol.POLICY_FILE
    path.write_text(text)
    with pytest.raises(pol.PolicyError) as err:
        pol.read_policy(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: {key}")
    assert rule in msg


def test_invalid_yaml_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / pol.POLICY_FILE
    path.write_text("service_levels: [unclosed\n")
    with pytest.raises(pol.PolicyError, match=str(path)):
        pol.read_policy(path)


def test_costs_from_policy():
    # margin = 100 − 60 = 40: backlog 0.25 x 40 = 10 per unit-month; holding 60 x 0.24 / 12 = 1.2
    items = pd.DataFrame({"sku": ["A", "B"], "unit_cost": [60.0, 10.0], "unit_price": [100.0, 8.0]})
    costs = sku_costs_from_policy(items, pol.Policy())
    np.testing.assert_allclose(costs["holding_cost"], [1.2, 0.2])
    np.testing.assert_allclose(costs["backlog_cost"], [10.0, 0.0])  # a negative margin prices nothing
    flat = sku_costs_from_policy(items, pol.policy_from_mapping({"backlog_cost": {"per_unit": 7}}))
    np.testing.assert_allclose(flat["backlog_cost"], [7.0, 7.0])


def test_the_supply_package_imports_without_dagster():
    """The planning modules stay plain Python: importing them loads neither Dagster nor DuckDB (only the
    storage layer, ``tables`` and ``warehouse``, talks to the build database)."""
    import subprocess
    import sys

    code = (
        "import sys, importlib\n"
        "for m in ('policy', 'safety_stock', 'projection', 'mrp', 'capacity', 'lp', 'exceptions', 'scenarios',"
        " 'versions', 'frames', 'cycle', 'plan_checks', 'charts'):\n"
        "    importlib.import_module('orchestration.supply.' + m)\n"
        "print(sorted(k for k in sys.modules if k.split('.')[0] in ('dagster', 'dagster_dbt', 'duckdb')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
