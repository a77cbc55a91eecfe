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


# the hook that puts every test of the shared company on one worker (a module of its own, light
# to import: tests/unit/test_xdist_grouping.py runs it in a child session)
from tests.xdist_groups import SHARED_COMPANY_GROUP, pytest_collection_modifyitems  # noqa: E402, F401


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
SHARED_SEED = 11
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


def generate_shared_company(landing: Path, through: str = LAST) -> Path:
    """The shared company's extracts from ``FIRST`` through ``through`` under ``landing``. The
    generator is deterministic month by month: a later ``through`` adds months, the earlier ones
    are byte for byte those of ``built_company``."""
    from orchestration.demo import generate_company

    generate_company(landing, seed=SHARED_SEED, scale=SMALL_SCALE, start=FIRST, through=through)
    return landing


@pytest.fixture(scope="session")
def built_company(tmp_path_factory) -> BuiltCompany:
    """Generate 14 months of a small demo company and run the monthly job over them."""
    from dagster import DagsterInstance

    from orchestration.runner import run_monthly_cycle
    from tests.integration import sop_planner_files

    root = tmp_path_factory.mktemp("sop-data")
    generate_shared_company(root / "landing")
    sop_planner_files.write(root / "inputs")
    instance = DagsterInstance.ephemeral()
    run = run_monthly_cycle(FIRST, LAST, data_dir=root, instance=instance)
    return BuiltCompany(root, run.success, run.run_id, run.failed_checks, run.warned_checks, run.steps_failed, instance)


#: the month after the shared company's last: it arrives with faults, then fixed (``next_month``)
NEXT = "2022-03"
#: faults in the first delivery of ``NEXT``: kind, entity, asset, check (None: the step fails), rule
NEXT_MONTH_FAULTS = [
    ("wrong_encoding", "crm_users", "raw_crm_users", None, "file.encoding_utf8"),
    ("missing_file", "market_macro_indicators", "raw_market_macro_indicators", None, "extract.present"),
    ("malformed_row", "erp_inventory_snapshots", "raw_erp_inventory_snapshots", "gx_suite", "csv.well_formed"),
    ("negative_amounts", "erp_invoice_lines", "raw_erp_invoice_lines", "gx_suite", "values.non_negative"),
]
#: published marts whose months before ``NEXT`` must not change when ``LAST`` is closed again
#: with ``NEXT``: (mart, its month column)
UNCHANGED_MONTHS_MARTS = (("revenue_by_region_family_monthly", "revenue_month"), ("fct_invoice_lines", "invoice_month"))


def published_months_before(serve_db: Path, month: str) -> dict[str, object]:
    """Rows of ``UNCHANGED_MONTHS_MARTS`` for the months before ``month`` (frames, sorted)."""
    import duckdb

    with duckdb.connect(str(serve_db), read_only=True) as con:
        return {
            name: con.execute(f"SELECT * FROM {name} WHERE {column} < ? ORDER BY ALL", [f"{month}-01"]).df()
            for name, column in UNCHANGED_MONTHS_MARTS
        }


@dataclass
class NextMonthClose:
    """What happened, from the command line, to a copy of the shared company in the month after
    its last: ``sop run --month NEXT`` on a faulty delivery (``blocked``), then, the month
    delivered again correctly, ``sop run --from LAST --to NEXT`` (``fixed``: a range run that
    closes the last month again and the new one)."""

    root: Path
    dagster_home: Path
    faulty_files: dict[str, Path]
    digests_delivered: dict[str, str | None]
    digests_after_blocked: dict[str, str | None]
    published_before: dict
    published_after_blocked: dict
    blocked: object
    fixed: object
    marts_before: dict[str, object]

    def runs(self) -> tuple[str, str]:
        """(blocked run id, fixed run id), read from the instance."""
        from dagster import DagsterInstance

        with DagsterInstance.from_config(str(self.dagster_home)) as instance:
            runs = list(reversed(instance.get_runs()))  # oldest first
        assert len(runs) == 2, [r.run_id for r in runs]
        return runs[0].run_id, runs[1].run_id


