-- Rep performance by month: quota, bookings and attainment, win rate, deal size, sales cycle,
-- pipeline created, open pipeline, coverage of the next three months' quota and pipeline
-- velocity. Grain: performance_month x rep_id, for reps with a quota or any activity in
-- the month (see int_sales_rep_monthly_measures).
-- Formulas (DESIGN.md): attainment = bookings / quota; win rate = won / (won + lost);
-- coverage = open pipeline / remaining quota, with the remaining quota taken as the quota of
-- the next three months and the pipeline as the open pipeline closing in those months;
-- velocity = (#open opps x win rate x avg deal) / cycle days, with the win rate, deal size
-- and cycle of the rep's territory over the trailing twelve months (a single rep's month
-- has too few closes for stable ratios). Ratios divide sums; nothing is averaged twice.

with

rep_measures as (

    select * from {{ ref('int_sales_rep_monthly_measures') }}

),

territory_trailing as (

    select * from {{ ref('int_sales_territory_trailing_measures') }}

),

performance as (

    select
        rep_measures.*,
        territory_trailing.trailing_12m_win_rate,
        territory_trailing.trailing_12m_avg_deal_size_usd,
        territory_trailing.trailing_12m_avg_sales_cycle_days

    from rep_measures
    left join territory_trailing
        on rep_measures.territory_id = territory_trailing.territory_id
        and rep_measures.activity_month = territory_trailing.activity_month

)

select
    cast(activity_month as date) as performance_month,
    cast(rep_id as varchar) as rep_id,
    cast(rep_version_key as varchar) as rep_version_key,
    cast(rep_name as varchar) as rep_name,
    cast(region_code as varchar) as region_code,
    cast(territory_id as varchar) as territory_id,
    cast(manager_id as varchar) as manager_id,
    cast(round(quota_usd, 2) as decimal(18,2)) as quota_usd,
    cast(round(bookings_usd, 2) as decimal(18,2)) as bookings_usd,
    cast(round(bookings_usd / nullif(quota_usd, 0), 4) as decimal(18,4)) as quota_attainment,
    cast(won_count as integer) as won_count,
    cast(lost_count as integer) as lost_count,
    cast(round(won_count / nullif(won_count + lost_count, 0), 4) as decimal(18,4)) as win_rate,
    cast(round(bookings_usd / nullif(won_count, 0), 2) as decimal(18,2)) as avg_deal_size_usd,
    cast(round(won_cycle_days / nullif(won_count, 0), 1) as decimal(18,1))
        as avg_sales_cycle_days,
    cast(created_count as integer) as pipeline_created_count,
    cast(round(pipeline_created_usd, 2) as decimal(18,2)) as pipeline_created_usd,
    cast(open_opportunity_count as integer) as open_opportunity_count,
    cast(round(open_pipeline_usd, 2) as decimal(18,2)) as open_pipeline_usd,
    cast(round(open_weighted_pipeline_usd, 2) as decimal(18,2)) as open_weighted_pipeline_usd,
    cast(round(open_pipeline_next_3_months_usd, 2) as decimal(18,2))
        as open_pipeline_next_3_months_usd,
    cast(
        case when are_next_3_months_quotas_published then round(next_3_months_quota_usd, 2) end
        as decimal(18,2)
    ) as remaining_quota_usd,
    cast(
        case
            when are_next_3_months_quotas_published
                then round(open_pipeline_next_3_months_usd / nullif(next_3_months_quota_usd, 0), 4)
        end as decimal(18,4)
    ) as pipeline_coverage,
    cast(round(trailing_12m_win_rate, 4) as decimal(18,4)) as trailing_12m_win_rate,
    cast(round(trailing_12m_avg_deal_size_usd, 2) as decimal(18,2))
        as trailing_12m_avg_deal_size_usd,
    cast(round(trailing_12m_avg_sales_cycle_days, 1) as decimal(18,1))
        as trailing_12m_avg_sales_cycle_days,
    cast(
        round(
            open_opportunity_count * trailing_12m_win_rate * trailing_12m_avg_deal_size_usd
            / nullif(trailing_12m_avg_sales_cycle_days, 0),
            2
        ) as decimal(18,2)
    ) as pipeline_velocity_usd_per_day

from performance
order by performance_month, rep_id
