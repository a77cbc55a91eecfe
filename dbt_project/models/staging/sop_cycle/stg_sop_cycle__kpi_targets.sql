-- Every row of the planners' KPI targets file as each cycle read it: used, or refused and why.
-- Written by the S&OP cycle step (orchestration/sop_cycle).

with

source as (

    select * from {{ source('sop_cycle', 'kpi_targets') }}

),

renamed as (

    select
        cycle_month,
        taken_at,
        file,
        row,
        kpi,
        scope,
        period,
        target,
        amber_band,
        red_band,
        band_unit,
        valid,
        error

    from source

)

select * from renamed
