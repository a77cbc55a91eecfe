{#
    Control totals recomputed from staging alone, shared by the reconciliation tests that hold
    the facts and the marts to them: nothing lost or counted twice across joins.

    - control_billings_by_month(): invoice lines in their invoice month, net amount at that
      month's published rate of the line currency (USD at par); columns control_month,
      billings_usd, billed_units, invoice_lines.
    - control_bookings_by_month(): line items of opportunities whose latest state is won, in
      their close month, total price at that month's rate of the line currency (USD at par);
      columns control_month, bookings_usd, booked_units, line_items.

    Usage: `expected as ( {{ control_billings_by_month() }} )`
#}

{% macro control_billings_by_month() -%}
    select
        cast(date_trunc('month', invoices.invoice_date) as date) as control_month,
        sum(
            cast(invoice_lines.net_amount as double)
            * cast(
                coalesce(fx_rates.usd_per_unit, case when invoice_lines.currency_code = 'USD' then 1 end)
                as double
            )
        ) as billings_usd,
        sum(invoice_lines.quantity) as billed_units,
        count(*) as invoice_lines

    from {{ ref('stg_erp__invoice_lines') }} as invoice_lines
    inner join {{ ref('stg_erp__invoices') }} as invoices
        on invoice_lines.invoice_number = invoices.invoice_number
    left join {{ ref('stg_market__fx_rates') }} as fx_rates
        on invoice_lines.currency_code = fx_rates.currency_code
        and date_trunc('month', invoices.invoice_date) = fx_rates.rate_month
    group by 1
{%- endmacro %}

{% macro control_bookings_by_month() -%}
    select
        cast(date_trunc('month', opportunities.close_date) as date) as control_month,
        sum(
            cast(line_items.total_price as double)
            * cast(
                coalesce(fx_rates.usd_per_unit, case when line_items.currency_code = 'USD' then 1 end)
                as double
            )
        ) as bookings_usd,
        sum(line_items.quantity) as booked_units,
        count(*) as line_items

    from {{ ref('stg_crm__opportunity_line_items') }} as line_items
    inner join {{ ref('stg_crm__opportunities') }} as opportunities
        on line_items.opportunity_id = opportunities.opportunity_id
    left join {{ ref('stg_market__fx_rates') }} as fx_rates
        on line_items.currency_code = fx_rates.currency_code
        and date_trunc('month', opportunities.close_date) = fx_rates.rate_month
    where opportunities.is_won and opportunities.is_closed
    group by 1
{%- endmacro %}
