-- Opportunity stage history: one row per CRM OpportunityHistory row (creation, stage move,
-- close-date slip, close), in time order per opportunity, with the state before the change:
-- previous stage and how long the opportunity sat in it, whether the move advanced or
-- regressed the deal, and the amount and close-date changes. The base of funnel conversion,
-- stage duration and slippage analysis, and of the month-end pipeline snapshots.

with

history as (

    select * from {{ ref('stg_crm__opportunity_history') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

stage_orders as (

    -- the alias names the columns of the VALUES list (AL05 takes it for an unused table alias)
    select * from (
        values
            ('Prospecting', 1),
            ('Qualification', 2),
            ('Needs Analysis', 3),
            ('Proposal', 4),
            ('Negotiation', 5),
            ('Closed Won', 6),
            ('Closed Lost', 7)
    ) as stage_orders (stage_name, stage_sort_order)  -- noqa: AL05

),

sequenced as (

    select
        history.opportunity_history_id,
        history.opportunity_id,
        history.changed_at,
        history.stage_name,
        history.forecast_category,
        history.probability,
        history.amount,
        history.close_date,
        stage_orders.stage_sort_order,
        history.stage_name in ('Closed Won', 'Closed Lost') as is_closed,
        row_number() over by_opportunity as history_sequence,
        lag(history.stage_name) over by_opportunity as previous_stage_name,
        lag(stage_orders.stage_sort_order) over by_opportunity as previous_stage_sort_order,
        lag(history.probability) over by_opportunity as previous_probability,
        lag(history.amount) over by_opportunity as previous_amount,
        lag(history.close_date) over by_opportunity as previous_close_date,
        lag(history.changed_at) over by_opportunity as previous_changed_at,
        lead(history.changed_at) over by_opportunity as next_changed_at

    from history
    left join stage_orders
        on history.stage_name = stage_orders.stage_name
    window by_opportunity as (
        partition by history.opportunity_id
        order by history.changed_at, history.opportunity_history_id
    )

),

stage_runs as (

    -- a stage run is the sequence of rows in one stage; it starts at the first row in it
    select
        *,
        sum(
            case when previous_stage_name is distinct from stage_name then 1 else 0 end
        ) over (
            partition by opportunity_id
            order by history_sequence
            rows between unbounded preceding and current row
        ) as stage_run_number

    from sequenced

),

stage_entries as (

    select
        *,
        min(changed_at) over (
            partition by opportunity_id, stage_run_number
        ) as stage_entered_at

    from stage_runs

),

with_previous_stage_entry as (

    select
        stage_entries.*,
        lag(stage_entered_at) over (
            partition by opportunity_id order by history_sequence
        ) as previous_stage_entered_at

    from stage_entries

)

select
    cast(with_previous_stage_entry.opportunity_history_id as varchar) as opportunity_history_id,
    cast(with_previous_stage_entry.opportunity_id as varchar) as opportunity_id,
    cast(with_previous_stage_entry.history_sequence as integer) as history_sequence,
    cast(with_previous_stage_entry.changed_at as timestamp) as changed_at,
    cast(with_previous_stage_entry.changed_at as date) as changed_date,
    cast(date_trunc('month', with_previous_stage_entry.changed_at) as date) as changed_month,
    cast(with_previous_stage_entry.stage_name as varchar) as stage_name,
    cast(with_previous_stage_entry.stage_sort_order as integer) as stage_sort_order,
    cast(with_previous_stage_entry.forecast_category as varchar) as forecast_category,
    cast(with_previous_stage_entry.probability as integer) as probability,
    cast(with_previous_stage_entry.amount as decimal(18,4)) as amount,
    cast(opportunities.currency_code as varchar) as currency_code,
    cast(with_previous_stage_entry.close_date as date) as close_date,
    cast(with_previous_stage_entry.is_closed as boolean) as is_closed,
    cast(with_previous_stage_entry.previous_stage_name as varchar) as previous_stage_name,
    cast(with_previous_stage_entry.previous_probability as integer) as previous_probability,
    cast(with_previous_stage_entry.previous_amount as decimal(18,4)) as previous_amount,
    cast(with_previous_stage_entry.previous_close_date as date) as previous_close_date,
    cast(with_previous_stage_entry.stage_entered_at as timestamp) as stage_entered_at,
    cast(
        case
            when with_previous_stage_entry.previous_stage_name
                <> with_previous_stage_entry.stage_name
                then date_diff(
                    'day',
                    cast(with_previous_stage_entry.previous_stage_entered_at as date),
                    cast(with_previous_stage_entry.changed_at as date)
                )
        end as integer
    ) as days_in_previous_stage,
    cast(
        date_diff(
            'day',
            cast(with_previous_stage_entry.previous_changed_at as date),
            cast(with_previous_stage_entry.changed_at as date)
        ) as integer
    ) as days_since_previous_change,
    cast(with_previous_stage_entry.history_sequence = 1 as boolean) as is_creation,
    cast(
        coalesce(
            with_previous_stage_entry.previous_stage_name <> with_previous_stage_entry.stage_name,
            false
        ) as boolean
    ) as is_stage_change,
    cast(
        coalesce(
            with_previous_stage_entry.previous_stage_name <> with_previous_stage_entry.stage_name
            and with_previous_stage_entry.previous_stage_sort_order <= 5
            and with_previous_stage_entry.stage_sort_order
                > with_previous_stage_entry.previous_stage_sort_order
            and with_previous_stage_entry.stage_name <> 'Closed Lost',
            false
        ) as boolean
    ) as is_stage_advance,
    cast(
        coalesce(
            with_previous_stage_entry.previous_stage_name <> with_previous_stage_entry.stage_name
            and (
                with_previous_stage_entry.previous_stage_sort_order > 5
                or with_previous_stage_entry.stage_sort_order
                    < with_previous_stage_entry.previous_stage_sort_order
            )
            and with_previous_stage_entry.stage_sort_order <= 5,
            false
        ) as boolean
    ) as is_regression,
    cast(
        coalesce(
            with_previous_stage_entry.previous_stage_sort_order <= 5
            and with_previous_stage_entry.is_closed,
            false
        ) as boolean
    ) as is_close,
    cast(
        with_previous_stage_entry.amount - with_previous_stage_entry.previous_amount
        as decimal(18,4)
    ) as amount_change,
    cast(
        with_previous_stage_entry.close_date - with_previous_stage_entry.previous_close_date
        as integer
    ) as close_date_change_days,
    cast(
        coalesce(
            with_previous_stage_entry.close_date > with_previous_stage_entry.previous_close_date,
            false
        ) as boolean
    ) as is_close_date_slip,
    cast(with_previous_stage_entry.next_changed_at is null as boolean) as is_latest

from with_previous_stage_entry
left join opportunities
    on with_previous_stage_entry.opportunity_id = opportunities.opportunity_id
order by opportunity_id, history_sequence
