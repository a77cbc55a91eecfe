-- Planned orders of the unconstrained MRP netting.
-- Written by the supply-planning step (orchestration/supply).

with

source as (

    select * from {{ source('supply', 'planned_orders') }}

),

renamed as (

    select
        cycle_month,
        sku,
        site,
        need_month,
        release_month,
        quantity,
        net_requirement,
        lot_rule,
        release_past_due,
        procurement_type

    from source

)

select * from renamed
