-- The capacity-constrained supply plan per SKU × site × month (LP, HiGHS).
-- Written by the supply-planning step (orchestration/supply).

with

source as (

    select * from {{ source('supply', 'supply_plan') }}

),

renamed as (

    select
        cycle_month,
        sku,
        site,
        family,
        month,
        plant,
        opening,
        scheduled_receipts,
        production,
        demand,
        shipped,
        backlog_opening,
        backlog_closing,
        closing,
        safety_stock,
        short_on_time,
        unit_cost,
        unit_price,
        closing_value_usd,
        months_of_supply

    from source

)

select * from renamed
