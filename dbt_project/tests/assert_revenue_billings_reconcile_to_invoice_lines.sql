-- Billings in the revenue mart reconcile, month by month, to the invoice lines converted at
-- the invoice month's rate of the line currency, recomputed here from staging alone.
-- The mart rounds every row to cents, so a month may differ by half a cent per mart row.
-- Returns the months that do not reconcile.
-- Reported as a check on the revenue mart.
{{ config(meta={'dagster': {'ref': {'name': 'revenue_by_region_family_monthly'}}}) }}

with

expected as (

    select
        control_month as revenue_month,
        expected_totals.* exclude (control_month)
    from ({{ control_billings_by_month() }}) as expected_totals

),

actual as (

    select
        revenue_month,
        sum(billings_usd) as billings_usd,
        sum(billed_units) as billed_units,
        sum(invoice_lines) as invoice_lines,
        count(*) as mart_rows

    from {{ ref('revenue_by_region_family_monthly') }}
    group by 1

)

select
    coalesce(expected.revenue_month, actual.revenue_month) as revenue_month,
    expected.billings_usd as expected_billings_usd,
    actual.billings_usd as actual_billings_usd,
    expected.billed_units as expected_billed_units,
    actual.billed_units as actual_billed_units,
    expected.invoice_lines as expected_invoice_lines,
    actual.invoice_lines as actual_invoice_lines

from expected
full outer join actual
    on expected.revenue_month = actual.revenue_month
where coalesce(actual.invoice_lines, 0) <> coalesce(expected.invoice_lines, 0)
    or coalesce(actual.billed_units, 0) <> coalesce(expected.billed_units, 0)
    or expected.billings_usd is null and actual.invoice_lines > 0
    or abs(coalesce(actual.billings_usd, 0) - coalesce(expected.billings_usd, 0))
        > 0.005 * coalesce(actual.mart_rows, 1) + 0.000001
