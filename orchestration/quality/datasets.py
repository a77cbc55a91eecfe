"""The DataFrames the suites validate, read from the run's own DuckDB connection.

Only the months being checked are read (``_partition_month`` of raw, the month column of a
mart), and only the columns the suites use. CSV columns arrive as text exactly as
delivered; empty cells become NULL (as staging's ``cast_csv_field`` does) and every
decimal, date and timestamp column is also parsed into ``<column>__value`` (NULL when the
text does not parse: that is ``schema.types``' job) so value rules compare numbers and
dates, not strings. The accuracy suites get small computed frames, one row per month (or per
invoice, per currency and month), built in SQL.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from orchestration.quality.checks_file import month_start
from orchestration.quality.quarantine import QUARANTINE_TABLE
from orchestration.sources import SourceEntity

LINEAGE = ("_partition_month", "_load_id", "_source_file", "_source_row")
_VALUE_TYPES = {"decimal": "DOUBLE", "integer": "BIGINT", "date": "DATE", "timestamp": "TIMESTAMP"}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def month_dates(months: list[str]) -> list[date]:
    return [month_start(m) for m in months]


def table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, name = qualified.split(".")
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, name]
        ).fetchone()[0]
    )


def table_columns(con: duckdb.DuckDBPyConnection, qualified: str) -> list[str]:
    schema, name = qualified.split(".")
    return [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position",
            [schema, name],
        ).fetchall()
    ]


def raw_frame(con: duckdb.DuckDBPyConnection, entity: SourceEntity, months: list[str]) -> pd.DataFrame:
    """The rows of ``months`` of ``raw.<entity>``: catalog columns, parsed values, lineage.

    A catalog column missing from the table is left out (``schema.required_columns`` reports it).
    """
    present = set(table_columns(con, entity.raw_table))
    select = []
    for col in entity.columns:
        if col.name not in present:
            continue
        if entity.file_format == "csv":
            text = f"nullif(trim({_q(col.name)}), '')"
            select.append(f"{text} AS {_q(col.name)}")
            if col.type in _VALUE_TYPES:
                select.append(f"TRY_CAST({text} AS {_VALUE_TYPES[col.type]}) AS {_q(col.name + '__value')}")
        else:
            select.append(_q(col.name))
    select += [_q(c) for c in LINEAGE]
    marks = ", ".join("?" for _ in months)
    frame = con.execute(
        f"SELECT {', '.join(select)} FROM {entity.raw_table} WHERE _partition_month IN ({marks}) "
        "ORDER BY _partition_month, _source_file, _source_row",
        month_dates(months),
    ).df()
    return with_nanosecond_datetimes(frame)


def with_nanosecond_datetimes(frame: pd.DataFrame) -> pd.DataFrame:
    """Datetime columns as ``datetime64[ns]``: GX compares those vectorized (others row by row)."""
    for column in frame.columns:
        dtype = frame[column].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype) and not isinstance(dtype, pd.DatetimeTZDtype):
            try:
                frame[column] = frame[column].astype("datetime64[ns]")
            except (OverflowError, pd.errors.OutOfBoundsDatetime):
                pass  # a date beyond 2262 (a typo like 9999-12-31): compared row by row instead
    return frame


def day_numbers(values: pd.Series) -> pd.Series:
    """Dates or timestamps as day numbers (``date.toordinal``, time of day dropped; NaN when missing),
    so two columns compare by day whatever their type or range (a 9999-12-31 stays comparable)."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        days = values.dt.floor("D")
        return ((days - pd.Timestamp("1970-01-01")).dt.days + date(1970, 1, 1).toordinal()).astype("float64")

    def one(value) -> float:
        if value is None or pd.isna(value):
            return float("nan")
        day = value.date() if hasattr(value, "date") and callable(value.date) else value
        return float(day.toordinal()) if isinstance(day, date) else float("nan")

    return values.map(one).astype("float64")


