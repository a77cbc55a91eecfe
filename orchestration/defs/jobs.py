"""The monthly S&OP job and its schedule."""

from dagster import AssetSelection, build_schedule_from_partitioned_job, define_asset_job

from orchestration.defs.partitions import monthly_partitions

#: Everything, from the raw extracts to the published marts, for one month (or a range).
monthly_sop_cycle = define_asset_job(
    name="monthly_sop_cycle",
    selection=AssetSelection.all(),
    partitions_def=monthly_partitions,
    description="Close a month: ingest every source, build the warehouse, run its tests, publish.",
)

#: Early on the 2nd of each month, for the month just closed (the last complete partition).
monthly_sop_schedule = build_schedule_from_partitioned_job(
    monthly_sop_cycle,
    name="monthly_sop_cycle_schedule",
    day_of_month=2,
    hour_of_day=5,
    description="Closes the month just ended: runs monthly_sop_cycle for its partition.",
)
