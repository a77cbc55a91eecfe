-- CRM accounts (latest version) and ERP customers (latest version) matched into one list of
-- customers: one row per matched pair, per unmatched account and per unmatched ERP customer.
--
-- Rules, in order of precedence:
--   erp_number   the account carries an ERP customer number that exists in the ERP (1.0);
--   name_region  no ERP number: the normalized name and the region equal those of exactly
--                one ERP customer that no account claims by number (0.9);
--   name_region_legal_form  several candidates share the normalized name in the region:
--                the name with its legal form kept decides, one-to-one (0.85);
--   name_region_compact  the same with the weaker compact key (blanks removed, umlaut
--                spellings folded) when the first key found nothing (0.75);
--   crm_only / erp_only  what stays unmatched (confidence null).
-- A name match is accepted only when it is one-to-one within the region on both sides;
-- ambiguous candidates stay unmatched and appear in customer_match_audit.
-- When two accounts carry the same ERP number, the earliest-created keeps it.

with

accounts as (

    select * from {{ ref('int_accounts_enriched') }}

),

erp_customers as (

    select * from {{ ref('stg_erp__customers') }}

),

accounts_normalized as (

    select
        accounts.*,
        {{ normalize_company_name('accounts.account_name') }} as normalized_name,
        {{ normalize_company_name('accounts.account_name', strip_legal_form=false) }}
            as legal_form_name,
        {{ normalize_company_name_compact('accounts.account_name') }} as compact_name,
        row_number() over (
            partition by accounts.erp_customer_number
            order by accounts.created_at, accounts.account_id
        ) as erp_number_claim_rank
    from accounts

),

erp_customers_normalized as (

    select
        erp_customers.*,
        {{ normalize_company_name('erp_customers.customer_name') }} as normalized_name,
        {{ normalize_company_name('erp_customers.customer_name', strip_legal_form=false) }}
            as legal_form_name,
        {{ normalize_company_name_compact('erp_customers.customer_name') }} as compact_name
    from erp_customers

),

number_matches as (

    select
        accounts_normalized.account_id,
        erp_customers_normalized.customer_number,
        'erp_number' as match_method,
        1.0 as match_confidence
    from accounts_normalized
    inner join erp_customers_normalized
        on accounts_normalized.erp_customer_number = erp_customers_normalized.customer_number
    where accounts_normalized.erp_number_claim_rank = 1

),

-- candidates for name matching: accounts without a (valid) number match, ERP customers no
-- account claims by number
open_accounts as (

    select *
    from accounts_normalized
    where erp_customer_number is null
      and account_id not in (select account_id from number_matches)

),

open_erp_customers as (

    select *
    from erp_customers_normalized
    where customer_number not in (
        select erp_customer_number
        from accounts_normalized
        where erp_customer_number is not null
    )

),

exact_name_candidates as (

    select
        open_accounts.account_id,
        open_erp_customers.customer_number,
        count(*) over (partition by open_accounts.account_id) as candidates_per_account,
        count(*) over (partition by open_erp_customers.customer_number) as candidates_per_customer
    from open_accounts
    inner join open_erp_customers
        on open_accounts.normalized_name = open_erp_customers.normalized_name
        and open_accounts.region_code = open_erp_customers.region_code

),

exact_name_matches as (

    select
        account_id,
        customer_number,
        'name_region' as match_method,
        0.9 as match_confidence
    from exact_name_candidates
    where candidates_per_account = 1
      and candidates_per_customer = 1

),

ambiguous_exact_name_candidates as (

    select *
    from exact_name_candidates
    where candidates_per_account > 1
       or candidates_per_customer > 1

),

legal_form_name_candidates as (

    select
        open_accounts.account_id,
        open_erp_customers.customer_number,
        count(*) over (partition by open_accounts.account_id) as candidates_per_account,
        count(*) over (partition by open_erp_customers.customer_number) as candidates_per_customer
    from open_accounts
    inner join open_erp_customers
        on open_accounts.legal_form_name = open_erp_customers.legal_form_name
        and open_accounts.region_code = open_erp_customers.region_code
    where open_accounts.account_id in (select account_id from ambiguous_exact_name_candidates)
      and open_erp_customers.customer_number in (
          select customer_number from ambiguous_exact_name_candidates
      )

),

legal_form_name_matches as (

    select
        account_id,
        customer_number,
        'name_region_legal_form' as match_method,
        0.85 as match_confidence
    from legal_form_name_candidates
    where candidates_per_account = 1
      and candidates_per_customer = 1

),

compact_name_candidates as (

    select
        open_accounts.account_id,
        open_erp_customers.customer_number,
        count(*) over (partition by open_accounts.account_id) as candidates_per_account,
        count(*) over (partition by open_erp_customers.customer_number) as candidates_per_customer
    from open_accounts
    inner join open_erp_customers
        on open_accounts.compact_name = open_erp_customers.compact_name
        and open_accounts.region_code = open_erp_customers.region_code
    where open_accounts.account_id not in (select account_id from exact_name_candidates)
      and open_erp_customers.customer_number not in (
          select customer_number from exact_name_candidates
      )

),

compact_name_matches as (

    select
        account_id,
        customer_number,
        'name_region_compact' as match_method,
        0.75 as match_confidence
    from compact_name_candidates
    where candidates_per_account = 1
      and candidates_per_customer = 1

),

all_matches as (

    select * from number_matches
    union all
    select * from exact_name_matches
    union all
    select * from legal_form_name_matches
    union all
    select * from compact_name_matches

),

unified as (

    select
        all_matches.account_id,
        all_matches.customer_number,
        all_matches.match_method,
        all_matches.match_confidence
    from all_matches

    union all

    select
        accounts.account_id,
        null as customer_number,
        'crm_only' as match_method,
        null as match_confidence
    from accounts
    where accounts.account_id not in (select account_id from all_matches)

    union all

    select
        null as account_id,
        erp_customers.customer_number,
        'erp_only' as match_method,
        null as match_confidence
    from erp_customers
    where erp_customers.customer_number not in (select customer_number from all_matches)

)

select
    {{ customer_key('unified.customer_number', 'unified.account_id') }} as customer_key,
    unified.account_id as crm_account_id,
    unified.customer_number as erp_customer_number,
    unified.match_method,
    cast(unified.match_confidence as decimal(3,2)) as match_confidence,
    accounts_normalized.account_name,
    erp_customers_normalized.customer_name as erp_customer_name,
    coalesce(accounts_normalized.normalized_name, erp_customers_normalized.normalized_name)
        as normalized_name,
    accounts_normalized.erp_customer_number as account_erp_customer_number,
    accounts_normalized.segment,
    accounts_normalized.industry,
    accounts_normalized.billing_country_code,
    accounts_normalized.territory_id,
    accounts_normalized.region_code as account_region_code,
    accounts_normalized.owner_id,
    accounts_normalized.created_at as account_created_at,
    erp_customers_normalized.country_code as erp_country_code,
    erp_customers_normalized.region_code as erp_region_code,
    erp_customers_normalized.currency_code as erp_currency_code,
    erp_customers_normalized.payment_terms,
    erp_customers_normalized.created_at as erp_created_at

from unified
left join accounts_normalized
    on unified.account_id = accounts_normalized.account_id
left join erp_customers_normalized
    on unified.customer_number = erp_customers_normalized.customer_number
