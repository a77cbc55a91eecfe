-- Monthly average exchange rates into USD.
-- Event entity: each key is delivered once, in the month it happened.

with

source as (

    select * from {{ source('market', 'fx_rates') }} as raw_rows
    where {{ exclude_quarantined('market_fx_rates') }}
      and {{ exclude_deleted('market_fx_rates', ['rate_month', 'currency_code'], 'published_at') }}

),

renamed as (

    select
        {{ cast_csv_field('rate_month', 'date') }} as rate_month,
        {{ cast_csv_field('currency_code', 'varchar') }} as currency_code,
        {{ cast_csv_field('usd_per_unit', 'decimal(18,8)') }} as usd_per_unit,
        {{ cast_csv_field('published_at', 'timestamp') }} as published_at,
        _partition_month as extract_month,
        _source_file as source_file,
        _source_row as source_row,
        _load_id as load_id

    from source

)

select * from renamed
