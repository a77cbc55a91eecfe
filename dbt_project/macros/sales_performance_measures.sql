{#
    The sales-performance measures shared by the rep and the territory marts, computed from
    additive parts (never by averaging ratios), with the formulas of docs/kpi_formulas.md:

    - quota attainment = bookings / quota
    - win rate = won / (won + lost), deals closed in the month
    - average deal size = bookings / won; average sales cycle = days created->close of won deals / won
    - pipeline coverage = open pipeline closing in the next 3 months / quota of those months
      (null until the next 3 months' quotas are published)
    - pipeline velocity = open opportunities x trailing-12-month win rate x trailing-12-month
      average deal / trailing-12-month average cycle days

    Expects the columns quota_usd, bookings_usd, won_count, lost_count, won_cycle_days,
    created_count, pipeline_created_usd, open_opportunity_count, open_pipeline_usd,
    open_weighted_pipeline_usd, open_pipeline_next_3_months_usd, next_3_months_quota_usd,
    are_next_3_months_quotas_published and the trailing_12m_* columns.
#}
{% macro sales_performance_measures() -%}
    cast(round(quota_usd, 2) as decimal(18,2)) as quota_usd,
    cast(round(bookings_usd, 2) as decimal(18,2)) as bookings_usd,
    cast(round(bookings_usd / nullif(quota_usd, 0), 4) as decimal(18,4)) as quota_attainment,
    cast(won_count as integer) as won_count,
    cast(lost_count as integer) as lost_count,
    cast(round(won_count / nullif(won_count + lost_count, 0), 4) as decimal(18,4)) as win_rate,
    cast(round(bookings_usd / nullif(won_count, 0), 2) as decimal(18,2)) as avg_deal_size_usd,
    cast(round(won_cycle_days / nullif(won_count, 0), 1) as decimal(18,1))
        as avg_sales_cycle_days,
    cast(created_count as integer) as pipeline_created_count,
    cast(round(pipeline_created_usd, 2) as decimal(18,2)) as pipeline_created_usd,
    cast(open_opportunity_count as integer) as open_opportunity_count,
    cast(round(open_pipeline_usd, 2) as decimal(18,2)) as open_pipeline_usd,
    cast(round(open_weighted_pipeline_usd, 2) as decimal(18,2)) as open_weighted_pipeline_usd,
    cast(round(open_pipeline_next_3_months_usd, 2) as decimal(18,2))
        as open_pipeline_next_3_months_usd,
    cast(
        case when are_next_3_months_quotas_published then round(next_3_months_quota_usd, 2) end
        as decimal(18,2)
    ) as remaining_quota_usd,
    cast(
        case
            when are_next_3_months_quotas_published
                then round(open_pipeline_next_3_months_usd / nullif(next_3_months_quota_usd, 0), 4)
        end as decimal(18,4)
    ) as pipeline_coverage,
    cast(round(trailing_12m_win_rate, 4) as decimal(18,4)) as trailing_12m_win_rate,
    cast(round(trailing_12m_avg_deal_size_usd, 2) as decimal(18,2))
        as trailing_12m_avg_deal_size_usd,
    cast(round(trailing_12m_avg_sales_cycle_days, 1) as decimal(18,1))
        as trailing_12m_avg_sales_cycle_days,
    cast(
        round(
            open_opportunity_count * trailing_12m_win_rate * trailing_12m_avg_deal_size_usd
            / nullif(trailing_12m_avg_sales_cycle_days, 0),
            2
        ) as decimal(18,2)
    ) as pipeline_velocity_usd_per_day
{%- endmacro %}
