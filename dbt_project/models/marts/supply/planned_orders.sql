-- Planned orders of the unconstrained MRP netting per cycle, after each SKU x site's lot-sizing rule, minimum order quantity and multiple; release month offset by the lead time.

select * from {{ ref('stg_supply__planned_orders') }}
