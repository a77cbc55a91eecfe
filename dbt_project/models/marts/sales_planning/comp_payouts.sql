-- Comp payouts per rep and month of the current fiscal year to date under inputs/comp_plans.yaml.

select * from {{ ref('stg_sales_planning__comp_payouts') }}
