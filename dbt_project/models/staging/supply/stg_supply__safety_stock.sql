-- Safety stock, reorder point and the backtested service level per SKU × site.
-- Written by the supply-planning step (orchestration/supply).

with

source as (

    select * from {{ source('supply', 'safety_stock') }}

),

renamed as (

    select
        cycle_month,
        sku,
        site,
        abc,
        xyz,
        abc_xyz,
        service_level,
        method,
        error_source,
        sigma_error,
        mean_demand,
        lead_time_days,
        safety_stock,
        reorder_point,
        backtest_months,
        demand_months,
        stockout_months,
        backtest_cycle_service_level,
        backtest_fill_rate

    from source

)

select * from renamed
