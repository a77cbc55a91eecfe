{#
    Create the supply-planning tables (source `supply`) empty if they do not exist yet, before
    any model runs (`on-run-start` in dbt_project.yml): the supply marts over them must build
    on a warehouse where the supply step has not run yet (a fresh `dbt build`, `dbt docs`).

    The columns and types are the source's own YAML (models/staging/supply/_supply__sources.yml),
    which tests/unit/test_supply_tables.py keeps identical to orchestration/supply/tables.py, the
    definition the supply step writes with: whichever runs first creates the table, the other
    finds it.
#}
{% macro ensure_supply_tables() -%}
{%- if execute -%}
CREATE SCHEMA IF NOT EXISTS supply;
{% for node in graph.sources.values() if node.source_name == 'supply' -%}
CREATE TABLE IF NOT EXISTS {{ node.schema }}.{{ node.identifier }} ({% for name, column in node.columns.items() %}{{ name }} {{ column.data_type }}{{ ", " if not loop.last }}{% endfor %});
{% endfor -%}
{%- endif -%}
{%- endmacro %}
