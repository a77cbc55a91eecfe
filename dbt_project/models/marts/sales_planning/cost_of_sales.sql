-- Cost of sales (total pay / credited bookings) per region and month, and fiscal year to date.

select * from {{ ref('stg_sales_planning__cost_of_sales') }}
