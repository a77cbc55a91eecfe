-- Stage, amount and close-date changes of opportunities (OpportunityHistory).
-- Event entity: each key is delivered once, in the month it happened.

with

source as (

    select * from {{ source('crm', 'opportunity_history') }} as raw_rows
    where {{ exclude_quarantined('crm_opportunity_history') }}
      and {{ exclude_deleted('crm_opportunity_history', ['Id'], 'CreatedDate') }}

),

renamed as (

    select
        {{ cast_csv_field('"Id"', 'varchar') }} as opportunity_history_id,
        {{ cast_csv_field('"OpportunityId"', 'varchar') }} as opportunity_id,
        {{ cast_csv_field('"StageName"', 'varchar') }} as stage_name,
        {{ cast_csv_field('"Amount"', 'decimal(18,4)') }} as amount,
        {{ cast_csv_field('"Probability"', 'bigint') }} as probability,
        {{ cast_csv_field('"ForecastCategory"', 'varchar') }} as forecast_category,
        {{ cast_csv_field('"CloseDate"', 'date') }} as close_date,
        {{ cast_csv_field('"CreatedDate"', 'timestamp') }} as changed_at,
        _partition_month as extract_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

)

select * from renamed
