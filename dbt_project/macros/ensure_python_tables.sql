{#
    Create the tables Python steps write (sources `supply`, `sop_cycle` and `sales_planning`) empty if they do not
    exist yet, before any model runs (`on-run-start` in dbt_project.yml): the marts over them must
    build on a warehouse where those steps have not run yet (a fresh `dbt build`, `dbt docs`).

    The columns and types are the sources' own YAML (models/staging/<source>/_<source>__sources.yml),
    which tests keep identical to the Python declarations the steps write with
    (orchestration/supply/tables.py, orchestration/sop_cycle/tables.py,
    orchestration/sales_planning/tables.py): whichever runs first
    creates the table, the other finds it.
#}
{% macro ensure_python_tables(source_names=['supply', 'sop_cycle', 'sales_planning']) -%}
{%- if execute -%}
{% for source_name in source_names -%}
CREATE SCHEMA IF NOT EXISTS {{ source_name }};
{% for node in graph.sources.values() if node.source_name == source_name -%}
CREATE TABLE IF NOT EXISTS {{ node.schema }}.{{ node.identifier }} ({% for name, column in node.columns.items() %}{{ name }} {{ column.data_type }}{{ ", " if not loop.last }}{% endfor %});
{% endfor -%}
{% endfor -%}
{%- endif -%}
{%- endmacro %}
