"""The planners' decisions on the rebalancing proposal (``inputs/territory_decisions.csv``): read, validated,
applied, never rewritten.

The pipeline proposes moves each run (``rebalance``); a planner accepts or rejects them in a file the pipeline
only reads, one row per account and proposal month::

    proposal_month,account_id,decision,decided_by,note
    2026-01,C-0042,accept,j.doe,agreed with both reps
    2026-01,C-0107,reject,j.doe,key-account relationship

- ``proposal_month``: the month of the proposal decided on, ``YYYY-MM``. Rows of other months are history: kept
  in the file, not applied.
- ``account_id``: an account of that month's proposal (an account the proposal does not move is an error: the
  planner decided on something the pipeline did not propose).
- ``decision``: ``accept`` (the move is made: owner and territory become the proposed ones) or ``reject`` (the
  account stays), in any letter case; a proposed move without a row is ``pending`` (not made).
- ``decided_by``: who decided (required); ``note``: free text, kept as is.

The same proposal month and account twice is an error (which row would count?). Every problem of a file is
collected and raised once as a ``PlannerFileError`` naming the file, the row (line; the header is line 1) and
the rule. A missing file is no decisions at all: every move pending.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from orchestration.sales_planning.errors import PlannerFileError
from orchestration.sales_planning.planner_csv import read_records
from orchestration.sales_planning.rebalance import apply_moves

DECISIONS_FILE = "territory_decisions.csv"
COLUMNS = ["proposal_month", "account_id", "decision", "decided_by", "note"]
#: columns of the frame ``read_rebalance_decisions`` returns: the file's, and the row (line) each came from
FRAME_COLUMNS = ["row", *COLUMNS]
DECISIONS = ("accept", "reject")
PENDING = "pending"
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "row" else "object") for c in FRAME_COLUMNS})


def read_rebalance_decisions(path: Path | str, *, display_name: str = "inputs/territory_decisions.csv") -> pd.DataFrame:
    """The decisions file at ``path`` as a frame of ``FRAME_COLUMNS`` (``row``: the line in the file; decision
    lower-cased), in file order. ``display_name``: how errors name the file. A missing file is an empty frame.
    Raises ``PlannerFileError`` listing every row and rule broken (module doc)."""
    path = Path(path)
    if not path.exists():
        return _empty()
    records, problems = read_records(path, COLUMNS, display_name)
    rows: list[dict] = []
    first_row: dict[tuple[str, str], int] = {}
    for line, record in records:
        errors: list[str] = []

        def fail(rule: str, text: str) -> None:
            errors.append(f"row {line}: rule {rule}: {text}")

        month, account = record["proposal_month"], record["account_id"]
        if not MONTH.fullmatch(month):
            fail("bad_month", f"proposal_month {month!r} is not a month YYYY-MM")
        if not account:
            fail("missing_account_id", "account_id is empty")
        decision = record["decision"].lower()
        if decision not in DECISIONS:
            fail("bad_decision", f"decision {record['decision']!r} must be accept or reject")
        if not record["decided_by"]:
            fail("missing_decided_by", "decided_by is empty (rule: every decision names who made it)")
        if MONTH.fullmatch(month) and account:
            key = (month, account)
            if key in first_row:
                fail(
                    "duplicate_decision",
                    f"{account} in the proposal of {month} is also decided on row {first_row[key]}",
                )
            else:
                first_row[key] = line
        if errors:
            problems.extend(errors)
            continue
        rows.append({"row": line, **record, "decision": decision})
    if problems:
        raise PlannerFileError(display_name, problems)
    if not rows:
        return _empty()
    return pd.DataFrame(rows, columns=FRAME_COLUMNS).astype({"row": "int64"})


def _month_text(month) -> str:
    """``YYYY-MM`` of a month given as text, a date or a timestamp."""
    if isinstance(month, str):
        text = month.strip()[:7]
        if not MONTH.fullmatch(text):
            raise ValueError(f"proposal_month {month!r} is not a month YYYY-MM")
        return text
    if isinstance(month, (date, datetime, pd.Timestamp)):
        return f"{month.year:04d}-{month.month:02d}"
    raise ValueError(f"proposal_month {month!r} is not a month")


def apply_decisions(
    book: pd.DataFrame,
    moves: pd.DataFrame,
    decisions: pd.DataFrame,
    proposal_month,
    *,
    display_name: str = "inputs/territory_decisions.csv",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The planners' decisions of ``proposal_month`` (``YYYY-MM``, a date or a timestamp) on that month's
    proposal ``moves`` (``rebalance.MOVE_COLUMNS``): ``(book, moves)`` with the book's accepted moves made (owner
    and territory changed) and the moves with ``decision`` (accept, reject or pending), ``decided_by`` and
    ``note`` added (empty when pending). Decisions of other months are ignored. Raises ``PlannerFileError``
    naming the file and the row of every decision on an account that is not in the month's proposal."""
    month = _month_text(proposal_month)
    own = decisions[decisions["proposal_month"] == month] if len(decisions) else decisions
    proposed = set(moves["account_id"])
    problems = [
        f"row {row}: rule not_in_proposal: account {account} not in the proposal of {month}"
        for row, account in zip(own["row"], own["account_id"])
        if account not in proposed
    ]
    if problems:
        raise PlannerFileError(display_name, problems)
    by_account = {
        a: (d, who, note) for a, d, who, note in zip(own["account_id"], own["decision"], own["decided_by"], own["note"])
    }
    out = moves.copy()
    decided = [by_account.get(a, (PENDING, "", "")) for a in out["account_id"]]
    out["decision"] = pd.Series([d for d, _, _ in decided], index=out.index, dtype="object")
    out["decided_by"] = pd.Series([w for _, w, _ in decided], index=out.index, dtype="object")
    out["note"] = pd.Series([n for _, _, n in decided], index=out.index, dtype="object")
    return apply_moves(book, out[out["decision"] == "accept"]), out
