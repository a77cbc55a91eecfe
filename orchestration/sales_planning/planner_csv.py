"""Reading a planner-owned CSV file of sales planning: the exact header, then every non-blank row with its line.

The files are read, never written. A wrong header stops the file at once (nothing else can be read right); a
row with another number of fields than the header is refused (rule bad_row_length); the other rows are returned
as records with the line they start on (a quoted note may span lines), for the caller's own rules.
"""

from __future__ import annotations

import csv
from pathlib import Path

from orchestration.sales_planning.errors import PlannerFileError


def read_rows(path: Path, columns: list[str], display_name: str) -> list[tuple[int, list[str]]]:
    """``(line, values)`` of every non-blank row of ``path`` after its header, which must be ``columns``
    exactly; ``PlannerFileError`` (row 1, rule bad_header) otherwise."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        if header != columns:
            raise PlannerFileError(
                display_name,
                [f"row 1: rule bad_header: the header must be exactly {','.join(columns)} (found {','.join(header)})"],
            )
        records = []
        last_line = reader.line_num
        for values in reader:
            line, last_line = last_line + 1, reader.line_num  # a quoted note may span lines: its first line
            if not any(v.strip() for v in values):
                continue
            records.append((line, values))
    return records


def read_records(path: Path, columns: list[str], display_name: str) -> tuple[list[tuple[int, dict]], list[str]]:
    """``(line, record)`` of every row of ``path`` with as many fields as ``columns`` (values stripped), and the
    problems of the rows without (``row N: rule bad_row_length: ...``)."""
    records, problems = [], []
    for line, values in read_rows(path, columns, display_name):
        if len(values) != len(columns):
            problems.append(
                f"row {line}: rule bad_row_length: the row has {len(values)} fields, the header {len(columns)}"
            )
            continue
        records.append((line, dict(zip(columns, (v.strip() for v in values)))))
    return records, problems
