-- Orders in the revenue mart reconcile, month by month, to the sales-order lines valued at
-- quantity x unit price and converted at the order month's rate of the order currency,
-- recomputed here from staging alone.
-- The mart rounds every row to cents, so a month may differ by half a cent per mart row.
-- Returns the months that do not reconcile.
-- Reported as a check on the revenue mart.
{{ config(meta={'dagster': {'ref': {'name': 'revenue_by_region_family_monthly'}}}) }}

with

order_lines as (

    select * from {{ ref('stg_erp__sales_order_lines') }}

),

fx_rates as (

    select * from {{ ref('stg_market__fx_rates') }}

),

expected as (

    select
        cast(date_trunc('month', order_lines.order_date) as date) as revenue_month,
        sum(
            cast(order_lines.quantity as double)
            * cast(order_lines.unit_price as double)
            * cast(
                coalesce(
                    fx_rates.usd_per_unit,
                    case when order_lines.currency_code = 'USD' then 1 end
                ) as double
            )
        ) as orders_usd,
        sum(order_lines.quantity) as ordered_units,
        count(*) as order_lines

    from order_lines
    left join fx_rates
        on order_lines.currency_code = fx_rates.currency_code
        and date_trunc('month', order_lines.order_date) = fx_rates.rate_month
    group by 1

),

actual as (

    select
        revenue_month,
        sum(orders_usd) as orders_usd,
        sum(ordered_units) as ordered_units,
        sum(order_lines) as order_lines,
        count(*) as mart_rows

    from {{ ref('revenue_by_region_family_monthly') }}
    group by 1
    having sum(order_lines) > 0

)

select
    coalesce(expected.revenue_month, actual.revenue_month) as revenue_month,
    expected.orders_usd as expected_orders_usd,
    actual.orders_usd as actual_orders_usd,
    expected.ordered_units as expected_ordered_units,
    actual.ordered_units as actual_ordered_units,
    expected.order_lines as expected_order_lines,
    actual.order_lines as actual_order_lines

from expected
full outer join actual
    on expected.revenue_month = actual.revenue_month
where coalesce(actual.order_lines, 0) <> coalesce(expected.order_lines, 0)
    or coalesce(actual.ordered_units, 0) <> coalesce(expected.ordered_units, 0)
    or expected.orders_usd is null and expected.order_lines > 0
    or abs(coalesce(actual.orders_usd, 0) - coalesce(expected.orders_usd, 0))
        > 0.005 * coalesce(actual.mart_rows, 1) + 0.000001
