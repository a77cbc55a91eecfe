"""Shared fixtures: a small demo company built once per test session."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

SMALL_SCALE = 0.03
#: 14 months: enough for year-over-year growth and net revenue retention in the last two months
FIRST, LAST = "2021-01", "2022-02"


@dataclass
class BuiltCompany:
    root: Path
    run_success: bool
    run_id: str
    failed_checks: list[str]
    warned_checks: list[str]
    steps_failed: list[str]
    instance: object


@pytest.fixture(scope="session")
def built_company(tmp_path_factory) -> BuiltCompany:
    """Generate 14 months of a small demo company and run the monthly job over them."""
    from dagster import DagsterInstance

    from orchestration.defs.runner import run_monthly_cycle
    from orchestration.demo import generate_company

    root = tmp_path_factory.mktemp("sop-data")
    previous = os.environ.get("SOP_DATA_DIR")
    os.environ["SOP_DATA_DIR"] = str(root)
    generate_company(root / "landing", seed=11, scale=SMALL_SCALE, start=FIRST, through=LAST)
    instance = DagsterInstance.ephemeral()
    run = run_monthly_cycle(FIRST, LAST, instance=instance)
    yield BuiltCompany(root, run.success, run.run_id, run.failed_checks, run.warned_checks, run.steps_failed, instance)
    if previous is None:
        os.environ.pop("SOP_DATA_DIR", None)
    else:
        os.environ["SOP_DATA_DIR"] = previous
