-- Order-line fulfilment: one row per sales-order line, in the month its delivery was
-- requested, with what was shipped by the requested date and in all. The measures behind
-- the scorecard's fill rate and OTIF (docs/sop_cycle.md):
--   on time  = every shipment of the line left on or before its requested date;
--   in full  = the units shipped (all shipments so far) cover the units ordered;
--   OTIF     = the units shipped by the requested date cover the units ordered;
--   fill rate (a month) = sum(least(shipped by the requested date, ordered)) / sum(ordered).
-- A table rebuilt whole: a line's later shipments update the months it was requested in.

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

shipments_by_line as (

    select
        shipments.order_number,
        shipments.order_line_number,
        count(*) as shipment_count,
        sum(shipments.quantity_shipped) as shipped_units,
        sum(
            case when shipments.ship_date <= order_lines.requested_date then shipments.quantity_shipped else 0 end
        ) as shipped_on_time_units,
        min(shipments.ship_date) as first_ship_date,
        max(shipments.ship_date) as last_ship_date
    from shipments
    inner join order_lines
        on shipments.order_number = order_lines.order_number
        and shipments.order_line_number = order_lines.order_line_number
    group by 1, 2

),

lines_measured as (

    select
        order_lines.order_number,
        order_lines.order_line_number,
        order_lines.order_date,
        order_lines.requested_date,
        cast(date_trunc('month', order_lines.requested_date) as date) as requested_month,
        order_lines.customer_key,
        customers.region_code,
        order_lines.sku,
        products.product_family,
        order_lines.quantity as ordered_units,
        coalesce(shipments_by_line.shipped_units, 0) as shipped_units,
        coalesce(shipments_by_line.shipped_on_time_units, 0) as shipped_on_time_units,
        coalesce(shipments_by_line.shipment_count, 0) as shipment_count,
        shipments_by_line.first_ship_date,
        shipments_by_line.last_ship_date
    from order_lines
    left join shipments_by_line
        on order_lines.order_number = shipments_by_line.order_number
        and order_lines.order_line_number = shipments_by_line.order_line_number
    left join customers
        on order_lines.customer_key = customers.customer_key
    left join products
        on order_lines.sku = products.sku
    where order_lines.requested_date is not null

)

select
    cast(order_number as varchar) as order_number,
    cast(order_line_number as bigint) as order_line_number,
    cast(order_date as date) as order_date,
    cast(requested_date as date) as requested_date,
    cast(requested_month as date) as requested_month,
    cast(customer_key as varchar) as customer_key,
    cast(region_code as varchar) as region_code,
    cast(sku as varchar) as sku,
    cast(product_family as varchar) as product_family,
    cast(ordered_units as decimal(18,4)) as ordered_units,
    cast(shipped_units as decimal(18,4)) as shipped_units,
    cast(shipped_on_time_units as decimal(18,4)) as shipped_on_time_units,
    cast(shipment_count as integer) as shipment_count,
    cast(first_ship_date as date) as first_ship_date,
    cast(last_ship_date as date) as last_ship_date,
    cast(shipment_count > 0 and last_ship_date <= requested_date as boolean) as is_on_time,
    cast(shipped_units >= ordered_units as boolean) as is_in_full,
    cast(shipped_on_time_units >= ordered_units as boolean) as is_otif,
    cast(
        case when last_ship_date > requested_date then datediff('day', requested_date, last_ship_date) end
        as integer
    ) as days_late
from lines_measured
