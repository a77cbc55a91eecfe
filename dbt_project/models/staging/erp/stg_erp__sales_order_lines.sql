-- Sales-order lines entered during the month.
-- Event entity: each key is delivered once, in the month it happened.

with

source as (

    select * from {{ source('erp', 'sales_order_lines') }} as raw_rows
    where {{ exclude_quarantined('erp_sales_order_lines') }}
      and {{ exclude_deleted('erp_sales_order_lines', ['order_number', 'line_number'], 'updated_at') }}

),

renamed as (

    select
        cast(order_number as varchar) as order_number,
        cast(line_number as bigint) as order_line_number,
        cast(order_date as date) as order_date,
        cast(customer_number as varchar) as customer_number,
        cast(sku as varchar) as sku,
        cast(quantity as decimal(18,4)) as quantity,
        cast(unit_price as decimal(18,4)) as unit_price,
        cast(currency_code as varchar) as currency_code,
        cast(requested_date as date) as requested_date,
        cast(promo_code as varchar) as promo_code,
        cast(crm_opportunity_id as varchar) as crm_opportunity_id,
        cast(updated_at as timestamp) as updated_at,
        _partition_month as extract_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

)

select * from renamed
