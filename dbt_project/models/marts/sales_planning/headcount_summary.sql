-- Sales headcount per territory.

select * from {{ ref('stg_sales_planning__headcount_summary') }}
