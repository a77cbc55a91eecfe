{#
    Growth of a measure against its base period: current / base - 1, as a fraction
    (0.05 = +5 %). Null when the base is zero or missing (no growth is defined from nothing).

    Usage: {{ growth_rate('billings_usd', 'billings_usd_previous_year') }}
#}
{% macro growth_rate(current_expression, base_expression) -%}
    case
        when {{ base_expression }} is null or {{ base_expression }} = 0 then null
        else cast({{ current_expression }} as double) / cast({{ base_expression }} as double) - 1
    end
{%- endmacro %}
