-- Supply exceptions per cycle with a plain-language reason and lever.

select * from {{ ref('stg_supply__exceptions') }}
