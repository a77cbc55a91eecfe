-- Invoice lines issued during the month, one per shipment.
-- Event entity: each key is delivered once, in the month it happened.

with

source as (

    select * from {{ source('erp', 'invoice_lines') }} as raw_rows
    where {{ exclude_quarantined('erp_invoice_lines') }}
      and {{ exclude_deleted('erp_invoice_lines', ['invoice_number', 'invoice_line'], 'updated_at') }}

),

renamed as (

    select
        cast(invoice_number as varchar) as invoice_number,
        cast(invoice_line as bigint) as invoice_line_number,
        cast(shipment_number as varchar) as shipment_number,
        cast(order_number as varchar) as order_number,
        cast(line_number as bigint) as order_line_number,
        cast(sku as varchar) as sku,
        cast(quantity as decimal(18,4)) as quantity,
        cast(net_amount as decimal(18,4)) as net_amount,
        cast(currency_code as varchar) as currency_code,
        cast(updated_at as timestamp) as updated_at,
        _partition_month as extract_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

)

select * from renamed
