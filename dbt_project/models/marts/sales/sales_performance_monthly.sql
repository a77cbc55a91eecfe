-- Rep performance by month: quota, bookings and attainment, win rate, deal size, sales cycle,
-- pipeline created, open pipeline, coverage of the next three months' quota and pipeline
-- velocity. Grain: performance_month x rep_id, for reps with a quota or any activity in
-- the month (see int_rep_measures_aggregated_monthly).
-- Formulas (docs/kpi_formulas.md): attainment = bookings / quota; win rate = won / (won + lost);
-- coverage = open pipeline / remaining quota, with the remaining quota taken as the quota of
-- the next three months and the pipeline as the open pipeline closing in those months;
-- velocity = (#open opps x win rate x avg deal) / cycle days, with the win rate, deal size
-- and cycle of the rep's territory over the trailing twelve months (a single rep's month
-- has too few closes for stable ratios). Ratios divide sums; nothing is averaged twice.

with

rep_measures as (

    select * from {{ ref('int_rep_measures_aggregated_monthly') }}

),

territory_trailing as (

    select * from {{ ref('int_territory_measures_aggregated_trailing_12m') }}

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
    {{ sales_performance_measures() }}

from performance
order by performance_month, rep_id
