-- Bookings-to-billings reconciliation per customer and month: what was booked (won in the
-- CRM), ordered, shipped and invoiced, in USD, and what is still in between at month end:
--
--   order_backlog_usd       ordered but not yet shipped: cumulative order value minus
--                           cumulative shipment value (both at the order line's unit price,
--                           in the transaction currency), revalued at the month's rate;
--   unbilled_shipments_usd  shipped but not yet invoiced: cumulative shipment value minus
--                           cumulative invoiced net amount, revalued at the month's rate.
--
-- One row per customer and month from the customer's first activity to the last month in the
-- data, so the backlog of quiet months is visible. Flows convert at their own month's rate.

with

bookings_lines as (

    select * from {{ ref('fct_bookings') }}

),

order_lines as (

    select * from {{ ref('fct_sales_order_lines') }}

),

shipments as (

    select * from {{ ref('fct_shipments') }}

),

invoice_lines as (

    select * from {{ ref('fct_invoice_lines') }}

),

customers as (

    select * from {{ ref('dim_customer') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates_usd_added') }}

),

-- flows per customer, transaction currency and month
erp_flows as (

    select
        customer_key, currency_code, order_month as revenue_month,
        order_value_usd as orders_usd, quantity as ordered_units, order_value as ordered_value,
        0 as shipped_usd, 0 as shipped_units, 0 as shipped_value,
        0 as billings_usd, 0 as billed_units, 0 as billed_value
    from order_lines
    union all
    select
        customer_key, currency_code, ship_month,
        0, 0, 0,
        shipment_value_usd, quantity_shipped, shipment_value,
        0, 0, 0
    from shipments
    union all
    select
        customer_key, currency_code, invoice_month,
        0, 0, 0,
        0, 0, 0,
        net_amount_usd, quantity, net_amount
    from invoice_lines

),

erp_flows_monthly as (

    select
        customer_key,
        currency_code,
        revenue_month,
        sum(orders_usd) as orders_usd,
        sum(ordered_units) as ordered_units,
        sum(ordered_value) as ordered_value,
        sum(shipped_usd) as shipped_usd,
        sum(shipped_units) as shipped_units,
        sum(shipped_value) as shipped_value,
        sum(billings_usd) as billings_usd,
        sum(billed_units) as billed_units,
        sum(billed_value) as billed_value
    from erp_flows
    group by all

),

bookings_monthly as (

    select
        customer_key,
        booking_month as revenue_month,
        sum(total_price_usd) as bookings_usd,
        sum(quantity) as booked_units
    from bookings_lines
    group by all

),

last_data_month as (

    select max(revenue_month) as revenue_month
    from (
        select revenue_month from erp_flows_monthly
        union all
        select revenue_month from bookings_monthly
    ) as data_months

),

-- every month from a customer-currency's first flow to the last month in the data
currency_grid as (

    select
        firsts.customer_key,
        firsts.currency_code,
        cast(generated.revenue_month as date) as revenue_month
    from (
        select customer_key, currency_code, min(revenue_month) as first_month
        from erp_flows_monthly
        group by all
    ) as firsts
    cross join last_data_month
    cross join generate_series(
        cast(firsts.first_month as timestamp),
        cast(last_data_month.revenue_month as timestamp),
        interval 1 month
    ) as generated (revenue_month)

),

open_positions as (

    select
        currency_grid.customer_key,
        currency_grid.currency_code,
        currency_grid.revenue_month,
        coalesce(erp_flows_monthly.orders_usd, 0) as orders_usd,
        coalesce(erp_flows_monthly.ordered_units, 0) as ordered_units,
        coalesce(erp_flows_monthly.shipped_usd, 0) as shipped_usd,
        coalesce(erp_flows_monthly.shipped_units, 0) as shipped_units,
        coalesce(erp_flows_monthly.billings_usd, 0) as billings_usd,
        coalesce(erp_flows_monthly.billed_units, 0) as billed_units,
        sum(coalesce(erp_flows_monthly.ordered_value, 0) - coalesce(erp_flows_monthly.shipped_value, 0))
            over customer_currency_to_date as order_backlog_value,
        sum(coalesce(erp_flows_monthly.shipped_value, 0) - coalesce(erp_flows_monthly.billed_value, 0))
            over customer_currency_to_date as unbilled_shipments_value
    from currency_grid
    left join erp_flows_monthly
        on currency_grid.customer_key = erp_flows_monthly.customer_key
        and currency_grid.currency_code = erp_flows_monthly.currency_code
        and currency_grid.revenue_month = erp_flows_monthly.revenue_month
    window customer_currency_to_date as (
        partition by currency_grid.customer_key, currency_grid.currency_code
        order by currency_grid.revenue_month
        rows between unbounded preceding and current row
    )

),

erp_monthly as (

    select
        open_positions.customer_key,
        open_positions.revenue_month,
        sum(open_positions.orders_usd) as orders_usd,
        sum(open_positions.ordered_units) as ordered_units,
        sum(open_positions.shipped_usd) as shipped_usd,
        sum(open_positions.shipped_units) as shipped_units,
        sum(open_positions.billings_usd) as billings_usd,
        sum(open_positions.billed_units) as billed_units,
        sum({{ convert_to_usd('open_positions.order_backlog_value', 'fx_rates.usd_per_unit') }})
            as order_backlog_usd,
        sum({{ convert_to_usd('open_positions.unbilled_shipments_value', 'fx_rates.usd_per_unit') }})
            as unbilled_shipments_usd
    from open_positions
    left join fx_rates
        on open_positions.currency_code = fx_rates.currency_code
        and open_positions.revenue_month = fx_rates.rate_month
    group by all

),

customer_months as (

    select customer_key, revenue_month from erp_monthly
    union
    select customer_key, revenue_month from bookings_monthly

)

select
    cast(customer_months.customer_key as varchar) as customer_key,
    cast(customer_months.revenue_month as date) as revenue_month,
    cast(customers.region_code as varchar) as region_code,
    cast(customers.segment as varchar) as segment,
    cast(round(coalesce(bookings_monthly.bookings_usd, 0), 2) as decimal(18,2)) as bookings_usd,
    cast(coalesce(bookings_monthly.booked_units, 0) as decimal(18,4)) as booked_units,
    cast(round(coalesce(erp_monthly.orders_usd, 0), 2) as decimal(18,2)) as orders_usd,
    cast(coalesce(erp_monthly.ordered_units, 0) as decimal(18,4)) as ordered_units,
    cast(round(coalesce(erp_monthly.shipped_usd, 0), 2) as decimal(18,2)) as shipped_usd,
    cast(coalesce(erp_monthly.shipped_units, 0) as decimal(18,4)) as shipped_units,
    cast(round(coalesce(erp_monthly.billings_usd, 0), 2) as decimal(18,2)) as billings_usd,
    cast(coalesce(erp_monthly.billed_units, 0) as decimal(18,4)) as billed_units,
    cast(round(coalesce(erp_monthly.order_backlog_usd, 0), 2) as decimal(18,2)) as order_backlog_usd,
    cast(round(coalesce(erp_monthly.unbilled_shipments_usd, 0), 2) as decimal(18,2)) as unbilled_shipments_usd

from customer_months
left join erp_monthly
    on customer_months.customer_key = erp_monthly.customer_key
    and customer_months.revenue_month = erp_monthly.revenue_month
left join bookings_monthly
    on customer_months.customer_key = bookings_monthly.customer_key
    and customer_months.revenue_month = bookings_monthly.revenue_month
left join customers
    on customer_months.customer_key = customers.customer_key
order by customer_key, revenue_month
