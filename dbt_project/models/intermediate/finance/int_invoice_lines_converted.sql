-- Invoice lines with their invoice's date and customer, valued in USD at the invoice
-- month's rate of the line currency, with the customer's region (latest customer version)
-- and the SKU's product family (latest item snapshot).

with

invoice_lines as (

    select * from {{ ref('stg_erp__invoice_lines') }}

),

invoices as (

    select * from {{ ref('stg_erp__invoices') }}

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

invoice_lines_with_header as (

    select
        invoice_lines.invoice_number,
        invoice_lines.invoice_line_number,
        invoices.invoice_date,
        cast(date_trunc('month', invoices.invoice_date) as date) as invoice_month,
        invoices.customer_number,
        customers.region_code,
        invoice_lines.shipment_number,
        invoice_lines.order_number,
        invoice_lines.order_line_number,
        invoice_lines.sku,
        items.product_family,
        invoice_lines.quantity,
        invoice_lines.net_amount,
        invoice_lines.currency_code

    from invoice_lines
    left join invoices
        on invoice_lines.invoice_number = invoices.invoice_number
    left join customers
        on invoices.customer_number = customers.customer_number
    left join items
        on invoice_lines.sku = items.sku

)

select
    invoice_lines_with_header.*,
    fx_rates.usd_per_unit,
    {{ convert_to_usd('invoice_lines_with_header.net_amount', 'fx_rates.usd_per_unit') }}
        as net_amount_usd

from invoice_lines_with_header
left join fx_rates
    on invoice_lines_with_header.currency_code = fx_rates.currency_code
    and invoice_lines_with_header.invoice_month = fx_rates.rate_month
