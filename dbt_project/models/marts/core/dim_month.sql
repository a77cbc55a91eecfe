-- The month calendar with a fiscal calendar: one row per month from the first month any source
-- touches (order, invoice and FX months, opportunity creation and close months) to the later of
-- the last such month (future close dates of open opportunities find their month) and the end of
-- the fiscal year after the last FX month, the last month closed (so next year's sales plan has
-- its twelve months).
--
-- The fiscal year starts in the month given by the dbt var `fiscal_year_start_month`
-- (1 = January, the default: fiscal = calendar year). A fiscal year is named by the calendar
-- year in which it ends: with a start in April, 2022-04 .. 2023-03 is FY2023.

{% set fiscal_start = var('fiscal_year_start_month', 1) | int %}

with

order_lines as (

    select * from {{ ref('stg_erp__sales_order_lines') }}

),

invoices as (

    select * from {{ ref('stg_erp__invoices') }}

),

opportunities as (

    select * from {{ ref('stg_crm__opportunities') }}

),

fx_rates as (

    select * from {{ ref('stg_market__fx_rates') }}

),

data_months as (

    select cast(date_trunc('month', order_date) as date) as month_start from order_lines
    union all
    select cast(date_trunc('month', invoice_date) as date) from invoices
    union all
    select cast(date_trunc('month', created_at) as date) from opportunities
    union all
    select cast(date_trunc('month', close_date) as date) from opportunities
    union all
    select cast(rate_month as date) from fx_rates

),

last_closed as (

    select cast(max(rate_month) as date) as closed_month from fx_rates

),

month_range as (

    select
        min(data_months.month_start) as first_month,
        greatest(
            max(data_months.month_start),
            -- the last month of the fiscal year after the one the last closed month falls in
            any_value(
                last_closed.closed_month
                + to_months(
                    cast(
                        (({{ fiscal_start }} - 1 - month(last_closed.closed_month) + 12) % 12) + 12
                        as integer
                    )
                )
            )
        ) as last_month
    from data_months, last_closed
    where data_months.month_start is not null

),

months as (

    select cast(generated.month_start as date) as month_start
    from month_range,
        generate_series(
            cast(month_range.first_month as timestamp),
            cast(month_range.last_month as timestamp),
            interval 1 month
        ) as generated (month_start)

),

calendar as (

    select
        month_start,
        year(month_start) as calendar_year,
        quarter(month_start) as calendar_quarter,
        month(month_start) as calendar_month,
        -- months since the fiscal year began, 0..11
        (month(month_start) - {{ fiscal_start }} + 12) % 12 as fiscal_month_offset
    from months

)

select
    cast(month_start as date) as month_start,
    cast(last_day(month_start) as date) as month_end,
    cast(calendar_year as integer) as calendar_year,
    cast(calendar_quarter as integer) as calendar_quarter,
    cast(calendar_month as integer) as calendar_month,
    cast(
        year(month_start)
        + case when {{ fiscal_start }} > 1 and month(month_start) >= {{ fiscal_start }} then 1 else 0 end
        as integer
    ) as fiscal_year,
    cast(fiscal_month_offset // 3 + 1 as integer) as fiscal_quarter,
    cast(fiscal_month_offset + 1 as integer) as fiscal_month,
    cast(strftime(month_start, '%Y-%m') as varchar) as month_label,
    cast(strftime(month_start, '%b %Y') as varchar) as month_name_label,
    cast(
        'FY' || (
            year(month_start)
            + case when {{ fiscal_start }} > 1 and month(month_start) >= {{ fiscal_start }} then 1 else 0 end
        )
        || '-Q' || (fiscal_month_offset // 3 + 1)
        as varchar
    ) as fiscal_quarter_label,
    cast(
        'FY' || (
            year(month_start)
            + case when {{ fiscal_start }} > 1 and month(month_start) >= {{ fiscal_start }} then 1 else 0 end
        )
        || '-P' || lpad(cast(fiscal_month_offset + 1 as varchar), 2, '0')
        as varchar
    ) as fiscal_month_label,
    cast({{ fiscal_start }} as integer) as fiscal_year_start_month

from calendar
order by month_start
