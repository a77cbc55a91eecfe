-- Pipeline by stage and forecast category at each month end, per region: the open
-- opportunities at month end in their month-end stage, plus the opportunities closed during
-- the month in their closing stage (Closed Won / Closed Lost), from the month-end pipeline
-- snapshots. Amounts in USD at the snapshot month's rate.
-- Grain: snapshot_month x region_code x stage_name x forecast_category (combinations with
-- at least one opportunity).

with

pipeline_snapshots as (

    select * from {{ ref('fct_pipeline_snapshot_monthly') }}

),

pipeline_valued as (

    -- unrounded USD values of the snapshot rows, so that sums are rounded once, at the end
    select
        *,
        {{ convert_to_usd('amount', 'usd_per_unit') }} as amount_usd_unrounded,
        {{ convert_to_usd('amount', 'usd_per_unit') }} * probability * 0.01
            as weighted_amount_usd_unrounded
    from pipeline_snapshots

),

by_stage as (

    select
        snapshot_month,
        region_code,
        stage_name,
        forecast_category,
        min(stage_sort_order) as stage_sort_order,
        bool_or(is_open) as is_open_stage,
        count(*) as opportunity_count,
        count(*) filter (where is_created_in_month) as created_in_month_count,
        sum(amount_usd_unrounded) as amount_usd,
        sum(weighted_amount_usd_unrounded) as weighted_amount_usd,
        sum(age_days) as age_days_sum

    from pipeline_valued
    group by snapshot_month, region_code, stage_name, forecast_category

)

select
    cast(snapshot_month as date) as snapshot_month,
    cast(region_code as varchar) as region_code,
    cast(stage_name as varchar) as stage_name,
    cast(forecast_category as varchar) as forecast_category,
    cast(stage_sort_order as integer) as stage_sort_order,
    cast(is_open_stage as boolean) as is_open_stage,
    cast(opportunity_count as integer) as opportunity_count,
    cast(created_in_month_count as integer) as created_in_month_count,
    cast(round(amount_usd, 2) as decimal(18,2)) as amount_usd,
    cast(round(weighted_amount_usd, 2) as decimal(18,2)) as weighted_amount_usd,
    cast(round(age_days_sum / opportunity_count, 1) as decimal(18,1)) as avg_age_days

from by_stage
order by snapshot_month, region_code, stage_sort_order, forecast_category
