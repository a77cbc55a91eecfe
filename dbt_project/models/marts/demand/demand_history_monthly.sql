-- Demand history per SKU x sales region x month: the input of forecasting.
-- Ordered units and value (ERP sales-order lines in the order month, USD at the order
-- month's rate), shipped units (shipments in the ship month), promotional units (ordered on
-- a line with a promo code) and order-line counts.
--
-- Zero-filled: every SKU x region that ever ordered gets a row for every month from the
-- SKU's start (its first sale month or launch month, whichever is earlier, but not before the
-- first month in the data) to its end (the last month in the data; for a SKU with an
-- end-of-life date before that, the later of its EOL month and its last order or shipment
-- month in the region). Nothing ordered or shipped falls outside the series.
-- Intermittent SKUs therefore carry explicit zero months. Region is the ERP customer's
-- region (dim_customer); family and lifecycle status come from dim_product.

with

order_lines as (

    select * from {{ ref('fct_sales_order_lines') }}

),

shipments as (

    select * from {{ ref('fct_shipments') }}

),

customers as (

    select * from {{ ref('dim_customer') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

ordered as (

    select
        order_lines.sku,
        customers.region_code,
        order_lines.order_month as demand_month,
        sum(order_lines.quantity) as ordered_units,
        sum(order_lines.order_value_usd) as ordered_value_usd,
        sum(case when order_lines.is_promo then order_lines.quantity else 0 end) as promo_units,
        count(*) as order_lines
    from order_lines
    left join customers
        on order_lines.customer_key = customers.customer_key
    group by all

),

shipped as (

    select
        shipments.sku,
        customers.region_code,
        shipments.ship_month as demand_month,
        sum(shipments.quantity_shipped) as shipped_units
    from shipments
    left join customers
        on shipments.customer_key = customers.customer_key
    group by all

),

data_range as (

    select
        min(demand_month) as first_month,
        max(demand_month) as last_month
    from (
        select demand_month from ordered
        union all
        select demand_month from shipped
    ) as demand_months

),

series as (

    select
        sku,
        region_code,
        max(demand_month) as last_activity_month
    from (
        select sku, region_code, demand_month from ordered
        union all
        select sku, region_code, demand_month from shipped
    ) as series_activity
    group by all

),

series_bounds as (

    select
        series.sku,
        series.region_code,
        greatest(
            data_range.first_month,
            least(
                coalesce(products.first_sale_month, data_range.last_month),
                coalesce(cast(date_trunc('month', products.launch_date) as date), data_range.last_month)
            )
        ) as start_month,
        case
            when products.eol_date is not null
                and date_trunc('month', products.eol_date) < data_range.last_month
                then greatest(
                    cast(date_trunc('month', products.eol_date) as date),
                    series.last_activity_month
                )
            else data_range.last_month
        end as end_month
    from series
    cross join data_range
    left join products
        on series.sku = products.sku

),

series_months as (

    select
        series_bounds.sku,
        series_bounds.region_code,
        cast(generated.demand_month as date) as demand_month
    from series_bounds,
        generate_series(
            cast(series_bounds.start_month as timestamp),
            cast(series_bounds.end_month as timestamp),
            interval 1 month
        ) as generated (demand_month)

)

select
    cast(series_months.sku as varchar) as sku,
    cast(series_months.region_code as varchar) as region_code,
    cast(series_months.demand_month as date) as demand_month,
    cast(products.product_family as varchar) as product_family,
    cast(products.lifecycle_status as varchar) as lifecycle_status,
    cast(coalesce(ordered.ordered_units, 0) as decimal(18,4)) as ordered_units,
    cast(round(coalesce(ordered.ordered_value_usd, 0), 2) as decimal(18,2)) as ordered_value_usd,
    cast(coalesce(shipped.shipped_units, 0) as decimal(18,4)) as shipped_units,
    cast(coalesce(ordered.promo_units, 0) as decimal(18,4)) as promo_units,
    cast(coalesce(ordered.order_lines, 0) as bigint) as order_lines,
    cast(coalesce(ordered.order_lines, 0) = 0 as boolean) as is_zero_demand_month

from series_months
left join ordered
    on series_months.sku = ordered.sku
    and series_months.region_code = ordered.region_code
    and series_months.demand_month = ordered.demand_month
left join shipped
    on series_months.sku = shipped.sku
    and series_months.region_code = shipped.region_code
    and series_months.demand_month = shipped.demand_month
left join products
    on series_months.sku = products.sku
order by sku, region_code, demand_month
