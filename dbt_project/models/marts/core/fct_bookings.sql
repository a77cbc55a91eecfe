-- Bookings: the line items of won opportunities (latest state) in their close month, one row
-- per opportunity line item, in the line currency and in USD at the close month's rate.
-- Region is that of the account's territory (as in revenue_by_region_family_monthly);
-- customer key and segment come from dim_customer through the opportunity's account.
-- A full rebuild: opportunities change state after they are created, and the CRM is small.

with

opportunity_line_items as (

    select * from {{ ref('int_opportunity_line_items_enriched') }}

),

customers as (

    select * from {{ ref('dim_customer') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

)

select
    cast(opportunity_line_items.opportunity_line_item_id as varchar) as opportunity_line_item_id,
    cast(opportunity_line_items.opportunity_id as varchar) as opportunity_id,
    cast(opportunities.opportunity_type as varchar) as opportunity_type,
    cast(opportunities.owner_id as varchar) as owner_id,
    cast(opportunity_line_items.account_id as varchar) as crm_account_id,
    cast(customers.customer_key as varchar) as customer_key,
    cast(opportunity_line_items.close_date as date) as close_date,
    cast(opportunity_line_items.close_month as date) as booking_month,
    cast(opportunity_line_items.region_code as varchar) as region_code,
    cast(coalesce(customers.segment, 'Unassigned') as varchar) as segment,
    cast(opportunity_line_items.sku as varchar) as sku,
    cast(opportunity_line_items.quantity as decimal(18,4)) as quantity,
    cast(opportunity_line_items.unit_price as decimal(18,4)) as unit_price,
    cast(opportunity_line_items.total_price as decimal(18,4)) as total_price,
    cast(opportunity_line_items.currency_code as varchar) as currency_code,
    cast(opportunity_line_items.usd_per_unit as decimal(18,8)) as usd_per_unit,
    cast(opportunity_line_items.total_price_usd as decimal(38,8)) as total_price_usd

from opportunity_line_items
left join customers
    on opportunity_line_items.account_id = customers.crm_account_id
left join opportunities
    on opportunity_line_items.opportunity_id = opportunities.opportunity_id
where opportunity_line_items.is_won
