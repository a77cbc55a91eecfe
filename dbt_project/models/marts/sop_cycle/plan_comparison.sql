-- Plan versions compared.

select * from {{ ref('stg_sop_cycle__plan_comparison') }}
