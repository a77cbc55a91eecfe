-- One KPI row per supply scenario, the base plan first.
-- Written by the supply-planning step (orchestration/supply).

with

source as (

    select * from {{ source('supply', 'scenarios') }}

),

renamed as (

    select
        cycle_month,
        scenario,
        status,
        fill_rate,
        revenue_at_risk,
        inventory_value,
        overtime_cost,
        utilization,
        peak_utilization,
        units_ordered,
        units_short_on_time,
        objective

    from source

)

select * from renamed
