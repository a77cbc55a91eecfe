"""The source catalog: every entity the platform ingests, declared once.

Each entry says which system delivers the entity, in what file format, which columns it
must carry (with the type the warehouse casts them to in staging), which columns form its
key, and how a month's extract is cut:

- ``snapshot``: every monthly extract is a full copy of the entity as of month end
  (territories, users, the item master); staging keeps the latest snapshot and the history
  of snapshots gives effective dating;
- ``delta``: the rows created or changed during the month (accounts, opportunities);
  staging keeps the latest version of each key;
- ``event``: rows that happened in the month (order lines, shipments, invoices,
  stage changes); a key appears in exactly one month.

The landing layout is ``landing/<system>/<entity>/<YYYY-MM>/<file>``. The ingestion assets,
the demo generator, the dbt sources and the tests all read this catalog, so a real connector
replaces one entity's reader (see ``orchestration.ingestion``) without touching anything
downstream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

FileFormat = Literal["csv", "parquet"]
ExtractKind = Literal["snapshot", "delta", "event"]
ColumnType = Literal["string", "integer", "decimal", "date", "timestamp", "boolean"]

#: Money and quantity columns are cast to this DuckDB type in staging; rates keep more
#: decimals (``Column.scale``): a JPY rate of 0.0068 USD needs 8 to stay exact.
DECIMAL_SQL = "decimal(18,4)"

SQL_TYPES: dict[str, str] = {
    "string": "varchar",
    "integer": "bigint",
    "decimal": DECIMAL_SQL,
    "date": "date",
    "timestamp": "timestamp",
    "boolean": "boolean",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    description: str
    nullable: bool = False
    #: decimal places kept in the warehouse, for ``decimal`` columns
    scale: int = 4

    @property
    def sql_type(self) -> str:
        """The DuckDB type staging casts this column to."""
        return f"decimal(18,{self.scale})" if self.type == "decimal" else SQL_TYPES[self.type]


@dataclass(frozen=True)
class SourceEntity:
    system: str
    entity: str
    file_format: FileFormat
    extract: ExtractKind
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    #: column whose value marks when the source last touched a row (freshness checks)
    updated_at: str
    tags: tuple[str, ...] = field(default=())

    @property
    def is_master_data(self) -> bool:
        """Rows other entities reference (items, customers, reps, ...): a WARN rule flags them and
        keeps them, since leaving one out would orphan every fact that points at it."""
        return MASTER_DATA[0] in self.tags

    @property
    def name(self) -> str:
        """``<system>_<entity>``: the raw table name and the ingestion asset's suffix."""
        return f"{self.system}_{self.entity}"

    @property
    def asset_name(self) -> str:
        return f"raw_{self.name}"

    @property
    def raw_table(self) -> str:
        """``raw.<system>_<entity>``: where ingestion loads the entity, every month kept."""
        return f"{RAW_SCHEMA}.{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def landing_dir(self, landing_root, month: str):
        """Folder holding the extract of ``month`` (``YYYY-MM``)."""
        from pathlib import Path

        return Path(landing_root) / self.system / self.entity / month

    @property
    def file_suffix(self) -> str:
        return ".csv" if self.file_format == "csv" else ".parquet"


def _c(name: str, type_: ColumnType, description: str, nullable: bool = False, scale: int = 4) -> Column:
    return Column(name, type_, description, nullable, scale)


#: the schema of the build database that holds every entity as delivered
RAW_SCHEMA = "raw"

#: the tag of master-data entities (``SourceEntity.is_master_data``)
MASTER_DATA: tuple[str, ...] = ("master_data",)

#: Columns the ingestion step adds to every raw row.
LINEAGE_COLUMNS: tuple[Column, ...] = (
    _c("_partition_month", "date", "first day of the month whose extract delivered the row"),
    _c("_load_id", "string", "id of the load that inserted the row (run id and entity)"),
    _c("_source_file", "string", "path of the landing file, relative to the landing root"),
    _c("_source_row", "integer", "1-based data row number within the source file"),
    _c("_loaded_at", "timestamp", "UTC time the row was loaded"),
)

