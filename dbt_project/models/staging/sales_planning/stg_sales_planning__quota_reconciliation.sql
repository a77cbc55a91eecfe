-- Quotas reconciled with the S&OP revenue plan, per region and in total: one number, the target, set against the plan it derives from, and the over-assignment checked against its band.
-- Written by the sales-planning step (orchestration/sales_planning).

with

source as (

    select * from {{ source('sales_planning', 'quota_reconciliation') }}

),

renamed as (

    select
        cycle_month,
        fiscal_year,
        region_code,
        bookings_target_usd,
        quota_usd,
        over_assignment,
        sop_plan_usd,
        difference_usd,
        target_to_plan_ratio,
        target_source,
        growth_rate,
        band_lower,
        band_upper,
        within_band

    from source

)

select * from renamed
