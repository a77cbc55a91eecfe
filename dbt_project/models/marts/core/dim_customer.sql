-- The conformed customer dimension: one row per customer across CRM and ERP.
-- Every CRM account (latest version) and every ERP customer (latest version) appears exactly
-- once, matched into one row where int_customers_matched found a pair. Descriptive fields
-- prefer the CRM for what sales maintains (name, segment, industry, territory) and the ERP
-- for where the customer is invoiced (region, country), so that ERP order and invoice lines
-- keep the region the ERP gives them. First and last order and invoice months come from the
-- ERP order and invoice lines.

with

matched_customers as (

    select * from {{ ref('int_customers_matched') }}

),

order_lines as (

    select * from {{ ref('stg_erp__sales_order_lines') }}

),

invoice_lines as (

    select * from {{ ref('int_invoice_lines_converted') }}

),

order_months as (

    select
        customer_number,
        cast(min(date_trunc('month', order_date)) as date) as first_order_month,
        cast(max(date_trunc('month', order_date)) as date) as last_order_month
    from order_lines
    group by 1

),

invoice_months as (

    select
        customer_number,
        cast(min(invoice_month) as date) as first_invoice_month,
        cast(max(invoice_month) as date) as last_invoice_month
    from invoice_lines
    group by 1

)

select
    cast(matched_customers.customer_key as varchar) as customer_key,
    cast(matched_customers.crm_account_id as varchar) as crm_account_id,
    cast(matched_customers.erp_customer_number as varchar) as erp_customer_number,
    cast(coalesce(matched_customers.account_name, matched_customers.erp_customer_name) as varchar)
        as customer_name,
    cast(matched_customers.erp_customer_name as varchar) as erp_customer_name,
    cast(matched_customers.normalized_name as varchar) as normalized_name,
    cast(coalesce(matched_customers.segment, 'Unassigned') as varchar) as segment,
    cast(matched_customers.industry as varchar) as industry,
    cast(coalesce(matched_customers.erp_country_code, matched_customers.billing_country_code) as varchar)
        as country_code,
    cast(coalesce(matched_customers.erp_region_code, matched_customers.account_region_code) as varchar)
        as region_code,
    cast(matched_customers.territory_id as varchar) as territory_id,
    cast(matched_customers.account_region_code as varchar) as territory_region_code,
    cast(matched_customers.owner_id as varchar) as account_owner_id,
    cast(matched_customers.erp_currency_code as varchar) as erp_currency_code,
    cast(matched_customers.match_method as varchar) as match_method,
    cast(matched_customers.match_confidence as decimal(3,2)) as match_confidence,
    cast(matched_customers.crm_account_id is not null and matched_customers.erp_customer_number is not null as boolean)
        as is_matched,
    cast(order_months.first_order_month as date) as first_order_month,
    cast(order_months.last_order_month as date) as last_order_month,
    cast(invoice_months.first_invoice_month as date) as first_invoice_month,
    cast(invoice_months.last_invoice_month as date) as last_invoice_month

from matched_customers
left join order_months
    on matched_customers.erp_customer_number = order_months.customer_number
left join invoice_months
    on matched_customers.erp_customer_number = invoice_months.customer_number
