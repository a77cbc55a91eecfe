-- Sales territories and the region each belongs to.
-- Snapshot entity: every month delivers a full copy; all snapshots are kept, told apart
-- by snapshot_month.

with

source as (

    select * from {{ source('crm', 'territories') }} as raw_rows
    where {{ exclude_quarantined('crm_territories') }}

),

renamed as (

    select
        {{ cast_csv_field('"Id"', 'varchar') }} as territory_id,
        {{ cast_csv_field('"Name"', 'varchar') }} as territory_name,
        {{ cast_csv_field('"Region__c"', 'varchar') }} as region_code,
        {{ cast_csv_field('"CurrencyIsoCode"', 'varchar') }} as currency_code,
        {{ cast_csv_field('"LastModifiedDate"', 'timestamp') }} as last_modified_at,
        _partition_month as snapshot_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

)

select * from renamed
