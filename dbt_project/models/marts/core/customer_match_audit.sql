-- What the customer matching leaves unmatched, with the reason: CRM accounts that became
-- their own customer (crm_only) and ERP customers no account was matched to (erp_only).
-- One row per unmatched account or ERP customer. Data stewards work this list: fill the ERP
-- number in the CRM, or correct the name or territory so the next build matches.

with

matched_customers as (

    select * from {{ ref('int_customers_matched') }}

),

erp_customers as (

    select * from {{ ref('stg_erp__customers') }}

),

unmatched_accounts as (

    select * from matched_customers
    where match_method = 'crm_only'

),

unmatched_erp_customers as (

    select * from matched_customers
    where match_method = 'erp_only'

),

account_reasons as (

    select
        'crm' as source_system,
        unmatched_accounts.crm_account_id as source_id,
        unmatched_accounts.customer_key,
        unmatched_accounts.account_name as source_name,
        unmatched_accounts.normalized_name,
        unmatched_accounts.account_region_code as region_code,
        unmatched_accounts.account_erp_customer_number as erp_customer_number_in_crm,
        case
            when unmatched_accounts.account_erp_customer_number is not null
                and not exists (
                    select 1 from erp_customers
                    where erp_customers.customer_number = unmatched_accounts.account_erp_customer_number
                )
                then 'erp_number_not_in_erp'
            when unmatched_accounts.account_erp_customer_number is not null
                then 'erp_number_claimed_by_another_account'
            when exists (
                    select 1 from unmatched_erp_customers
                    where unmatched_erp_customers.normalized_name = unmatched_accounts.normalized_name
                      and unmatched_erp_customers.erp_region_code = unmatched_accounts.account_region_code
                )
                then 'ambiguous_name_match'
            when exists (
                    select 1 from unmatched_erp_customers
                    where unmatched_erp_customers.normalized_name = unmatched_accounts.normalized_name
                )
                then 'name_match_in_other_region'
            else 'no_erp_number_and_no_name_match'
        end as unmatched_reason
    from unmatched_accounts

),

erp_customer_reasons as (

    select
        'erp' as source_system,
        unmatched_erp_customers.erp_customer_number as source_id,
        unmatched_erp_customers.customer_key,
        unmatched_erp_customers.erp_customer_name as source_name,
        unmatched_erp_customers.normalized_name,
        unmatched_erp_customers.erp_region_code as region_code,
        null as erp_customer_number_in_crm,
        case
            when exists (
                    select 1 from unmatched_accounts
                    where unmatched_accounts.normalized_name = unmatched_erp_customers.normalized_name
                      and unmatched_accounts.account_region_code = unmatched_erp_customers.erp_region_code
                )
                then 'ambiguous_name_match'
            else 'no_crm_account'
        end as unmatched_reason
    from unmatched_erp_customers

),

all_reasons as (

    select * from account_reasons
    union all
    select * from erp_customer_reasons

)

select
    cast(source_system as varchar) as source_system,
    cast(source_id as varchar) as source_id,
    cast(customer_key as varchar) as customer_key,
    cast(source_name as varchar) as source_name,
    cast(normalized_name as varchar) as normalized_name,
    cast(region_code as varchar) as region_code,
    cast(erp_customer_number_in_crm as varchar) as erp_customer_number_in_crm,
    cast(unmatched_reason as varchar) as unmatched_reason

from all_reasons
order by source_system, source_id
