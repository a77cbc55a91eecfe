-- The bookings-to-billings mart keeps every flow: per month, its bookings, orders, shipments
-- and billings equal fct_bookings, fct_sales_order_lines, fct_shipments and
-- fct_invoice_lines (money within half a cent per rounded row). Returns the months that
-- differ.
{{ config(meta={'dagster': {'ref': {'name': 'bookings_to_billings_monthly'}}}) }}

with

mart as (

    select
        revenue_month,
        sum(bookings_usd) as bookings_usd,
        sum(orders_usd) as orders_usd,
        sum(shipped_usd) as shipped_usd,
        sum(billings_usd) as billings_usd,
        count(*) as mart_rows
    from {{ ref('bookings_to_billings_monthly') }}
    group by 1

),

flows as (

    select
        booking_month as revenue_month,
        total_price_usd as bookings_usd,
        0 as orders_usd,
        0 as shipped_usd,
        0 as billings_usd
    from {{ ref('fct_bookings') }}
    union all
    select order_month, 0, order_value_usd, 0, 0 from {{ ref('fct_sales_order_lines') }}
    union all
    select ship_month, 0, 0, shipment_value_usd, 0 from {{ ref('fct_shipments') }}
    union all
    select invoice_month, 0, 0, 0, net_amount_usd from {{ ref('fct_invoice_lines') }}

),

facts as (

    select
        revenue_month,
        sum(bookings_usd) as bookings_usd,
        sum(orders_usd) as orders_usd,
        sum(shipped_usd) as shipped_usd,
        sum(billings_usd) as billings_usd
    from flows
    group by 1

)

select
    coalesce(facts.revenue_month, mart.revenue_month) as revenue_month,
    facts.bookings_usd as fact_bookings_usd,
    mart.bookings_usd as mart_bookings_usd,
    facts.billings_usd as fact_billings_usd,
    mart.billings_usd as mart_billings_usd
from facts
full outer join mart
    on facts.revenue_month = mart.revenue_month
where abs(coalesce(facts.bookings_usd, 0) - coalesce(mart.bookings_usd, 0))
        > 0.005 * coalesce(mart.mart_rows, 1) + 0.000001
    or abs(coalesce(facts.orders_usd, 0) - coalesce(mart.orders_usd, 0))
        > 0.005 * coalesce(mart.mart_rows, 1) + 0.000001
    or abs(coalesce(facts.shipped_usd, 0) - coalesce(mart.shipped_usd, 0))
        > 0.005 * coalesce(mart.mart_rows, 1) + 0.000001
    or abs(coalesce(facts.billings_usd, 0) - coalesce(mart.billings_usd, 0))
        > 0.005 * coalesce(mart.mart_rows, 1) + 0.000001
