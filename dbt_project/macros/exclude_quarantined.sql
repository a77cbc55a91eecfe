{#
    Leave out the raw rows the data-quality checks quarantined (stage `check`), so a rule of
    severity WARN lets the good rows of a month go on while the bad ones wait in
    `quarantine.quarantined_rows`. Raw itself keeps every row.

    A row is matched on the load that inserted it, its file and its 1-based data row: a
    re-load of the month (a new load id) starts clean until the checks run again. Lines
    quarantined by ingestion (stage `ingest`) never reached raw and need no exclusion, and
    master-data rows that broke only a WARN rule (stage `flag`) are kept on purpose: leaving an
    item or a customer out would orphan the facts that reference it.
    Every staging model filters its source with this macro.

    Usage: select * from {{ source('crm', 'opportunities') }} as raw_rows
           where {{ exclude_quarantined('crm_opportunities') }}
#}
{% macro exclude_quarantined(entity_name, relation_alias='raw_rows') -%}
    not exists (
        select 1
        from quarantine.quarantined_rows as quarantined
        where quarantined.stage = 'check'
          and quarantined.entity = '{{ entity_name }}'
          and quarantined.load_id = {{ relation_alias }}._load_id
          and quarantined.source_file = {{ relation_alias }}._source_file
          and quarantined.source_row = {{ relation_alias }}._source_row
    )
{%- endmacro %}
