"""Metadata the assets attach for the Dagster UI: column schemas and Markdown tables."""

import pandas as pd
from dagster import TableColumn, TableSchema


def table_schema(columns: dict[str, tuple[str, str]]) -> TableSchema:
    """``dagster/column_schema`` of a table spec's columns (name -> (SQL type, description))."""
    return TableSchema(columns=[TableColumn(name=c, type=t, description=d) for c, (t, d) in columns.items()])


def md_table(df: pd.DataFrame, floats: str = "{:.3f}") -> str:
    """``df`` as a Markdown table (floats formatted with ``floats``); ``_none_`` when empty."""
    if df.empty:
        return "_none_"
    cols = list(df.columns)
    lines = ["| " + " | ".join(str(c) for c in cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        cells = [floats.format(v) if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
