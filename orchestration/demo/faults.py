"""Fault injection: damage a month's clean extract the way real source systems do.

A ``Fault`` names a kind, an entity (``<system>_<entity>``) and a month; ``apply_fault``
rewrites that month's file accordingly, deterministically (the rows hit depend only on the
seed, the kind, the entity and the month). The data-quality checks of the platform are tested
against these defects. ``FAULT_KINDS`` maps every kind to what it does.
"""

from __future__ import annotations

import csv
import io
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from orchestration.connectors.landing_files import decimal_places, extract_path

from .. import sources
from ..sources import SourceEntity
from . import calendar as cal

STALE_DAYS = 45
UNKNOWN_CURRENCY = "XXX"
MISMATCH_FACTOR = 1.4
_OPEN_QUOTE_MARK = "\x00"
_TEXT_IN_NUMBERS = ("n/a", "TBD", "twelve", "#REF!")
_CURRENCY_COLUMNS = ("CurrencyIsoCode", "currency_code")
_MONEY_COLUMNS = (
    "Amount",
    "TotalPrice",
    "UnitPrice",
    "QuotaAmount",
    "unit_price",
    "net_amount",
    "total_amount",
    "market_size_usd",
    "list_price_usd",
    "standard_cost_usd",
)


@dataclass(frozen=True)
class Fault:
    """One defect to inject: ``kind`` (see ``FAULT_KINDS``) into ``entity``'s extract of
    ``month`` (``YYYY-MM``); row-level kinds damage ``rows`` rows."""

    kind: str
    entity: str
    month: str
    rows: int = 3

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(FAULT_KINDS)}")
        target = sources.entity(self.entity)
        cal.month_index(self.month)
        if self.rows < 1:
            raise ValueError(f"rows must be at least 1, got {self.rows}")
        _check_applicable(self.kind, target)


# ---------------------------------------------------------------------- the file as rows
@dataclass
class _Extract:
    """A file's content: header and rows of text (CSV) or an Arrow table (Parquet)."""

    entity: SourceEntity
    header: list[str] | None = None
    rows: list[list[str]] | None = None
    table: pa.Table | None = None

    @property
    def is_csv(self) -> bool:
        return self.entity.file_format == "csv"

    @property
    def row_count(self) -> int:
        return len(self.rows) if self.is_csv else self.table.num_rows


def _read(entity: SourceEntity, path: Path) -> _Extract:
    if entity.file_format == "csv":
        parsed = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
        return _Extract(entity, header=parsed[0], rows=parsed[1:])
    return _Extract(entity, table=pq.read_table(path))


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _write(extract: _Extract, path: Path) -> None:
    if extract.is_csv:
        path.write_bytes(_csv_text(extract.header, extract.rows).encode("utf-8"))
    else:
        pq.write_table(extract.table, path, compression="snappy")


def _pick_rows(rng: np.random.Generator, extract: _Extract, wanted: int, kind: str) -> np.ndarray:
    n = extract.row_count
    if n == 0:
        raise ValueError(f"{kind}: the {extract.entity.name} extract has no rows to damage")
    return np.sort(rng.choice(n, size=min(wanted, n), replace=False))


def _column_of_type(entity: SourceEntity, *types: str, avoid_key: bool = True) -> list[str]:
    return [c.name for c in entity.columns if c.type in types and not (avoid_key and c.name in entity.key)]


def _set_cells(extract: _Extract, column: str, rows: np.ndarray, make: Callable) -> None:
    """Replace the cells of ``column`` in ``rows`` with ``make(old_value)``."""
    if extract.is_csv:
        j = extract.header.index(column)
        for i in rows:
            extract.rows[i][j] = make(extract.rows[i][j])
    else:
        j = extract.table.schema.get_field_index(column)
        values = extract.table.column(j).to_pylist()
        for i in rows:
            values[i] = make(values[i])
        extract.table = extract.table.set_column(
            j, extract.table.schema.field(j), pa.array(values, type=extract.table.schema.field(j).type)
        )


# ---------------------------------------------------------------------- the kinds
def malformed_row(extract: _Extract, fault: Fault, rng) -> None:
    """A few CSV rows break the format: one too many fields, one too few, an unbalanced quote."""
    for n, i in enumerate(_pick_rows(rng, extract, fault.rows, fault.kind)):
        row = extract.rows[i]
        if n % 3 == 0:
            extract.rows[i] = row + ["unexpected"]
        elif n % 3 == 1:
            extract.rows[i] = row[:-1]
        else:
            extract.rows[i] = [_OPEN_QUOTE_MARK + row[0]] + row[1:]


def missing_column(extract: _Extract, fault: Fault, rng) -> None:
    """A required (non-nullable, non-key) column is missing from the file."""
    candidates = [c.name for c in extract.entity.columns if not c.nullable and c.name not in extract.entity.key]
    _drop_column(extract, candidates[int(rng.integers(len(candidates)))])


