-- Supply scenarios of the planners' file next to the base plan, same KPIs side by side (fill rate, revenue at risk, inventory value, overtime cost, utilization), per cycle.

select * from {{ ref('stg_supply__scenarios') }}
