-- Territory coverage and balance before and after the rebalancing proposal: accounts, potential, workload and reps per territory and region, and the spread of potential per rep.
-- Written by the sales-planning step (orchestration/sales_planning).

with

source as (

    select * from {{ source('sales_planning', 'territory_balance') }}

),

renamed as (

    select
        cycle_month,
        state,
        level,
        scope,
        territory_id,
        region_code,
        accounts,
        reps,
        potential_usd,
        trailing_bookings_usd,
        open_opportunities,
        open_pipeline_usd,
        potential_per_rep_usd,
        accounts_per_rep,
        open_opportunities_per_rep,
        potential_cv,
        uncovered_accounts,
        max_potential_index,
        min_potential_index

    from source

)

select * from renamed
