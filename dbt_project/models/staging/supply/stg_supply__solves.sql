-- One row per cycle: how the supply LP was solved.
-- Written by the supply-planning step (orchestration/supply).

with

source as (

    select * from {{ source('supply', 'solves') }}

),

renamed as (

    select
        cycle_month,
        status,
        objective,
        backlog_cost,
        holding_cost,
        overtime_cost,
        safety_stock_cost,
        solve_seconds,
        variables,
        constraints,
        nonzeros,
        policy_file

    from source

)

select * from renamed
