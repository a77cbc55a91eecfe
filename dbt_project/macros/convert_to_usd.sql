{#
    Convert a transaction-currency amount to USD with a `usd_per_unit` rate.

    Staged money columns are decimal(18,4); DuckDB keeps the width of a decimal product at
    18 digits, so multiplying two or three of them overflows on large lines. The amount is
    widened to decimal(38,8) first and the result carries the full precision; rounding
    happens once, at the end, in the marts.

    Usage: {{ convert_to_usd('quantity * unit_price', 'usd_per_unit') }}
#}
{% macro convert_to_usd(amount_expression, rate_column) -%}
    cast({{ amount_expression }} as decimal(38, 8)) * {{ rate_column }}
{%- endmacro %}
