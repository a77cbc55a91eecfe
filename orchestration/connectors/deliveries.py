"""Which months of a run a connector extracts, and how the deliveries are reported.

The landing zone is the record of what each source delivered, so a month is extracted once:

- a delta or event month already in the landing zone is loaded as it is (re-running a month
  gives the same raw rows) unless the run asks to ``reextract`` it; a month not there yet is
  extracted. Its window is fixed by the month, so a re-extract gives the same rows unless the
  source changed its past;
- a snapshot is the source's state *now*, so it is extracted for the last month of the run
  only (the month being closed), and only if that month has none yet. Earlier months of a
  backfill must already be in the landing zone (the extract taken when they were closed, or an
  export): writing today's state into history would falsify it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from orchestration.connectors.extract import Connector, ExtractResult, data_files, extract_month, read_manifest
from orchestration.sources import SourceEntity


@dataclass(frozen=True)
class Delivery:
    """How one month reached the landing zone in this run."""

    month: str
    #: ``extracted`` in this run, or ``in landing`` from before
    how: str
    #: what ``_extract.json`` records (this run's extract, or the earlier one); ``None`` for files from elsewhere
    manifest: dict | None
    seconds: float = 0.0


def months_to_extract(
    entity: SourceEntity, months: list[str], landing_root: Path, reextract: bool = False
) -> list[str]:
    """The months of ``months`` (in order) the connector must extract (module docstring)."""
    if entity.extract == "snapshot":
        last = months[-1]
        return [last] if reextract or not data_files(entity, landing_root, last) else []
    return [m for m in months if reextract or not data_files(entity, landing_root, m)]


def deliver_months(
    connector: Connector,
    entity: SourceEntity,
    months: list[str],
    landing_root: Path,
    lag: timedelta,
    reextract: bool = False,
) -> dict[str, Delivery]:
    """Extract what ``months_to_extract`` says, in month order; report every month."""
    wanted = set(months_to_extract(entity, months, landing_root, reextract))
    out: dict[str, Delivery] = {}
    for month in months:
        if month in wanted:
            result: ExtractResult = extract_month(connector, entity, month, landing_root, lag)
            out[month] = Delivery(month, "extracted", result.manifest(), result.seconds)
        else:
            out[month] = Delivery(month, "in landing", read_manifest(entity, landing_root, month))
    return out


def describe_deliveries(deliveries: dict[str, Delivery], months: list[str]) -> str:
    extracted = [d for d in deliveries.values() if d.how == "extracted"]
    rows = sum(d.manifest["rows"] for d in extracted if d.manifest)
    return f"extracted {len(extracted)} of {len(months)} month(s), {rows:,} rows"


def delivery_metadata(delivery: Delivery | None) -> dict:
    """A month's delivery as Dagster metadata values (plain text and numbers, no secret)."""
    if delivery is None:
        return {}
    out: dict = {"delivery": delivery.how}
    if delivery.manifest:
        m = delivery.manifest
        out.update(
            {
                "source": m["source"],
                "extract_window": f"{m['since'] or 'beginning'} .. {m['until'] or 'now'}",
                "cursor": m["cursor"] or "none",
                "rows_extracted": m["rows"],
                "deleted_extracted": m["deleted"],
            }
        )
    return out


def latest_cursor(deliveries: dict[str, Delivery]) -> str:
    """The high-water mark of the latest month that has one."""
    for month in sorted(deliveries, reverse=True):
        manifest = deliveries[month].manifest
        if manifest and manifest.get("cursor"):
            return manifest["cursor"]
    return "none"
