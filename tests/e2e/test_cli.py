"""The `sop` console command: every subcommand has --help; status and generate work end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SOP = str(Path(sys.executable).with_name("sop"))
SUBCOMMANDS = ["demo", "generate", "run", "status", "bench", "dev"]


def sop(*args, env=None, check=True):
    return subprocess.run([SOP, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, check=check)


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_every_subcommand_has_help(sub):
    out = sop(sub, "--help").stdout
    assert out.startswith(f"usage: sop {sub}")
    assert "--data-dir" in out


def test_top_level_help_lists_subcommands():
    out = sop("--help").stdout
    for sub in SUBCOMMANDS:
        assert sub in out


def test_bad_month_is_refused_with_a_clear_message(tmp_path):
    proc = sop("run", "--month", "2024-13", "--data-dir", str(tmp_path), check=False)
    assert proc.returncode == 2
    assert "'2024-13' is not a month like 2024-03" in proc.stderr


def test_generate_then_status(tmp_path):
    out = sop("generate", "--data-dir", str(tmp_path), "--scale", "0.02", "--start", "2021-01", "--through", "2021-02").stdout
    assert "Wrote" in out
    assert (tmp_path / "landing" / "erp" / "sales_order_lines" / "2021-02").is_dir()
    status = sop("status", "--data-dir", str(tmp_path)).stdout
    assert str(tmp_path) in status and "nothing yet" in status
