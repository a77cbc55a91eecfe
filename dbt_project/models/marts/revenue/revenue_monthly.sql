-- Bookings, orders and billings per month x sales region x product family x customer
-- segment, in USD and units, with month-over-month and year-over-year growth.
--
-- bookings: fct_bookings (won opportunity line items in their close month), region of the
--           account's territory, segment of the account;
-- orders:   fct_sales_order_lines in the order month; billings: fct_invoice_lines in the
--           invoice month; region and segment of both from dim_customer (the ERP region;
--           'Unassigned' segment for ERP customers without a CRM account).
-- Product family from dim_product. Summed over segment this is revenue_by_region_family_monthly.
-- Growth = this month / the same cell's base month - 1, with base = previous month (MoM) or
-- the same month a year earlier (YoY); null when the base is zero or the base month has no row.

with

bookings_lines as (

    select * from {{ ref('fct_bookings') }}

),

order_lines as (

    select * from {{ ref('fct_sales_order_lines') }}

),

invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

customers as (

    select * from {{ ref('dim_customer') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

bookings as (

    select
        bookings_lines.booking_month as revenue_month,
        bookings_lines.region_code,
        products.product_family,
        bookings_lines.segment,
        sum(bookings_lines.total_price_usd) as bookings_usd,
        sum(bookings_lines.quantity) as booked_units
    from bookings_lines
    left join products
        on bookings_lines.sku = products.sku
    group by all

),

orders as (

    select
        order_lines.order_month as revenue_month,
        customers.region_code,
        products.product_family,
        customers.segment,
        sum(order_lines.order_value_usd) as orders_usd,
        sum(order_lines.quantity) as ordered_units,
        count(*) as order_lines
    from order_lines
    left join customers
        on order_lines.customer_key = customers.customer_key
    left join products
        on order_lines.sku = products.sku
    group by all

),

billings as (

    select
        invoice_lines.invoice_month as revenue_month,
        customers.region_code,
        products.product_family,
        customers.segment,
        sum(invoice_lines.net_amount_usd) as billings_usd,
        sum(invoice_lines.quantity) as billed_units,
        count(*) as invoice_lines
    from invoice_lines
    left join customers
        on invoice_lines.customer_key = customers.customer_key
    left join products
        on invoice_lines.sku = products.sku
    group by all

),

all_measures as (

    select
        revenue_month,
        region_code,
        product_family,
        segment,
        coalesce(bookings.bookings_usd, 0) as bookings_usd,
        coalesce(bookings.booked_units, 0) as booked_units,
        coalesce(orders.orders_usd, 0) as orders_usd,
        coalesce(orders.ordered_units, 0) as ordered_units,
        coalesce(orders.order_lines, 0) as order_lines,
        coalesce(billings.billings_usd, 0) as billings_usd,
        coalesce(billings.billed_units, 0) as billed_units,
        coalesce(billings.invoice_lines, 0) as invoice_lines
    from bookings
    full outer join orders using (revenue_month, region_code, product_family, segment)
    full outer join billings using (revenue_month, region_code, product_family, segment)

),

with_base_months as (

    select
        current_month.*,
        previous_month.bookings_usd as bookings_usd_previous_month,
        previous_month.orders_usd as orders_usd_previous_month,
        previous_month.billings_usd as billings_usd_previous_month,
        previous_year.bookings_usd as bookings_usd_previous_year,
        previous_year.orders_usd as orders_usd_previous_year,
        previous_year.billings_usd as billings_usd_previous_year
    from all_measures as current_month
    left join all_measures as previous_month
        on previous_month.revenue_month = current_month.revenue_month - interval 1 month
        and previous_month.region_code = current_month.region_code
        and previous_month.product_family = current_month.product_family
        and previous_month.segment = current_month.segment
    left join all_measures as previous_year
        on previous_year.revenue_month = current_month.revenue_month - interval 12 month
        and previous_year.region_code = current_month.region_code
        and previous_year.product_family = current_month.product_family
        and previous_year.segment = current_month.segment

)

select
    cast(revenue_month as date) as revenue_month,
    cast(region_code as varchar) as region_code,
    cast(product_family as varchar) as product_family,
    cast(segment as varchar) as segment,
    cast(round(bookings_usd, 2) as decimal(18,2)) as bookings_usd,
    cast(booked_units as decimal(18,4)) as booked_units,
    cast(round(orders_usd, 2) as decimal(18,2)) as orders_usd,
    cast(ordered_units as decimal(18,4)) as ordered_units,
    cast(round(billings_usd, 2) as decimal(18,2)) as billings_usd,
    cast(billed_units as decimal(18,4)) as billed_units,
    cast(order_lines as bigint) as order_lines,
    cast(invoice_lines as bigint) as invoice_lines,
    cast(round({{ growth_rate('bookings_usd', 'bookings_usd_previous_month') }}, 6) as double) as bookings_mom_growth,
    cast(round({{ growth_rate('bookings_usd', 'bookings_usd_previous_year') }}, 6) as double) as bookings_yoy_growth,
    cast(round({{ growth_rate('orders_usd', 'orders_usd_previous_month') }}, 6) as double) as orders_mom_growth,
    cast(round({{ growth_rate('orders_usd', 'orders_usd_previous_year') }}, 6) as double) as orders_yoy_growth,
    cast(round({{ growth_rate('billings_usd', 'billings_usd_previous_month') }}, 6) as double) as billings_mom_growth,
    cast(round({{ growth_rate('billings_usd', 'billings_usd_previous_year') }}, 6) as double) as billings_yoy_growth

from with_base_months
order by revenue_month, region_code, product_family, segment
