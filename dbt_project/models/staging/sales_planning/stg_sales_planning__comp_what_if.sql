-- The comp what-if: the fiscal year's bookings so far paid under the alternative plan file, per rep: who gains and who loses.
-- Written by the sales-planning step (orchestration/sales_planning).

with

source as (

    select * from {{ source('sales_planning', 'comp_what_if') }}

),

renamed as (

    select
        cycle_month,
        fiscal_year,
        rep_id,
        region_code,
        plan_a,
        plan_b,
        total_pay_a_usd,
        total_pay_b_usd,
        difference_usd,
        change

    from source

)

select * from renamed