def _drop_column(extract: _Extract, column: str) -> None:
    if extract.is_csv:
        j = extract.header.index(column)
        extract.header.pop(j)
        for row in extract.rows:
            row.pop(j)
    else:
        extract.table = extract.table.drop_columns([column])


def renamed_column(extract: _Extract, fault: Fault, rng) -> None:
    """A required column arrives under another name (``CloseDate`` -> ``close_date``)."""
    candidates = [c.name for c in extract.entity.columns if not c.nullable and c.name not in extract.entity.key]
    old = candidates[int(rng.integers(len(candidates)))]
    new = renamed(old)
    if extract.is_csv:
        extract.header[extract.header.index(old)] = new
    else:
        extract.table = extract.table.rename_columns([new if n == old else n for n in extract.table.column_names])


def renamed(column: str) -> str:
    """snake_case <-> CamelCase, so the name means the same to a human but not to a loader."""
    if "_" in column.strip("_") and column.lower() == column:
        return "".join(part.capitalize() for part in column.split("_"))
    out = "".join("_" + ch.lower() if ch.isupper() and i else ch.lower() for i, ch in enumerate(column))
    return out.replace("__", "_") if out != column else column + "_x"


def extra_column(extract: _Extract, fault: Fault, rng) -> None:
    """The source added a column nobody declared (at the end)."""
    name = "Legacy_Code__c" if extract.entity.system == "crm" else "legacy_code"
    if extract.is_csv:
        extract.header.append(name)
        for n, row in enumerate(extract.rows):
            row.append(f"L{n % 97:02d}")
    else:
        values = pa.array([f"L{n % 97:02d}" for n in range(extract.table.num_rows)], type=pa.string())
        extract.table = extract.table.append_column(name, values)


