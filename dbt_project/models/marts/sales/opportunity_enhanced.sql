-- One row per opportunity in its latest state, with its account, owner and owner's manager,
-- territory and region, USD amounts and pipeline status.
--
-- amount_usd converts at the rate of the close month; when that month has no rate yet
-- (open opportunities closing in the future) the currency's latest known rate is used.
-- Owner and manager names come from the latest users snapshot; territory and region from
-- the account's territory in the latest territories snapshot.

with

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

accounts as (

    select * from {{ ref('int_accounts_enriched') }}

),

users as (

    select * from {{ ref('int_users_filtered_to_latest_snapshot') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_usd_added') }}

),

line_item_counts as (

    select
        opportunity_id,
        count(*) as line_item_count
    from {{ ref('stg_crm__opportunity_line_items') }}
    group by opportunity_id

),

opportunities_dated as (

    select
        *,
        cast(created_at as date) as created_date,
        cast(date_trunc('month', created_at) as date) as created_month,
        cast(date_trunc('month', close_date) as date) as close_month
    from opportunities

),

joined as (

    select
        opportunities_dated.opportunity_id,
        opportunities_dated.opportunity_name,
        opportunities_dated.account_id,
        accounts.account_name,
        accounts.erp_customer_number,
        accounts.segment,
        opportunities_dated.owner_id,
        owners.user_name as owner_name,
        owners.manager_id,
        managers.user_name as manager_name,
        accounts.territory_id,
        accounts.territory_name,
        accounts.region_code,
        opportunities_dated.opportunity_type,
        opportunities_dated.lead_source,
        opportunities_dated.stage_name,
        opportunities_dated.forecast_category,
        opportunities_dated.probability,
        opportunities_dated.amount,
        opportunities_dated.currency_code,
        {{ convert_to_usd(
            'opportunities_dated.amount',
            'coalesce(close_month_rates.usd_per_unit, latest_rates.usd_per_unit)'
        ) }} as amount_usd_unrounded,
        opportunities_dated.is_won,
        opportunities_dated.is_closed,
        opportunities_dated.created_date,
        opportunities_dated.close_date,
        opportunities_dated.created_month,
        opportunities_dated.close_month,
        coalesce(line_item_counts.line_item_count, 0) as line_item_count

    from opportunities_dated
    left join accounts
        on opportunities_dated.account_id = accounts.account_id
    left join users as owners
        on opportunities_dated.owner_id = owners.user_id
    left join users as managers
        on owners.manager_id = managers.user_id
    left join fx_rates as close_month_rates
        on opportunities_dated.currency_code = close_month_rates.currency_code
        and opportunities_dated.close_month = close_month_rates.rate_month
    left join fx_rates as latest_rates
        on opportunities_dated.currency_code = latest_rates.currency_code
        and latest_rates.is_latest_rate
    left join line_item_counts
        on opportunities_dated.opportunity_id = line_item_counts.opportunity_id

)

select
    cast(opportunity_id as varchar) as opportunity_id,
    cast(opportunity_name as varchar) as opportunity_name,
    cast(account_id as varchar) as account_id,
    cast(account_name as varchar) as account_name,
    cast(erp_customer_number as varchar) as erp_customer_number,
    cast(segment as varchar) as segment,
    cast(owner_id as varchar) as owner_id,
    cast(owner_name as varchar) as owner_name,
    cast(manager_id as varchar) as manager_id,
    cast(manager_name as varchar) as manager_name,
    cast(territory_id as varchar) as territory_id,
    cast(territory_name as varchar) as territory_name,
    cast(region_code as varchar) as region_code,
    cast(opportunity_type as varchar) as opportunity_type,
    cast(lead_source as varchar) as lead_source,
    cast(stage_name as varchar) as stage_name,
    cast(forecast_category as varchar) as forecast_category,
    cast(probability as integer) as probability,
    cast(amount as decimal(18,4)) as amount,
    cast(currency_code as varchar) as currency_code,
    cast(round(amount_usd_unrounded, 2) as decimal(18,2)) as amount_usd,
    cast(round(amount_usd_unrounded * probability * 0.01, 2) as decimal(18,2))
        as weighted_amount_usd,
    cast(
        case
            when is_won then 'won'
            when is_closed then 'lost'
            else 'open'
        end as varchar
    ) as status,
    cast(is_won as boolean) as is_won,
    cast(is_closed as boolean) as is_closed,
    cast(created_date as date) as created_date,
    cast(close_date as date) as close_date,
    cast(created_month as date) as created_month,
    cast(close_month as date) as close_month,
    cast(case when is_closed then close_date - created_date end as integer) as days_to_close,
    cast(line_item_count as integer) as line_item_count,
    cast(created_month = close_month as boolean) as is_created_in_close_month,
    cast(case when is_closed then close_month end as date) as closed_month,
    cast(is_closed and created_month = close_month as boolean) as is_closed_in_created_month

from joined
order by opportunity_id
