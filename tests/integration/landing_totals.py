"""An independent pandas calculation of the revenue mart, straight from the landing files.

It shares no code with the warehouse: it reads the CSV and Parquet extracts with pandas and
applies the definitions written in the mart's documentation (latest versions of delta
entities, latest snapshot of the item master and territories, the month's FX rate).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
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
    orders = orders.merge(fx, on=["month", "currency_code"], how="left").merge(
        customers, on="customer_number", how="left"
    )
    orders = orders.merge(items, on="sku", how="left")
    orders["orders_usd"] = orders.quantity.astype(float) * orders.unit_price.astype(float) * orders.rate
    orders_agg = orders.groupby(["month", "region_code", "product_family"]).agg(
        orders_usd=("orders_usd", "sum"), ordered_units=("quantity", "sum"), order_lines=("sku", "size")
    )

    inv = _read(landing, "erp", "invoices")[["invoice_number", "invoice_date", "customer_number"]]
    lines = _read(landing, "erp", "invoice_lines").merge(inv, on="invoice_number", how="left")
    lines = lines.assign(month=_month(lines.invoice_date))
    lines = lines.merge(fx, on=["month", "currency_code"], how="left").merge(
        customers, on="customer_number", how="left"
    )
    lines = lines.merge(items, on="sku", how="left")
    lines["billings_usd"] = lines.net_amount.astype(float) * lines.rate
    billings_agg = lines.groupby(["month", "region_code", "product_family"]).agg(
        billings_usd=("billings_usd", "sum"), billed_units=("quantity", "sum"), invoice_lines=("sku", "size")
    )

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
        bookings_usd=("bookings_usd", "sum"), booked_units=("booked_units", "sum")
    )

    out = pd.concat([orders_agg, billings_agg, bookings_agg], axis=1).fillna(0).reset_index()
    return out.rename(columns={"month": "revenue_month"})


# ------------------------------------------------------------------ headline KPIs, from the landing files


def fx_rates(landing: Path) -> pd.DataFrame:
    """Monthly average rate per currency (``month`` as YYYY-MM); USD at par for every month."""
    fx = _read(landing, "market", "fx_rates")
    fx = fx.assign(month=_month(fx.rate_month), rate=fx.usd_per_unit.astype(float))
    fx = _latest(fx, ["month", "currency_code"], "published_at")[["month", "currency_code", "rate"]]
    usd = pd.DataFrame({"month": sorted(fx.month.unique()), "currency_code": "USD", "rate": 1.0})
    return pd.concat([fx[fx.currency_code != "USD"], usd], ignore_index=True)


def _to_usd(df: pd.DataFrame, fx: pd.DataFrame, amount: str, month: str, currency: str) -> pd.Series:
    rates = df[[month, currency]].merge(fx, left_on=[month, currency], right_on=["month", "currency_code"], how="left")
    return df[amount].astype(float).to_numpy() * rates.rate.to_numpy()


def monthly_control_totals(landing: Path) -> pd.DataFrame:
    """Per month: every invoice line, order line and closed-won opportunity, no dimension joins.

    billings = Σ invoice line net_amount at the invoice month's rate of the line currency;
    orders = Σ quantity × unit_price at the order month's rate; bookings = Σ Amount of
    opportunities whose latest state is Closed Won, at the close month's rate.
    """
    fx = fx_rates(landing)
    inv = _read(landing, "erp", "invoices")[["invoice_number", "invoice_date"]]
    lines = _read(landing, "erp", "invoice_lines").merge(inv, on="invoice_number", how="left")
    lines = lines.assign(month=_month(lines.invoice_date))
    lines["usd"] = _to_usd(lines, fx, "net_amount", "month", "currency_code")

    orders = _read(landing, "erp", "sales_order_lines")
    orders = orders.assign(
        month=_month(orders.order_date), value=orders.quantity.astype(float) * orders.unit_price.astype(float)
    )
    orders["usd"] = _to_usd(orders, fx, "value", "month", "currency_code")

    won = opportunities(landing)
    won = won[won.status == "won"]

    return (
        pd.concat(
            [
                lines.groupby("month").usd.sum().rename("billings_usd"),
                orders.groupby("month").usd.sum().rename("orders_usd"),
                won.groupby("close_month").amount_usd.sum().rename("bookings_usd"),
            ],
            axis=1,
        )
        .fillna(0.0)
        .rename_axis("month")
        .reset_index()
    )


def opportunities(landing: Path) -> pd.DataFrame:
    """Opportunities in their latest state: status, owner, months and amount in USD at the close month."""
    fx = fx_rates(landing)
    opps = _latest(_read(landing, "crm", "opportunities"), "Id", "LastModifiedDate")
    opps = opps.assign(
        status=["won" if w == "true" else "lost" if c == "true" else "open" for w, c in zip(opps.IsWon, opps.IsClosed)],
        close_month=_month(opps.CloseDate),
        created_month=_month(opps.CreatedDate),
        amount=opps.Amount.astype(float),
    )
    # a close month after the last published rate converts at the latest rate (every currency
    # is published every month, so that is the last month's rate)
    opps["rate_month"] = np.minimum(opps.close_month, fx.month.max())
    opps["amount_usd"] = _to_usd(opps, fx, "amount", "rate_month", "CurrencyIsoCode")
    opps["amount_usd_created_month"] = _to_usd(opps, fx, "amount", "created_month", "CurrencyIsoCode")
    return opps.rename(columns={"Id": "opportunity_id", "OwnerId": "owner_id", "AccountId": "account_id"})


def rep_performance_monthly(landing: Path) -> pd.DataFrame:
    """Per rep (opportunity and quota owner) and month: quota, bookings, attainment, wins, pipeline created.

    quota_usd = Σ QuotaAmount (latest version of each quota row) at the quota month's rate;
    bookings_usd = Σ amount_usd of won opportunities whose CloseDate falls in the month;
    quota_attainment = bookings / quota; win_rate = won / (won + lost) over the opportunities
    closing in the month; pipeline_created_usd = Σ Amount of the opportunities created in the
    month as it stood at that month end (the row of the created month's extract: the delta
    extract carries each changed opportunity in its month-end state), at that month's rate.
    """
    fx = fx_rates(landing)
    quotas = _latest(_read(landing, "crm", "quotas"), "Id", "LastModifiedDate")
    quotas = quotas.assign(month=_month(quotas.StartDate))
    quotas["quota_usd"] = _to_usd(quotas, fx, "QuotaAmount", "month", "CurrencyIsoCode")
    quota = quotas.groupby(["QuotaOwnerId", "month"]).quota_usd.sum().rename_axis(["rep_id", "month"])

    opps = opportunities(landing).rename(columns={"owner_id": "rep_id"})
    closed = opps[opps.status != "open"].assign(
        won=lambda d: (d.status == "won").astype(int),
        lost=lambda d: (d.status == "lost").astype(int),
        won_usd=lambda d: d.amount_usd.where(d.status == "won", 0.0),
    )
    outcome = (
        closed.groupby(["rep_id", "close_month"])
        .agg(
            bookings_usd=("won_usd", "sum"),
            won_count=("won", "sum"),
            lost_count=("lost", "sum"),
        )
        .rename_axis(["rep_id", "month"])
    )

    extracts = _read(landing, "crm", "opportunities")
    at_creation = extracts[extracts._month == _month(extracts.CreatedDate)]
    at_creation = _latest(at_creation, "Id", "LastModifiedDate").assign(month=lambda d: d._month)
    at_creation["amount_usd"] = _to_usd(at_creation, fx, "Amount", "month", "CurrencyIsoCode")
    created = (
        at_creation.groupby(["OwnerId", "month"])
        .agg(
            pipeline_created_usd=("amount_usd", "sum"),
            pipeline_created_count=("Id", "size"),
        )
        .rename_axis(["rep_id", "month"])
    )

    out = pd.concat([quota, outcome, created], axis=1).reset_index()
    out[["bookings_usd", "won_count", "lost_count", "pipeline_created_usd", "pipeline_created_count"]] = out[
        ["bookings_usd", "won_count", "lost_count", "pipeline_created_usd", "pipeline_created_count"]
    ].fillna(0.0)
    out["quota_attainment"] = (out.bookings_usd / out.quota_usd).where(out.quota_usd > 0)
    decided = out.won_count + out.lost_count
    out["win_rate"] = (out.won_count / decided).where(decided > 0)
    return out


def net_revenue_retention(landing: Path, month: str) -> pd.DataFrame:
    """NRR, GRR and the cohort per customer region for ``month`` (YYYY-MM), from invoice lines.

    Trailing-12-month billings (T12) of a customer = its billings in the month and the eleven
    before. The cohort = customers with T12 > 0 a year before ``month``. NRR = Σ T12 now of the
    cohort / Σ T12 a year ago of the cohort; GRR = Σ min(T12 now, T12 a year ago) / the same
    denominator. Region: the customer's latest ERP region.
    """
    fx = fx_rates(landing)
    customers = _latest(_read(landing, "erp", "customers"), "customer_number", "updated_at")[
        ["customer_number", "region_code"]
    ]
    inv = _read(landing, "erp", "invoices")[["invoice_number", "invoice_date", "customer_number"]]
    lines = _read(landing, "erp", "invoice_lines").merge(inv, on="invoice_number", how="left")
    lines = lines.assign(month=_month(lines.invoice_date))
    lines["usd"] = _to_usd(lines, fx, "net_amount", "month", "currency_code")
    end = pd.Period(month, freq="M")

    def trailing(last: pd.Period) -> pd.Series:
        window = {str(last - k) for k in range(12)}
        return lines[lines.month.isin(window)].groupby("customer_number").usd.sum()

    now, year_ago = trailing(end), trailing(end - 12)
    cohort = pd.DataFrame({"year_ago": year_ago[year_ago > 0]})
    cohort["now"] = now.reindex(cohort.index).fillna(0.0)
    cohort = cohort.join(customers.set_index("customer_number"))
    by_region = cohort.groupby("region_code").agg(
        active_customers_year_ago=("year_ago", "size"),
        retained_customers=("now", lambda s: (s > 0).sum()),
        cohort_year_ago=("year_ago", "sum"),
        cohort_now=("now", "sum"),
        kept=("now", lambda s: s.clip(upper=cohort.loc[s.index, "year_ago"]).sum()),
    )
    by_region["net_revenue_retention"] = by_region.cohort_now / by_region.cohort_year_ago
    by_region["gross_revenue_retention"] = by_region.kept / by_region.cohort_year_ago
    return by_region.reset_index()


def demand_history(landing: Path) -> pd.DataFrame:
    """Ordered and shipped units per SKU x customer region x month, zero-filled as documented.

    Ordered units/value: sales-order lines in the order month (value at the order month's
    rate); shipped units: shipments in the ship month; region: the ERP customer's region.
    Every SKU x region with any order or shipment gets one row per month from the SKU's start
    (the earlier of its first order month, any region, and its launch month, but not before the
    first month in the data) to the last month in the data, or, for a SKU whose end of life
    falls before that, to the later of its EOL month and its last activity in the region.
    """
    fx = fx_rates(landing)
    customers = _latest(_read(landing, "erp", "customers"), "customer_number", "updated_at")[
        ["customer_number", "region_code"]
    ]
    items = _read(landing, "erp", "items")
    items = items[items._month == items._month.max()][["sku", "launch_date", "eol_date"]]

    orders = _read(landing, "erp", "sales_order_lines").merge(customers, on="customer_number", how="left")
    orders = orders.assign(
        month=_month(orders.order_date),
        units=orders.quantity.astype(float),
        value=orders.quantity.astype(float) * orders.unit_price.astype(float),
    )
    orders["value_usd"] = _to_usd(orders, fx, "value", "month", "currency_code")
    ordered = orders.groupby(["sku", "region_code", "month"]).agg(
        ordered_units=("units", "sum"), ordered_value_usd=("value_usd", "sum"), order_lines=("units", "size")
    )

    shipments = _read(landing, "erp", "shipments")
    lines = orders[["order_number", "line_number", "sku", "region_code"]].copy()
    lines["line_number"] = lines.line_number.astype(str)
    shipments = shipments.assign(line_number=shipments.line_number.astype(str)).merge(
        lines, on=["order_number", "line_number"], how="left"
    )
    shipments = shipments.assign(month=_month(shipments.ship_date), units=shipments.quantity_shipped.astype(float))
    shipped = shipments.groupby(["sku", "region_code", "month"]).agg(shipped_units=("units", "sum"))

    activity = pd.concat(
        [ordered.reset_index()[["sku", "region_code", "month"]], shipped.reset_index()[["sku", "region_code", "month"]]]
    )
    first_month, last_month = activity.month.min(), activity.month.max()
    series = activity.groupby(["sku", "region_code"]).month.max().rename("last_activity").reset_index()
    first_sale = orders.groupby("sku").month.min().rename("first_sale")
    series = series.merge(first_sale, on="sku", how="left").merge(items, on="sku", how="left")
    launch = _month(series.launch_date.replace("", None)).fillna(last_month)
    eol = _month(series.eol_date.replace("", None))
    series["start"] = np.maximum(first_month, np.minimum(series.first_sale.fillna(last_month), launch))
    ends_early = eol.notna() & (eol < last_month)
    series["end"] = np.where(ends_early, np.maximum(eol.fillna(""), series.last_activity), last_month)

    rows = [
        (r.sku, r.region_code, str(p)) for r in series.itertuples() for p in pd.period_range(r.start, r.end, freq="M")
    ]
    grid = pd.DataFrame(rows, columns=["sku", "region_code", "month"]).set_index(["sku", "region_code", "month"])
    return grid.join(ordered).join(shipped).fillna(0.0).reset_index()


def fill_rate_and_otif(landing: Path) -> pd.DataFrame:
    """Per requested month and region (and 'total'): fill rate and OTIF of the order lines, from the landing files.

    fill rate = Σ min(units shipped on or before the requested date, units ordered) / Σ units ordered;
    OTIF = share of lines whose units shipped by the requested date cover the units ordered. Latest version
    of each shipment and order line; region = the customer's latest region.
    """
    lines = _latest(_read(landing, "erp", "sales_order_lines"), ["order_number", "line_number"], "updated_at")
    ships = _latest(_read(landing, "erp", "shipments"), "shipment_number", "updated_at")
    customers = _latest(_read(landing, "erp", "customers"), "customer_number", "updated_at")
    ships = ships.merge(lines[["order_number", "line_number", "requested_date"]], on=["order_number", "line_number"])
    on_time = ships[pd.to_datetime(ships.ship_date) <= pd.to_datetime(ships.requested_date)]
    shipped = on_time.groupby(["order_number", "line_number"]).quantity_shipped.sum().rename("on_time").reset_index()
    lines = lines.merge(shipped, on=["order_number", "line_number"], how="left").fillna({"on_time": 0.0})
    lines = lines.merge(customers[["customer_number", "region_code"]], on="customer_number", how="left")
    lines["ordered"] = lines.quantity.astype(float)
    lines["filled"] = np.minimum(lines.on_time.astype(float), lines.ordered)
    lines["otif"] = lines.on_time.astype(float) >= lines.ordered
    lines["month"] = _month(lines.requested_date)
    rows = []
    for scope, frame in [("total", lines), *lines.groupby("region_code")]:
        g = frame.groupby("month").agg(filled=("filled", "sum"), ordered=("ordered", "sum"), otif=("otif", "mean"))
        g["fill_rate"] = g.filled / g.ordered
        rows.append(g.reset_index().assign(scope=scope)[["month", "scope", "fill_rate", "otif"]])
    return pd.concat(rows, ignore_index=True)
