-- The zero-filled demand history loses nothing: per month, its ordered units, order lines,
-- promotional units and shipped units equal the totals of fct_sales_order_lines and
-- fct_shipments. Returns the months that differ.
{{ config(meta={'dagster': {'ref': {'name': 'demand_history_monthly'}}}) }}

with

demand as (

    select
        demand_month as activity_month,
        sum(ordered_units) as ordered_units,
        sum(order_lines) as order_lines,
        sum(promo_units) as promo_units,
        sum(shipped_units) as shipped_units
    from {{ ref('demand_history_monthly') }}
    group by 1

),

orders as (

    select
        order_month as activity_month,
        sum(quantity) as ordered_units,
        count(*) as order_lines,
        sum(case when is_promo then quantity else 0 end) as promo_units
    from {{ ref('fct_sales_order_lines') }}
    group by 1

),

shipments as (

    select
        ship_month as activity_month,
        sum(quantity_shipped) as shipped_units
    from {{ ref('fct_shipments') }}
    group by 1

),

facts as (

    select
        coalesce(orders.activity_month, shipments.activity_month) as activity_month,
        coalesce(orders.ordered_units, 0) as ordered_units,
        coalesce(orders.order_lines, 0) as order_lines,
        coalesce(orders.promo_units, 0) as promo_units,
        coalesce(shipments.shipped_units, 0) as shipped_units
    from orders
    full outer join shipments
        on orders.activity_month = shipments.activity_month

)

select
    coalesce(facts.activity_month, demand.activity_month) as activity_month,
    facts.ordered_units as fact_ordered_units,
    demand.ordered_units as demand_ordered_units,
    facts.shipped_units as fact_shipped_units,
    demand.shipped_units as demand_shipped_units
from facts
full outer join demand
    on facts.activity_month = demand.activity_month
where coalesce(facts.ordered_units, 0) <> coalesce(demand.ordered_units, 0)
    or coalesce(facts.order_lines, 0) <> coalesce(demand.order_lines, 0)
    or coalesce(facts.promo_units, 0) <> coalesce(demand.promo_units, 0)
    or coalesce(facts.shipped_units, 0) <> coalesce(demand.shipped_units, 0)
