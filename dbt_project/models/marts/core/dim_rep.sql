-- Rep dimension, effective-dated (slowly changing, type 2), built from the monthly CRM users
-- snapshots. A user gets a new version in the first month-end snapshot where their
-- territory, manager, role, active flag or manager's manager (director) differs from the
-- snapshot before; months without a change extend the current version.
-- Covers every CRM user (reps, managers, directors) so that the manager hierarchy resolves
-- to rows of the same dimension. valid_to_month is inclusive: a fact of month M joins the
-- version with valid_from_month <= M and (valid_to_month is null or valid_to_month >= M).
-- CRM users are deactivated, never deleted, so every user's last version is the current one.

with

users as (

    select * from {{ ref('stg_crm__users') }}

),

users_with_hierarchy as (

    -- manager and director as of the same month-end snapshot
    select
        users.user_id,
        users.snapshot_month,
        users.user_name,
        users.email,
        users.user_role_name,
        users.territory_id,
        users.manager_id,
        managers.user_name as manager_name,
        managers.manager_id as director_id,
        directors.user_name as director_name,
        users.is_active,
        users.hire_date

    from users
    left join users as managers
        on users.manager_id = managers.user_id
        and users.snapshot_month = managers.snapshot_month
    left join users as directors
        on managers.manager_id = directors.user_id
        and managers.snapshot_month = directors.snapshot_month

),

change_flags as (

    select
        *,
        case
            when lag(snapshot_month) over by_user is null then 1
            when (lag(user_role_name) over by_user is distinct from user_role_name)
                or (lag(territory_id) over by_user is distinct from territory_id)
                or (lag(manager_id) over by_user is distinct from manager_id)
                or (lag(director_id) over by_user is distinct from director_id)
                or (lag(is_active) over by_user is distinct from is_active)
                then 1
            else 0
        end as starts_version

    from users_with_hierarchy
    window by_user as (partition by user_id order by snapshot_month)

),

version_numbers as (

    select
        *,
        sum(starts_version) over (
            partition by user_id
            order by snapshot_month
            rows between unbounded preceding and current row
        ) as version_number

    from change_flags

),

versions as (

    -- attributes of a version are those of its first snapshot; the name and e-mail are
    -- taken from the version's latest snapshot (a rename is a correction, not a move)
    select
        user_id,
        version_number,
        min(snapshot_month) as valid_from_month,
        max(snapshot_month) as last_snapshot_month,
        arg_max(user_name, snapshot_month) as user_name,
        arg_max(email, snapshot_month) as email,
        arg_min(user_role_name, snapshot_month) as user_role_name,
        arg_min(territory_id, snapshot_month) as territory_id,
        arg_min(manager_id, snapshot_month) as manager_id,
        arg_max(manager_name, snapshot_month) as manager_name,
        arg_min(director_id, snapshot_month) as director_id,
        arg_max(director_name, snapshot_month) as director_name,
        arg_min(is_active, snapshot_month) as is_active,
        arg_max(hire_date, snapshot_month) as hire_date

    from version_numbers
    group by user_id, version_number

),

versions_dated as (

    select
        *,
        lead(valid_from_month) over (
            partition by user_id order by valid_from_month
        ) as next_valid_from_month

    from versions

),

territories as (

    select * from {{ ref('int_territories_filtered_to_latest_snapshot') }}

)

select
    cast(
        versions_dated.user_id || '-' || strftime(versions_dated.valid_from_month, '%Y%m')
        as varchar
    ) as rep_version_key,
    cast(versions_dated.user_id as varchar) as rep_id,
    cast(versions_dated.user_name as varchar) as rep_name,
    cast(versions_dated.email as varchar) as email,
    cast(versions_dated.user_role_name as varchar) as role,
    cast(versions_dated.territory_id as varchar) as territory_id,
    cast(territories.region_code as varchar) as region_code,
    cast(versions_dated.manager_id as varchar) as manager_id,
    cast(versions_dated.manager_name as varchar) as manager_name,
    cast(versions_dated.director_id as varchar) as director_id,
    cast(versions_dated.director_name as varchar) as director_name,
    cast(versions_dated.is_active as boolean) as is_active,
    cast(versions_dated.hire_date as date) as hire_date,
    cast(versions_dated.version_number as integer) as version_number,
    cast(versions_dated.valid_from_month as date) as valid_from_month,
    cast(
        case
            when versions_dated.next_valid_from_month is not null
                then versions_dated.next_valid_from_month - interval 1 month
        end as date
    ) as valid_to_month,
    cast(versions_dated.next_valid_from_month is null as boolean) as is_current

from versions_dated
left join territories
    on versions_dated.territory_id = territories.territory_id
order by rep_id, valid_from_month
