{#
    The filter of the incremental facts: true for the months of the partition range the
    orchestration is building (dbt vars `min_month` .. `max_month`, first days of months).

    Only applied to an incremental run of an existing table. The first build of a table
    (or `--full-refresh`) ignores the range and builds every month, so a warehouse that
    gains a new fact while closing a single month never ends up with that month alone.
    Without vars the defaults cover every month, so `dbt build` rebuilds all months.

    Usage: where {{ in_partition_range('order_month') }}
#}
{% macro in_partition_range(month_expression) -%}
    {%- if is_incremental() -%}
        {{ month_expression }} between cast('{{ var("min_month") }}' as date)
            and cast('{{ var("max_month") }}' as date)
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
