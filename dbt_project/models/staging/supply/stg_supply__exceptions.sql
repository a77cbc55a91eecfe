-- Supply exceptions with plain-language reasons.
-- Written by the supply-planning step (orchestration/supply).

with

source as (

    select * from {{ source('supply', 'exceptions') }}

),

renamed as (

    select
        cycle_month,
        exception,
        sku,
        site,
        work_center,
        month,
        units,
        value,
        message

    from source

)

select * from renamed
