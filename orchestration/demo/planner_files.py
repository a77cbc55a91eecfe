"""The demo company's planner files (KPI targets, action register, sales targets, comp plans and their
what-if, territory decisions), as planners would keep them.

``sop demo`` writes them into ``inputs/`` when they are not there yet (it never replaces a planner's own
file), so that the first pack already shows targets, statuses and actions: the examples of
``docs/examples/``, copied byte for byte.
"""

from __future__ import annotations

from pathlib import Path

from orchestration.settings import PROJECT_ROOT

EXAMPLES_DIR = PROJECT_ROOT / "docs" / "examples"
#: the planner files the demo starts with
FILES = (
    "kpi_targets.csv",
    "sop_actions.csv",
    "sales_targets.csv",
    "comp_plans.yaml",
    "comp_plans_what_if.yaml",
    "territory_decisions.csv",
)


def write_planner_examples(inputs_dir: Path) -> list[Path]:
    """Copy each example file into ``inputs_dir`` unless a file of that name exists; the paths written."""
    inputs_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in FILES:
        target = inputs_dir / name
        if target.exists():
            continue
        target.write_bytes((EXAMPLES_DIR / name).read_bytes())
        written.append(target)
    return written
