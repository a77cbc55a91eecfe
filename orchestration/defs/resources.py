"""Resources: where the data lives, and how to reach the warehouse and the sources."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Optional

import duckdb
from dagster import Config, ConfigurableResource
from pydantic import Field

from orchestration.connectors.extract import Connector
from orchestration.connectors.market_http import HttpSourceConnection, MarketHttpConnector
from orchestration.connectors.postgres import PostgresConnection, PostgresConnector
from orchestration.connectors.salesforce import SalesforceConnection, SalesforceConnector
from orchestration.ingestion import LandingFolderReader, SourceReader
from orchestration.settings import DataPaths, data_paths
from orchestration.sources import SourceEntity


class PostgresSource(Config):
    """A source system in PostgreSQL (the ERP): where it is and how much to read at a time."""

    host: str = Field(description="database host")
    port: int = Field(default=5432, description="database port")
    database: str = Field(description="database name")
    user: str = Field(description="a read-only user of the source tables")
    password: str = Field(default="", description="a secret: set it with EnvVar (run config {env: VAR}), never here")
    db_schema: str = Field(default="erp", description="the schema holding one table per entity")
    chunk_rows: int = Field(default=50_000, ge=1, description="rows per fetch of the server-side cursor")


class SalesforceSource(Config):
    """A Salesforce-style CRM API: OAuth2 client credentials, SOQL queries, paging and rate limits."""

    login_url: str = Field(description="where the token is asked for, e.g. https://login.salesforce.com")
    client_id: str = Field(description="the connected app's client id (EnvVar)")
    client_secret: str = Field(default="", description="a secret: set it with EnvVar, never here")
    api_version: str = Field(default="v60.0", description="REST API version")
    page_size: int = Field(default=2000, ge=200, le=2000, description="records per page (batchSize)")
    max_requests_per_second: float = Field(default=25.0, gt=0, description="the client's own rate limit")


class HttpSource(Config):
    """A market-data provider's HTTP endpoint (CSV or JSON per entity)."""

    base_url: str = Field(description="e.g. https://data.vendor.example/v1")
    token: str = Field(default="", description="a bearer token, if the provider wants one (EnvVar)")


class SourceSystems(Config):
    """Which entities a real system delivers, and how to reach each system (docs/connectors.md).

    ``entities`` maps an entity (``erp_sales_order_lines``) or a whole system (``erp``) to a
    connector: ``postgres``, ``salesforce`` or ``http``. Entities not listed read the landing
    folder (demo files or exports dropped there). A month already in the landing zone is not
    read again unless ``reextract``: the landing zone is the record of what was delivered.
    """

    entities: dict[str, str] = Field(default={}, description="entity or system -> postgres | salesforce | http")
    objects: dict[str, str] = Field(
        default={}, description="entity -> its table, object or path in the source, where not the default"
    )
    lag_minutes: int = Field(default=180, ge=0, le=27 * 24 * 60, description="re-read window for late commits")
    reextract: bool = Field(default=False, description="extract months already in the landing zone again")
    postgres: Optional[PostgresSource] = None
    salesforce: Optional[SalesforceSource] = None
    http: Optional[HttpSource] = None


#: DuckDB's memory cap per connection, unless the data root's resource sets another. A full dbt
#: build of the scale-10 history took 14.8 GB without it (DuckDB's default cap is 80% of RAM) and
#: 4.5 GB with it (benchmarks/README.md, "Scale 10, ..."). profiles.yml falls back to the same value.
DEFAULT_DUCKDB_MEMORY_LIMIT = "4GB"
DUCKDB_MEMORY_LIMIT_PATTERN = r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$"


class SopDataResource(ConfigurableResource):
    """The data root (``SOP_DATA_DIR`` unless set here) and where each entity comes from.

    Entities that ``sources`` assigns to a connector are extracted from their system into the
    landing zone first; every entity is then loaded from the landing zone.
    """

    data_dir: str = ""
    sources: SourceSystems = SourceSystems()
    duckdb_memory_limit: str = Field(
        default=DEFAULT_DUCKDB_MEMORY_LIMIT,
        pattern=DUCKDB_MEMORY_LIMIT_PATTERN,
        description="DuckDB's cap on its own memory in the warehouse, dbt and publishing connections "
        "(e.g. 4GB); beyond it DuckDB spills to a temporary folder. DuckDB's default is 80% of RAM.",
    )

    @property
    def paths(self) -> DataPaths:
        return data_paths(self.data_dir or None)

    def reader_for(self, entity: SourceEntity) -> SourceReader:
        return LandingFolderReader(self.paths.landing)

    def connector_for(self, entity: SourceEntity) -> Connector | None:
        """The connector that delivers ``entity``, or ``None`` when it comes as files."""
        kind = self.sources.entities.get(entity.name) or self.sources.entities.get(entity.system)
        if not kind:
            return None
        return build_connector(kind, entity, self.sources)

    @property
    def extract_lag(self) -> timedelta:
        return timedelta(minutes=self.sources.lag_minutes)

    @contextmanager
    def warehouse(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write connection to the build database, closed on exit (the file lock goes too)."""
        self.paths.warehouse_dir.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.paths.warehouse_db), config={"memory_limit": self.duckdb_memory_limit})
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


def build_connector(kind: str, entity: SourceEntity, sources: SourceSystems) -> Connector:
    """The connector of ``kind`` for ``entity``, from the systems' configuration."""
    objects = {k: v for k, v in sources.objects.items() if k == entity.name}
    if kind == "postgres":
        if sources.postgres is None:
            raise ValueError(f"{entity.name} is assigned to postgres, but sources.postgres is not configured")
        pg = sources.postgres
        connection = PostgresConnection(
            host=pg.host, port=pg.port, database=pg.database, user=pg.user, password=pg.password, schema=pg.db_schema
        )
        return PostgresConnector(connection, chunk_rows=pg.chunk_rows, tables=objects)
    if kind == "salesforce":
        if sources.salesforce is None:
            raise ValueError(f"{entity.name} is assigned to salesforce, but sources.salesforce is not configured")
        sf = sources.salesforce
        connection = SalesforceConnection(
            login_url=sf.login_url,
            client_id=sf.client_id,
            client_secret=sf.client_secret,
            api_version=sf.api_version,
            page_size=sf.page_size,
            max_requests_per_second=sf.max_requests_per_second,
        )
        return SalesforceConnector(connection, objects=objects)
    if kind == "http":
        if sources.http is None:
            raise ValueError(f"{entity.name} is assigned to http, but sources.http is not configured")
        return MarketHttpConnector(HttpSourceConnection(sources.http.base_url, token=sources.http.token), paths=objects)
    raise ValueError(f"{entity.name}: unknown connector {kind!r}; use postgres, salesforce or http")
