-- Item master as of month end: family, lifecycle, cost and list price.
-- Snapshot entity: every month delivers a full copy; all snapshots are kept, told apart
-- by snapshot_month.

with

source as (

    select * from {{ source('erp', 'items') }} as raw_rows
    where {{ exclude_quarantined('erp_items') }}

),

renamed as (

    select
        cast(sku as varchar) as sku,
        cast(description as varchar) as item_description,
        cast(product_family as varchar) as product_family,
        cast(uom as varchar) as uom,
        cast(standard_cost_usd as decimal(18,4)) as standard_cost_usd,
        cast(list_price_usd as decimal(18,4)) as list_price_usd,
        cast(launch_date as date) as launch_date,
        cast(eol_date as date) as eol_date,
        cast(lifecycle_status as varchar) as lifecycle_status,
        cast(updated_at as timestamp) as updated_at,
        _partition_month as snapshot_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

)

select * from renamed
