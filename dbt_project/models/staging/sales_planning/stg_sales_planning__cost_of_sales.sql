-- Cost of sales per region and month, and fiscal year to date: what the sales force's pay costs per dollar booked.
-- Written by the sales-planning step (orchestration/sales_planning).

with

source as (

    select * from {{ source('sales_planning', 'cost_of_sales') }}

),

renamed as (

    select
        cycle_month,
        fiscal_year,
        region_code,
        period,
        month,
        total_pay_usd,
        bookings_usd,
        cost_of_sales

    from source

)

select * from renamed