# ---------------------------------------------------------------- CRM (Salesforce-style CSV)
CRM = (
    SourceEntity(
        "crm",
        "territories",
        "csv",
        "snapshot",
        "Sales territories and the region each belongs to.",
        (
            _c("Id", "string", "territory id"),
            _c("Name", "string", "territory name"),
            _c("Region__c", "string", "region code (NAM, LAT, EUR, UKI, APAC)"),
            _c("CurrencyIsoCode", "string", "the territory's selling currency"),
            _c("LastModifiedDate", "timestamp", "last change in the CRM"),
        ),
        ("Id",),
        "LastModifiedDate",
        tags=MASTER_DATA,
    ),
    SourceEntity(
        "crm",
        "users",
        "csv",
        "snapshot",
        "Sales reps, managers and directors with their manager and territory as of month end.",
        (
            _c("Id", "string", "user id"),
            _c("Name", "string", "full name"),
            _c("Email", "string", "work e-mail"),
            _c("UserRoleName", "string", "Sales Rep, Sales Manager or Sales Director"),
            _c("ManagerId", "string", "the user's manager (empty for directors)", nullable=True),
            _c("Territory__c", "string", "territory id the user sells in"),
            _c("IsActive", "boolean", "still employed"),
            _c("HireDate__c", "date", "hire date"),
            _c("LastModifiedDate", "timestamp", "last change in the CRM"),
        ),
        ("Id",),
        "LastModifiedDate",
        tags=MASTER_DATA,
    ),
    SourceEntity(
        "crm",
        "accounts",
        "csv",
        "delta",
        "Customer accounts created or changed during the month.",
        (
            _c("Id", "string", "account id"),
            _c("Name", "string", "account name as typed by sales"),
            _c("Industry", "string", "industry"),
            _c("Segment__c", "string", "Enterprise, Mid-Market or SMB"),
            _c("BillingCountry", "string", "ISO country code"),
            _c("Territory__c", "string", "territory id"),
            _c("OwnerId", "string", "account owner (user id)"),
            _c(
                "ERP_Customer_Number__c",
                "string",
                "ERP customer number; empty when sales never filled it in",
                nullable=True,
            ),
            _c("CreatedDate", "timestamp", "creation time"),
            _c("LastModifiedDate", "timestamp", "last change in the CRM"),
        ),
        ("Id",),
        "LastModifiedDate",
        tags=MASTER_DATA,
    ),
    SourceEntity(
        "crm",
        "opportunities",
        "csv",
        "delta",
        "Opportunities created or changed during the month, in their state at month end.",
        (
            _c("Id", "string", "opportunity id"),
            _c("Name", "string", "opportunity name"),
            _c("AccountId", "string", "account id"),
            _c("OwnerId", "string", "owning rep (user id)"),
            _c("Type", "string", "New Business, Expansion or Renewal"),
            _c("LeadSource", "string", "lead source"),
            _c("StageName", "string", "sales stage"),
            _c("Amount", "decimal", "amount in CurrencyIsoCode"),
            _c("CurrencyIsoCode", "string", "transaction currency"),
            _c("Probability", "integer", "stage probability in percent"),
            _c("ForecastCategoryName", "string", "Pipeline, Best Case, Commit, Closed or Omitted"),
            _c("CloseDate", "date", "expected or actual close date"),
            _c("IsClosed", "boolean", "closed won or lost"),
            _c("IsWon", "boolean", "closed won"),
            _c("CreatedDate", "timestamp", "creation time"),
            _c("LastModifiedDate", "timestamp", "last change in the CRM"),
        ),
        ("Id",),
        "LastModifiedDate",
    ),
    SourceEntity(
        "crm",
        "opportunity_history",
        "csv",
        "event",
        "Stage, amount and close-date changes of opportunities (OpportunityHistory).",
        (
            _c("Id", "string", "history row id"),
            _c("OpportunityId", "string", "opportunity id"),
            _c("StageName", "string", "stage after the change"),
            _c("Amount", "decimal", "amount after the change"),
            _c("Probability", "integer", "probability after the change"),
            _c("ForecastCategory", "string", "forecast category after the change"),
            _c("CloseDate", "date", "close date after the change"),
            _c("CreatedDate", "timestamp", "when the change happened"),
        ),
        ("Id",),
        "CreatedDate",
    ),
    SourceEntity(
        "crm",
        "opportunity_line_items",
        "csv",
        "event",
        "Products on an opportunity, delivered in the month the opportunity was created.",
        (
            _c("Id", "string", "line item id"),
            _c("OpportunityId", "string", "opportunity id"),
            _c("ProductCode", "string", "SKU"),
            _c("Quantity", "decimal", "units"),
            _c("UnitPrice", "decimal", "unit price in CurrencyIsoCode"),
            _c("TotalPrice", "decimal", "Quantity x UnitPrice"),
            _c("CurrencyIsoCode", "string", "transaction currency"),
            _c("CreatedDate", "timestamp", "creation time"),
        ),
        ("Id",),
        "CreatedDate",
    ),
    SourceEntity(
        "crm",
        "quotas",
        "csv",
        "event",
        "Each rep's bookings quota for the month (ForecastingQuota).",
        (
            _c("Id", "string", "quota id"),
            _c("QuotaOwnerId", "string", "rep (user id)"),
            _c("StartDate", "date", "first day of the quota month"),
            _c("QuotaAmount", "decimal", "quota in CurrencyIsoCode"),
            _c("CurrencyIsoCode", "string", "quota currency"),
            _c("LastModifiedDate", "timestamp", "last change in the CRM"),
        ),
        ("Id",),
        "LastModifiedDate",
    ),
)

