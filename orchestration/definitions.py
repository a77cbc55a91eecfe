"""The Dagster code location: the one entry point (``workspace.yaml`` and ``dagster dev`` load it)."""

import os
import shutil
import sys
from pathlib import Path

from dagster import Definitions, EnvVar, in_process_executor

from orchestration.connectors.postgres import PostgresConnection
from orchestration.defs.dbt_assets import dbt_resource, sop_dbt_models, sop_dbt_planning_models
from orchestration.defs.forecast_assets import forecast_assets
from orchestration.defs.jobs import monthly_sop_cycle, monthly_sop_schedule
from orchestration.defs.quality_checks import quality_checks
from orchestration.defs.raw_assets import raw_assets
from orchestration.defs.resources import (
    ForecastSettings,
    HttpSource,
    PostgresSource,
    SalesforceSource,
    SalesPlanningSettings,
    SmtpResource,
    SopDataResource,
    SourceSystems,
    SupplySettings,
)
from orchestration.defs.sales_planning_assets import sales_planning_assets
from orchestration.defs.serving_assets import serving_marts
from orchestration.defs.sop_cycle_assets import sop_cycle_assets
from orchestration.defs.supply_assets import supply_assets, supply_checks

#: dbt from this environment, whether or not its bin folder is on PATH
DBT_EXECUTABLE = (
    str(Path(sys.executable).with_name("dbt"))
    if Path(sys.executable).with_name("dbt").exists()
    else (shutil.which("dbt") or "dbt")
)


def smtp_resource(environ=os.environ) -> SmtpResource:
    """SMTP from the environment when ``SOP_SMTP_HOST`` is set, else an unconfigured resource (nothing is sent).

    Host, recipients and credentials are ``EnvVar``s: resolved when a run starts, never written into the run
    config, a file or the logs. ``SOP_SMTP_STARTTLS=0`` sends without STARTTLS (a local relay)."""
    if not environ.get("SOP_SMTP_HOST"):
        return SmtpResource()
    fields: dict = {"host": EnvVar("SOP_SMTP_HOST"), "recipients": EnvVar("SOP_SMTP_TO")}
    if environ.get("SOP_SMTP_PORT"):
        fields["port"] = EnvVar.int("SOP_SMTP_PORT")
    for field, name in (
        ("username", "SOP_SMTP_USERNAME"),
        ("password", "SOP_SMTP_PASSWORD"),
        ("sender", "SOP_SMTP_FROM"),
    ):
        if environ.get(name):
            fields[field] = EnvVar(name)
    return SmtpResource(**fields, starttls=environ.get("SOP_SMTP_STARTTLS", "1") != "0")


def source_systems(environ=os.environ) -> SourceSystems:
    """Which entities real systems deliver, from the environment (docs/connectors.md); none by default.

    ``SOP_CONNECTORS`` assigns entities or whole systems to connectors (``erp=postgres,crm=salesforce,
    market=http``). The systems: ``SOP_ERP_DATABASE_URL`` (``postgresql://user@host:port/db?schema=erp``,
    no password in it) with ``SOP_ERP_DATABASE_PASSWORD``; ``SOP_CRM_LOGIN_URL`` with ``SOP_CRM_CLIENT_ID``
    and ``SOP_CRM_CLIENT_SECRET``; ``SOP_MARKET_URL`` with ``SOP_MARKET_TOKEN``. Secrets are ``EnvVar``s:
    resolved when a run starts, never written into the run config, a file or the logs."""
    assignments = environ.get("SOP_CONNECTORS", "").strip()
    if not assignments:
        return SourceSystems()
    entities = {}
    for part in assignments.split(","):
        name, _, kind = part.partition("=")
        if not name.strip() or not kind.strip():
            raise ValueError(f"SOP_CONNECTORS: {part!r} is not <entity or system>=<postgres|salesforce|http>")
        entities[name.strip()] = kind.strip()
    fields: dict = {"entities": entities}
    if environ.get("SOP_CONNECTOR_LAG_MINUTES"):
        fields["lag_minutes"] = int(environ["SOP_CONNECTOR_LAG_MINUTES"])
    if environ.get("SOP_ERP_DATABASE_URL"):
        erp = PostgresConnection.from_url(environ["SOP_ERP_DATABASE_URL"])
        if erp.password:
            raise ValueError("SOP_ERP_DATABASE_URL must not hold the password: set SOP_ERP_DATABASE_PASSWORD")
        fields["postgres"] = PostgresSource(
            host=erp.host,
            port=erp.port,
            database=erp.database,
            user=erp.user,
            password=EnvVar("SOP_ERP_DATABASE_PASSWORD") if environ.get("SOP_ERP_DATABASE_PASSWORD") else "",
            db_schema=erp.schema,
        )
    if environ.get("SOP_CRM_LOGIN_URL"):
        fields["salesforce"] = SalesforceSource(
            login_url=environ["SOP_CRM_LOGIN_URL"],
            client_id=EnvVar("SOP_CRM_CLIENT_ID"),
            client_secret=EnvVar("SOP_CRM_CLIENT_SECRET"),
        )
    if environ.get("SOP_MARKET_URL"):
        fields["http"] = HttpSource(
            base_url=environ["SOP_MARKET_URL"],
            token=EnvVar("SOP_MARKET_TOKEN") if environ.get("SOP_MARKET_TOKEN") else "",
        )
    return SourceSystems(**fields)


defs = Definitions(
    assets=[
        *raw_assets,
        sop_dbt_models,
        *forecast_assets,
        *supply_assets,
        *sop_cycle_assets,
        *sales_planning_assets,
        sop_dbt_planning_models,
        serving_marts,
    ],
    asset_checks=[*quality_checks, *supply_checks],
    jobs=[monthly_sop_cycle],
    schedules=[monthly_sop_schedule],
    resources={
        "sop_data": SopDataResource(sources=source_systems()),
        "forecast_settings": ForecastSettings(),
        "supply_settings": SupplySettings(),
        "sales_planning_settings": SalesPlanningSettings(),
        "smtp": smtp_resource(),
        "dbt": dbt_resource(DBT_EXECUTABLE),
    },
    # Every step writes the same DuckDB file: run steps one after another in the run's process.
    executor=in_process_executor,
)
