"""Resources: where the data lives, and how to reach the warehouse and the sources."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
from dagster import ConfigurableResource
from pydantic import Field

from orchestration.ingestion import LandingFolderReader, SourceReader
from orchestration.settings import DataPaths, data_paths
from orchestration.sources import SourceEntity


class SopDataResource(ConfigurableResource):
    """The data root (``SOP_DATA_DIR`` unless set here) and per-entity source readers.

    ``connectors`` maps an entity name (``crm_opportunities``) to ``"module:Factory"``; the
    factory is called with the landing root and returns a ``SourceReader``. Entities not
    listed read the landing folder (demo files or real exports dropped there).
    """

    data_dir: str = ""
    connectors: dict[str, str] = {}

    @property
    def paths(self) -> DataPaths:
        return data_paths(self.data_dir or None)

    def reader_for(self, entity: SourceEntity) -> SourceReader:
        spec = self.connectors.get(entity.name)
        if not spec:
            return LandingFolderReader(self.paths.landing)
        module_name, _, factory = spec.partition(":")
        return getattr(importlib.import_module(module_name), factory)(self.paths.landing)

    @contextmanager
    def warehouse(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write connection to the build database, closed on exit (the file lock goes too)."""
        self.paths.warehouse_dir.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.paths.warehouse_db))
        try:
            yield con
        finally:
            con.close()


class ForecastSettings(ConfigurableResource):
    """How many S&OP forecast cycles a run makes.

    A run over a range of months forecasts the last ``backfill_cycles`` months of the range that
    the demand history reaches, each cycle seeing history up to its own month only. A monthly run
    (one partition) makes one cycle whatever the setting. Set it per run in the launchpad
    (``resources: forecast_settings: config: backfill_cycles: 4``) or with ``sop run/demo
    --forecast-cycles``.
    """

    backfill_cycles: int = Field(default=3, ge=1, description="forecast cycles of a range run: its last N months")


class SupplySettings(ConfigurableResource):
    """How many supply-plan cycles a run makes.

    A range run plans the last ``backfill_cycles`` of its forecast cycles: this month's plan and
    the one before it are what the plan diff and the S&OP meeting compare, and older plans of a
    backfill would be plans nobody made at the time. A monthly run (one partition) plans its
    month. Set it per run in the launchpad (``resources: supply_settings: config:
    backfill_cycles: 4``).
    """

    backfill_cycles: int = Field(
        default=2, ge=1, description="supply-plan cycles of a range run: the last N forecast cycles"
    )


class SalesPlanningSettings(ConfigurableResource):
    """The sales-planning method's parameters that are not in the planners' files (docs/sales_planning.md).

    The planners own the company target, over-assignment and potential weight (``inputs/sales_targets.csv``),
    the comp plans (``inputs/comp_plans.yaml``) and the rebalancing decisions; these are the data team's
    knobs. Set them per run in the launchpad (``resources: sales_planning_settings: config: ...``).
    """

    plan_fiscal_year: int = Field(
        default=0, ge=0, description="fiscal year to set quotas for; 0: the year after the closed month's"
    )
    attainable_share: float = Field(
        default=0.0, ge=0.0, le=1.0, description="share of the market the company can win; 0: today's share"
    )
    over_assignment_lower: float = Field(default=1.1, ge=1.0, description="lowest sum of quotas / target")
    over_assignment_upper: float = Field(default=1.3, ge=1.0, description="highest sum of quotas / target")
    balance_band: float = Field(
        default=0.15, gt=0.0, lt=1.0, description="each rep's potential within ± this share of the region's mean"
    )
    max_account_moves: int = Field(default=80, ge=0, description="most accounts the rebalancing may move")
    solver_time_limit_seconds: float = Field(default=8.0, gt=0.0, description="HiGHS time limit of the rebalancing")
    time_to_fill_months: int = Field(default=3, ge=0, description="months from requisition to a hire's start")


class SmtpResource(ConfigurableResource):
    """Where the S&OP summary is sent; nothing is sent while ``host`` is empty (the default).

    ``definitions.py`` fills the fields from the environment with ``EnvVar`` when ``SOP_SMTP_HOST`` is
    set (``SOP_SMTP_PORT``, ``SOP_SMTP_USERNAME``, ``SOP_SMTP_PASSWORD``, ``SOP_SMTP_FROM``,
    ``SOP_SMTP_TO``: comma-separated recipients, ``SOP_SMTP_STARTTLS``: 0 to send in the clear), so the
    credentials never appear in a file, the run config or the logs (docs/sop_cycle.md).
    """

    host: str = ""
    port: int = 587
    username: str = ""
    password: str = ""
    sender: str = "sop-platform@localhost"
    recipients: str = ""
    starttls: bool = True

    @property
    def configured(self) -> bool:
        return bool(self.host and self.recipients)

    def recipient_list(self) -> list[str]:
        return [r.strip() for r in self.recipients.split(",") if r.strip()]

    def settings(self):
        from orchestration.sop_cycle.mail import SmtpSettings

        return SmtpSettings(
            host=self.host,
            port=int(self.port),
            username=self.username or None,
            password=self.password or None,
            starttls=self.starttls,
        )
