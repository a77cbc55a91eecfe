-- Monthly USD conversion rates: one row per rate month and currency.
-- The market feed quotes currencies against USD; USD itself is added at 1.0 for every
-- month the feed covers (unless the feed already carries it), so USD amounts convert
-- through the same join as every other currency.

with

published_rates as (

    select
        rate_month,
        currency_code,
        usd_per_unit
    from {{ ref('stg_market__fx_rates') }}

),

rate_months as (

    select distinct rate_month
    from published_rates

),

usd_rates as (

    select
        rate_months.rate_month,
        'USD' as currency_code,
        cast(1 as decimal(18,8)) as usd_per_unit
    from rate_months
    where not exists (
        select 1
        from published_rates
        where published_rates.rate_month = rate_months.rate_month
          and published_rates.currency_code = 'USD'
    )

),

all_rates as (

    select * from published_rates
    union all
    select * from usd_rates

)

select
    rate_month,
    currency_code,
    usd_per_unit,
    rate_month = max(rate_month) over (partition by currency_code) as is_latest_rate

from all_rates
