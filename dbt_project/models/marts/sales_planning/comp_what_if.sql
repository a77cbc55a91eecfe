-- The comp what-if (inputs/comp_plans_what_if.yaml).

select * from {{ ref('stg_sales_planning__comp_what_if') }}
