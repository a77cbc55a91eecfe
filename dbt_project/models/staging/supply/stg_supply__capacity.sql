-- Capacity load vs available hours per work center × month.
-- Written by the supply-planning step (orchestration/supply).

with

source as (

    select * from {{ source('supply', 'capacity') }}

),

renamed as (

    select
        cycle_month,
        work_center,
        month,
        regular_hours,
        load_hours,
        overtime_hours,
        overtime_cap_hours,
        utilization,
        overtime_cost,
        unconstrained_load_hours,
        hour_value_usd

    from source

)

select * from renamed
