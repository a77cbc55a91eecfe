-- Sales headcount per territory: reps today, reps needed at ramped productivity, hires needed after ramp and attrition, and the coverage gap left.
-- Written by the sales-planning step (orchestration/sales_planning).

with

source as (

    select * from {{ source('sales_planning', 'headcount_summary') }}

),

renamed as (

    select
        cycle_month,
        fiscal_year,
        territory_id,
        region_code,
        reps_now,
        target_usd,
        productivity_usd_per_rep_month,
        annual_attrition,
        capacity_without_hires_usd,
        hires_needed,
        capacity_with_hires_usd,
        coverage_gap_usd,
        reps_needed_fte

    from source

)

select * from renamed
