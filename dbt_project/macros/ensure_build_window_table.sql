{#
    Create the build-window table if it does not exist, before any model runs (`on-run-start`
    in dbt_project.yml): the incremental facts read it (macro `in_partition_range`), so it must
    exist even on a warehouse no orchestrated run has built yet (empty: every month).

    The statements are the same as `BUILD_WINDOW_DDL` in orchestration/build_window.py
    (tests/unit/test_build_window.py keeps the two identical).
#}
{% macro ensure_build_window_table() -%}
-- ddl:begin
CREATE SCHEMA IF NOT EXISTS pipeline;
CREATE TABLE IF NOT EXISTS pipeline.build_window (min_month DATE, max_month DATE);
-- ddl:end
{%- endmacro %}