# ---------------------------------------------------------------- ERP
ERP = (
    SourceEntity(
        "erp",
        "customers",
        "csv",
        "delta",
        "ERP customer master rows created or changed during the month.",
        (
            _c("customer_number", "string", "ERP customer number"),
            _c("customer_name", "string", "legal name"),
            _c("country_code", "string", "ISO country code"),
            _c("region_code", "string", "sales region code"),
            _c("currency_code", "string", "invoicing currency"),
            _c("payment_terms", "string", "payment terms"),
            _c("created_at", "timestamp", "creation time"),
            _c("updated_at", "timestamp", "last change in the ERP"),
        ),
        ("customer_number",),
        "updated_at",
        tags=MASTER_DATA,
    ),
    SourceEntity(
        "erp",
        "items",
        "parquet",
        "snapshot",
        "Item master as of month end: family, lifecycle, cost and list price.",
        (
            _c("sku", "string", "stock-keeping unit"),
            _c("description", "string", "item description"),
            _c("product_family", "string", "product family"),
            _c("uom", "string", "unit of measure"),
            _c("standard_cost_usd", "decimal", "standard unit cost in USD"),
            _c("list_price_usd", "decimal", "list unit price in USD"),
            _c("launch_date", "date", "first sellable date"),
            _c("eol_date", "date", "end-of-life date", nullable=True),
            _c("lifecycle_status", "string", "planned, active, phase-out or obsolete"),
            _c("updated_at", "timestamp", "last change in the ERP"),
        ),
        ("sku",),
        "updated_at",
        tags=MASTER_DATA,
    ),
    SourceEntity(
        "erp",
        "sales_order_lines",
        "parquet",
        "event",
        "Sales-order lines entered during the month.",
        (
            _c("order_number", "string", "sales order number"),
            _c("line_number", "integer", "line within the order"),
            _c("order_date", "date", "order entry date"),
            _c("customer_number", "string", "ERP customer number"),
            _c("sku", "string", "stock-keeping unit"),
            _c("quantity", "decimal", "ordered units"),
            _c("unit_price", "decimal", "net unit price in currency_code"),
            _c("currency_code", "string", "transaction currency"),
            _c("requested_date", "date", "customer requested delivery date"),
            _c("promo_code", "string", "promotion applied, if any", nullable=True),
            _c("crm_opportunity_id", "string", "CRM opportunity that produced the order", nullable=True),
            _c("updated_at", "timestamp", "last change in the ERP"),
        ),
        ("order_number", "line_number"),
        "updated_at",
    ),
    SourceEntity(
        "erp",
        "shipments",
        "parquet",
        "event",
        "Shipments (deliveries) of order lines made during the month.",
        (
            _c("shipment_number", "string", "shipment id"),
            _c("order_number", "string", "sales order number"),
            _c("line_number", "integer", "order line"),
            _c("ship_date", "date", "date shipped"),
            _c("site_code", "string", "shipping site"),
            _c("quantity_shipped", "decimal", "units shipped"),
            _c("updated_at", "timestamp", "last change in the ERP"),
        ),
        ("shipment_number",),
        "updated_at",
    ),
    SourceEntity(
        "erp",
        "invoices",
        "parquet",
        "event",
        "Invoice headers issued during the month.",
        (
            _c("invoice_number", "string", "invoice id"),
            _c("invoice_date", "date", "invoice date"),
            _c("customer_number", "string", "ERP customer number"),
            _c("currency_code", "string", "invoice currency"),
            _c("total_amount", "decimal", "invoice total, equal to the sum of its lines"),
            _c("updated_at", "timestamp", "last change in the ERP"),
        ),
        ("invoice_number",),
        "updated_at",
    ),
    SourceEntity(
        "erp",
        "invoice_lines",
        "parquet",
        "event",
        "Invoice lines issued during the month, one per shipment.",
        (
            _c("invoice_number", "string", "invoice id"),
            _c("invoice_line", "integer", "line within the invoice"),
            _c("shipment_number", "string", "shipment billed"),
            _c("order_number", "string", "sales order number"),
            _c("line_number", "integer", "order line"),
            _c("sku", "string", "stock-keeping unit"),
            _c("quantity", "decimal", "units billed"),
            _c("net_amount", "decimal", "net amount in currency_code"),
            _c("currency_code", "string", "invoice currency"),
            _c("updated_at", "timestamp", "last change in the ERP"),
        ),
        ("invoice_number", "invoice_line"),
        "updated_at",
    ),
    SourceEntity(
        "erp",
        "inventory_snapshots",
        "csv",
        "snapshot",
        "On-hand inventory per SKU and site at month end.",
        (
            _c("snapshot_date", "date", "month-end date"),
            _c("sku", "string", "stock-keeping unit"),
            _c("site_code", "string", "stocking site"),
            _c("on_hand_qty", "decimal", "units on hand"),
            _c("standard_cost_usd", "decimal", "standard unit cost in USD"),
            _c("updated_at", "timestamp", "extract time"),
        ),
        ("snapshot_date", "sku", "site_code"),
        "updated_at",
    ),
    SourceEntity(
        "erp",
        "scheduled_receipts",
        "csv",
        "snapshot",
        "Open supply at month end: purchase and work orders not yet received.",
        (
            _c("receipt_id", "string", "purchase or work order id"),
            _c("receipt_type", "string", "PO or WO"),
            _c("sku", "string", "stock-keeping unit"),
            _c("site_code", "string", "receiving site"),
            _c("due_date", "date", "expected receipt date"),
            _c("quantity", "decimal", "units due"),
            _c("snapshot_date", "date", "month-end date of the extract"),
            _c("updated_at", "timestamp", "extract time"),
        ),
        ("snapshot_date", "receipt_id"),
        "updated_at",
    ),
    SourceEntity(
        "erp",
        "work_center_capacity",
        "csv",
        "snapshot",
        "Capacity plan at month end: available hours per work center for the month and the 18 months after it.",
        (
            _c("work_center_id", "string", "work center id"),
            _c("work_center_name", "string", "work center name"),
            _c("site_code", "string", "site"),
            _c("capacity_month", "date", "first day of the month the hours are for"),
            _c("available_hours", "decimal", "available production hours (regular shifts, holidays deducted)"),
            _c("updated_at", "timestamp", "last change in the ERP"),
        ),
        ("work_center_id", "capacity_month"),
        "updated_at",
    ),
    SourceEntity(
        "erp",
        "routings",
        "csv",
        "snapshot",
        "Hours each SKU needs on its work center, as of month end.",
        (
            _c("sku", "string", "stock-keeping unit"),
            _c("work_center_id", "string", "work center id"),
            _c("hours_per_unit", "decimal", "production hours per unit"),
            _c("updated_at", "timestamp", "last change in the ERP"),
        ),
        ("sku", "work_center_id"),
        "updated_at",
        tags=MASTER_DATA,
    ),
    SourceEntity(
        "erp",
        "item_sites",
        "csv",
        "snapshot",
        "Planning parameters per SKU and stocking site as of month end (the MRP view of the item "
        "master): how the site is supplied, lead time and lot sizing.",
        (
            _c("sku", "string", "stock-keeping unit"),
            _c("site_code", "string", "stocking site"),
            _c(
                "procurement_type",
                "string",
                "make (a work order at this plant), buy (a purchase order from a supplier) or "
                "transfer (a stock transfer from the supplying site)",
            ),
            _c("supplying_site_code", "string", "site that ships a transfer; empty unless transfer", nullable=True),
            _c("lead_time_days", "integer", "replenishment lead time in days"),
            _c("lead_time_std_days", "decimal", "standard deviation of the lead time in days"),
            _c(
                "lot_rule",
                "string",
                "lot-sizing rule: LFL (lot for lot), FOQ (fixed order quantity) or POQ (period order quantity)",
            ),
            _c("lot_size", "decimal", "units per order under FOQ; 0 otherwise"),
            _c("poq_periods", "integer", "months of requirements one order covers under POQ; 0 otherwise"),
            _c("min_order_qty", "decimal", "minimum order quantity in units; 0 when none"),
            _c("order_multiple", "decimal", "orders are rounded up to a multiple of this; 1 when none"),
            _c("updated_at", "timestamp", "last change in the ERP"),
        ),
        ("sku", "site_code"),
        "updated_at",
        tags=MASTER_DATA,
    ),
    SourceEntity(
        "erp",
        "sourcing_rules",
        "csv",
        "snapshot",
        "Which stocking sites serve each sales region, and the share of the region's demand each one "
        "ships, as of month end.",
        (
            _c("region_code", "string", "sales region code"),
            _c("site_code", "string", "stocking site serving the region"),
            _c(
                "demand_share",
                "decimal",
                "share of the region's demand shipped from the site; a region's shares sum to 1",
            ),
            _c("updated_at", "timestamp", "last change in the ERP"),
        ),
        ("region_code", "site_code"),
        "updated_at",
        tags=MASTER_DATA,
    ),
)

