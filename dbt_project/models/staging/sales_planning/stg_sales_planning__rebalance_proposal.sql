-- The territory rebalancing proposal of the cycle (a HiGHS MIP: potential per rep within the band, fewest accounts and least revenue moved, region kept), each move with the planners' decision.
-- Written by the sales-planning step (orchestration/sales_planning).

with

source as (

    select * from {{ source('sales_planning', 'rebalance_proposal') }}

),

renamed as (

    select
        cycle_month,
        account_id,
        account_name,
        region_code,
        from_rep_id,
        to_rep_id,
        from_territory_id,
        to_territory_id,
        potential_usd,
        trailing_bookings_usd,
        reason,
        decision,
        decided_by,
        note

    from source

)

select * from renamed
