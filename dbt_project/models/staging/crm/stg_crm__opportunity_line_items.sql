-- Products on an opportunity, delivered in the month the opportunity was created.
-- Event entity: each key is delivered once, in the month it happened.

with

source as (

    select * from {{ source('crm', 'opportunity_line_items') }} as raw_rows
    where {{ exclude_quarantined('crm_opportunity_line_items') }}
      and {{ exclude_deleted('crm_opportunity_line_items', ['Id'], 'CreatedDate') }}

),

renamed as (

    select
        {{ cast_csv_field('"Id"', 'varchar') }} as opportunity_line_item_id,
        {{ cast_csv_field('"OpportunityId"', 'varchar') }} as opportunity_id,
        {{ cast_csv_field('"ProductCode"', 'varchar') }} as sku,
        {{ cast_csv_field('"Quantity"', 'decimal(18,4)') }} as quantity,
        {{ cast_csv_field('"UnitPrice"', 'decimal(18,4)') }} as unit_price,
        {{ cast_csv_field('"TotalPrice"', 'decimal(18,4)') }} as total_price,
        {{ cast_csv_field('"CurrencyIsoCode"', 'varchar') }} as currency_code,
        {{ cast_csv_field('"CreatedDate"', 'timestamp') }} as created_at,
        _partition_month as extract_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

)

select * from renamed
