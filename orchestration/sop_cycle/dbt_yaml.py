"""The dbt files of the S&OP cycle area (source ``sop_cycle``, staging, marts), generated from
``orchestration.sop_cycle.tables`` by ``orchestration.dbt_area``:

    .venv/bin/python -m orchestration.sop_cycle.dbt_yaml --write   # regenerate
    .venv/bin/python -m orchestration.sop_cycle.dbt_yaml --check   # exit 1 when out of date

``tests/unit/test_sop_tables.py`` fails while the committed files are out of date.
"""

from __future__ import annotations

import sys

from orchestration import dbt_area
from orchestration.sop_cycle import tables

#: table -> (mart name, what the mart is for BI)
MARTS: dict[str, tuple[str, str]] = {
    "kpi_scorecard": (
        "kpi_scorecard",
        "The S&OP KPI scorecard: every scorecard KPI per month, for the total and by sales region: actual against "
        "the planners' target (inputs/kpi_targets.csv) with variance, month-over-month and year-over-year change, "
        "3-month trend and red/amber/green status from the KPI's direction and bands (docs/sop_cycle.md).",
    ),
    "kpi_targets": (
        "kpi_target_snapshots",
        "The planners' KPI targets file as each cycle read it, row by row: used, or refused with the file, row "
        "and rule. Appended per run, never overwritten.",
    ),
    "plan_comparison": (
        "plan_comparison",
        "Plan versions compared: each cycle's consensus demand (family x region, units and value) and revenue "
        "forecast (region) against the previous stored cycle over the months both hold, with the parts of the "
        "change and its main cause (actuals, an override added or removed, the model, the pipeline).",
    ),
    "action_snapshots": (
        "sop_action_snapshots",
        "The S&OP action register (inputs/sop_actions.csv) as each cycle read it, every row with its validity "
        "and error. Appended per run, never overwritten.",
    ),
    "action_history": (
        "sop_action_history",
        "Every action's status history across the cycles: status and its change, days open, days overdue, "
        "times carried over, new and due-next flags, from each cycle's latest snapshot of the register.",
    ),
}

AREA = dbt_area.PythonTableArea(
    source="sop_cycle",
    writer="the S&OP cycle step (orchestration/sop_cycle)",
    source_description=(
        "Tables the S&OP cycle step (Dagster multi-asset sop_cycle_tables, orchestration/sop_cycle) writes into "
        "schema sop_cycle of the build database: the KPI scorecard, the plan comparison per cycle, and the immutable "
        "snapshots of the planners' targets and action register with the actions' history."
    ),
    asset_comment="the Dagster assets sop_cycle/<table> of the multi-asset sop_cycle_tables",
    tables=tables.ALL,
    marts=MARTS,
)


def files():
    """Every generated file and its content."""
    return dbt_area.files(AREA)


def out_of_date():
    """Generated files whose committed content differs (or that are missing)."""
    return dbt_area.out_of_date(AREA)


if __name__ == "__main__":
    sys.exit(dbt_area.main(AREA))
