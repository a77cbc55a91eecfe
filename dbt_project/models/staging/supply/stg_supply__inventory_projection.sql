-- Projected available balance per SKU × site × month of the unconstrained (MRP) plan.
-- Written by the supply-planning step (orchestration/supply).

with

source as (

    select * from {{ source('supply', 'inventory_projection') }}

),

renamed as (

    select
        cycle_month,
        sku,
        site,
        month,
        opening,
        demand,
        scheduled_receipts,
        planned_receipts,
        closing,
        safety_stock

    from source

)

select * from renamed
