-- The sales-planning KPIs of the KPI dictionary per region and for the company: quota over-assignment, cost of sales, share of reps at or above 100% and 80% of quota, ramped productivity.
-- Written by the sales-planning step (orchestration/sales_planning).

with

source as (

    select * from {{ source('sales_planning', 'sales_kpis') }}

),

renamed as (

    select
        cycle_month,
        plan_fiscal_year,
        paid_fiscal_year,
        region_code,
        quota_over_assignment,
        cost_of_sales,
        reps_with_quota,
        reps_at_or_above_100_pct,
        reps_at_or_above_80_pct,
        ramped_productivity_usd

    from source

)

select * from renamed
