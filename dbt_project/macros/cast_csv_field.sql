{#
    Cast a raw CSV field (always VARCHAR) to its warehouse type.

    CSV extracts deliver empty fields either as NULL or as an empty string, and may pad
    values with blanks; both empty forms become NULL before the cast. Booleans arrive as
    `true`/`false`, dates as `YYYY-MM-DD`, timestamps as `YYYY-MM-DDTHH:MM:SSZ` (UTC) and
    decimals with a `.`, which DuckDB casts directly.

    Usage: {{ cast_csv_field('"StageName"', 'varchar') }}
#}
{% macro cast_csv_field(column_name, data_type) -%}
    cast(nullif(trim({{ column_name }}), '') as {{ data_type }})
{%- endmacro %}
