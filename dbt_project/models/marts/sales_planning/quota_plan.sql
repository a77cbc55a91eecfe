-- The quota plan (rep x month) of the fiscal year after the cycle's.

select * from {{ ref('stg_sales_planning__quota_plan') }}
