-- Territory performance by month: the measures of sales_performance_monthly for the team of
-- each territory. Grain: performance_month x territory_id, for territories with at least one
-- rep-month. Reps count in the territory they sold in that month (their dim_rep version);
-- sums are added up from the rep-month measures and every ratio is recomputed from those
-- sums (never an average of rep ratios), with the same formulas as the rep mart.

with

rep_measures as (

    select * from {{ ref('int_rep_measures_aggregated_monthly') }}

),

territory_trailing as (

    select * from {{ ref('int_territory_measures_aggregated_trailing_12m') }}

),

territories as (

    select * from {{ ref('dim_territory') }}

),

territory_months as (

    select
        activity_month,
        territory_id,
        count(*) as rep_count,
        count(quota_usd) as quota_rep_count,
        sum(quota_usd) as quota_usd,
        sum(bookings_usd) as bookings_usd,
        sum(won_count) as won_count,
        sum(lost_count) as lost_count,
        sum(won_cycle_days) as won_cycle_days,
        sum(created_count) as created_count,
        sum(pipeline_created_usd) as pipeline_created_usd,
        sum(open_opportunity_count) as open_opportunity_count,
        sum(open_pipeline_usd) as open_pipeline_usd,
        sum(open_weighted_pipeline_usd) as open_weighted_pipeline_usd,
        sum(open_pipeline_next_3_months_usd) as open_pipeline_next_3_months_usd,
        sum(next_3_months_quota_usd) as next_3_months_quota_usd,
        bool_and(are_next_3_months_quotas_published) as are_next_3_months_quotas_published

    from rep_measures
    group by activity_month, territory_id

),

performance as (

    select
        territory_months.*,
        territories.territory_name,
        territories.region_code,
        territory_trailing.trailing_12m_win_rate,
        territory_trailing.trailing_12m_avg_deal_size_usd,
        territory_trailing.trailing_12m_avg_sales_cycle_days

    from territory_months
    left join territories
        on territory_months.territory_id = territories.territory_id
    left join territory_trailing
        on territory_months.territory_id = territory_trailing.territory_id
        and territory_months.activity_month = territory_trailing.activity_month

)

select
    cast(activity_month as date) as performance_month,
    cast(territory_id as varchar) as territory_id,
    cast(territory_name as varchar) as territory_name,
    cast(region_code as varchar) as region_code,
    cast(rep_count as integer) as rep_count,
    cast(quota_rep_count as integer) as quota_rep_count,
    {{ sales_performance_measures() }}

from performance
order by performance_month, territory_id
