-- Invoice headers issued during the month.
-- Event entity: each key is delivered once, in the month it happened.

with

source as (

    select * from {{ source('erp', 'invoices') }} as raw_rows
    where {{ exclude_quarantined('erp_invoices') }}
      and {{ exclude_deleted('erp_invoices', ['invoice_number'], 'updated_at') }}

),

renamed as (

    select
        cast(invoice_number as varchar) as invoice_number,
        cast(invoice_date as date) as invoice_date,
        cast(customer_number as varchar) as customer_number,
        cast(currency_code as varchar) as currency_code,
        cast(total_amount as decimal(18,4)) as total_amount,
        cast(updated_at as timestamp) as updated_at,
        _partition_month as extract_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

)

select * from renamed
