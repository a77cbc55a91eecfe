"""What the bad-input tests share: a tiny clean company, faulty copies of it, in-process runs
of raw assets with their checks, and independent counts of what a landing file delivered.

The counts read the landing file with the standard library (``csv``) or Parquet metadata and
share no code with ingestion, so "raw kept every row or quarantine holds it" is checked against
a second reading of the file.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from orchestration.demo import Fault, apply_fault, extract_path, generate_company
from orchestration.sources import BY_NAME

SEED = 7
SCALE = 0.02
FIRST, MONTH = "2021-01", "2021-02"  # the faulty month is MONTH; FIRST stays clean

#: ``<file> row <n>: rule <rule>`` as ingestion errors and check descriptions write it
PROBLEM_LINE = re.compile(r"(?<!\S)(?P<file>[^\s:]+)(?: row (?P<row>\d+)(?: \([^)]*\))?)?: rule (?P<rule>[\w.]+)")


def make_clean_landing(root: Path, first: str = FIRST, through: str = MONTH, scale: float = SCALE) -> Path:
    """The demo company's extracts, fault-free, under ``root/landing``."""
    landing = root / "landing"
    generate_company(landing, seed=SEED, scale=scale, start=first, through=through)
    return landing


def preload(root: Path, entities: list[str], months: list[str]) -> None:
    """Load clean months of ``entities`` into the warehouse directly (what earlier runs would have left)."""
    from orchestration.ingestion import LandingFolderReader, load_month

    warehouse = root / "warehouse" / "sop.duckdb"
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    reader = LandingFolderReader(root / "landing")
    with duckdb.connect(str(warehouse)) as con:
        for entity in entities:
            for month in months:
                load_month(con, BY_NAME[entity], month, reader, "earlier-run")


def copy_company(clean_landing: Path, root: Path) -> Path:
    """A data root whose landing folder is a copy of ``clean_landing``."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(clean_landing, root / "landing")
    return root


def inject(root: Path, kind: str, entity: str, month: str = MONTH) -> Path:
    """Damage ``entity``'s extract of ``month`` under ``root/landing``; returns the file."""
    return apply_fault(root / "landing", Fault(kind, entity, month), seed=SEED)


def restore(clean_landing: Path, root: Path, entity: str, month: str = MONTH) -> Path:
    """Put the clean extract of ``entity`` × ``month`` back, as a corrected re-delivery would."""
    source = extract_path(clean_landing, BY_NAME[entity], month)
    target = extract_path(root / "landing", BY_NAME[entity], month)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def relative_file(entity: str, month: str = MONTH) -> str:
    """The landing file's path as ingestion and the checks name it (relative to the landing root)."""
    return str(extract_path(Path("."), BY_NAME[entity], month)).lstrip("./")


def file_digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def delivered_rows(path: Path) -> int:
    """How many data records the file delivered, counted without the platform's code.

    CSV: physical lines after the header that are not blank (one record per line is the
    contract of the extracts), whatever their content; Parquet: the row count in its footer.
    """
    if not path.exists() or path.stat().st_size == 0:
        return 0
    if path.suffix == ".csv":
        lines = path.read_bytes().split(b"\n")
        return sum(1 for line in lines[1:] if line.strip())
    return pq.ParquetFile(path).metadata.num_rows


def csv_records(path: Path) -> list[list[str]]:
    """The file's data records as the standard library reads them (one list of fields each)."""
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
    return rows[1:]


@dataclass
class MonthInRaw:
    rows: int
    load_ids: set[str]
    fingerprint: str


def month_in_raw(warehouse_db: Path, entity: str, month: str = MONTH) -> MonthInRaw:
    """Row count, load ids and a content hash of one month of one raw table (read-only)."""
    if not warehouse_db.exists():
        return MonthInRaw(0, set(), "")
    with duckdb.connect(str(warehouse_db), read_only=True) as con:
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw' AND table_name = ?", [entity]
        ).fetchone()[0]
        if not exists:
            return MonthInRaw(0, set(), "")
        rows = con.execute(
            f"SELECT * EXCLUDE (_loaded_at) FROM raw.{entity} "
            "WHERE _partition_month = ? ORDER BY _source_file, _source_row",
            [f"{month}-01"],
        ).fetchall()
    load_ids = {r[-3] for r in rows}
    return MonthInRaw(len(rows), load_ids, hashlib.sha256(repr(rows).encode()).hexdigest())


def quarantined(warehouse_db: Path, entity: str, month: str = MONTH, stage: str | None = None) -> list[dict]:
    """The quarantine rows of ``entity`` × ``month`` (read-only; empty when there is no table)."""
    if not warehouse_db.exists():
        return []
    with duckdb.connect(str(warehouse_db), read_only=True) as con:
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'quarantine' "
            "AND table_name = 'quarantined_rows'"
        ).fetchone()[0]
        if not exists:
            return []
        sql = "SELECT * FROM quarantine.quarantined_rows WHERE entity = ? AND partition_month = ?"
        params = [entity, month]
        if stage:
            sql += " AND stage = ?"
            params.append(stage)
        frame = con.execute(sql + " ORDER BY source_file, source_row", params).df()
    return frame.to_dict("records")


def problems(message: str) -> list[dict]:
    """Every ``<file> row <n>: rule <rule>`` in a failure message, as dicts."""
    return [m.groupdict() for m in PROBLEM_LINE.finditer(message)]


# ---------------------------------------------------------------- in-process runs of raw assets
def raw_checks_for(asset_names: list[str]) -> list:
    """Check keys of the code location's checks on these raw assets whose inputs are all among them."""
    from dagster import AssetKey

    from orchestration.defs.quality_checks import quality_checks

    keys = {AssetKey(name) for name in asset_names}
    selected = []
    for checks_def in quality_checks:
        for spec in checks_def.check_specs:
            deps = {d.asset_key for d in spec.additional_deps}
            if spec.asset_key in keys and deps <= keys:
                selected.append(spec.key)
    return selected


def materialize_raw(root: Path, entities: list[str], month: str, instance, checks: list[tuple[str, str]] | None = None):
    """Materialize the raw assets of ``entities`` for ``month`` with their checks, in process.

    Only raw assets and checks that read nothing else run (no dbt): the ingestion-level and
    raw-check-level behaviour of a month. ``checks`` (asset, check name) narrows the checks;
    by default every check on these assets whose inputs are among them runs. Returns the
    ``ExecuteInProcessResult``.
    """
    from dagster import AssetKey, AssetSelection, materialize

    from orchestration.defs.quality_checks import quality_checks
    from orchestration.defs.raw_assets import raw_assets
    from orchestration.defs.resources import SopDataResource

    names = [BY_NAME[e].asset_name for e in entities]
    raw_keys = {a.key for a in raw_assets}
    check_keys = raw_checks_for(names)
    if checks is not None:
        check_keys = [k for k in check_keys if (k.asset_key.to_user_string(), k.name) in set(checks)]
    wanted = set(check_keys)
    usable_checks = [c for c in quality_checks if any(s.key in wanted for s in c.check_specs)]
    assert all(k in raw_keys for k in [AssetKey(n) for n in names])
    selection = AssetSelection.assets(*[AssetKey(n) for n in names])
    if check_keys:
        selection = selection | AssetSelection.checks(*check_keys)
    else:
        selection = selection - AssetSelection.all_asset_checks()
    return materialize(
        [*raw_assets, *usable_checks],
        selection=selection,
        partition_key=f"{month}-01",
        instance=instance,
        resources={"sop_data": SopDataResource(data_dir=str(root))},
        raise_on_error=False,
    )
