-- The sales-planning KPIs per region and for the company.

select * from {{ ref('stg_sales_planning__sales_kpis') }}
