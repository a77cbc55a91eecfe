-- The sales headcount plan per territory and month.

select * from {{ ref('stg_sales_planning__headcount_plan') }}
