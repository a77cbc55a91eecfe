{#
    Create the tombstones table if it does not exist, before any model runs
    (`on-run-start` in dbt_project.yml): staging views anti-join it (macro `exclude_deleted`),
    so it must exist even on a warehouse where no connector ever delivered a delete.

    The statements are the same as `DELETED_RECORDS_DDL` in orchestration/deleted_records.py
    (tests/unit/test_deleted_records.py keeps the two identical).
#}
{% macro ensure_deleted_records_table() -%}
-- ddl:begin
CREATE SCHEMA IF NOT EXISTS raw;
CREATE TABLE IF NOT EXISTS raw.deleted_records (entity VARCHAR, record_key VARCHAR, deleted_version TIMESTAMP, _partition_month DATE, _load_id VARCHAR, _source_file VARCHAR);
-- ddl:end
{%- endmacro %}
