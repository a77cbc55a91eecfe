-- This cycle's consensus demand (family × region) and revenue forecast (region) against the previous cycle's stored version over the months both hold: the change and its main cause.
-- Written by the S&OP cycle step (orchestration/sop_cycle).

with

source as (

    select * from {{ source('sop_cycle', 'plan_comparison') }}

),

renamed as (

    select
        cycle_month,
        previous_cycle_month,
        plan,
        product_family,
        region_code,
        first_month,
        last_month,
        months_compared,
        previous_units,
        current_units,
        change_units,
        previous_value_usd,
        current_value_usd,
        change_value_usd,
        change_pct,
        statistical_change,
        override_change,
        pipeline_change,
        previous_override,
        current_override,
        previous_model,
        current_model,
        closed_month_actual,
        closed_month_previous_forecast,
        cause,
        cause_text,
        mover_rank

    from source

)

select * from renamed
