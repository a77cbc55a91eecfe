-- Accounts (latest version) with the territory and region they sell in, taken from the
-- latest territory snapshot.

with

accounts as (

    select * from {{ ref('stg_crm__accounts') }}

),

territories as (

    select * from {{ ref('int_territories_filtered_to_latest_snapshot') }}

)

select
    accounts.account_id,
    accounts.account_name,
    accounts.industry,
    accounts.segment,
    accounts.billing_country_code,
    accounts.owner_id,
    accounts.erp_customer_number,
    accounts.territory_id,
    territories.territory_name,
    territories.region_code,
    accounts.created_at,
    accounts.last_modified_at

from accounts
left join territories
    on accounts.territory_id = territories.territory_id
