"""One month of one entity, from a source system into the landing zone, exactly once.

A connector only knows how to read its system: given the entity and a window on the source's
cursor, it yields chunks of rows (a page of an API, a chunk of a database cursor). Everything
that makes the landing zone a trustworthy record is done here, the same way for every system:

- **the window.** A snapshot entity (``extract: snapshot``) is read whole, as the source holds it
  now. A delta or event entity is read by cursor: rows touched before the first instant of the
  next month (``until``), from the month's first instant minus a lag window (``since``). The lag
  window re-reads the end of the month before, so a row whose change was committed after that
  month's extract ran (a long transaction, a late API write) is picked up by this one. The first
  month of an entity, with no extract before it, is the initial load: everything before
  ``until``.
- **exactly once per key.** Rows of the lag window that the month before already delivered (same
  key, same version: the catalog's ``updated_at`` column) are dropped, as are rows changed after
  ``until`` (the next extract delivers them). A key read twice in one extract (a record changed
  between two pages) is merged: its latest version wins. So extracting a month twice, or again
  after a failure, writes the same files.
- **deletes.** A row the source marks deleted (``_deleted``) becomes a tombstone in the month's
  ``_deleted.json`` (key and version), which ingestion loads next to the rows.
- **nothing half done.** Every chunk is read before anything is written; the month's folder is
  then built aside and swapped in with two renames. A failure (``ConnectorError``, naming the
  entity, month and page or chunk) leaves the landing zone as it was.

The folder holds the data file in the landing contract (``landing_files``), the tombstones and
``_extract.json``: the source, the window and the cursor's high-water mark, with no secret and
no clock time, so the same extract gives the same bytes.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from orchestration.connectors.errors import ConnectorError, redact
from orchestration.connectors.landing_files import arrow_table, csv_bytes, extract_path, text_column
from orchestration.deleted_records import DELETED_FILE, read_tombstones
from orchestration.sources import SourceEntity

#: optional column of a fetched chunk: true where the source marks the row deleted
DELETED = "_deleted"
#: optional column of a fetched chunk: the source's cursor (e.g. ``SystemModstamp``) when it is
#: not the catalog's ``updated_at`` column; it orders versions and bounds the window
CURSOR = "_cursor"
#: the month folder's record of the extract, and its tombstones
MANIFEST_FILE = "_extract.json"
#: longest lag window: the lag re-reads the month before, never further
MAX_LAG = timedelta(days=27)


@dataclass(frozen=True)
class ExtractWindow:
    """What one extract reads: ``since <= cursor < until``; ``None`` is unbounded."""

    month: str
    since: datetime | None
    until: datetime | None

    @property
    def is_full(self) -> bool:
        """True for a snapshot: the object as the source holds it now."""
        return self.since is None and self.until is None


class Connector(Protocol):
    """Reads one system. ``fetch`` yields chunks (DataFrames) with the catalog's columns, plus
    ``_deleted`` and ``_cursor`` when the source has them; it raises ``ConnectorError`` naming
    the page or chunk that failed."""

    #: the kind of system, shown in the Dagster UI (``postgresql``, ``salesforce``, ``http``)
    kind: str

    def describe(self, entity: SourceEntity) -> str:
        """Where ``entity`` comes from, with no secret (e.g. ``postgresql://erp@db:5432/erp erp.items``)."""
        ...

    def fetch(self, entity: SourceEntity, window: ExtractWindow) -> Iterator[pd.DataFrame]: ...

    def secrets(self) -> tuple[str, ...]:
        """Every secret the connector holds, so nothing written or raised can show one."""
        ...


@dataclass
class ExtractResult:
    """What one extract delivered; ``manifest()`` is what ``_extract.json`` holds."""

    entity: str
    month: str
    connector: str
    source: str
    since: str | None
    until: str | None
    #: the highest cursor value delivered (``None`` when nothing was)
    cursor: str | None
    rows: int
    deleted: int
    chunks: int
    #: rows read more than once in this extract (a record changed between pages): merged
    merged_versions: int
    #: rows of the lag window the month before had already delivered
    already_delivered: int
    #: rows changed after the window's end: the next extract delivers them
    after_window: int
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def manifest(self) -> dict:
        out = asdict(self)
        out.pop("seconds")
        return out


def month_bounds(month: str) -> tuple[datetime, datetime]:
    start = datetime.strptime(month, "%Y-%m")
    return start, (start + timedelta(days=32)).replace(day=1)


def previous_month(month: str) -> str:
    start, _ = month_bounds(month)
    return (start - timedelta(days=1)).strftime("%Y-%m")


def data_files(entity: SourceEntity, landing_root: Path, month: str) -> list[Path]:
    folder = entity.landing_dir(landing_root, month)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == entity.file_suffix)


