-- Open supply at month end: purchase and work orders not yet received.
-- Snapshot entity: every month delivers a full copy; all snapshots are kept, told apart
-- by snapshot_month.

with

source as (

    select * from {{ source('erp', 'scheduled_receipts') }} as raw_rows
    where {{ exclude_quarantined('erp_scheduled_receipts') }}

),

renamed as (

    select
        {{ cast_csv_field('receipt_id', 'varchar') }} as receipt_id,
        {{ cast_csv_field('receipt_type', 'varchar') }} as receipt_type,
        {{ cast_csv_field('sku', 'varchar') }} as sku,
        {{ cast_csv_field('site_code', 'varchar') }} as site_code,
        {{ cast_csv_field('due_date', 'date') }} as due_date,
        {{ cast_csv_field('quantity', 'decimal(18,4)') }} as quantity,
        {{ cast_csv_field('snapshot_date', 'date') }} as snapshot_date,
        {{ cast_csv_field('updated_at', 'timestamp') }} as updated_at,
        _partition_month as snapshot_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

)

select * from renamed
