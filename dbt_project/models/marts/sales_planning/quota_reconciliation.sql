-- The bookings targets per region and in total against the S&OP revenue plan, with the over-assignment of the quotas and its band.

select * from {{ ref('stg_sales_planning__quota_reconciliation') }}
