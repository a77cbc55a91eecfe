-- One row per cycle.

select * from {{ ref('stg_supply__solves') }}
