"""Every query of the SQL cookbook (docs/sql_cookbook.md) runs on the published serving file.

The cookbook is what analysts copy into their BI tool, so each ```sql block is executed as
is against the session's small demo company, on a read-only connection, and must return rows.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pipeline")]

COOKBOOK = Path(__file__).resolve().parents[2] / "docs" / "sql_cookbook.md"
HEADING = re.compile(r"^#{2,3} +(.+)$", re.M)
SQL_BLOCK = re.compile(r"^```sql\n(.*?)^```", re.M | re.S)


def cookbook_queries() -> list[tuple[str, str]]:
    """(heading, query) of every ```sql block, the heading being the section the block is in."""
    text = COOKBOOK.read_text()
    headings = [(m.start(), m.group(1).strip()) for m in HEADING.finditer(text)]
    queries = []
    for block in SQL_BLOCK.finditer(text):
        title = [t for pos, t in headings if pos < block.start()][-1]
        queries.append((title, block.group(1)))
    return queries


def test_cookbook_has_ten_questions_each_with_one_query():
    queries = cookbook_queries()
    assert len(queries) >= 10
    titles = [t for t, _ in queries]
    assert len(set(titles)) == len(titles), "one ```sql block per question heading"


@pytest.mark.parametrize("title,sql", cookbook_queries(), ids=[t for t, _ in cookbook_queries()])
def test_cookbook_query_runs_read_only_and_returns_rows(built_company, title, sql):
    with duckdb.connect(str(built_company.root / "serve" / "sop.duckdb"), read_only=True) as con:
        rows = con.execute(sql).fetchall()
    assert len(rows) >= 1, f"{title}: no rows"