@pytest.fixture(scope="session")
def next_month(built_company, tmp_path_factory):
    """The next month closed by ``sop run`` on a copy of the shared company (``NextMonthClose``),
    into an instance of its own (what ``sop dev`` shows). The shared company stays as built."""
    import shutil
    import subprocess

    from orchestration.publishing import current_publication
    from tests.cli_support import SOP, instance_home, sop_env
    from tests.integration.bad_input_support import file_digest, inject

    root = tmp_path_factory.mktemp("sop-next-month")
    for part in ("landing", "inputs", "warehouse", "serve"):
        shutil.copytree(built_company.root / part, root / part, symlinks=True)
    serve_db = root / "serve" / "sop.duckdb"
    before = published_months_before(serve_db, NEXT)
    published_before = current_publication(serve_db)
    delivered = generate_shared_company(tmp_path_factory.mktemp("sop-next-delivery") / "landing", through=NEXT)

    def deliver() -> None:
        """The sources' extracts of ``NEXT`` as generated, replacing any earlier delivery."""
        for folder in delivered.glob(f"*/*/{NEXT}"):
            target = root / "landing" / folder.relative_to(delivered)
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(folder, target)

    with instance_home() as home:

        def sop_run(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run(
                [SOP, "run", "--data-dir", str(root), *args],
                capture_output=True,
                text=True,
                env=sop_env(home),
                timeout=900,
            )

        deliver()
        faulty = {entity: inject(root, kind, entity, NEXT) for kind, entity, *_ in NEXT_MONTH_FAULTS}
        digests = {entity: file_digest(path) for entity, path in faulty.items()}
        blocked = sop_run("--month", NEXT)
        assert blocked.returncode == 1, blocked.stdout[-3000:] + blocked.stderr[-3000:]
        after_blocked = {entity: file_digest(path) for entity, path in faulty.items()}
        published_after_blocked = current_publication(serve_db)

        deliver()  # the sources deliver the month again, correct this time
        fixed = sop_run("--from", LAST, "--to", NEXT)
        assert fixed.returncode == 0, fixed.stdout[-3000:] + fixed.stderr[-3000:]
        yield NextMonthClose(
            root,
            Path(home),
            faulty,
            digests,
            after_blocked,
            published_before,
            published_after_blocked,
            blocked,
            fixed,
            before,
        )


@dataclass
class WarehouseCopy:
    """A copy of the shared company's warehouse and one dbt work folder for the commands run on it."""

    db: Path
    work: Path

    @classmethod
    def of_company(cls, company, work: Path) -> "WarehouseCopy":
        """A fresh copy of ``company``'s warehouse in the folder ``work``."""
        import shutil

        shutil.copyfile(company.root / "warehouse" / "sop.duckdb", work / "sop.duckdb")
        return cls(work / "sop.duckdb", work)

    def dbt(self, *args: str):
        """``dbt <args>`` on the copy; every command uses the same vars and target folder, so
        each after the first keeps the partially parsed project. Returns the completed process."""
        import json
        import subprocess
        import sys

        from orchestration.settings import DBT_PROJECT_DIR

        cmd = [str(Path(sys.executable).with_name("dbt")), *args]
        cmd += ["--vars", json.dumps({"warehouse_db": str(self.db)}), "--profiles-dir", str(DBT_PROJECT_DIR)]
        cmd += [
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(self.target),
            "--log-path",
            str(self.work / "logs"),
        ]
        return subprocess.run(cmd, cwd=DBT_PROJECT_DIR, capture_output=True, text=True)

    @property
    def target(self) -> Path:
        return self.work / "target"


@pytest.fixture(scope="session")
def built_warehouse_copy(built_company, tmp_path_factory) -> WarehouseCopy:
    """The shared company's warehouse copied once for read-only dbt commands (docs, unit tests),
    which never touch the project's ``target/`` or the shared company itself."""
    return WarehouseCopy.of_company(built_company, tmp_path_factory.mktemp("dbt-on-copy"))
