-- The territory rebalancing proposal.

select * from {{ ref('stg_sales_planning__rebalance_proposal') }}
