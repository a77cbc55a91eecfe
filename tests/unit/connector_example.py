"""A stand-in for a real connector: serves one entity's extracts from its own folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestration.sources import SourceEntity


@dataclass(frozen=True)
class ExportFolderReader:
    """Reads ``<export_root>/<entity>-<YYYY-MM>.csv`` files, like a vendor's export drop."""

    export_root: Path

    def root(self) -> Path:
        return self.export_root

    def files(self, entity: SourceEntity, month: str) -> list[Path]:
        path = self.export_root / f"{entity.entity}-{month}.csv"
        return [path] if path.exists() else []


def reader(landing_root: Path) -> ExportFolderReader:
    return ExportFolderReader(Path(landing_root).parent / "vendor_exports")