def month_offsets(values: pd.Series, extract_months: pd.Series) -> pd.Series:
    """Months from each row's extract month to its date (0: the same month, 1: the month after,
    -1: the one before; NaN when the date is missing or unreadable)."""

    def index(v):
        if v is None or pd.isna(v):
            return float("nan")
        try:
            t = pd.Timestamp(v)
        except (ValueError, TypeError, OverflowError):
            return float("nan")
        return float(t.year * 12 + t.month)

    dates = (
        values.map(index)
        if not pd.api.types.is_datetime64_any_dtype(values.dtype)
        else (values.dt.year * 12 + values.dt.month).astype("float64")
    )
    months = pd.to_datetime(extract_months)
    return dates - (months.dt.year * 12 + months.dt.month).astype("float64")


def with_day_columns(frame: pd.DataFrame, entity: SourceEntity, suite: dict) -> pd.DataFrame:
    """Add the derived columns the suite compares, from the typed values: ``<column>__day``
    (values.dates_ordered) and ``<column>__months_from_extract`` (values.in_extract_month)."""
    wanted = {
        v
        for e in suite["expectations"]
        for k, v in e["kwargs"].items()
        if k in ("column_A", "column_B", "column")
        and isinstance(v, str)
        and (v.endswith("__day") or v.endswith("__months_from_extract"))
    }
    for name in sorted(wanted):
        suffix = "__day" if name.endswith("__day") else "__months_from_extract"
        base = name.removesuffix(suffix)
        source = f"{base}__value" if entity.file_format == "csv" else base
        if source not in frame.columns:
            continue
        if suffix == "__day":
            frame[name] = day_numbers(frame[source])
        elif "_partition_month" in frame.columns:
            frame[name] = month_offsets(frame[source], frame["_partition_month"])
    return frame


def updated_value_column(entity: SourceEntity) -> str:
    return f"{entity.updated_at}__value" if entity.file_format == "csv" else entity.updated_at


def month_summary(frame: pd.DataFrame, entity: SourceEntity, month: str) -> pd.DataFrame:
    """One row for ``month``: its newest updated-at timestamp (NULL for an empty month)."""
    column = updated_value_column(entity)
    rows = frame[frame["_partition_month"] == pd.Timestamp(month_start(month))] if len(frame) else frame
    latest = rows[column].max() if column in rows.columns and len(rows) else None
    return pd.DataFrame(
        {"month": [month], "latest_updated_at": pd.Series([latest], dtype="datetime64[us]"), "rows": [len(rows)]}
    )


def month_row_counts(con: duckdb.DuckDBPyConnection, entity: SourceEntity, months: list[str]) -> dict[str, int]:
    """The number of rows of each of ``months`` in ``raw.<entity>`` (0 for a month with none)."""
    marks = ", ".join("?" for _ in months)
    counts = dict(
        con.execute(
            f"SELECT strftime(_partition_month, '%Y-%m'), count(*) FROM {entity.raw_table} "
            f"WHERE _partition_month IN ({marks}) GROUP BY 1",
            month_dates(months),
        ).fetchall()
    )
    return {m: int(counts.get(m, 0)) for m in months}


def mart_frame(
    con: duckdb.DuckDBPyConnection,
    mart: str,
    month_column: str | None,
    months: list[str],
    columns: set[str] | None = None,
) -> pd.DataFrame:
    """The mart's rows of ``months`` (every row when it has no month column).

    ``columns``: only these (and the month column), those the table has, in the table's order;
    None reads every column. A mart of all history is wide: its rules read a few columns."""
    table = f"marts.{mart}"
    present = table_columns(con, table)
    wanted = present if columns is None else [c for c in present if c in columns or c == month_column]
    select = ", ".join(_q(c) for c in wanted) if wanted else "1 AS _no_column"
    if month_column and month_column in present:
        marks = ", ".join("?" for _ in months)
        frame = con.execute(
            f"SELECT {select} FROM {table} WHERE {_q(month_column)} IN ({marks})", month_dates(months)
        ).df()
    else:
        frame = con.execute(f"SELECT {select} FROM {table}").df()
    return frame if wanted else frame.drop(columns="_no_column")


