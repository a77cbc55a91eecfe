-- The payout forecast to fiscal year end per rep and in total at P10/P50/P90 of the revenue forecast.

select * from {{ ref('stg_sales_planning__payout_forecast') }}
