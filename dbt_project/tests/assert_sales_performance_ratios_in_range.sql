-- Rates of the rep and territory performance marts stay within their bounds: win rates
-- between 0 and 1, and a ratio is null exactly when its denominator is missing or zero.
-- Returns the offending rows.

with

ratios as (

    select
        'sales_performance_monthly' as mart,
        performance_month,
        rep_id as member_id,
        win_rate,
        trailing_12m_win_rate,
        won_count,
        lost_count,
        quota_usd,
        quota_attainment
    from {{ ref('sales_performance_monthly') }}

    union all

    select
        'territory_performance_monthly' as mart,
        performance_month,
        territory_id as member_id,
        win_rate,
        trailing_12m_win_rate,
        won_count,
        lost_count,
        quota_usd,
        quota_attainment
    from {{ ref('territory_performance_monthly') }}

)

select *
from ratios
where win_rate not between 0 and 1
    or trailing_12m_win_rate not between 0 and 1
    or (won_count + lost_count = 0) <> (win_rate is null)
    or (coalesce(quota_usd, 0) = 0) <> (quota_attainment is null)
