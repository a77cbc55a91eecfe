-- On-hand inventory per SKU and site at month end.
-- Snapshot entity: every month delivers a full copy; all snapshots are kept, told apart
-- by snapshot_month.

with

source as (

    select * from {{ source('erp', 'inventory_snapshots') }} as raw_rows
    where {{ exclude_quarantined('erp_inventory_snapshots') }}

),

renamed as (

    select
        {{ cast_csv_field('snapshot_date', 'date') }} as snapshot_date,
        {{ cast_csv_field('sku', 'varchar') }} as sku,
        {{ cast_csv_field('site_code', 'varchar') }} as site_code,
        {{ cast_csv_field('on_hand_qty', 'decimal(18,4)') }} as on_hand_quantity,
        {{ cast_csv_field('standard_cost_usd', 'decimal(18,4)') }} as standard_cost_usd,
        {{ cast_csv_field('updated_at', 'timestamp') }} as updated_at,
        _partition_month as snapshot_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

)

select * from renamed
