-- Territory coverage and balance per territory and region.

select * from {{ ref('stg_sales_planning__territory_balance') }}