def table_schema_frame(con: duckdb.DuckDBPyConnection, qualified: str) -> pd.DataFrame:
    """No rows, every column of ``qualified`` with its type: what a rule on the columns judges."""
    return con.execute(f"SELECT * FROM {qualified} LIMIT 0").df()


# ------------------------------------------------------------------------------ accuracy frames
def _kept(alias: str, entity_name: str) -> str:
    """SQL condition: the raw row is not quarantined (as staging's ``exclude_quarantined``)."""
    return (
        f"not exists (select 1 from {QUARANTINE_TABLE} q where q.stage = 'check' "
        f"and q.entity = '{entity_name}' and q.load_id = {alias}._load_id "
        f"and q.source_file = {alias}._source_file and q.source_row = {alias}._source_row)"
    )


def _usd(rate_alias: str, currency: str) -> str:
    """The month's rate of ``currency``; USD is at par (the feed publishes no USD row)."""
    return f"coalesce({rate_alias}.usd_per_unit, case when {currency} = 'USD' then 1.0 end)"


_FX = """
    fx as (
        select cast(rate_month as date) as rate_month, currency_code,
               cast(usd_per_unit as double) as usd_per_unit
        from raw.market_fx_rates
        qualify row_number() over (partition by rate_month, currency_code order by _partition_month desc) = 1
    )"""


def bookings_vs_order_intake(con: duckdb.DuckDBPyConnection, months: list[str]) -> pd.DataFrame:
    """Per close month and currency: the CRM closed-won amount of the month's won deals against
    the ERP order intake of the same deals, in the deal currency (the ERP order carries it too).

    The ERP enters a won deal's products as order lines (same SKU, quantity and price), some
    of them months after the close. So the comparison is per deal and product: only products
    whose ERP order lines are loaded count, and the deal's ``Amount`` is allocated to the
    units ordered so far by each product's share of the line-item total. ``won_opportunities``
    and ``matched`` (deals with at least one product ordered) show the coverage. Amounts stay
    in their currency, so this control does not depend on the FX feed.
    """
    marks = ", ".join("?" for _ in months)
    return con.execute(
        f"""
        with won as (
            select "Id" as opportunity_id, _partition_month as month,
                   try_cast(nullif(trim("Amount"), '') as double) as amount, "CurrencyIsoCode" as currency_code
            from raw.crm_opportunities
            where _partition_month in ({marks}) and "IsWon" = 'true'
        ),
        items as (
            select "OpportunityId" as opportunity_id, "ProductCode" as sku,
                   sum(try_cast(nullif(trim("TotalPrice"), '') as double)) as line_total,
                   sum(try_cast(nullif(trim("Quantity"), '') as double)) as quantity
            from raw.crm_opportunity_line_items
            where "OpportunityId" in (select opportunity_id from won)
            group by 1, 2
        ),
        shares as (
            -- the deal amount per unit of each product: Amount x (line total / all lines) / quantity
            select opportunity_id, sku,
                   line_total / nullif(sum(line_total) over (partition by opportunity_id), 0)
                   / nullif(quantity, 0) as share_per_unit
            from items
        ),
        ordered as (
            select crm_opportunity_id as opportunity_id, sku, sum(quantity) as quantity,
                   sum(quantity * unit_price) as order_value
            from raw.erp_sales_order_lines
            where crm_opportunity_id in (select opportunity_id from won)
            group by 1, 2
        ),
        matched as (
            select won.month, won.currency_code, won.opportunity_id,
                   won.amount * shares.share_per_unit * ordered.quantity as crm_amount,
                   ordered.order_value as erp_amount
            from won
            join ordered using (opportunity_id)
            join shares using (opportunity_id, sku)
        ),
        months as (select unnest(?::date[]) as month),
        cells as (
            select months.month, won.currency_code, count(*) as won_opportunities
            from months left join won on won.month = months.month
            group by all
        )
        select strftime(cells.month, '%Y-%m') as month, cells.currency_code,
               max(case when cells.currency_code is null then 0 else cells.won_opportunities end)
                   as won_opportunities,
               count(distinct matched.opportunity_id) as matched,
               round(coalesce(sum(matched.crm_amount), 0), 2) as crm_closed_won,
               round(coalesce(sum(matched.erp_amount), 0), 2) as erp_order_intake,
               case when coalesce(sum(matched.crm_amount), 0) = 0 then 0
                    else (sum(matched.erp_amount) - sum(matched.crm_amount)) / sum(matched.crm_amount) end
                   as relative_difference
        from cells left join matched
            on matched.month = cells.month and matched.currency_code = cells.currency_code
        group by cells.month, cells.currency_code
        order by 1, 2
    """,
        [*month_dates(months), month_dates(months)],
    ).df()


