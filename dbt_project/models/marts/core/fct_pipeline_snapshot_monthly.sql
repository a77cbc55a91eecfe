-- Month-end pipeline snapshots reconstructed from the opportunity history: for every month
-- of the data and every opportunity created by that month's end and not closed before the
-- month started, the opportunity's state at month end, which is its latest history row on
-- or before the end of the month. Open opportunities carry their stage, forecast category,
-- probability and close date as they stood then; opportunities closed during the month
-- carry their closing stage and won/lost outcome. Amounts are valued in USD at the snapshot
-- month's rate (the currency's latest known rate if the month has none).
-- Grain: snapshot_month x opportunity_id.
--
-- Incremental: a run rebuilds only the snapshot months of its partition range (pipeline.build_window,
-- or the vars min_month / max_month by hand) and replaces them (delete + insert on snapshot_month), so closing
-- a month costs that month's open pipeline, not all history; a month's rows depend only on
-- the history up to its end, so a full refresh gives the same rows.

{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='snapshot_month',
        on_schema_change='fail'
    )
}}

with

stage_history as (

    select * from {{ ref('fct_opportunity_stage_history') }}

),

opportunities as (

    select * from {{ ref('opportunity_enhanced') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_usd_added') }}

),

month_bounds as (

    select
        min(changed_month) as first_month,
        max(changed_month) as last_month
    from stage_history

),

snapshot_months as (

    select cast(month_start as date) as snapshot_month
    from month_bounds,
        generate_series(first_month, last_month, interval 1 month) as months (month_start)
    where {{ in_partition_range('month_start') }}

),

opportunity_spans as (

    -- the months an opportunity can appear in: from its creation to the month it closed
    -- for good (its latest history row closes it), or to the last month while it is open
    -- created_at is the opportunity's own creation: a deal of the CRM's initial load was created
    -- before its first history row (the state it was loaded in)
    select
        stage_history.opportunity_id,
        coalesce(
            cast(min(opportunities.created_date) as timestamp), min(stage_history.changed_at)
        ) as created_at,
        min(stage_history.changed_month) as created_month,
        max(
            case
                when stage_history.is_latest and stage_history.is_closed
                    then stage_history.changed_month
            end
        ) as final_close_month

    from stage_history
    left join opportunities
        on stage_history.opportunity_id = opportunities.opportunity_id
    group by stage_history.opportunity_id

),

opportunity_months as (

    select
        snapshot_months.snapshot_month,
        cast(snapshot_months.snapshot_month + interval 1 month as timestamp) as next_month_start,
        opportunity_spans.opportunity_id,
        opportunity_spans.created_at

    from opportunity_spans
    inner join snapshot_months
        on snapshot_months.snapshot_month >= opportunity_spans.created_month
        and snapshot_months.snapshot_month
            <= coalesce(opportunity_spans.final_close_month, '9999-12-01')

),

history_up_to_month_end as (

    -- for each opportunity and month: which history row is the latest on or before month
    -- end, and whether the opportunity was already closed at the end of the previous month
    select
        opportunity_months.snapshot_month,
        opportunity_months.opportunity_id,
        opportunity_months.created_at,
        arg_max(stage_history.opportunity_history_id, stage_history.changed_at)
            as opportunity_history_id,
        arg_max(stage_history.is_closed, stage_history.changed_at)
            filter (where stage_history.changed_at < opportunity_months.snapshot_month)
            as was_closed_at_previous_month_end

    from opportunity_months
    inner join stage_history
        on opportunity_months.opportunity_id = stage_history.opportunity_id
        and stage_history.changed_at < opportunity_months.next_month_start
    group by
        opportunity_months.snapshot_month,
        opportunity_months.opportunity_id,
        opportunity_months.created_at

),

with_previous_month as (

    select
        history_up_to_month_end.snapshot_month,
        history_up_to_month_end.opportunity_id,
        history_up_to_month_end.created_at,
        history_up_to_month_end.was_closed_at_previous_month_end,
        stage_history.opportunity_history_id,
        stage_history.changed_at,
        stage_history.stage_name,
        stage_history.stage_sort_order,
        stage_history.forecast_category,
        stage_history.probability,
        stage_history.amount,
        stage_history.currency_code,
        stage_history.close_date,
        stage_history.is_closed

    from history_up_to_month_end
    inner join stage_history
        on history_up_to_month_end.opportunity_history_id = stage_history.opportunity_history_id

),

in_snapshot as (

    select *
    from with_previous_month
    where not is_closed
        or not coalesce(was_closed_at_previous_month_end, false)

),

valued as (

    select
        in_snapshot.*,
        opportunities.account_id,
        opportunities.owner_id,
        opportunities.territory_id,
        opportunities.region_code,
        opportunities.segment,
        opportunities.opportunity_type,
        coalesce(month_rates.usd_per_unit, latest_rates.usd_per_unit) as usd_per_unit,
        {{ convert_to_usd(
            'in_snapshot.amount',
            'coalesce(month_rates.usd_per_unit, latest_rates.usd_per_unit)'
        ) }} as amount_usd_unrounded

    from in_snapshot
    left join opportunities
        on in_snapshot.opportunity_id = opportunities.opportunity_id
    left join fx_rates as month_rates
        on in_snapshot.currency_code = month_rates.currency_code
        and in_snapshot.snapshot_month = month_rates.rate_month
    left join fx_rates as latest_rates
        on in_snapshot.currency_code = latest_rates.currency_code
        and latest_rates.is_latest_rate

)

select
    cast(snapshot_month as date) as snapshot_month,
    cast(last_day(snapshot_month) as date) as snapshot_date,
    cast(opportunity_id as varchar) as opportunity_id,
    cast(account_id as varchar) as account_id,
    cast(owner_id as varchar) as owner_id,
    cast(territory_id as varchar) as territory_id,
    cast(region_code as varchar) as region_code,
    cast(segment as varchar) as segment,
    cast(opportunity_type as varchar) as opportunity_type,
    cast(created_at as date) as created_date,
    cast(date_trunc('month', created_at) = snapshot_month as boolean) as is_created_in_month,
    cast(opportunity_history_id as varchar) as opportunity_history_id,
    cast(changed_at as timestamp) as last_changed_at,
    cast(stage_name as varchar) as stage_name,
    cast(stage_sort_order as integer) as stage_sort_order,
    cast(forecast_category as varchar) as forecast_category,
    cast(probability as integer) as probability,
    cast(amount as decimal(18,4)) as amount,
    cast(currency_code as varchar) as currency_code,
    cast(usd_per_unit as decimal(18,8)) as usd_per_unit,
    cast(round(amount_usd_unrounded, 2) as decimal(18,2)) as amount_usd,
    cast(round(amount_usd_unrounded * probability * 0.01, 2) as decimal(18,2))
        as weighted_amount_usd,
    cast(close_date as date) as close_date,
    cast(not is_closed as boolean) as is_open,
    cast(is_closed as boolean) as is_closed_in_month,
    cast(
        case
            when is_closed and stage_name = 'Closed Won' then 'won'
            when is_closed then 'lost'
        end as varchar
    ) as closed_in_month_outcome,
    cast(
        date_diff(
            'day',
            cast(created_at as date),
            case when is_closed then cast(changed_at as date) else last_day(snapshot_month) end
        ) as integer
    ) as age_days

from valued
order by snapshot_month, opportunity_id
