-- Opportunities created or changed during the month, in their state at month end.
-- Delta entity: a key appears once per month in which it changed; only its latest
-- version is kept (latest LastModifiedDate, then latest extract month).

with

source as (

    select * from {{ source('crm', 'opportunities') }} as raw_rows
    where {{ exclude_quarantined('crm_opportunities') }}
      and {{ exclude_deleted('crm_opportunities', ['Id'], 'LastModifiedDate') }}

),

renamed as (

    select
        {{ cast_csv_field('"Id"', 'varchar') }} as opportunity_id,
        {{ cast_csv_field('"Name"', 'varchar') }} as opportunity_name,
        {{ cast_csv_field('"AccountId"', 'varchar') }} as account_id,
        {{ cast_csv_field('"OwnerId"', 'varchar') }} as owner_id,
        {{ cast_csv_field('"Type"', 'varchar') }} as opportunity_type,
        {{ cast_csv_field('"LeadSource"', 'varchar') }} as lead_source,
        {{ cast_csv_field('"StageName"', 'varchar') }} as stage_name,
        {{ cast_csv_field('"Amount"', 'decimal(18,4)') }} as amount,
        {{ cast_csv_field('"CurrencyIsoCode"', 'varchar') }} as currency_code,
        {{ cast_csv_field('"Probability"', 'bigint') }} as probability,
        {{ cast_csv_field('"ForecastCategoryName"', 'varchar') }} as forecast_category,
        {{ cast_csv_field('"CloseDate"', 'date') }} as close_date,
        {{ cast_csv_field('"IsClosed"', 'boolean') }} as is_closed,
        {{ cast_csv_field('"IsWon"', 'boolean') }} as is_won,
        {{ cast_csv_field('"CreatedDate"', 'timestamp') }} as created_at,
        {{ cast_csv_field('"LastModifiedDate"', 'timestamp') }} as last_modified_at,
        _partition_month as extract_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

),

latest_version as (

    select * from renamed
    qualify row_number() over (
        partition by opportunity_id
        order by last_modified_at desc, extract_month desc, source_row desc
    ) = 1

)

select * from latest_version
