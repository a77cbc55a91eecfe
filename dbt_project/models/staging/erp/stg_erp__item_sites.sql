-- Planning parameters per SKU and stocking site as of month end (the MRP view of the item master): how the site is supplied, lead time and lot sizing.
-- Snapshot entity: every month delivers a full copy; all snapshots are kept, told apart
-- by snapshot_month.

with

source as (

    select * from {{ source('erp', 'item_sites') }} as raw_rows
    where {{ exclude_quarantined('erp_item_sites') }}

),

renamed as (

    select
        {{ cast_csv_field('sku', 'varchar') }} as sku,
        {{ cast_csv_field('site_code', 'varchar') }} as site_code,
        {{ cast_csv_field('procurement_type', 'varchar') }} as procurement_type,
        {{ cast_csv_field('supplying_site_code', 'varchar') }} as supplying_site_code,
        {{ cast_csv_field('lead_time_days', 'bigint') }} as lead_time_days,
        {{ cast_csv_field('lead_time_std_days', 'decimal(18,4)') }} as lead_time_std_days,
        {{ cast_csv_field('lot_rule', 'varchar') }} as lot_rule,
        {{ cast_csv_field('lot_size', 'decimal(18,4)') }} as lot_size,
        {{ cast_csv_field('poq_periods', 'bigint') }} as poq_periods,
        {{ cast_csv_field('min_order_qty', 'decimal(18,4)') }} as min_order_qty,
        {{ cast_csv_field('order_multiple', 'decimal(18,4)') }} as order_multiple,
        {{ cast_csv_field('updated_at', 'timestamp') }} as updated_at,
        _partition_month as snapshot_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

)

select * from renamed
