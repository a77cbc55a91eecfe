-- Top-down against bottom-up per territory: the target from potential and history, the quota pool, and what run-rate, pipeline at historical win rates and rep capacity say the territory can book.
-- Written by the sales-planning step (orchestration/sales_planning).

with

source as (

    select * from {{ source('sales_planning', 'territory_plan') }}

),

renamed as (

    select
        cycle_month,
        fiscal_year,
        territory_id,
        region_code,
        potential_usd,
        history_usd,
        potential_share,
        history_share,
        blended_share,
        top_down_target_usd,
        quota_pool_usd,
        run_rate_usd,
        open_pipeline_usd,
        win_rate,
        pipeline_expected_usd,
        rep_capacity_usd,
        demand_usd,
        bottom_up_usd,
        limited_by,
        gap_usd,
        gap_pct,
        assessment

    from source

)

select * from renamed
