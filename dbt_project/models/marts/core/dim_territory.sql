-- Sales territory dimension: one row per territory of the latest CRM territories snapshot,
-- with the sales region it belongs to (code and readable name) and its selling currency.
-- The conformed territory and region for every sales, revenue and pipeline mart.

with

territories as (

    select * from {{ ref('int_territories_filtered_to_latest_snapshot') }}

),

region_names as (

    -- the alias names the columns of the VALUES list (AL05 takes it for an unused table alias)
    select * from (
        values
            ('NAM', 'North America'),
            ('LAT', 'Latin America'),
            ('EUR', 'Europe'),
            ('UKI', 'UK & Ireland'),
            ('APAC', 'Asia Pacific')
    ) as region_names (region_code, region_name)  -- noqa: AL05

)

select
    cast(territories.territory_id as varchar) as territory_id,
    cast(territories.territory_name as varchar) as territory_name,
    cast(territories.region_code as varchar) as region_code,
    cast(coalesce(region_names.region_name, territories.region_code) as varchar) as region_name,
    cast(territories.currency_code as varchar) as currency_code,
    cast(territories.last_modified_at as timestamp) as last_modified_at,
    cast(territories.snapshot_month as date) as snapshot_month

from territories
left join region_names
    on territories.region_code = region_names.region_code
order by territory_id
