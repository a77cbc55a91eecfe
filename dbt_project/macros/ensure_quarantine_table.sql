{#
    Create the quarantine table if it does not exist, before any model runs
    (`on-run-start` in dbt_project.yml): staging views anti-join it, so it must exist even
    on a warehouse where no data-quality check has run yet.

    The statements are the same as `QUARANTINE_DDL` in orchestration/quality/quarantine.py
    (tests/unit/test_quality_quarantine.py keeps the two identical): whichever runs first
    creates the table, the other finds it.
#}
{% macro ensure_quarantine_table() -%}
-- ddl:begin
CREATE SCHEMA IF NOT EXISTS quarantine;
CREATE TABLE IF NOT EXISTS quarantine.quarantined_rows (entity VARCHAR, partition_month VARCHAR, stage VARCHAR, rule VARCHAR, severity VARCHAR, source_file VARCHAR, source_row BIGINT, load_id VARCHAR, reason VARCHAR, row_json VARCHAR, quarantined_at TIMESTAMP);
-- ddl:end
{%- endmacro %}
