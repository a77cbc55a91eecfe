-- What moved between the previous cycle's supply plan and this cycle's, by family x site, with the main cause (demand change, capacity change, new or moved receipts).

select * from {{ ref('stg_supply__plan_diff') }}
