-- Users (reps, managers, directors) as of the latest month-end snapshot: one row per user.

with

users as (

    select * from {{ ref('stg_crm__users') }}

),

latest_snapshot as (

    select max(snapshot_month) as snapshot_month
    from users

)

select
    users.user_id,
    users.user_name,
    users.email,
    users.user_role_name,
    users.manager_id,
    users.territory_id,
    users.is_active,
    users.hire_date,
    users.last_modified_at,
    users.snapshot_month

from users
inner join latest_snapshot
    on users.snapshot_month = latest_snapshot.snapshot_month
