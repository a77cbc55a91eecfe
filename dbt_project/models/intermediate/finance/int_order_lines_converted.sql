-- Sales-order lines valued in USD at the order month's rate, with the customer's region
-- (latest customer version) and the SKU's product family (latest item snapshot).

with

order_lines as (

    select * from {{ ref('stg_erp__sales_order_lines') }}

),

customers as (

    select * from {{ ref('stg_erp__customers') }}

),

items as (

    select * from {{ ref('int_items_filtered_to_latest_snapshot') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_usd_added') }}

),

order_lines_valued as (

    select
        order_lines.order_number,
        order_lines.order_line_number,
        order_lines.order_date,
        cast(date_trunc('month', order_lines.order_date) as date) as order_month,
        order_lines.customer_number,
        customers.region_code,
        order_lines.sku,
        items.product_family,
        order_lines.quantity,
        order_lines.unit_price,
        cast(order_lines.quantity as decimal(38,8)) * order_lines.unit_price as order_value,
        order_lines.currency_code,
        order_lines.crm_opportunity_id

    from order_lines
    left join customers
        on order_lines.customer_number = customers.customer_number
    left join items
        on order_lines.sku = items.sku

)

select
    order_lines_valued.*,
    fx_rates.usd_per_unit,
    {{ convert_to_usd('order_lines_valued.order_value', 'fx_rates.usd_per_unit') }}
        as order_value_usd

from order_lines_valued
left join fx_rates
    on order_lines_valued.currency_code = fx_rates.currency_code
    and order_lines_valued.order_month = fx_rates.rate_month
