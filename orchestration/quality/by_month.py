"""Which months a suite's failures belong to, so a range run reports a verdict per month.

A range run (a backfill, ``sop demo``) validates all its months at once. The UI shows check
results per partition, so the check reports one result per month: a month fails when a failure
belongs to it. A failure belongs to the months of its offending rows (``months``, set by the
engine from the validated frame), else to its own ``month`` (per-month checks such as
freshness), else to the months named in its samples (a file under ``…/YYYY-MM/…`` or a value
starting ``YYYY-MM``); a failure that names no month belongs to every month, since nothing
shows that any month is clean of it.
"""

from __future__ import annotations

import re
from dataclasses import replace

_MONTH_IN_PATH = re.compile(r"(?:^|/)(\d{4}-\d{2})(?:/|$)")
_MONTH_AT_START = re.compile(r"^(\d{4}-\d{2})\b")


def failure_months(failure, months: list[str]) -> set[str]:
    """The months (``YYYY-MM``, among ``months``) that ``failure`` belongs to."""
    wanted = set(months)
    own = getattr(failure, "months", None)
    if own:
        return {m[:7] for m in own} & wanted or wanted
    if failure.month:
        return {failure.month[:7]} & wanted or wanted
    named = set()
    for sample in failure.samples:
        for text, pattern in ((sample.source_file or "", _MONTH_IN_PATH), (sample.value or "", _MONTH_AT_START)):
            named.update(pattern.findall(str(text)))
    return named & wanted or wanted


def outcome_for_month(outcome, month: str):
    """The part of a range's ``SuiteOutcome`` that concerns ``month`` (its failures only)."""
    failures = [f for f in outcome.failures if month in failure_months(f, outcome.months)]
    return replace(outcome, months=[month], failures=failures, quarantined_rows=0, flagged_rows=0)
