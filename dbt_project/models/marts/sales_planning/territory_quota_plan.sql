-- Top-down against bottom-up per territory.

select * from {{ ref('stg_sales_planning__territory_plan') }}
