"""The landing contract: how one month's extract of a catalog entity is written.

The demo generator and every connector write through this module, so a file delivered by a
real system is byte for byte what the demo would have written for the same rows.

The file goes to ``<landing_root>/<system>/<entity>/<YYYY-MM>/<entity>_<YYYYMM>.<csv|parquet>``
with exactly the catalog's columns in the catalog's order. CSV: UTF-8, comma-separated, a
header row, ``\\n`` line endings, minimal quoting, empty field for null, ``true``/``false``,
dates ``YYYY-MM-DD``, timestamps ``YYYY-MM-DDTHH:MM:SSZ``, decimals with ``.`` (money with two
decimals, units whole, rates with eight). Parquet: string, int64, float64 (rounded the same way),
date32 and timestamp[us] (UTC, no zone) columns. Files are written to a temporary name and
renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.sources import SourceEntity

#: decimal places written per decimal column; money and everything else: 2
DECIMAL_PLACES: dict[str, int] = {
    "usd_per_unit": 8,
    "hours_per_unit": 4,
    "Quantity": 0,
    "quantity": 0,
    "quantity_shipped": 0,
    "on_hand_qty": 0,
    "lot_size": 0,
    "min_order_qty": 0,
    "order_multiple": 0,
    "lead_time_std_days": 1,
    "demand_share": 4,
}
DEFAULT_DECIMAL_PLACES = 2


def extract_path(landing_root, entity: SourceEntity, month: str) -> Path:
    """Where ``entity``'s extract of ``month`` (``YYYY-MM``) lives."""
    return entity.landing_dir(landing_root, month) / f"{entity.entity}_{month.replace('-', '')}{entity.file_suffix}"


def decimal_places(column: str) -> int:
    return DECIMAL_PLACES.get(column, DEFAULT_DECIMAL_PLACES)


def write_extract(landing_root, entity: SourceEntity, month: str, frame: pd.DataFrame) -> Path:
    """Write ``frame`` as ``entity``'s extract of ``month``; returns the file path."""
    expected = list(entity.column_names)
    if list(frame.columns) != expected:
        raise ValueError(f"{entity.name}: columns {list(frame.columns)} differ from the catalog's {expected}")
    path = extract_path(landing_root, entity, month)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if entity.file_format == "csv":
        tmp.write_bytes(csv_bytes(entity, frame))
    else:
        pq.write_table(arrow_table(entity, frame), tmp, compression="snappy")
    os.replace(tmp, path)
    return path


# ---------------------------------------------------------------------- CSV
def text_column(values: np.ndarray, type_: str, column: str) -> list:
    if type_ == "string":
        return ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values]
    if type_ == "integer":
        return [str(int(v)) for v in values]
    if type_ == "boolean":
        return ["true" if v else "false" for v in values]
    if type_ == "decimal":
        numbers = np.asarray(values, dtype=float)
        places = decimal_places(column)
        rounded = np.round(numbers, places) + 0.0  # + 0.0 turns -0.0 into 0.0
        text = np.char.mod(f"%.{places}f", rounded).astype(object)
        text[np.isnan(numbers)] = ""
        return list(text)
    if type_ == "date":
        days = np.asarray(values, dtype="datetime64[D]")
        text = np.datetime_as_string(days, unit="D").astype(object)
        text[np.isnat(days)] = ""
        return list(text)
    if type_ == "timestamp":
        stamps = np.asarray(values, dtype="datetime64[s]")
        text = np.char.add(np.datetime_as_string(stamps, unit="s"), "Z").astype(object)
        text[np.isnat(stamps)] = ""
        return list(text)
    raise ValueError(f"unknown column type {type_!r}")


def csv_bytes(entity: SourceEntity, frame: pd.DataFrame) -> bytes:
    columns = [
        text_column(frame[c.name].to_numpy(dtype=object if c.type == "string" else None), c.type, c.name)
        for c in entity.columns
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(entity.column_names)
    writer.writerows(zip(*columns))
    return buffer.getvalue().encode("utf-8")


# ---------------------------------------------------------------------- Parquet
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "decimal": pa.float64(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "boolean": pa.bool_(),
}


def _arrow_column(values: np.ndarray, type_: str, column: str) -> pa.Array:
    if type_ == "string":
        return pa.array(np.asarray(values, dtype=object), type=pa.string(), from_pandas=True)
    if type_ == "integer":
        return pa.array(np.asarray(values, dtype=np.int64), type=pa.int64())
    if type_ == "decimal":
        numbers = np.round(np.asarray(values, dtype=float), decimal_places(column)) + 0.0
        return pa.array(numbers, type=pa.float64(), from_pandas=True)
    if type_ == "date":
        return pa.array(np.asarray(values, dtype="datetime64[D]"), type=pa.date32(), from_pandas=True)
    if type_ == "timestamp":
        return pa.array(np.asarray(values, dtype="datetime64[us]"), type=pa.timestamp("us"), from_pandas=True)
    if type_ == "boolean":
        return pa.array(np.asarray(values, dtype=bool), type=pa.bool_())
    raise ValueError(f"unknown column type {type_!r}")


def arrow_schema(entity: SourceEntity) -> pa.Schema:
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type], nullable=True) for c in entity.columns])


def arrow_table(entity: SourceEntity, frame: pd.DataFrame) -> pa.Table:
    arrays = [
        _arrow_column(frame[c.name].to_numpy(dtype=object if c.type == "string" else None), c.type, c.name)
        for c in entity.columns
    ]
    return pa.Table.from_arrays(arrays, schema=arrow_schema(entity))
