-- dim_rep: every rep has exactly one current version (the last one, open-ended), and the
-- versions of a rep neither overlap nor leave gaps: each version ends the month before the
-- next one starts, and starts after the previous one. Returns the offending reps.

with

versions as (

    select
        rep_id,
        valid_from_month,
        valid_to_month,
        is_current,
        lead(valid_from_month) over (
            partition by rep_id order by valid_from_month
        ) as next_valid_from_month

    from {{ ref('dim_rep') }}

),

current_counts as (

    select
        rep_id,
        count(*) filter (where is_current) as current_versions
    from versions
    group by rep_id

),

bad_versions as (

    select rep_id, 'overlap or gap' as problem
    from versions
    where valid_to_month < valid_from_month
        or (next_valid_from_month is not null
            and (valid_to_month is null
                or valid_to_month + interval 1 month <> next_valid_from_month))
        or (next_valid_from_month is null and (valid_to_month is not null or not is_current))

    union all

    select rep_id, 'not exactly one current version' as problem
    from current_counts
    where current_versions <> 1

)

select * from bad_versions
