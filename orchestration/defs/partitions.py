"""Monthly partitions: the key ``YYYY-MM-01`` is the month being closed."""

import pandas as pd
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


def cycles_of_run(partition_keys: list[str], last_history: pd.Timestamp | None, n: int) -> list[pd.Timestamp]:
    """The S&OP cycles a run plans: the last ``n`` of its partition months that the demand
    history reaches (forecasts and supply plans are made for these, each seeing history up to
    its own month only)."""
    if last_history is None:
        return []
    months = [pd.Timestamp(k) for k in partition_keys if pd.Timestamp(k) <= last_history]
    return months[-n:]


#: What every cycle asset (forecasts, supply) shares: one cycle per monthly partition, a range
#: run as one run (single-run backfill), and the warehouse pool (one writer of the DuckDB file).
CYCLE_ASSET = dict(partitions_def=monthly_partitions, backfill_policy=single_run_backfill, pool=WAREHOUSE_POOL)
