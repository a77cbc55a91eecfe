-- Bookings in the revenue mart reconcile, month by month, to the line items of won
-- opportunities (latest state) in their close month, converted at the close month's rate
-- of the line item currency, recomputed here from staging alone.
-- The mart rounds every row to cents, so a month may differ by half a cent per mart row.
-- Returns the months that do not reconcile.
-- Reported as a check on the revenue mart.
{{ config(meta={'dagster': {'ref': {'name': 'revenue_by_region_family_monthly'}}}) }}

with

expected as (

    select
        control_month as revenue_month,
        expected_totals.* exclude (control_month)
    from ({{ control_bookings_by_month() }}) as expected_totals

),

actual as (

    select
        revenue_month,
        sum(bookings_usd) as bookings_usd,
        sum(booked_units) as booked_units,
        count(*) as mart_rows

    from {{ ref('revenue_by_region_family_monthly') }}
    group by 1
    having sum(booked_units) <> 0 or sum(bookings_usd) <> 0

)

select
    coalesce(expected.revenue_month, actual.revenue_month) as revenue_month,
    expected.bookings_usd as expected_bookings_usd,
    actual.bookings_usd as actual_bookings_usd,
    expected.booked_units as expected_booked_units,
    actual.booked_units as actual_booked_units

from expected
full outer join actual
    on expected.revenue_month = actual.revenue_month
where coalesce(actual.booked_units, 0) <> coalesce(expected.booked_units, 0)
    or expected.bookings_usd is null and expected.booked_units <> 0
    or abs(coalesce(actual.bookings_usd, 0) - coalesce(expected.bookings_usd, 0))
        > 0.005 * coalesce(actual.mart_rows, 1) + 0.000001