def wrong_type(extract: _Extract, fault: Fault, rng) -> None:
    """Text in a numeric or date column ("n/a", "TBD", ...)."""
    entity = extract.entity
    candidates = (
        _column_of_type(entity, "decimal")
        or _column_of_type(entity, "integer")
        or _column_of_type(entity, "date")
        or _column_of_type(entity, "timestamp")
    )
    column = candidates[0]
    rows = _pick_rows(rng, extract, fault.rows, fault.kind)
    texts = iter(_TEXT_IN_NUMBERS * (len(rows) // len(_TEXT_IN_NUMBERS) + 1))
    if extract.is_csv:
        _set_cells(extract, column, rows, lambda _old: next(texts))
        return
    j = extract.table.schema.get_field_index(column)
    col = extract.table.column(j)
    as_text = [None if v is None else _parquet_text(v, entity, column) for v in col.to_pylist()]
    for i in rows:
        as_text[i] = next(texts)
    extract.table = extract.table.set_column(j, pa.field(column, pa.string()), pa.array(as_text, type=pa.string()))


def _parquet_text(value, entity: SourceEntity, column: str) -> str:
    if isinstance(value, float):
        return f"{value:.{decimal_places(column)}f}"
    return str(value)


def duplicate_keys(extract: _Extract, fault: Fault, rng) -> None:
    """Some rows are delivered twice (same key, same content), appended at the end."""
    rows = _pick_rows(rng, extract, fault.rows, fault.kind)
    if extract.is_csv:
        extract.rows.extend([list(extract.rows[i]) for i in rows])
    else:
        extract.table = pa.concat_tables([extract.table, extract.table.take(pa.array(rows))])


def negative_amounts(extract: _Extract, fault: Fault, rng) -> None:
    """Some amounts (money, else quantities) turn negative."""
    column = _amount_column(extract.entity)
    rows = _pick_rows(rng, extract, fault.rows, fault.kind)
    if extract.is_csv:
        _set_cells(extract, column, rows, _negated_text)
    else:
        _set_cells(extract, column, rows, lambda old: old if old is None else -abs(old) - 1.0)


def _negated_text(old: str) -> str:
    if not old or old.startswith("-"):
        return old
    return "-" + old if float(old) != 0 else "-1"


def _amount_column(entity: SourceEntity) -> str:
    decimals = _column_of_type(entity, "decimal", avoid_key=False)
    money = [c for c in decimals if c in _MONEY_COLUMNS]
    return (money or decimals)[0]


def unknown_currency(extract: _Extract, fault: Fault, rng) -> None:
    """Some rows carry a currency code that does not exist ('XXX')."""
    column = next(c for c in extract.entity.column_names if c in _CURRENCY_COLUMNS)
    rows = _pick_rows(rng, extract, fault.rows, fault.kind)
    _set_cells(extract, column, rows, lambda _old: UNKNOWN_CURRENCY)


def stale_extract(extract: _Extract, fault: Fault, rng) -> None:
    """Every last-updated timestamp is 45 days older: the source delivered an old extract."""
    column = extract.entity.updated_at
    if extract.is_csv:
        j = extract.header.index(column)
        for row in extract.rows:
            if row[j]:
                moved = np.datetime64(row[j].rstrip("Z"), "s") - np.timedelta64(STALE_DAYS, "D")
                row[j] = f"{np.datetime_as_string(moved, unit='s')}Z"
    else:
        j = extract.table.schema.get_field_index(column)
        values = extract.table.column(j).to_numpy(zero_copy_only=False).astype("datetime64[us]")
        moved = values - np.timedelta64(STALE_DAYS, "D")
        extract.table = extract.table.set_column(
            j, extract.table.schema.field(j), pa.array(moved, type=pa.timestamp("us"), from_pandas=True)
        )


def crm_erp_mismatch(extract: _Extract, fault: Fault, rng) -> None:
    """The CRM's closed-won amounts of the month are 40% higher than what the ERP books."""
    won = extract.header.index("IsWon")
    rows = np.array([i for i, row in enumerate(extract.rows) if row[won] == "true"], dtype=np.int64)
    if rows.size == 0:
        raise ValueError(f"{fault.kind}: no closed-won opportunities in {fault.entity} {fault.month}")
    _set_cells(extract, "Amount", rows, lambda old: f"{round(float(old) * MISMATCH_FACTOR, 2):.2f}")


_ROW_KINDS: dict[str, Callable] = {
    "malformed_row": malformed_row,
    "missing_column": missing_column,
    "renamed_column": renamed_column,
    "extra_column": extra_column,
    "wrong_type": wrong_type,
    "duplicate_keys": duplicate_keys,
    "negative_amounts": negative_amounts,
    "unknown_currency": unknown_currency,
    "stale_extract": stale_extract,
    "crm_erp_mismatch": crm_erp_mismatch,
}


def empty_file(path: Path) -> None:
    """The file exists but has zero bytes (not even a header)."""
    path.write_bytes(b"")


def missing_file(path: Path) -> None:
    """The month's file is absent (the folder is there, empty)."""
    path.unlink()


def wrong_encoding(path: Path) -> None:
    """The CSV is written in cp1252 (when its non-ASCII names fit) or else UTF-16, not UTF-8."""
    text = path.read_bytes().decode("utf-8")
    try:
        if text.isascii():
            raise UnicodeEncodeError("cp1252", text, 0, 0, "ASCII only: cp1252 would look like UTF-8")
        data = text.encode("cp1252")
    except UnicodeEncodeError:
        data = text.encode("utf-16")
    path.write_bytes(data)


_FILE_KINDS: dict[str, Callable[[Path], None]] = {
    "empty_file": empty_file,
    "missing_file": missing_file,
    "wrong_encoding": wrong_encoding,
}

#: every fault kind and what it does
FAULT_KINDS: dict[str, str] = {
    kind: (function.__doc__ or "").strip().splitlines()[0]
    for kind, function in sorted({**_ROW_KINDS, **_FILE_KINDS}.items())
}

_CSV_ONLY = ("malformed_row", "wrong_encoding")


def _check_applicable(kind: str, entity: SourceEntity) -> None:
    if kind in _CSV_ONLY and entity.file_format != "csv":
        raise ValueError(f"fault {kind!r} only makes sense for CSV files; {entity.name} is {entity.file_format}")
    if kind == "unknown_currency" and not any(c in _CURRENCY_COLUMNS for c in entity.column_names):
        raise ValueError(f"fault 'unknown_currency' needs a currency column; {entity.name} has none")
    if kind == "negative_amounts" and not _column_of_type(entity, "decimal", avoid_key=False):
        raise ValueError(f"fault 'negative_amounts' needs a decimal column; {entity.name} has none")
    if kind == "crm_erp_mismatch" and entity.name != "crm_opportunities":
        raise ValueError("fault 'crm_erp_mismatch' applies to crm_opportunities only")
    if kind in ("missing_column", "renamed_column") and not [
        c for c in entity.columns if not c.nullable and c.name not in entity.key
    ]:
        raise ValueError(f"fault {kind!r}: {entity.name} has no required non-key column")


def fault_rng(seed: int, fault: Fault) -> np.random.Generator:
    return np.random.default_rng(
        [seed, zlib.crc32(fault.kind.encode()), zlib.crc32(fault.entity.encode()), cal.month_index(fault.month)]
    )


def apply_fault(landing_root, fault: Fault, *, seed: int = 7) -> Path:
    """Damage ``fault.entity``'s extract of ``fault.month`` under ``landing_root`` in place;
    returns the file's path. Deterministic for a given seed."""
    entity = sources.entity(fault.entity)
    path = extract_path(landing_root, entity, fault.month)
    if not path.exists():
        raise FileNotFoundError(f"no extract to damage at {path}")
    if fault.kind in _FILE_KINDS:
        _FILE_KINDS[fault.kind](path)
        return path
    extract = _read(entity, path)
    _ROW_KINDS[fault.kind](extract, fault, fault_rng(seed, fault))
    if fault.kind == "malformed_row":
        text = _csv_text(extract.header, extract.rows)
        # the first column is an id the writer never quotes: the mark becomes a quote that never closes
        text = text.replace(_OPEN_QUOTE_MARK, '"')
        path.write_bytes(text.encode("utf-8"))
        return path
    _write(extract, path)
    return path
