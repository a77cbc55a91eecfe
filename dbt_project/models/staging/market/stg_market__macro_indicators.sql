-- Macro indicators per region and month (manufacturing PMI, GDP growth).
-- Event entity: each key is delivered once, in the month it happened.

with

source as (

    select * from {{ source('market', 'macro_indicators') }} as raw_rows
    where {{ exclude_quarantined('market_macro_indicators') }}
      and {{ exclude_deleted(
          'market_macro_indicators', ['period_month', 'region_code', 'indicator_code'], 'published_at'
      ) }}

),

renamed as (

    select
        {{ cast_csv_field('period_month', 'date') }} as period_month,
        {{ cast_csv_field('region_code', 'varchar') }} as region_code,
        {{ cast_csv_field('indicator_code', 'varchar') }} as indicator_code,
        {{ cast_csv_field('value', 'decimal(18,4)') }} as indicator_value,
        {{ cast_csv_field('published_at', 'timestamp') }} as published_at,
        _partition_month as extract_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

)

select * from renamed
