-- Territories as of the latest month-end snapshot: one row per territory.

with

territories as (

    select * from {{ ref('stg_crm__territories') }}

),

latest_snapshot as (

    select max(snapshot_month) as snapshot_month
    from territories

)

select
    territories.territory_id,
    territories.territory_name,
    territories.region_code,
    territories.currency_code,
    territories.last_modified_at,
    territories.snapshot_month

from territories
inner join latest_snapshot
    on territories.snapshot_month = latest_snapshot.snapshot_month
