-- Control total: for every month, the billings in fct_invoice_lines equal the invoice lines
-- as delivered (staged 1:1 from raw) valued at that month's published rate of the line
-- currency (USD at par), with the same line count and units: nothing lost or counted twice
-- across joins. Returns the months that do not reconcile.
{{ config(meta={'dagster': {'ref': {'name': 'fct_invoice_lines'}}}) }}

with

invoice_lines as (

    select * from {{ ref('stg_erp__invoice_lines') }}

),

invoices as (

    select * from {{ ref('stg_erp__invoices') }}

),

fx_rates as (

    select * from {{ ref('stg_market__fx_rates') }}

),

expected as (

    select
        cast(date_trunc('month', invoices.invoice_date) as date) as invoice_month,
        sum(
            cast(invoice_lines.net_amount as double)
            * cast(coalesce(fx_rates.usd_per_unit, case when invoice_lines.currency_code = 'USD' then 1 end) as double)
        ) as billings_usd,
        sum(invoice_lines.quantity) as billed_units,
        count(*) as invoice_lines
    from invoice_lines
    inner join invoices
        on invoice_lines.invoice_number = invoices.invoice_number
    left join fx_rates
        on invoice_lines.currency_code = fx_rates.currency_code
        and date_trunc('month', invoices.invoice_date) = fx_rates.rate_month
    group by 1

),

actual as (

    select
        invoice_month,
        sum(net_amount_usd) as billings_usd,
        sum(quantity) as billed_units,
        count(*) as invoice_lines
    from {{ ref('fct_invoice_lines') }}
    group by 1

)

select
    coalesce(expected.invoice_month, actual.invoice_month) as invoice_month,
    expected.billings_usd as expected_billings_usd,
    actual.billings_usd as actual_billings_usd,
    expected.invoice_lines as expected_invoice_lines,
    actual.invoice_lines as actual_invoice_lines
from expected
full outer join actual
    on expected.invoice_month = actual.invoice_month
where coalesce(expected.invoice_lines, 0) <> coalesce(actual.invoice_lines, 0)
    or coalesce(expected.billed_units, 0) <> coalesce(actual.billed_units, 0)
    or expected.billings_usd is null
    or abs(coalesce(actual.billings_usd, 0) - expected.billings_usd) > 0.01
