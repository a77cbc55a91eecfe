-- ERP customer master rows created or changed during the month.
-- Delta entity: a key appears once per month in which it changed; only its latest
-- version is kept (latest updated_at, then latest extract month).

with

source as (

    select * from {{ source('erp', 'customers') }} as raw_rows
    where {{ exclude_quarantined('erp_customers') }}
      and {{ exclude_deleted('erp_customers', ['customer_number'], 'updated_at') }}

),

renamed as (

    select
        {{ cast_csv_field('customer_number', 'varchar') }} as customer_number,
        {{ cast_csv_field('customer_name', 'varchar') }} as customer_name,
        {{ cast_csv_field('country_code', 'varchar') }} as country_code,
        {{ cast_csv_field('region_code', 'varchar') }} as region_code,
        {{ cast_csv_field('currency_code', 'varchar') }} as currency_code,
        {{ cast_csv_field('payment_terms', 'varchar') }} as payment_terms,
        {{ cast_csv_field('created_at', 'timestamp') }} as created_at,
        {{ cast_csv_field('updated_at', 'timestamp') }} as updated_at,
        _partition_month as extract_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

),

latest_version as (

    select * from renamed
    qualify row_number() over (
        partition by customer_number
        order by updated_at desc, extract_month desc, source_row desc
    ) = 1

)

select * from latest_version
