"""Monthly partitions: the key ``YYYY-MM-01`` is the month being closed."""

from dagster import BackfillPolicy, MonthlyPartitionsDefinition

from orchestration.settings import history_start

#: The last partition is the last complete month (end_offset=0).
monthly_partitions = MonthlyPartitionsDefinition(start_date=history_start(), end_offset=0)

#: A backfill of any range is one run: each asset loops over the months itself, so history
#: builds in minutes and DuckDB never sees two writers.
single_run_backfill = BackfillPolicy.single_run()

#: Every step that writes the warehouse DuckDB file takes a slot of this pool (limit 1).
WAREHOUSE_POOL = "sop_warehouse"


def month_of(partition_key: str) -> str:
    """``2024-03-01`` -> ``2024-03``."""
    return partition_key[:7]
