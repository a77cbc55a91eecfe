-- The conformed product dimension: one row per SKU of the latest item-master snapshot, with
-- its family, lifecycle status, launch and end-of-life dates, current list price and
-- standard cost, and the first and last month it was ordered (ERP sales-order lines).

with

items as (

    select * from {{ ref('int_items_filtered_to_latest_snapshot') }}

),

order_lines as (

    select * from {{ ref('stg_erp__sales_order_lines') }}

),

sale_months as (

    select
        sku,
        cast(min(date_trunc('month', order_date)) as date) as first_sale_month,
        cast(max(date_trunc('month', order_date)) as date) as last_sale_month
    from order_lines
    group by 1

)

select
    cast(items.sku as varchar) as sku,
    cast(items.item_description as varchar) as description,
    cast(items.product_family as varchar) as product_family,
    cast(items.uom as varchar) as uom,
    cast(items.lifecycle_status as varchar) as lifecycle_status,
    cast(items.launch_date as date) as launch_date,
    cast(items.eol_date as date) as eol_date,
    cast(items.list_price_usd as decimal(18,4)) as list_price_usd,
    cast(items.standard_cost_usd as decimal(18,4)) as standard_cost_usd,
    cast(sale_months.first_sale_month as date) as first_sale_month,
    cast(sale_months.last_sale_month as date) as last_sale_month,
    cast(items.snapshot_month as date) as snapshot_month

from items
left join sale_months
    on items.sku = sale_months.sku
