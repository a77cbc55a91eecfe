-- Trailing-twelve-month win rate, average deal size and sales cycle of each territory and
-- month (the month itself and the eleven before it), from the rep-month measures rolled up
-- by the territory each rep sold in that month. The stable rates pipeline velocity uses.

with

rep_measures as (

    select * from {{ ref('int_rep_measures_aggregated_monthly') }}

),

territory_months as (

    select
        territory_id,
        activity_month,
        sum(bookings_usd) as bookings_usd,
        sum(won_count) as won_count,
        sum(lost_count) as lost_count,
        sum(won_cycle_days) as won_cycle_days

    from rep_measures
    group by territory_id, activity_month

),

trailing_sums as (

    select
        territory_id,
        activity_month,
        sum(bookings_usd) over trailing_12_months as trailing_12m_bookings_usd,
        sum(won_count) over trailing_12_months as trailing_12m_won_count,
        sum(lost_count) over trailing_12_months as trailing_12m_lost_count,
        sum(won_cycle_days) over trailing_12_months as trailing_12m_won_cycle_days

    from territory_months
    window trailing_12_months as (
        partition by territory_id
        order by activity_month
        range between interval 11 month preceding and current row
    )

)

select
    territory_id,
    activity_month,
    trailing_12m_bookings_usd,
    trailing_12m_won_count,
    trailing_12m_lost_count,
    trailing_12m_won_cycle_days,
    trailing_12m_won_count
        / nullif(trailing_12m_won_count + trailing_12m_lost_count, 0) as trailing_12m_win_rate,
    trailing_12m_bookings_usd / nullif(trailing_12m_won_count, 0)
        as trailing_12m_avg_deal_size_usd,
    trailing_12m_won_cycle_days / nullif(trailing_12m_won_count, 0)
        as trailing_12m_avg_sales_cycle_days

from trailing_sums