# ---------------------------------------------------------------- market data (CSV)
MARKET = (
    SourceEntity(
        "market",
        "fx_rates",
        "csv",
        "event",
        "Monthly average exchange rates into USD.",
        (
            _c("rate_month", "date", "first day of the month"),
            _c("currency_code", "string", "ISO currency code"),
            _c("usd_per_unit", "decimal", "USD for one unit of the currency", scale=8),
            _c("published_at", "timestamp", "publication time"),
        ),
        ("rate_month", "currency_code"),
        "published_at",
    ),
    SourceEntity(
        "market",
        "macro_indicators",
        "csv",
        "event",
        "Macro indicators per region and month (manufacturing PMI, GDP growth).",
        (
            _c("period_month", "date", "first day of the month"),
            _c("region_code", "string", "region code"),
            _c("indicator_code", "string", "PMI or GDP_GROWTH"),
            _c("value", "decimal", "indicator value"),
            _c("published_at", "timestamp", "publication time"),
        ),
        ("period_month", "region_code", "indicator_code"),
        "published_at",
    ),
    SourceEntity(
        "market",
        "market_size",
        "csv",
        "event",
        "Addressable market size per region, product family and month.",
        (
            _c("period_month", "date", "first day of the month"),
            _c("region_code", "string", "region code"),
            _c("product_family", "string", "product family"),
            _c("market_size_usd", "decimal", "market size in USD"),
            _c("published_at", "timestamp", "publication time"),
        ),
        ("period_month", "region_code", "product_family"),
        "published_at",
    ),
)

CATALOG: tuple[SourceEntity, ...] = CRM + ERP + MARKET
BY_NAME: dict[str, SourceEntity] = {e.name: e for e in CATALOG}
SYSTEMS: tuple[str, ...] = ("crm", "erp", "market")


def entity(name: str) -> SourceEntity:
    """Look an entity up by ``<system>_<entity>``; a clear error lists the known ones."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown source entity {name!r}; known: {', '.join(BY_NAME)}") from None
