{#
    The filter of the incremental facts: true for the months of the partition range the
    orchestration is building (first days of months).

    The orchestration writes the range into `pipeline.build_window` just before its dbt step
    (orchestration/build_window.py): passing it as vars would change the vars of every run, and
    dbt re-parses the whole project whenever they change. An empty table means every month, so
    `dbt build` by hand rebuilds all months; `--vars '{"min_month": ..., "max_month": ...}'` by
    hand wins over the table.

    Only applied to an incremental run of an existing table. The first build of a table
    (or `--full-refresh`) ignores the range and builds every month, so a warehouse that
    gains a new fact while closing a single month never ends up with that month alone.

    Usage: where {{ in_partition_range('order_month') }}
#}
{% macro in_partition_range(month_expression) -%}
    {%- if is_incremental() -%}
        {{ partition_range_condition(month_expression) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
