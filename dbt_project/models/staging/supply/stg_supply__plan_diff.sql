-- What moved between the previous cycle's supply plan and this one, by family × site, and why.
-- Written by the supply-planning step (orchestration/supply).

with

source as (

    select * from {{ source('supply', 'plan_diff') }}

),

renamed as (

    select
        cycle_month,
        previous_cycle_month,
        family,
        site,
        demand_change,
        demand_moved,
        receipts_change,
        receipts_moved,
        capacity_change_units,
        production_change,
        short_change,
        closing_change,
        main_cause,
        explanation

    from source

)

select * from renamed
