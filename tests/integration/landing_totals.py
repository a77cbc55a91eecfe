"""An independent pandas calculation of the revenue mart, straight from the landing files.

It shares no code with the warehouse: it reads the CSV and Parquet extracts with pandas and
applies the definitions written in the mart's documentation (latest versions of delta
entities, latest snapshot of the item master and territories, the month's FX rate).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def _read(landing: Path, system: str, entity: str) -> pd.DataFrame:
    folder = landing / system / entity
    frames = []
    for month_dir in sorted(folder.iterdir()):
        for f in sorted(month_dir.iterdir()):
            df = pd.read_csv(f, dtype=str, keep_default_na=False) if f.suffix == ".csv" else pd.read_parquet(f)
            df["_month"] = month_dir.name
            frames.append(df)
    return pd.concat(frames, ignore_index=True)


def _latest(df: pd.DataFrame, key: str, updated: str) -> pd.DataFrame:
    return df.sort_values([updated, "_month"]).drop_duplicates(key, keep="last")


def _month(col: pd.Series) -> pd.Series:
    return pd.to_datetime(col).dt.strftime("%Y-%m")


def revenue_by_region_family(landing: Path) -> pd.DataFrame:
    fx = _read(landing, "market", "fx_rates")
    fx = fx.assign(month=_month(fx.rate_month), rate=fx.usd_per_unit.astype(float))[["month", "currency_code", "rate"]]

    items = _read(landing, "erp", "items")
    items = items[items._month == items._month.max()][["sku", "product_family"]]
    customers = _latest(_read(landing, "erp", "customers"), "customer_number", "updated_at")[
        ["customer_number", "region_code"]
    ]

    orders = _read(landing, "erp", "sales_order_lines")
    orders = orders.assign(month=_month(orders.order_date))
    orders = orders.merge(fx, on=["month", "currency_code"], how="left").merge(customers, on="customer_number", how="left")
    orders = orders.merge(items, on="sku", how="left")
    orders["orders_usd"] = orders.quantity.astype(float) * orders.unit_price.astype(float) * orders.rate
    orders_agg = orders.groupby(["month", "region_code", "product_family"]).agg(
        orders_usd=("orders_usd", "sum"), ordered_units=("quantity", "sum"), order_lines=("sku", "size"))

    inv = _read(landing, "erp", "invoices")[["invoice_number", "invoice_date", "customer_number"]]
    lines = _read(landing, "erp", "invoice_lines").merge(inv, on="invoice_number", how="left")
    lines = lines.assign(month=_month(lines.invoice_date))
    lines = lines.merge(fx, on=["month", "currency_code"], how="left").merge(customers, on="customer_number", how="left")
    lines = lines.merge(items, on="sku", how="left")
    lines["billings_usd"] = lines.net_amount.astype(float) * lines.rate
    billings_agg = lines.groupby(["month", "region_code", "product_family"]).agg(
        billings_usd=("billings_usd", "sum"), billed_units=("quantity", "sum"), invoice_lines=("sku", "size"))

    opps = _latest(_read(landing, "crm", "opportunities"), "Id", "LastModifiedDate")
    won = opps[opps.IsWon == "true"][["Id", "AccountId", "CloseDate"]]
    accounts = _latest(_read(landing, "crm", "accounts"), "Id", "LastModifiedDate")[["Id", "Territory__c"]]
    territories = _read(landing, "crm", "territories")
    territories = territories[territories._month == territories._month.max()][["Id", "Region__c"]]
    oli = _read(landing, "crm", "opportunity_line_items")
    bookings = oli.merge(won, left_on="OpportunityId", right_on="Id", suffixes=("", "_opp"))
    bookings = bookings.merge(accounts, left_on="AccountId", right_on="Id", suffixes=("", "_acct"))
    bookings = bookings.merge(territories, left_on="Territory__c", right_on="Id", suffixes=("", "_terr"))
    bookings = bookings.assign(month=_month(bookings.CloseDate), region_code=bookings.Region__c)
    bookings = bookings.merge(fx, left_on=["month", "CurrencyIsoCode"], right_on=["month", "currency_code"], how="left")
    bookings = bookings.merge(items, left_on="ProductCode", right_on="sku", how="left")
    bookings["bookings_usd"] = bookings.TotalPrice.astype(float) * bookings.rate
    bookings["booked_units"] = bookings.Quantity.astype(float)
    bookings_agg = bookings.groupby(["month", "region_code", "product_family"]).agg(
        bookings_usd=("bookings_usd", "sum"), booked_units=("booked_units", "sum"))

    out = pd.concat([orders_agg, billings_agg, bookings_agg], axis=1).fillna(0).reset_index()
    return out.rename(columns={"month": "revenue_month"})
