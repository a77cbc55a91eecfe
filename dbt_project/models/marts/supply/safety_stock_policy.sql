-- Safety-stock policy per SKU x site per cycle.

select * from {{ ref('stg_supply__safety_stock') }}
