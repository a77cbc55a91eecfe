-- Shipments (deliveries) of order lines made during the month.
-- Event entity: each key is delivered once, in the month it happened.

with

source as (

    select * from {{ source('erp', 'shipments') }} as raw_rows
    where {{ exclude_quarantined('erp_shipments') }}
      and {{ exclude_deleted('erp_shipments', ['shipment_number'], 'updated_at') }}

),

renamed as (

    select
        cast(shipment_number as varchar) as shipment_number,
        cast(order_number as varchar) as order_number,
        cast(line_number as bigint) as order_line_number,
        cast(ship_date as date) as ship_date,
        cast(site_code as varchar) as site_code,
        cast(quantity_shipped as decimal(18,4)) as quantity_shipped,
        cast(updated_at as timestamp) as updated_at,
        _partition_month as extract_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

)

select * from renamed
