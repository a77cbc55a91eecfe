{#
    Convert a transaction-currency amount to USD with a `usd_per_unit` rate.

    DuckDB keeps the width of a decimal product at 18 digits when both factors are
    decimal(18,x), so multiplying staged money columns overflows on large lines. The amount
    is widened to decimal(38,8) first and the product keeps full precision; rounding
    happens once, at the end, in the marts.

    Usage: {{ convert_to_usd('invoice_lines.net_amount', 'fx_rates.usd_per_unit') }}
#}
{% macro convert_to_usd(amount_expression, rate_expression) -%}
    cast({{ amount_expression }} as decimal(38, 8)) * {{ rate_expression }}
{%- endmacro %}
