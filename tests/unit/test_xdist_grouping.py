"""The suite's expensive fixtures are built once because ``make test`` runs with ``--dist
loadgroup``: every test of an ``xdist_group`` goes to the same worker. Some pytest releases
silently break that (pytest 9.2 with pytest-xdist 3.8), and the suite then builds each shared
company once per worker. This runs a small grouped session in a child process."""

from __future__ import annotations

import subprocess
import sys


def test_tests_of_one_xdist_group_run_on_one_worker(tmp_path):
    (tmp_path / "test_grouped.py").write_text(
        "import os, pytest\n"
        "pytestmark = [pytest.mark.xdist_group('shared')]\n"
        "@pytest.mark.parametrize('i', range(6))\n"
        "def test_grouped(i):\n"
        "    print('WORKER', os.environ['PYTEST_XDIST_WORKER'])\n"
    )
    (tmp_path / "test_free.py").write_text("def test_a():\n    pass\n\ndef test_b():\n    pass\n")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-v",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    grouped = [line for line in run.stdout.splitlines() if "PASSED" in line and "test_grouped" in line]
    assert len(grouped) == 6
    assert len({line.split()[0] for line in grouped}) == 1, run.stdout[-2000:]
