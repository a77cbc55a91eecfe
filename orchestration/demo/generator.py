"""``generate_company``: writes the demo company's source extracts month by month.

Master data is drawn once for the seed and scale; then every month from ``start`` to
``through`` is simulated in order and each catalog entity's extract is written to the landing
folder, followed by any faults injected into that month. The same seed, scale, start and
through always give byte-identical files, and a month's files do not depend on ``through``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from orchestration.connectors.landing_files import write_extract

from ..sources import CATALOG
from . import calendar as cal
from .company import build_company
from .faults import Fault, apply_fault
from .simulation import CompanySimulation

MAX_SCALE = 20.0


@dataclass
class GenerationSummary:
    landing_root: Path
    months: list[str]
    #: clean rows written per entity (``<system>_<entity>``), before any fault
    rows: dict[str, int] = field(default_factory=dict)
    #: files written (one per catalog entity and month)
    files: int = 0
    seconds: float = 0.0

    @property
    def files_written(self) -> int:
        return self.files

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def generate_company(
    landing_root,
    *,
    seed: int = 7,
    scale: float = 1.0,
    start: str = cal.HISTORY_EPOCH,
    through: str,
    faults: Sequence[Fault] = (),
    progress: Callable[[str], None] | None = None,
) -> GenerationSummary:
    """Write the demo company's extracts for ``start`` .. ``through`` (``YYYY-MM``) under
    ``landing_root`` and return what was written.

    ``scale`` multiplies the volumes (1.0: ~2,000 accounts, ~40,000 opportunities and ~1M
    order lines over 2021-01 .. 2026-10); ``faults`` are injected into the clean files of
    their month, after it is written.
    """
    began = time.perf_counter()
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not 0 < float(scale) <= MAX_SCALE:
        raise ValueError(f"scale must be in (0, {MAX_SCALE}], got {scale!r}")
    months = cal.months_between(start, through)
    first, last = cal.month_index(start), cal.month_index(through)
    if first < cal.EPOCH_INDEX or last > cal.HORIZON_INDEX:
        raise ValueError(f"months must lie within {cal.HISTORY_EPOCH} .. {cal.HORIZON_END}, got {start} .. {through}")
    faults = tuple(faults)
    for fault in faults:
        if not isinstance(fault, Fault):
            raise TypeError(f"faults must be Fault instances, got {fault!r}")
        if fault.month not in months:
            raise ValueError(f"fault {fault} is for a month outside {start} .. {through}")

    root = Path(landing_root)
    summary = GenerationSummary(landing_root=root, months=months, rows={e.name: 0 for e in CATALOG})
    simulation = CompanySimulation(build_company(seed, float(scale)), first)
    for position, label in enumerate(months):
        frames = simulation.month(cal.month_index(label))
        for entity in CATALOG:
            frame = frames[entity.name]
            write_extract(root, entity, label, frame)
            summary.rows[entity.name] += len(frame)
            summary.files += 1
        for fault in faults:
            if fault.month == label:
                apply_fault(root, fault, seed=seed)
        if progress is not None:
            progress(f"generated {label} ({position + 1}/{len(months)})")
    summary.seconds = round(time.perf_counter() - began, 3)
    return summary
