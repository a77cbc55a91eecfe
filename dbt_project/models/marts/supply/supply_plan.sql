-- The capacity-constrained supply plan per SKU x stocking site x month, one row set per S&OP cycle.

select * from {{ ref('stg_supply__supply_plan') }}
