-- revenue_monthly summed over segment equals revenue_by_region_family_monthly for every
-- month x region x product family: units and line counts exactly, money within half a cent
-- per rounded row on either side. Returns the cells that differ.
{{ config(meta={'dagster': {'ref': {'name': 'revenue_monthly'}}}) }}

with

by_segment as (

    select
        revenue_month,
        region_code,
        product_family,
        sum(bookings_usd) as bookings_usd,
        sum(orders_usd) as orders_usd,
        sum(billings_usd) as billings_usd,
        sum(booked_units) as booked_units,
        sum(ordered_units) as ordered_units,
        sum(billed_units) as billed_units,
        sum(order_lines) as order_lines,
        sum(invoice_lines) as invoice_lines,
        count(*) as segment_rows
    from {{ ref('revenue_monthly') }}
    group by all

),

reference as (

    select * from {{ ref('revenue_by_region_family_monthly') }}

),

compared as (

    select
        coalesce(by_segment.revenue_month, reference.revenue_month) as revenue_month,
        coalesce(by_segment.region_code, reference.region_code) as region_code,
        coalesce(by_segment.product_family, reference.product_family) as product_family,
        by_segment.bookings_usd as segment_bookings_usd,
        reference.bookings_usd as reference_bookings_usd,
        by_segment.orders_usd as segment_orders_usd,
        reference.orders_usd as reference_orders_usd,
        by_segment.billings_usd as segment_billings_usd,
        reference.billings_usd as reference_billings_usd,
        abs(coalesce(by_segment.bookings_usd, 0) - coalesce(reference.bookings_usd, 0)) as bookings_diff,
        abs(coalesce(by_segment.orders_usd, 0) - coalesce(reference.orders_usd, 0)) as orders_diff,
        abs(coalesce(by_segment.billings_usd, 0) - coalesce(reference.billings_usd, 0)) as billings_diff,
        0.005 * (coalesce(by_segment.segment_rows, 0) + 1) + 0.000001 as tolerance,
        coalesce(by_segment.booked_units, 0) = coalesce(reference.booked_units, 0)
            and coalesce(by_segment.ordered_units, 0) = coalesce(reference.ordered_units, 0)
            and coalesce(by_segment.billed_units, 0) = coalesce(reference.billed_units, 0)
            and coalesce(by_segment.order_lines, 0) = coalesce(reference.order_lines, 0)
            and coalesce(by_segment.invoice_lines, 0) = coalesce(reference.invoice_lines, 0)
            as counts_equal
    from by_segment
    full outer join reference
        on by_segment.revenue_month = reference.revenue_month
        and by_segment.region_code = reference.region_code
        and by_segment.product_family = reference.product_family

)

select *
from compared
where not counts_equal
    or bookings_diff > tolerance
    or orders_diff > tolerance
    or billings_diff > tolerance
