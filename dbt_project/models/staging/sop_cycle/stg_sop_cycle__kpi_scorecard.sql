-- The KPI scorecard: every scorecard KPI per month for the total and by region, actual against the planners' target with variance, month-over-month and year-over-year change, 3-month trend and red/amber/green status.
-- Written by the S&OP cycle step (orchestration/sop_cycle).

with

source as (

    select * from {{ source('sop_cycle', 'kpi_scorecard') }}

),

renamed as (

    select
        month,
        kpi,
        label,
        area,
        scope,
        unit,
        direction,
        actual,
        numerator,
        denominator,
        target,
        amber_band,
        red_band,
        band_unit,
        target_row,
        variance,
        variance_pct,
        previous_month_actual,
        mom_change,
        mom_change_pct,
        year_ago_actual,
        yoy_change,
        yoy_change_pct,
        trend_3m,
        trend,
        status,
        previous_status,
        status_changed

    from source

)

select * from renamed
