-- Customer revenue per customer and month: billings, trailing-12-month billings (the month
-- and the 11 before it), the rank by trailing-12-month billings within the month, top-20
-- flag and the lifecycle flags that retention reporting counts:
--
--   active    billed in the trailing 12 months (trailing_12m_billings_usd > 0);
--   is_new    the month of the customer's first invoice;
--   is_retained  active this month and active 12 months earlier;
--   is_churned   active last month and no longer active this month (the first month after
--             12 months without an invoice).
--
-- One row per ERP-billed customer and month from its first invoice month to the last invoice
-- month in the data. has_complete_windows tells whether both this month's and the
-- year-earlier trailing windows lie inside the invoiced history (earlier months understate
-- trailing figures because history before the first month is not loaded).

with

invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

customers as (

    select * from {{ ref('dim_customer') }}

),

billings_monthly as (

    select
        customer_key,
        invoice_month as revenue_month,
        sum(net_amount_usd) as billings_usd
    from invoice_lines
    group by all

),

data_range as (

    select
        min(revenue_month) as first_month,
        max(revenue_month) as last_month
    from billings_monthly

),

customer_grid as (

    select
        firsts.customer_key,
        firsts.first_billing_month,
        cast(generated.revenue_month as date) as revenue_month
    from (
        select customer_key, min(revenue_month) as first_billing_month
        from billings_monthly
        group by all
    ) as firsts
    cross join data_range
    cross join generate_series(
        cast(firsts.first_billing_month as timestamp),
        cast(data_range.last_month as timestamp),
        interval 1 month
    ) as generated (revenue_month)

),

trailing_billings as (

    select
        customer_grid.customer_key,
        customer_grid.revenue_month,
        customer_grid.first_billing_month,
        coalesce(billings_monthly.billings_usd, 0) as billings_usd,
        sum(coalesce(billings_monthly.billings_usd, 0)) over (
            partition by customer_grid.customer_key
            order by customer_grid.revenue_month
            range between interval 11 month preceding and current row
        ) as trailing_12m_billings_usd
    from customer_grid
    left join billings_monthly
        on customer_grid.customer_key = billings_monthly.customer_key
        and customer_grid.revenue_month = billings_monthly.revenue_month

),

with_history as (

    select
        trailing_billings.*,
        coalesce(year_ago.trailing_12m_billings_usd, 0) as trailing_12m_billings_usd_year_ago,
        coalesce(previous_month.trailing_12m_billings_usd, 0) as trailing_12m_billings_usd_previous_month
    from trailing_billings
    left join trailing_billings as year_ago
        on trailing_billings.customer_key = year_ago.customer_key
        and year_ago.revenue_month = trailing_billings.revenue_month - interval 12 month
    left join trailing_billings as previous_month
        on trailing_billings.customer_key = previous_month.customer_key
        and previous_month.revenue_month = trailing_billings.revenue_month - interval 1 month

),

ranked as (

    select
        with_history.*,
        case
            when trailing_12m_billings_usd > 0 then rank() over (
                partition by revenue_month
                order by case when trailing_12m_billings_usd > 0 then 0 else 1 end,
                    trailing_12m_billings_usd desc
            )
        end as trailing_12m_rank
    from with_history

)

select
    cast(ranked.customer_key as varchar) as customer_key,
    cast(ranked.revenue_month as date) as revenue_month,
    cast(customers.customer_name as varchar) as customer_name,
    cast(customers.region_code as varchar) as region_code,
    cast(customers.segment as varchar) as segment,
    cast(round(ranked.billings_usd, 2) as decimal(18,2)) as billings_usd,
    cast(round(ranked.trailing_12m_billings_usd, 2) as decimal(18,2)) as trailing_12m_billings_usd,
    cast(round(ranked.trailing_12m_billings_usd_year_ago, 2) as decimal(18,2))
        as trailing_12m_billings_usd_year_ago,
    cast(ranked.trailing_12m_rank as bigint) as trailing_12m_rank,
    cast(coalesce(ranked.trailing_12m_rank <= 20, false) as boolean) as is_top_20,
    cast(ranked.trailing_12m_billings_usd > 0 as boolean) as is_active,
    cast(ranked.trailing_12m_billings_usd_year_ago > 0 as boolean) as was_active_year_ago,
    cast(ranked.revenue_month = ranked.first_billing_month as boolean) as is_new,
    cast(ranked.trailing_12m_billings_usd > 0 and ranked.trailing_12m_billings_usd_year_ago > 0 as boolean)
        as is_retained,
    cast(ranked.trailing_12m_billings_usd <= 0 and ranked.trailing_12m_billings_usd_previous_month > 0 as boolean)
        as is_churned,
    cast(ranked.first_billing_month as date) as first_billing_month,
    cast(ranked.revenue_month >= data_range.first_month + interval 23 month as boolean)
        as has_complete_windows

from ranked
cross join data_range
left join customers
    on ranked.customer_key = customers.customer_key
order by revenue_month, customer_key
