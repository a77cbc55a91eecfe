-- The planners' action register as each cycle read it (inputs/sop_actions.csv), kept immutably.
-- Written by the S&OP cycle step (orchestration/sop_cycle).

with

source as (

    select * from {{ source('sop_cycle', 'action_snapshots') }}

),

renamed as (

    select
        cycle_month,
        taken_at,
        file,
        row,
        action_id,
        raised_cycle,
        title,
        owner,
        due_date,
        status,
        link,
        closed_on,
        note,
        valid,
        error

    from source

)

select * from renamed
