"""Where the platform keeps its data, resolved from the environment.

One variable moves everything: ``SOP_DATA_DIR`` (default ``./data``). The layout (README,
"What lands where"): ``landing/`` (source extracts, never modified), ``inputs/`` (planner files),
``warehouse/`` (the build database, opened only by the pipeline), ``serve/`` (what BI reads),
``reports/``, ``logs/`` and ``.dagster/`` (DAGSTER_HOME).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

#: First month of history the pipeline knows about (the demo company starts here).
DEFAULT_HISTORY_START = "2021-01-01"


@dataclass(frozen=True)
class DataPaths:
    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def inputs(self) -> Path:
        return self.root / "inputs"

    @property
    def warehouse_dir(self) -> Path:
        return self.root / "warehouse"

    @property
    def warehouse_db(self) -> Path:
        return self.warehouse_dir / "sop.duckdb"

    @property
    def serve_dir(self) -> Path:
        return self.root / "serve"

    @property
    def serve_db(self) -> Path:
        return self.serve_dir / "sop.duckdb"

    @property
    def serve_parquet(self) -> Path:
        """Stable path to the current Parquet version (a symlink swapped atomically)."""
        return self.serve_dir / "parquet" / "current"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def dagster_home(self) -> Path:
        return self.root / ".dagster"


def data_dir() -> Path:
    """The data root: ``$SOP_DATA_DIR`` or ``./data``, made absolute."""
    return Path(os.environ.get("SOP_DATA_DIR", "data")).expanduser().resolve()


def data_paths(root: str | os.PathLike | None = None) -> DataPaths:
    return DataPaths(Path(root).expanduser().resolve() if root else data_dir())


def history_start() -> str:
    """First partition of the monthly partitions (``YYYY-MM-01``), ``$SOP_HISTORY_START``."""
    return os.environ.get("SOP_HISTORY_START", DEFAULT_HISTORY_START)
