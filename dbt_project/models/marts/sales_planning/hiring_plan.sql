-- The hiring plan.

select * from {{ ref('stg_sales_planning__hiring_plan') }}