def invoice_headers_vs_lines(con: duckdb.DuckDBPyConnection, months: list[str]) -> pd.DataFrame:
    """Per invoice header of ``months``: its total, the sum of its lines and the difference."""
    marks = ", ".join("?" for _ in months)
    return con.execute(
        f"""
        with lines as (
            select invoice_number, sum(net_amount) as lines_total
            from raw.erp_invoice_lines where _partition_month in ({marks}) group by 1
        )
        select strftime(h._partition_month, '%Y-%m') as month, h.invoice_number, h.currency_code,
               h.total_amount, round(lines.lines_total, 4) as lines_total,
               round(h.total_amount - coalesce(lines.lines_total, 0), 4) as difference,
               h._source_file, h._source_row
        from raw.erp_invoices as h left join lines using (invoice_number)
        where h._partition_month in ({marks})
        order by h._partition_month, h._source_file, h._source_row
    """,
        [*month_dates(months), *month_dates(months)],
    ).df()


#: (raw table, currency column, month expression) of every transaction that is converted to USD
FX_USERS = (
    ("crm_opportunities", '"CurrencyIsoCode"', "_partition_month"),
    ("crm_opportunity_line_items", '"CurrencyIsoCode"', "_partition_month"),
    ("crm_quotas", '"CurrencyIsoCode"', "_partition_month"),
    ("erp_sales_order_lines", "currency_code", "_partition_month"),
    ("erp_invoices", "currency_code", "_partition_month"),
    ("erp_invoice_lines", "currency_code", "_partition_month"),
)


def fx_rate_coverage(con: duckdb.DuckDBPyConnection, months: list[str]) -> pd.DataFrame:
    """Every (month, currency) the transactions of ``months`` use, with its rate (NULL if none)."""
    marks = ", ".join("?" for _ in months)
    parts = [
        f"select distinct {month} as month, nullif(trim(cast({cur} as varchar)), '') as currency_code, "
        f"'{table}' as used_by from raw.{table} where _partition_month in ({marks})"
        for table, cur, month in FX_USERS
        if table_exists(con, f"raw.{table}")
    ]
    if not parts:
        return pd.DataFrame({"month": [], "currency_code": [], "used_by": [], "usd_per_unit": []})
    params = [d for _ in parts for d in month_dates(months)]
    fx = (
        _FX
        if table_exists(con, "raw.market_fx_rates")
        else (" fx as (select null::date as rate_month, null::varchar as currency_code, null::double as usd_per_unit)")
    )
    return con.execute(
        f"""
        with {fx.strip()},
        used as ({" union ".join(parts)})
        select strftime(used.month, '%Y-%m') as month, used.currency_code,
               string_agg(distinct used.used_by, ', ' order by used.used_by) as used_by,
               any_value({_usd("fx", "used.currency_code")}) as usd_per_unit
        from used left join fx on fx.rate_month = used.month and fx.currency_code = used.currency_code
        where used.currency_code is not null
        group by all order by 1, 2
    """,
        params,
    ).df()


