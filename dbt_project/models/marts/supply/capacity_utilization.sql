-- Capacity utilization per work center x month per cycle.

select * from {{ ref('stg_supply__capacity') }}
