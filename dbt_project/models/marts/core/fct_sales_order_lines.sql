-- Sales-order lines: one row per order line, in the order month, valued in the order
-- currency (quantity x net unit price) and in USD at the order month's rate.
-- Carries only attributes that never change after the line is entered (the customer key is
-- derived from the ERP customer number), so a month once built stays right: region, segment
-- and product family are joined from dim_customer and dim_product by the marts.
--
-- Incremental: an incremental run rebuilds the order months of the run's partition range
-- (pipeline.build_window, or the vars min_month / max_month by hand; delete+insert on
-- order_month); with neither, on the first build
-- and on --full-refresh every month is built (macro in_partition_range).

{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='order_month',
        on_schema_change='fail'
    )
}}

with

order_lines as (

    select * from {{ ref('int_order_lines_converted') }}

),

order_lines_in_range as (

    select *
    from order_lines
    where {{ in_partition_range('order_month') }}

),

order_line_details as (

    select * from {{ ref('stg_erp__sales_order_lines') }}

)

select
    cast(order_lines_in_range.order_number as varchar) as order_number,
    cast(order_lines_in_range.order_line_number as bigint) as order_line_number,
    cast(order_lines_in_range.order_date as date) as order_date,
    cast(order_lines_in_range.order_month as date) as order_month,
    cast(order_lines_in_range.customer_number as varchar) as erp_customer_number,
    cast({{ customer_key('order_lines_in_range.customer_number', 'null') }} as varchar) as customer_key,
    cast(order_lines_in_range.sku as varchar) as sku,
    cast(order_lines_in_range.quantity as decimal(18,4)) as quantity,
    cast(order_lines_in_range.unit_price as decimal(18,4)) as unit_price,
    cast(order_lines_in_range.currency_code as varchar) as currency_code,
    cast(order_lines_in_range.order_value as decimal(38,8)) as order_value,
    cast(order_lines_in_range.usd_per_unit as decimal(18,8)) as usd_per_unit,
    cast(order_lines_in_range.order_value_usd as decimal(38,8)) as order_value_usd,
    cast(order_line_details.requested_date as date) as requested_date,
    cast(order_line_details.promo_code as varchar) as promo_code,
    cast(order_line_details.promo_code is not null as boolean) as is_promo,
    cast(order_lines_in_range.crm_opportunity_id as varchar) as crm_opportunity_id

from order_lines_in_range
left join order_line_details
    on order_lines_in_range.order_number = order_line_details.order_number
    and order_lines_in_range.order_line_number = order_line_details.order_line_number
