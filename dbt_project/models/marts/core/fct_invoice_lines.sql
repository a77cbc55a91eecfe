-- Invoice lines: one row per invoice line, in the invoice month (from the invoice header),
-- net amount in the line currency and in USD at the invoice month's rate. This is billings.
-- Customer is the invoiced ERP customer; region, segment and product family are joined from
-- dim_customer and dim_product by the marts.
--
-- Incremental: an incremental run rebuilds the invoice months of the run's partition range
-- (pipeline.build_window, or the vars min_month / max_month by hand; delete+insert on
-- invoice_month); with neither, on the first build
-- and on --full-refresh every month is built (macro in_partition_range).

{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='invoice_month',
        on_schema_change='fail'
    )
}}

with

invoice_lines as (

    select * from {{ ref('int_invoice_lines_converted') }}

),

invoice_lines_in_range as (

    select *
    from invoice_lines
    where {{ in_partition_range('invoice_month') }}

)

select
    cast(invoice_number as varchar) as invoice_number,
    cast(invoice_line_number as bigint) as invoice_line_number,
    cast(invoice_date as date) as invoice_date,
    cast(invoice_month as date) as invoice_month,
    cast(customer_number as varchar) as erp_customer_number,
    cast({{ customer_key('customer_number', 'null') }} as varchar) as customer_key,
    cast(shipment_number as varchar) as shipment_number,
    cast(order_number as varchar) as order_number,
    cast(order_line_number as bigint) as order_line_number,
    cast(sku as varchar) as sku,
    cast(quantity as decimal(18,4)) as quantity,
    cast(net_amount as decimal(18,4)) as net_amount,
    cast(currency_code as varchar) as currency_code,
    cast(usd_per_unit as decimal(18,8)) as usd_per_unit,
    cast(net_amount_usd as decimal(38,8)) as net_amount_usd

from invoice_lines_in_range
