-- Customer retention per month and sales region, from customer_revenue_monthly:
--
--   active_customers              billed in the trailing 12 months;
--   active_customers_year_ago     active 12 months earlier (the retention cohort);
--   retained_customers            of that cohort, still active;
--   customer_retention_rate       retained / active a year ago;
--   gross_revenue_retention (GRR) sum over the cohort of min(trailing-12-month billings now,
--                                 a year ago) / their trailing-12-month billings a year ago;
--   net_revenue_retention (NRR)   trailing-12-month billings now of the cohort / their
--                                 trailing-12-month billings a year ago (expansion counts).
-- Ratios are null when the cohort is empty. Region is the customer's current region.

with

customer_months as (

    select * from {{ ref('customer_revenue_monthly') }}

)

select
    cast(revenue_month as date) as revenue_month,
    cast(region_code as varchar) as region_code,
    cast(count(*) filter (where is_active) as bigint) as active_customers,
    cast(count(*) filter (where was_active_year_ago) as bigint) as active_customers_year_ago,
    cast(count(*) filter (where is_retained) as bigint) as retained_customers,
    cast(count(*) filter (where is_new) as bigint) as new_customers,
    cast(count(*) filter (where is_churned) as bigint) as churned_customers,
    cast(round(sum(billings_usd), 2) as decimal(18,2)) as billings_usd,
    cast(round(sum(trailing_12m_billings_usd), 2) as decimal(18,2)) as trailing_12m_billings_usd,
    cast(round(sum(trailing_12m_billings_usd_year_ago), 2) as decimal(18,2))
        as cohort_trailing_12m_billings_usd_year_ago,
    cast(round(sum(trailing_12m_billings_usd) filter (where was_active_year_ago), 2) as decimal(18,2))
        as cohort_trailing_12m_billings_usd,
    cast(
        count(*) filter (where is_retained)
        / nullif(count(*) filter (where was_active_year_ago), 0)
        as double
    ) as customer_retention_rate,
    cast(
        sum(least(trailing_12m_billings_usd, trailing_12m_billings_usd_year_ago)) filter (where was_active_year_ago)
        / nullif(sum(trailing_12m_billings_usd_year_ago) filter (where was_active_year_ago), 0)
        as double
    ) as gross_revenue_retention,
    cast(
        sum(trailing_12m_billings_usd) filter (where was_active_year_ago)
        / nullif(sum(trailing_12m_billings_usd_year_ago) filter (where was_active_year_ago), 0)
        as double
    ) as net_revenue_retention,
    cast(bool_and(has_complete_windows) as boolean) as has_complete_windows

from customer_months
group by revenue_month, region_code
order by revenue_month, region_code