def mart_totals_vs_raw(con: duckdb.DuckDBPyConnection, months: list[str]) -> pd.DataFrame:
    """Per month and measure: the total of ``revenue_by_region_family_monthly`` and the same
    total recomputed from raw (the latest version of each row) at the month's rate.

    Bookings: line items of opportunities won and closing in the month; orders: order lines
    entered in the month; billings: invoice lines of invoices of the month.
    """
    dates = month_dates(months)
    return con.execute(
        f"""
        with {_FX.strip()},
        months as (select unnest(?::date[]) as month),
        opportunities as (
            select "Id" as opportunity_id, "IsWon" as is_won,
                   cast(nullif(trim("CloseDate"), '') as date) as close_date
            from raw.crm_opportunities as r where {_kept("r", "crm_opportunities")}
            qualify row_number() over (partition by "Id" order by
                cast(nullif(trim("LastModifiedDate"), '') as timestamp) desc,
                _partition_month desc, _source_row desc) = 1
        ),
        line_items as (
            select "OpportunityId" as opportunity_id, cast(nullif(trim("TotalPrice"), '') as double) as amount,
                   "CurrencyIsoCode" as currency_code
            from raw.crm_opportunity_line_items as r where {_kept("r", "crm_opportunity_line_items")}
            qualify row_number() over (partition by "Id" order by _partition_month desc, _source_row desc) = 1
        ),
        raw_totals as (
            select date_trunc('month', o.close_date) as month, 'bookings_usd' as measure,
                   sum(li.amount * {_usd("fx", "li.currency_code")}) as raw_usd
            from line_items li join opportunities o using (opportunity_id)
            left join fx on fx.rate_month = date_trunc('month', o.close_date) and fx.currency_code = li.currency_code
            where o.is_won = 'true' and date_trunc('month', o.close_date) in (select month from months)
            group by 1
            union all
            select date_trunc('month', l.order_date), 'orders_usd',
                   sum(l.quantity * l.unit_price * {_usd("fx", "l.currency_code")})
            from raw.erp_sales_order_lines l
            left join fx on fx.rate_month = date_trunc('month', l.order_date) and fx.currency_code = l.currency_code
            where date_trunc('month', l.order_date) in (select month from months)
              and {_kept("l", "erp_sales_order_lines")}
            group by 1
            union all
            select date_trunc('month', h.invoice_date), 'billings_usd',
                   sum(l.net_amount * {_usd("fx", "l.currency_code")})
            from raw.erp_invoice_lines l join raw.erp_invoices h using (invoice_number)
            left join fx on fx.rate_month = date_trunc('month', h.invoice_date) and fx.currency_code = l.currency_code
            where date_trunc('month', h.invoice_date) in (select month from months)
              and {_kept("l", "erp_invoice_lines")} and {_kept("h", "erp_invoices")}
            group by 1
        ),
        mart as (
            select revenue_month as month, 'bookings_usd' as measure, sum(bookings_usd) as mart_usd
            from marts.revenue_by_region_family_monthly group by 1
            union all
            select revenue_month, 'orders_usd', sum(orders_usd) from marts.revenue_by_region_family_monthly group by 1
            union all
            select revenue_month, 'billings_usd', sum(billings_usd)
            from marts.revenue_by_region_family_monthly group by 1
        ),
        grid as (select month, measure from months cross join (values ('bookings_usd'), ('orders_usd'),
                 ('billings_usd')) as m(measure))
        select strftime(grid.month, '%Y-%m') as month, grid.measure,
               round(coalesce(mart.mart_usd, 0), 2) as mart_usd,
               round(coalesce(raw_totals.raw_usd, 0), 2) as raw_usd,
               round(coalesce(mart.mart_usd, 0) - coalesce(raw_totals.raw_usd, 0), 2) as difference_usd
        from grid
        left join mart using (month, measure)
        left join raw_totals using (month, measure)
        order by 1, 2
    """,
        [dates],
    ).df()
