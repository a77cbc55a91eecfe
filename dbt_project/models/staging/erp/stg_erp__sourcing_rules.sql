-- Which stocking sites serve each sales region, and the share of the region's demand each one ships, as of month end.
-- Snapshot entity: every month delivers a full copy; all snapshots are kept, told apart
-- by snapshot_month.

with

source as (

    select * from {{ source('erp', 'sourcing_rules') }} as raw_rows
    where {{ exclude_quarantined('erp_sourcing_rules') }}

),

renamed as (

    select
        {{ cast_csv_field('region_code', 'varchar') }} as region_code,
        {{ cast_csv_field('site_code', 'varchar') }} as site_code,
        {{ cast_csv_field('demand_share', 'decimal(18,4)') }} as demand_share,
        {{ cast_csv_field('updated_at', 'timestamp') }} as updated_at,
        _partition_month as snapshot_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

)

select * from renamed
