-- Hours each SKU needs on its work center, as of month end.
-- Snapshot entity: every month delivers a full copy; all snapshots are kept, told apart
-- by snapshot_month.

with

source as (

    select * from {{ source('erp', 'routings') }} as raw_rows
    where {{ exclude_quarantined('erp_routings') }}

),

renamed as (

    select
        {{ cast_csv_field('sku', 'varchar') }} as sku,
        {{ cast_csv_field('work_center_id', 'varchar') }} as work_center_id,
        {{ cast_csv_field('hours_per_unit', 'decimal(18,4)') }} as hours_per_unit,
        {{ cast_csv_field('updated_at', 'timestamp') }} as updated_at,
        _partition_month as snapshot_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

)

select * from renamed