def window_for(entity: SourceEntity, month: str, landing_root: Path, lag: timedelta) -> ExtractWindow:
    """The window of ``month``'s extract (see the module docstring)."""
    if not timedelta(0) <= lag <= MAX_LAG:
        raise ValueError(f"lag window {lag} must be between 0 and {MAX_LAG.days} days")
    if entity.extract == "snapshot":
        return ExtractWindow(month, None, None)
    start, until = month_bounds(month)
    has_previous = bool(data_files(entity, landing_root, previous_month(month)))
    return ExtractWindow(month, start - lag if has_previous else None, until)


def _version_text(entity: SourceEntity, frame: pd.DataFrame) -> list[tuple[str, ...]]:
    """(key..., updated_at) of each row, as the landing contract writes them."""
    by_name = {c.name: c for c in entity.columns}
    names = [*entity.key, entity.updated_at]
    columns = [
        text_column(frame[n].to_numpy(dtype=object if by_name[n].type == "string" else None), by_name[n].type, n)
        for n in names
    ]
    return list(zip(*columns))


def delivered_versions(entity: SourceEntity, landing_root: Path, month: str) -> set[tuple[str, ...]]:
    """(key..., updated_at) of every row ``month``'s landing files delivered, as text."""
    out: set[tuple[str, ...]] = set()
    names = [*entity.key, entity.updated_at]
    for path in data_files(entity, landing_root, month):
        if entity.file_format == "csv":
            options = pacsv.ConvertOptions(
                include_columns=names, column_types={n: "string" for n in names}, strings_can_be_null=False
            )
            table = pacsv.read_csv(path, convert_options=options)
            out.update(zip(*(table.column(n).to_pylist() for n in names)))
        else:
            out.update(_version_text(entity, pq.read_table(path, columns=names).to_pandas()))
    return out


def coerce(entity: SourceEntity, frame: pd.DataFrame) -> pd.DataFrame:
    """The catalog's columns in the catalog's types, from what a source returned (text from an
    API, driver types from a database); ``_deleted`` and ``_cursor`` are kept when present."""
    missing = [c.name for c in entity.columns if c.name not in frame.columns]
    if missing:
        raise ValueError(f"the source returned no column {', '.join(missing)}")
    out = pd.DataFrame(index=frame.index)
    for c in entity.columns:
        values = frame[c.name]
        if c.type == "string":
            out[c.name] = values.astype(object).where(values.notna(), None)
        elif c.type in ("integer", "decimal"):
            out[c.name] = pd.to_numeric(values).astype("int64" if c.type == "integer" else "float64")
        elif c.type == "boolean":
            out[c.name] = values.map(lambda v: str(v).lower() in ("true", "1", "t") if isinstance(v, str) else bool(v))
        elif c.type == "date":
            out[c.name] = _timestamps(values).dt.normalize()
        else:
            out[c.name] = _timestamps(values)
    out[DELETED] = frame[DELETED].astype(bool).to_numpy() if DELETED in frame.columns else False
    out[CURSOR] = _timestamps(frame[CURSOR]) if CURSOR in frame.columns else out[entity.updated_at]
    return out


def _timestamps(values: pd.Series) -> pd.Series:
    """UTC timestamps without a zone, from datetimes, dates or ISO text (``...Z``, ``+0000``)."""
    parsed = pd.to_datetime(values, utc=True, format="ISO8601")
    return parsed.dt.tz_convert(None).astype("datetime64[us]")


@dataclass
class Merged:
    rows: pd.DataFrame
    deleted: pd.DataFrame
    merged_versions: int
    already_delivered: int
    after_window: int


def merge(
    entity: SourceEntity,
    frame: pd.DataFrame,
    window: ExtractWindow,
    delivered: set[tuple[str, ...]],
    deleted_before: set[tuple[str, ...]] = frozenset(),
) -> Merged:
    """One version per key: the window's rows, latest version first, minus what was delivered.

    A live row is dropped when the month before delivered the same version as a row, a deleted
    one when it delivered the same tombstone: deleting a row keeps its version (``updated_at``)
    in some sources (Salesforce moves only ``SystemModstamp``), and its tombstone must still come."""
    after = pd.Series(False, index=frame.index)
    if window.until is not None:
        after = frame[CURSOR] >= pd.Timestamp(window.until)
    frame = frame[~after]
    ordered = frame.sort_values(CURSOR, kind="stable")
    latest = ordered.drop_duplicates(subset=list(entity.key), keep="last")
    merged_versions = len(ordered) - len(latest)
    seen = 0
    if (delivered or deleted_before) and len(latest):
        versions = _version_text(entity, latest)
        is_deleted = latest[DELETED].to_numpy()
        again = np.array(
            [(v in deleted_before) if gone else (v in delivered) for v, gone in zip(versions, is_deleted)], dtype=bool
        )
        seen = int(again.sum())
        latest = latest[~again]
    latest = latest.sort_values(list(entity.key), kind="stable").reset_index(drop=True)
    deleted = latest[latest[DELETED]]
    rows = latest[~latest[DELETED]]
    return Merged(rows, deleted, merged_versions, seen, int(after.sum()))


