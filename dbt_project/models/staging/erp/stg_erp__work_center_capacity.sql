-- Capacity plan at month end: available hours per work center for the month and the 18 months after it.
-- Snapshot entity: every month delivers a full copy; all snapshots are kept, told apart
-- by snapshot_month (the plan as known at that month end).

with

source as (

    select * from {{ source('erp', 'work_center_capacity') }} as raw_rows
    where {{ exclude_quarantined('erp_work_center_capacity') }}

),

renamed as (

    select
        {{ cast_csv_field('work_center_id', 'varchar') }} as work_center_id,
        {{ cast_csv_field('work_center_name', 'varchar') }} as work_center_name,
        {{ cast_csv_field('site_code', 'varchar') }} as site_code,
        {{ cast_csv_field('capacity_month', 'date') }} as capacity_month,
        {{ cast_csv_field('available_hours', 'decimal(18,4)') }} as available_hours,
        {{ cast_csv_field('updated_at', 'timestamp') }} as updated_at,
        _partition_month as snapshot_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

)

select * from renamed
