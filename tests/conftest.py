"""Shared fixtures: a small demo company built once per test session; guards that every test
leaves the process environment and the working directory as it found them; ``--today`` pins
the date for the date-sensitive tests (marker ``today_sensitive``)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# joblib and scikit-learn (under statsforecast and hierarchicalforecast) set KMP_* variables when
# first imported; importing them here keeps that out of the tests' before/after comparison.
import joblib  # noqa: F401, E402
import pytest
import sklearn  # noqa: F401, E402


def pytest_addoption(parser):
    parser.addoption(
        "--today",
        default=None,
        metavar="YYYY-MM-DD",
        help="pin today's date (orchestration.clock) for every test, in process and in the commands they start",
    )


#: the xdist group of every test that reads the shared company (``built_company``)
SHARED_COMPANY_GROUP = "pipeline"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Every test that uses ``built_company`` runs on the worker of the ``pipeline`` group, so the
    14-month company is built once per session, not once per worker that happens to get one of its
    tests (``make test`` runs ``--dist loadgroup``; xdist reads the marker after this hook)."""
    for item in items:
        if "built_company" in getattr(item, "fixturenames", ()) and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(SHARED_COMPANY_GROUP))


def _process_state() -> tuple[dict, str]:
    """The environment (less pytest's own bookkeeping variables) and the working directory."""
    return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}, os.getcwd()


def _changes(before: tuple[dict, str], after: tuple[dict, str]) -> list[str]:
    (env0, cwd0), (env1, cwd1) = before, after
    changed = [
        f"os.environ[{k!r}] {'added' if k not in env0 else 'removed' if k not in env1 else 'changed'}"
        for k in sorted(set(env0) | set(env1))
        if env0.get(k) != env1.get(k)
    ]
    if cwd0 != cwd1:
        changed.append(f"working directory {cwd0} -> {cwd1}")
    return changed


@pytest.fixture(scope="session", autouse=True)
def _session_leaves_the_process_as_it_found_it():
    """Session and module fixtures must restore what they change, too."""
    before = _process_state()
    yield
    changed = _changes(before, _process_state())
    assert not changed, f"the test session left the process changed: {changed}"


@pytest.fixture(autouse=True)
def _test_leaves_the_process_as_it_found_it(request):
    """Fails a test that leaves ``os.environ`` or the working directory changed (use monkeypatch)."""
    before = _process_state()
    yield
    changed = _changes(before, _process_state())
    assert not changed, f"{request.node.nodeid} left the process changed: {changed}"


@pytest.fixture(autouse=True)
def _pinned_today(request, _test_leaves_the_process_as_it_found_it, monkeypatch):
    """With ``--today D``, ``orchestration.clock.today()`` is D here and in the commands a test starts."""
    from orchestration.clock import TODAY_ENV

    pinned = request.config.getoption("--today")
    if pinned:
        monkeypatch.setenv(TODAY_ENV, pinned)
    yield


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

    from orchestration.demo import generate_company
    from orchestration.runner import run_monthly_cycle
    from tests.integration import sop_planner_files

    root = tmp_path_factory.mktemp("sop-data")
    generate_company(root / "landing", seed=11, scale=SMALL_SCALE, start=FIRST, through=LAST)
    sop_planner_files.write(root / "inputs")
    instance = DagsterInstance.ephemeral()
    run = run_monthly_cycle(FIRST, LAST, data_dir=root, instance=instance)
    return BuiltCompany(root, run.success, run.run_id, run.failed_checks, run.warned_checks, run.steps_failed, instance)
