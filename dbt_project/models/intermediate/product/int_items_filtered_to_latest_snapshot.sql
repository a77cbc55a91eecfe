-- Item master as of the latest month-end snapshot: one row per SKU.

with

items as (

    select * from {{ ref('stg_erp__items') }}

),

latest_snapshot as (

    select max(snapshot_month) as snapshot_month
    from items

)

select
    items.sku,
    items.item_description,
    items.product_family,
    items.uom,
    items.standard_cost_usd,
    items.list_price_usd,
    items.launch_date,
    items.eol_date,
    items.lifecycle_status,
    items.updated_at,
    items.snapshot_month

from items
inner join latest_snapshot
    on items.snapshot_month = latest_snapshot.snapshot_month
