-- Opportunity line items with their opportunity's latest state (won, closed, close date),
-- the region of the account's territory, the SKU's product family from the latest item
-- snapshot, and the line value in USD at the close month's rate.
-- Open opportunities closing in a month without a published rate have no USD value yet.

with

line_items as (

    select * from {{ ref('stg_crm__opportunity_line_items') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

accounts as (

    select * from {{ ref('int_accounts_enriched') }}

),

items as (

    select * from {{ ref('int_items_filtered_to_latest_snapshot') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_usd_added') }}

),

line_items_with_opportunity as (

    select
        line_items.opportunity_line_item_id,
        line_items.opportunity_id,
        opportunities.account_id,
        opportunities.is_won,
        opportunities.is_closed,
        opportunities.close_date,
        cast(date_trunc('month', opportunities.close_date) as date) as close_month,
        accounts.region_code,
        line_items.sku,
        items.product_family,
        line_items.quantity,
        line_items.unit_price,
        line_items.total_price,
        line_items.currency_code

    from line_items
    left join opportunities
        on line_items.opportunity_id = opportunities.opportunity_id
    left join accounts
        on opportunities.account_id = accounts.account_id
    left join items
        on line_items.sku = items.sku

)

select
    line_items_with_opportunity.*,
    fx_rates.usd_per_unit,
    {{ convert_to_usd('line_items_with_opportunity.total_price', 'fx_rates.usd_per_unit') }}
        as total_price_usd

from line_items_with_opportunity
left join fx_rates
    on line_items_with_opportunity.currency_code = fx_rates.currency_code
    and line_items_with_opportunity.close_month = fx_rates.rate_month