def _tombstones(entity: SourceEntity, deleted: pd.DataFrame) -> bytes:
    versions = _version_text(entity, deleted)
    names = [*entity.key, entity.updated_at]
    records = [dict(zip(names, v)) for v in versions]
    return (json.dumps({"entity": entity.name, "key": list(entity.key), "deleted": records}, indent=1) + "\n").encode()


def _swap_in(folder: Path, built: Path) -> None:
    """Replace ``folder`` with ``built``: a reader sees the old folder or the new one."""
    old = folder.with_name(f".{folder.name}.replaced-{uuid.uuid4().hex[:8]}")
    if folder.exists():
        os.replace(folder, old)
    os.replace(built, folder)
    shutil.rmtree(old, ignore_errors=True)


def extract_month(
    connector: Connector, entity: SourceEntity, month: str, landing_root: Path, lag: timedelta
) -> ExtractResult:
    """Extract ``entity``'s ``month`` from ``connector`` into ``landing_root`` (module docstring)."""
    started = time.perf_counter()
    landing_root = Path(landing_root)
    window = window_for(entity, month, landing_root, lag)
    secrets = connector.secrets()
    chunks = []
    for index, chunk in enumerate(connector.fetch(entity, window), start=1):
        try:
            chunks.append(coerce(entity, chunk))
        except (ValueError, TypeError) as exc:
            raise ConnectorError(entity.name, month, f"chunk {index}", f"{exc}", secrets) from exc
    frame = pd.concat(chunks, ignore_index=True) if chunks else coerce(entity, _empty(entity))
    delivered, deleted_before = set(), set()
    if window.since is not None:
        delivered = delivered_versions(entity, landing_root, previous_month(month))
        deleted_before = {
            tuple(record[n] for n in (*entity.key, entity.updated_at))
            for record in tombstones(entity, landing_root, previous_month(month))
        }
    merged = merge(entity, frame, window, delivered, deleted_before)
    if entity.extract == "snapshot" and merged.rows.empty:
        raise ConnectorError(entity.name, month, "snapshot", "the source returned no row for a snapshot", secrets)

    target = extract_path(landing_root, entity, month)
    folder = target.parent
    built = folder.with_name(f".{folder.name}.incoming-{uuid.uuid4().hex[:8]}")
    built.mkdir(parents=True)
    try:
        rows = merged.rows[list(entity.column_names)]
        path = built / target.name
        if entity.file_format == "csv":
            path.write_bytes(csv_bytes(entity, rows))
        else:
            pq.write_table(arrow_table(entity, rows), path, compression="snappy")
        files = [target.relative_to(landing_root).as_posix()]
        if len(merged.deleted):
            (built / DELETED_FILE).write_bytes(_tombstones(entity, merged.deleted))
            files.append((folder / DELETED_FILE).relative_to(landing_root).as_posix())
        delivered_now = pd.concat([merged.rows[CURSOR], merged.deleted[CURSOR]])
        high_water = delivered_now.max() if len(delivered_now) else None
        result = ExtractResult(
            entity=entity.name,
            month=month,
            connector=connector.kind,
            source=redact(connector.describe(entity), secrets),
            since=_iso(window.since),
            until=_iso(window.until),
            cursor=None if high_water is None or pd.isna(high_water) else pd.Timestamp(high_water).isoformat(),
            rows=len(rows),
            deleted=len(merged.deleted),
            chunks=len(chunks),
            merged_versions=merged.merged_versions,
            already_delivered=merged.already_delivered,
            after_window=merged.after_window,
            files=files,
        )
        (built / MANIFEST_FILE).write_text(json.dumps(result.manifest(), indent=1, sort_keys=True) + "\n")
        _swap_in(folder, built)
    except BaseException:
        shutil.rmtree(built, ignore_errors=True)
        raise
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _empty(entity: SourceEntity) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in entity.column_names})


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def read_manifest(entity: SourceEntity, landing_root: Path, month: str) -> dict | None:
    """The ``_extract.json`` of ``month``, or ``None`` when the month came from elsewhere."""
    path = entity.landing_dir(landing_root, month) / MANIFEST_FILE
    return json.loads(path.read_text()) if path.exists() else None


def tombstones(entity: SourceEntity, landing_root: Path, month: str) -> list[dict]:
    """The keys (and versions) ``month``'s extract marked deleted."""
    return read_tombstones(entity, entity.landing_dir(landing_root, month))


def secrets_of(values: Iterable[str | None]) -> tuple[str, ...]:
    """The non-empty values of ``values``, for ``Connector.secrets``."""
    return tuple(v for v in values if v)
