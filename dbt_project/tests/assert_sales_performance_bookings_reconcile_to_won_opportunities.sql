-- For every month, the bookings of sales_performance_monthly (summed over reps) and of
-- territory_performance_monthly (summed over territories) equal the amount_usd of the
-- opportunities of opportunity_enhanced closed won that month; the won and lost counts
-- match too. Nothing lost or counted twice across the rep joins. Returns the months that
-- differ.
{{ config(meta={'dagster': {'ref': {'name': 'sales_performance_monthly'}}}) }}

with

expected as (

    select
        closed_month as performance_month,
        sum(case when is_won then amount_usd else 0 end) as bookings_usd,
        count(*) filter (where is_won) as won_count,
        count(*) filter (where not is_won) as lost_count

    from {{ ref('opportunity_enhanced') }}
    where is_closed
        and closed_month <= (
            select max(performance_month) from {{ ref('sales_performance_monthly') }}
        )
    group by closed_month

),

rep_totals as (

    select
        performance_month,
        sum(bookings_usd) as bookings_usd,
        sum(won_count) as won_count,
        sum(lost_count) as lost_count

    from {{ ref('sales_performance_monthly') }}
    group by performance_month

),

territory_totals as (

    select
        performance_month,
        sum(bookings_usd) as bookings_usd,
        sum(won_count) as won_count,
        sum(lost_count) as lost_count

    from {{ ref('territory_performance_monthly') }}
    group by performance_month

)

select
    coalesce(expected.performance_month, rep_totals.performance_month) as performance_month,
    expected.bookings_usd as expected_bookings_usd,
    rep_totals.bookings_usd as rep_bookings_usd,
    territory_totals.bookings_usd as territory_bookings_usd,
    expected.won_count as expected_won_count,
    rep_totals.won_count as rep_won_count,
    expected.lost_count as expected_lost_count,
    rep_totals.lost_count as rep_lost_count

from expected
full outer join rep_totals
    on expected.performance_month = rep_totals.performance_month
left join territory_totals
    on coalesce(expected.performance_month, rep_totals.performance_month)
        = territory_totals.performance_month
where coalesce(expected.bookings_usd, 0) <> coalesce(rep_totals.bookings_usd, 0)
    or coalesce(expected.bookings_usd, 0) <> coalesce(territory_totals.bookings_usd, 0)
    or coalesce(expected.won_count, 0) <> coalesce(rep_totals.won_count, 0)
    or coalesce(expected.lost_count, 0) <> coalesce(rep_totals.lost_count, 0)
