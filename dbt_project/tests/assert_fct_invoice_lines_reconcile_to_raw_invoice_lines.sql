-- Control total: for every month, the billings in fct_invoice_lines equal the invoice lines
-- as delivered (staged 1:1 from raw) valued at that month's published rate of the line
-- currency (USD at par), with the same line count and units: nothing lost or counted twice
-- across joins. Returns the months that do not reconcile.
{{ config(meta={'dagster': {'ref': {'name': 'fct_invoice_lines'}}}) }}

with

expected as (

    select
        control_month as invoice_month,
        expected_totals.* exclude (control_month)
    from ({{ control_billings_by_month() }}) as expected_totals

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
