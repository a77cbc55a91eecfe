-- The additive sales measures of each rep and month, the building blocks of the rep and
-- territory performance marts (which only divide and roll up these sums).
-- A rep-month exists when the rep has a quota that month or any activity: an opportunity
-- created, won or lost that month, or open pipeline at month end. The rep's territory,
-- region and manager are those of the rep's dim_rep version valid in the month (the first
-- version for months before the first users snapshot).
-- Money in USD: quotas at the quota month's rate, bookings at the close month's rate (as in
-- opportunity_enhanced), pipeline at the snapshot month's rate (amount x usd_per_unit of the
-- snapshot row); unrounded except bookings, which are sums of the cent-rounded amount_usd of
-- opportunity_enhanced so that they reconcile exactly with it.

with

quotas as (

    select * from {{ ref('int_quotas_converted') }}

),

opportunities as (

    select * from {{ ref('opportunity_enhanced') }}

),

pipeline_snapshots as (

    select * from {{ ref('fct_pipeline_snapshot_monthly') }}

),

reps as (

    select * from {{ ref('dim_rep') }}

),

snapshot_months as (

    select distinct snapshot_month as activity_month
    from pipeline_snapshots

),

last_quota_month as (

    select max(quota_month) as last_quota_month
    from quotas

),

monthly_quotas as (

    select
        rep_id,
        quota_month as activity_month,
        sum(quota_usd) as quota_usd
    from quotas
    group by rep_id, quota_month

),

closed_opportunities as (

    select
        owner_id as rep_id,
        closed_month as activity_month,
        sum(case when is_won then amount_usd end) as bookings_usd,
        count(*) filter (where is_won) as won_count,
        count(*) filter (where not is_won) as lost_count,
        sum(case when is_won then days_to_close end) as won_cycle_days

    from opportunities
    where is_closed
        and closed_month in (select activity_month from snapshot_months)
    group by owner_id, closed_month

),

pipeline_valued as (

    -- unrounded USD values of the snapshot rows, so that sums are rounded once, in the marts
    select
        *,
        {{ convert_to_usd('amount', 'usd_per_unit') }} as amount_usd_unrounded,
        {{ convert_to_usd('amount', 'usd_per_unit') }} * probability * 0.01
            as weighted_amount_usd_unrounded
    from pipeline_snapshots

),

pipeline as (

    select
        owner_id as rep_id,
        snapshot_month as activity_month,
        count(*) filter (where is_created_in_month) as created_count,
        sum(case when is_created_in_month then amount_usd_unrounded end) as pipeline_created_usd,
        count(*) filter (where is_open) as open_opportunity_count,
        sum(case when is_open then amount_usd_unrounded end) as open_pipeline_usd,
        sum(case when is_open then weighted_amount_usd_unrounded end) as open_weighted_pipeline_usd,
        sum(
            case
                when is_open
                    and close_date >= snapshot_month + interval 1 month
                    and close_date < snapshot_month + interval 4 month
                    then amount_usd_unrounded
            end
        ) as open_pipeline_next_3_months_usd

    from pipeline_valued
    group by owner_id, snapshot_month

),

rep_months as (

    select rep_id, activity_month from monthly_quotas
    where activity_month in (select activity_month from snapshot_months)
    union
    select rep_id, activity_month from closed_opportunities
    union
    select rep_id, activity_month from pipeline

),

next_quotas as (

    select
        rep_months.rep_id,
        rep_months.activity_month,
        sum(monthly_quotas.quota_usd) as next_3_months_quota_usd

    from rep_months
    inner join monthly_quotas
        on rep_months.rep_id = monthly_quotas.rep_id
        and monthly_quotas.activity_month > rep_months.activity_month
        and monthly_quotas.activity_month <= rep_months.activity_month + interval 3 month
    group by rep_months.rep_id, rep_months.activity_month

),

rep_versions as (

    select
        rep_months.rep_id,
        rep_months.activity_month,
        reps.rep_version_key,
        reps.rep_name,
        reps.territory_id,
        reps.region_code,
        reps.manager_id

    from rep_months
    left join reps
        on rep_months.rep_id = reps.rep_id
        and (reps.valid_from_month <= rep_months.activity_month or reps.version_number = 1)
        and (reps.valid_to_month is null or reps.valid_to_month >= rep_months.activity_month)

)

select
    rep_versions.activity_month,
    rep_versions.rep_id,
    rep_versions.rep_version_key,
    rep_versions.rep_name,
    rep_versions.territory_id,
    rep_versions.region_code,
    rep_versions.manager_id,
    monthly_quotas.quota_usd,
    coalesce(closed_opportunities.bookings_usd, 0) as bookings_usd,
    coalesce(closed_opportunities.won_count, 0) as won_count,
    coalesce(closed_opportunities.lost_count, 0) as lost_count,
    coalesce(closed_opportunities.won_cycle_days, 0) as won_cycle_days,
    coalesce(pipeline.created_count, 0) as created_count,
    coalesce(pipeline.pipeline_created_usd, 0) as pipeline_created_usd,
    coalesce(pipeline.open_opportunity_count, 0) as open_opportunity_count,
    coalesce(pipeline.open_pipeline_usd, 0) as open_pipeline_usd,
    coalesce(pipeline.open_weighted_pipeline_usd, 0) as open_weighted_pipeline_usd,
    coalesce(pipeline.open_pipeline_next_3_months_usd, 0) as open_pipeline_next_3_months_usd,
    next_quotas.next_3_months_quota_usd,
    rep_versions.activity_month + interval 3 month <= last_quota_month.last_quota_month
        as are_next_3_months_quotas_published

from rep_versions
cross join last_quota_month
left join monthly_quotas
    on rep_versions.rep_id = monthly_quotas.rep_id
    and rep_versions.activity_month = monthly_quotas.activity_month
left join closed_opportunities
    on rep_versions.rep_id = closed_opportunities.rep_id
    and rep_versions.activity_month = closed_opportunities.activity_month
left join pipeline
    on rep_versions.rep_id = pipeline.rep_id
    and rep_versions.activity_month = pipeline.activity_month
left join next_quotas
    on rep_versions.rep_id = next_quotas.rep_id
    and rep_versions.activity_month = next_quotas.activity_month
