-- Control total: for every month, fct_bookings equals the line items of the opportunities
-- whose latest state is closed won, in their close month, at that month's published rate of
-- the line currency (USD at par), with the same line count: nothing lost or counted twice
-- across the customer join. Returns the months that do not reconcile.
{{ config(meta={'dagster': {'ref': {'name': 'fct_bookings'}}}) }}

with

expected as (

    select
        control_month as booking_month,
        expected_totals.* exclude (control_month)
    from ({{ control_bookings_by_month() }}) as expected_totals

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
