-- Shipments: one row per shipment (delivery of one order line), in the ship month.
-- Shipment value = shipped quantity x the order line's net unit price, in the order
-- currency, and in USD at the ship month's rate of that currency. Customer and SKU come from
-- the order line shipped.
--
-- Incremental: an incremental run rebuilds the ship months of the run's partition range
-- (pipeline.build_window, or the vars min_month / max_month by hand; delete+insert on
-- ship_month); with neither, on the first build
-- and on --full-refresh every month is built (macro in_partition_range).

{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='ship_month',
        on_schema_change='fail'
    )
}}

with

shipments as (

    select * from {{ ref('stg_erp__shipments') }}

),

order_lines as (

    select * from {{ ref('stg_erp__sales_order_lines') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_usd_added') }}

),

shipments_in_range as (

    select
        shipments.*,
        cast(date_trunc('month', shipments.ship_date) as date) as ship_month
    from shipments
    where {{ in_partition_range("cast(date_trunc('month', shipments.ship_date) as date)") }}

),

shipments_valued as (

    select
        shipments_in_range.shipment_number,
        shipments_in_range.order_number,
        shipments_in_range.order_line_number,
        shipments_in_range.ship_date,
        shipments_in_range.ship_month,
        shipments_in_range.site_code,
        order_lines.customer_number,
        order_lines.sku,
        cast(date_trunc('month', order_lines.order_date) as date) as order_month,
        shipments_in_range.quantity_shipped,
        order_lines.unit_price,
        order_lines.currency_code,
        cast(shipments_in_range.quantity_shipped as decimal(38,8)) * order_lines.unit_price
            as shipment_value
    from shipments_in_range
    left join order_lines
        on shipments_in_range.order_number = order_lines.order_number
        and shipments_in_range.order_line_number = order_lines.order_line_number

)

select
    cast(shipments_valued.shipment_number as varchar) as shipment_number,
    cast(shipments_valued.order_number as varchar) as order_number,
    cast(shipments_valued.order_line_number as bigint) as order_line_number,
    cast(shipments_valued.ship_date as date) as ship_date,
    cast(shipments_valued.ship_month as date) as ship_month,
    cast(shipments_valued.order_month as date) as order_month,
    cast(shipments_valued.site_code as varchar) as site_code,
    cast(shipments_valued.customer_number as varchar) as erp_customer_number,
    cast({{ customer_key('shipments_valued.customer_number', 'null') }} as varchar) as customer_key,
    cast(shipments_valued.sku as varchar) as sku,
    cast(shipments_valued.quantity_shipped as decimal(18,4)) as quantity_shipped,
    cast(shipments_valued.unit_price as decimal(18,4)) as unit_price,
    cast(shipments_valued.currency_code as varchar) as currency_code,
    cast(shipments_valued.shipment_value as decimal(38,8)) as shipment_value,
    cast(fx_rates.usd_per_unit as decimal(18,8)) as usd_per_unit,
    cast(
        {{ convert_to_usd('shipments_valued.shipment_value', 'fx_rates.usd_per_unit') }}
        as decimal(38,8)
    ) as shipment_value_usd

from shipments_valued
left join fx_rates
    on shipments_valued.currency_code = fx_rates.currency_code
    and shipments_valued.ship_month = fx_rates.rate_month
