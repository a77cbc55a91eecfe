-- Projected available balance per SKU x site x month of the unconstrained MRP plan, per cycle.

select * from {{ ref('stg_supply__inventory_projection') }}
