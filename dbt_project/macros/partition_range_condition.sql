{#
    The condition "this month is one the run rebuilds", for the incremental facts (through
    `in_partition_range`) and for the tests that judge only what a run wrote.

    The range is the vars `min_month` / `max_month` when given by hand, else the table
    `pipeline.build_window` the orchestration fills just before its dbt step
    (orchestration/build_window.py). An empty table means every month.

    Usage: where {{ partition_range_condition('snapshot_month') }}
#}
{% macro partition_range_condition(month_expression) -%}
    {%- if var('min_month', none) is not none -%}
        {{ month_expression }} between cast('{{ var("min_month") }}' as date)
            and cast('{{ var("max_month", "9999-12-01") }}' as date)
    {%- else -%}
        {{ month_expression }} between coalesce(
            (select min(window_row.min_month) from pipeline.build_window as window_row), date '1900-01-01'
        ) and coalesce(
            (select max(window_row.max_month) from pipeline.build_window as window_row), date '9999-12-01'
        )
    {%- endif -%}
{%- endmacro %}
