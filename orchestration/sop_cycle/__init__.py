"""The monthly S&OP cycle's outputs, in plain Python (no Dagster): the KPI scorecard against the
planners' targets, this cycle's plans compared with the last, the action register and its history,
the meeting pack and the summary sent (docs/sop_cycle.md).

The Dagster assets in ``orchestration/defs/sop_cycle_assets.py`` read the warehouse and the
planner files, call these modules and store their tables in schema ``sop_cycle``.
"""
