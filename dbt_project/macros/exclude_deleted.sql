{#
    Leave out the raw rows whose key the source has since deleted: a connector delivers a
    delete as a tombstone (`_deleted.json` in the month's landing folder), which ingestion loads
    into `raw.deleted_records`. A row goes when a tombstone of its key is at least as recent as
    the row's own version; a key re-created after its delete comes back. Raw keeps every row.
    Every staging model of a delta or event entity filters its source with this macro, next to
    `exclude_quarantined`.

    The key is compared as the landing files write it: its values as text, joined with `|`.

    Usage: where {{ exclude_deleted('erp_sales_order_lines', ['order_number', 'line_number'], 'updated_at') }}
#}
{% macro exclude_deleted(entity_name, key_columns, updated_at, relation_alias='raw_rows') -%}
    not exists (
        select 1
        from raw.deleted_records as deleted
        where deleted.entity = '{{ entity_name }}'
          and deleted.record_key = concat_ws(
              '|'{% for column in key_columns %}, cast({{ relation_alias }}."{{ column }}" as varchar){% endfor %}
          )
          and deleted.deleted_version >= cast({{ relation_alias }}."{{ updated_at }}" as timestamp)
    )
{%- endmacro %}
