-- Each rep's bookings quota for the month (ForecastingQuota).
-- Event entity: each key is delivered once, in the month it happened.

with

source as (

    select * from {{ source('crm', 'quotas') }} as raw_rows
    where {{ exclude_quarantined('crm_quotas') }}
      and {{ exclude_deleted('crm_quotas', ['Id'], 'LastModifiedDate') }}

),

renamed as (

    select
        {{ cast_csv_field('"Id"', 'varchar') }} as quota_id,
        {{ cast_csv_field('"QuotaOwnerId"', 'varchar') }} as quota_owner_id,
        {{ cast_csv_field('"StartDate"', 'date') }} as quota_month,
        {{ cast_csv_field('"QuotaAmount"', 'decimal(18,4)') }} as quota_amount,
        {{ cast_csv_field('"CurrencyIsoCode"', 'varchar') }} as currency_code,
        {{ cast_csv_field('"LastModifiedDate"', 'timestamp') }} as last_modified_at,
        _partition_month as extract_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

)

select * from renamed
