-- Control total: for every month, fct_bookings equals the line items of the opportunities
-- whose latest state is closed won, in their close month, at that month's published rate of
-- the line currency (USD at par), with the same line count: nothing lost or counted twice
-- across the customer join. Returns the months that do not reconcile.
{{ config(meta={'dagster': {'ref': {'name': 'fct_bookings'}}}) }}

with

line_items as (

    select * from {{ ref('stg_crm__opportunity_line_items') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

fx_rates as (

    select * from {{ ref('stg_market__fx_rates') }}

),

expected as (

    select
        cast(date_trunc('month', opportunities.close_date) as date) as booking_month,
        sum(
            cast(line_items.total_price as double)
            * cast(coalesce(fx_rates.usd_per_unit, case when line_items.currency_code = 'USD' then 1 end) as double)
        ) as bookings_usd,
        sum(line_items.quantity) as booked_units,
        count(*) as line_items
    from line_items
    inner join opportunities
        on line_items.opportunity_id = opportunities.opportunity_id
    left join fx_rates
        on line_items.currency_code = fx_rates.currency_code
        and date_trunc('month', opportunities.close_date) = fx_rates.rate_month
    where opportunities.is_won and opportunities.is_closed
    group by 1

),

actual as (

    select
        booking_month,
        sum(total_price_usd) as bookings_usd,
        sum(quantity) as booked_units,
        count(*) as line_items
    from {{ ref('fct_bookings') }}
    group by 1

)

select
    coalesce(expected.booking_month, actual.booking_month) as booking_month,
    expected.bookings_usd as expected_bookings_usd,
    actual.bookings_usd as actual_bookings_usd,
    expected.line_items as expected_line_items,
    actual.line_items as actual_line_items
from expected
full outer join actual
    on expected.booking_month = actual.booking_month
where coalesce(expected.line_items, 0) <> coalesce(actual.line_items, 0)
    or coalesce(expected.booked_units, 0) <> coalesce(actual.booked_units, 0)
    or expected.bookings_usd is null
    or abs(coalesce(actual.bookings_usd, 0) - expected.bookings_usd) > 0.01
