-- Comp payouts per rep and month of the fiscal year to date: credited bookings, attainment, tier, commission (with accelerators, decelerators, cap and clawbacks), SPIFs, base and total pay.
-- Written by the sales-planning step (orchestration/sales_planning).

with

source as (

    select * from {{ source('sales_planning', 'comp_payouts') }}

),

renamed as (

    select
        cycle_month,
        fiscal_year,
        rep_id,
        region_code,
        plan_id,
        month,
        quota_usd,
        annual_quota_usd,
        bookings_usd,
        bookings_ytd_usd,
        attainment_ytd,
        tier_reached,
        commission_ytd_usd,
        commission_usd,
        clawback_usd,
        clawback_ignored_usd,
        spif_usd,
        base_pay_usd,
        total_pay_usd,
        is_capped

    from source

)

select * from renamed
