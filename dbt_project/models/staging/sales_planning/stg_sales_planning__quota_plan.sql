-- Quota plan of the fiscal year: every rep's bookings quota per month, from the top-down territory targets × over-assignment, ramped for new hires and phased by the revenue forecast's seasonality.
-- Written by the sales-planning step (orchestration/sales_planning).

with

source as (

    select * from {{ source('sales_planning', 'quota_plan') }}

),

renamed as (

    select
        cycle_month,
        fiscal_year,
        rep_id,
        rep_name,
        territory_id,
        region_code,
        month,
        months_employed,
        ramp_factor,
        season_weight,
        quota_usd,
        is_placeholder

    from source

)

select * from renamed
