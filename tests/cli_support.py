"""What the tests that start ``sop`` as a user would share: the command, its environment and a
Dagster instance folder of its own."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

SOP = str(Path(sys.executable).with_name("sop"))


def instance_home() -> tempfile.TemporaryDirectory:
    """A temporary Dagster instance folder. The instance's event log commits every event, so it
    goes in memory-backed storage when there is one."""
    shm = Path("/dev/shm")
    return tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None)


def sop_env(dagster_home: str | os.PathLike) -> dict[str, str]:
    """This process's environment for a ``sop`` command: no data root of the test session's
    own, and ``dagster_home`` as the instance."""
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "SOP_DATA_DIR")}
    return {**env, "DAGSTER_HOME": str(dagster_home)}
