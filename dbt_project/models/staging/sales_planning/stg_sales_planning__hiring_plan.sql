-- The hiring plan: per territory, how many reps to hire, when to open the requisitions and when they start.
-- Written by the sales-planning step (orchestration/sales_planning).

with

source as (

    select * from {{ source('sales_planning', 'hiring_plan') }}

),

renamed as (

    select
        cycle_month,
        fiscal_year,
        territory_id,
        region_code,
        requisition_month,
        start_month,
        hires

    from source

)

select * from renamed
