-- Payout forecast to fiscal year end per rep and in total, at P10/P50/P90 of the revenue forecast's distribution (a rep's months and a region's reps moving together).
-- Written by the sales-planning step (orchestration/sales_planning).

with

source as (

    select * from {{ source('sales_planning', 'payout_forecast') }}

),

renamed as (

    select
        cycle_month,
        fiscal_year,
        rep_id,
        region_code,
        plan_id,
        actual_bookings_ytd_usd,
        bookings_fy_p10_usd,
        bookings_fy_p50_usd,
        bookings_fy_p90_usd,
        attainment_fy_p10,
        attainment_fy_p50,
        attainment_fy_p90,
        total_pay_fy_p10_usd,
        total_pay_fy_p50_usd,
        total_pay_fy_p90_usd,
        commission_fy_p10_usd,
        commission_fy_p50_usd,
        commission_fy_p90_usd

    from source

)

select * from renamed
