-- Every action's status in every cycle's snapshot: status changes, days open, days overdue and how often it was carried over.
-- Written by the S&OP cycle step (orchestration/sop_cycle).

with

source as (

    select * from {{ source('sop_cycle', 'action_history') }}

),

renamed as (

    select
        cycle_month,
        action_id,
        title,
        owner,
        link,
        status,
        previous_status,
        status_changed,
        raised_cycle,
        due_date,
        closed_on,
        as_of_date,
        days_open,
        is_overdue,
        days_overdue,
        times_carried_over,
        is_new,
        is_due_next

    from source

)

select * from renamed
