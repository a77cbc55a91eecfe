-- Addressable market size per region, product family and month.
-- Event entity: each key is delivered once, in the month it happened.

with

source as (

    select * from {{ source('market', 'market_size') }} as raw_rows
    where {{ exclude_quarantined('market_market_size') }}
      and {{ exclude_deleted('market_market_size', ['period_month', 'region_code', 'product_family'], 'published_at') }}

),

renamed as (

    select
        {{ cast_csv_field('period_month', 'date') }} as period_month,
        {{ cast_csv_field('region_code', 'varchar') }} as region_code,
        {{ cast_csv_field('product_family', 'varchar') }} as product_family,
        {{ cast_csv_field('market_size_usd', 'decimal(18,4)') }} as market_size_usd,
        {{ cast_csv_field('published_at', 'timestamp') }} as published_at,
        _partition_month as extract_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

)

select * from renamed
