"""The suite's expensive fixtures are built once because ``make test`` runs with ``--dist
loadgroup``: every test of an ``xdist_group`` goes to the same worker. Some pytest releases
silently break that (pytest 9.2 with pytest-xdist 3.8), and the suite then builds each shared
company once per worker. This runs a small grouped session in a child process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _run_grouped_session(tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v"]
        + ["-p", "no:cacheprovider", "-p", "no:randomly", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )


def test_tests_of_one_xdist_group_run_on_one_worker(tmp_path):
    (tmp_path / "test_grouped.py").write_text(
        "import os, pytest\n"
        "pytestmark = [pytest.mark.xdist_group('shared')]\n"
        "@pytest.mark.parametrize('i', range(6))\n"
        "def test_grouped(i):\n"
        "    print('WORKER', os.environ['PYTEST_XDIST_WORKER'])\n"
    )
    (tmp_path / "test_free.py").write_text("def test_a():\n    pass\n\ndef test_b():\n    pass\n")
    run = _run_grouped_session(tmp_path)
    assert run.returncode == 0, run.stdout[-2000:]
    grouped = [line for line in run.stdout.splitlines() if "PASSED" in line and "test_grouped" in line]
    assert len(grouped) == 6
    assert len({line.split()[0] for line in grouped}) == 1, run.stdout[-2000:]


def test_every_test_of_the_shared_company_joins_its_group_without_a_marker(tmp_path):
    """The suite's conftest hook (``tests/xdist_groups.py``) puts any test using ``built_company`` into
    the shared company's group."""
    (tmp_path / "conftest.py").write_text(
        "import sys, pytest\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from tests.xdist_groups import pytest_collection_modifyitems  # noqa: F401\n"
        "@pytest.fixture(scope='session')\n"
        "def built_company():\n"
        "    return 'company'\n"
    )
    (tmp_path / "test_users.py").write_text(
        "import os, pytest\n"
        "@pytest.mark.parametrize('i', range(6))\n"
        "def test_user(i, built_company):\n"
        "    print('WORKER', os.environ['PYTEST_XDIST_WORKER'])\n"
        "@pytest.mark.parametrize('i', range(6))\n"
        "def test_free(i):\n"
        "    pass\n"
    )
    run = _run_grouped_session(tmp_path)
    assert run.returncode == 0, run.stdout[-2000:]
    users = [line for line in run.stdout.splitlines() if "PASSED" in line and "::test_user[" in line]
    assert len(users) == 6 and all("@pipeline" in line for line in users), run.stdout[-2000:]
    assert len({line.split()[0] for line in users}) == 1, run.stdout[-2000:]
