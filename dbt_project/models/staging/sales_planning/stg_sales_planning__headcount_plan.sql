-- Headcount plan per territory and month: expected reps and bookings capacity with the planned hires, after attrition.
-- Written by the sales-planning step (orchestration/sales_planning).

with

source as (

    select * from {{ source('sales_planning', 'headcount_plan') }}

),

renamed as (

    select
        cycle_month,
        fiscal_year,
        territory_id,
        region_code,
        month,
        expected_reps,
        expected_ramped_fte,
        expected_capacity_usd,
        cumulative_capacity_usd,
        hires_starting

    from source

)

select * from renamed
