-- Bookings, orders and billings in USD per month, sales region and product family.
--
-- bookings: won opportunities (latest state) in their close month; line items' TotalPrice at
--           the close month's rate; region of the account's territory.
-- orders:   sales-order lines in their order month; quantity x unit price at the order
--           month's rate; region of the ERP customer.
-- billings: invoice lines in their invoice month; net amount at the invoice month's rate of
--           the line currency; region of the invoiced ERP customer.
-- Product family comes from the SKU in the latest item snapshot. Every combination with any
-- of the three measures gets a row; missing measures are zero. Money is rounded once, after
-- summing.

with

opportunity_line_items as (

    select * from {{ ref('int_opportunity_line_items_enriched') }}

),

order_lines as (

    select * from {{ ref('int_order_lines_converted') }}

),

invoice_lines as (

    select * from {{ ref('int_invoice_lines_converted') }}

),

bookings as (

    select
        close_month as revenue_month,
        region_code,
        product_family,
        sum(total_price_usd) as bookings_usd,
        sum(quantity) as booked_units

    from opportunity_line_items
    where is_won
    group by 1, 2, 3

),

orders as (

    select
        order_month as revenue_month,
        region_code,
        product_family,
        sum(order_value_usd) as orders_usd,
        sum(quantity) as ordered_units,
        count(*) as order_lines

    from order_lines
    group by 1, 2, 3

),

billings as (

    select
        invoice_month as revenue_month,
        region_code,
        product_family,
        sum(net_amount_usd) as billings_usd,
        sum(quantity) as billed_units,
        count(*) as invoice_lines

    from invoice_lines
    group by 1, 2, 3

),

all_measures as (

    select *
    from bookings
    full outer join orders using (revenue_month, region_code, product_family)
    full outer join billings using (revenue_month, region_code, product_family)

)

select
    cast(revenue_month as date) as revenue_month,
    cast(region_code as varchar) as region_code,
    cast(product_family as varchar) as product_family,
    cast(round(coalesce(bookings_usd, 0), 2) as decimal(18,2)) as bookings_usd,
    cast(coalesce(booked_units, 0) as decimal(18,4)) as booked_units,
    cast(round(coalesce(orders_usd, 0), 2) as decimal(18,2)) as orders_usd,
    cast(coalesce(ordered_units, 0) as decimal(18,4)) as ordered_units,
    cast(round(coalesce(billings_usd, 0), 2) as decimal(18,2)) as billings_usd,
    cast(coalesce(billed_units, 0) as decimal(18,4)) as billed_units,
    cast(coalesce(order_lines, 0) as bigint) as order_lines,
    cast(coalesce(invoice_lines, 0) as bigint) as invoice_lines

from all_measures
order by revenue_month, region_code, product_family
