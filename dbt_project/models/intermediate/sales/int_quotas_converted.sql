-- Rep quotas (CRM ForecastingQuota), one row per rep and quota month, valued in USD at the
-- quota month's rate of the quota currency (the currency's latest known rate when the month
-- has none yet).

with

quotas as (

    -- a quota re-delivered after a change counts once, in its latest version
    select * from {{ ref('stg_crm__quotas') }}
    qualify row_number() over (
        partition by quota_id
        order by last_modified_at desc, extract_month desc, source_row desc
    ) = 1

),

fx_rates as (

    select * from {{ ref('int_fx_rates_usd_added') }}

)

select
    quotas.quota_id,
    quotas.quota_owner_id as rep_id,
    quotas.quota_month,
    quotas.quota_amount,
    quotas.currency_code,
    coalesce(month_rates.usd_per_unit, latest_rates.usd_per_unit) as usd_per_unit,
    {{ convert_to_usd(
        'quotas.quota_amount',
        'coalesce(month_rates.usd_per_unit, latest_rates.usd_per_unit)'
    ) }} as quota_usd

from quotas
left join fx_rates as month_rates
    on quotas.currency_code = month_rates.currency_code
    and quotas.quota_month = month_rates.rate_month
left join fx_rates as latest_rates
    on quotas.currency_code = latest_rates.currency_code
    and latest_rates.is_latest_rate
